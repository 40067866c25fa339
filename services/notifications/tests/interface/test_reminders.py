"""Reminders and digests on a clock the test moves (NOTIFICATIONS_TEST_CLOCK=enabled): a
reminder fires on time and not before, not at all once the thing is done, and an overdue item
escalates to the program's coordinator."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from tandem.common.v1 import common_pb2
from tandem.notifications.v1 import notifications_pb2 as pb
from tandem.opportunities.v1 import events_pb2 as opp_events
from tandem_dev.testing import eventually

pytestmark = pytest.mark.interface

TEST_CLOCK = {"NOTIFICATIONS_TEST_CLOCK": "enabled"}
MINUTE = timedelta(minutes=1)


def _schedule(n, key: str, purpose: str, due_at: datetime, **kw) -> pb.Reminder:
    request = pb.ScheduleReminderRequest(
        key=key,
        purpose=purpose,
        user_id="connector",
        subject=common_pb2.LocalizedText(en="Eric Newcomer", fr="Eric Newcomer"),
        link="/connector/introductions/7",
        **kw,
    )
    request.due_at.FromDatetime(due_at)
    return n.call("ScheduleReminder", request)


def _reminders(n, user_id: str) -> list[tuple[str, str]]:
    return [(x.kind, x.subject) for x in reversed(n.inbox(user_id).notifications) if x.kind.startswith("reminder")]


def test_a_reminder_fires_on_time_not_once_done_and_escalates_when_overdue(notifications) -> None:
    n = notifications(**TEST_CLOCK)
    n.register("connector", name="Ruth Connector")
    n.register("coordinator", language="fr", name="Chantal Coordination")
    start = datetime.now(UTC)
    due = start + timedelta(days=14)  # three referrals within two weeks
    scheduled = _schedule(n, "connector-referrals:7", "connector_referrals", due, coordinator_id="coordinator")
    assert scheduled.state == "scheduled"
    # Reminders 4 days and 1 day before, the overdue notice at the deadline, escalation 2 days after.
    assert abs(scheduled.next_notice_at.ToDatetime(tzinfo=UTC) - (due - timedelta(days=4))) < timedelta(seconds=1)
    # A feedback form due in 10 days, done on day 5: its reminder (day 8) must never come.
    _schedule(n, "feedback:7", "feedback_form", start + timedelta(days=10), coordinator_id="coordinator")

    n.move_clock(timedelta(days=5))
    done = n.call("CompleteReminder", pb.CompleteReminderRequest(key="feedback:7", outcome="done"))
    assert done.state == "done" and not done.HasField("next_notice_at")

    # One minute before the first reminder: nothing yet.
    n.move_clock(timedelta(days=10) - MINUTE)
    time.sleep(2.5)  # the timer ticks every second: a reminder fired early would be here
    assert _reminders(n, "connector") == []

    n.move_clock(timedelta(days=10) + MINUTE)
    first = eventually(lambda: _reminders(n, "connector"), what="the first reminder")
    assert first == [("reminder_due_soon", f"Reminder: three referrals due {_date(due)}")]

    n.move_clock(timedelta(days=13) + MINUTE)
    eventually(lambda: len(_reminders(n, "connector")) == 2, what="the second reminder")
    n.move_clock(timedelta(days=14) + MINUTE)
    overdue = eventually(lambda: _reminders(n, "connector")[2:], what="the overdue notice")
    assert overdue == [("reminder_overdue", "Overdue: three referrals for Eric Newcomer")]
    assert n.call("GetReminder", pb.GetReminderRequest(key="connector-referrals:7")).state == "overdue"
    assert _reminders(n, "coordinator") == []  # not yet: two days' grace

    n.move_clock(timedelta(days=16) + MINUTE)
    escalated = eventually(lambda: _reminders(n, "coordinator"), what="the escalation")
    assert escalated == [("reminder_escalated", "En retard : trois références, Ruth Connector")]
    mail = eventually(
        lambda: [m for m in n.mails_to("coordinator") if n.subject(m).startswith("En retard")], what="its email"
    )[0]
    assert mail["Content-Language"] == "fr"
    assert n.call("GetReminder", pb.GetReminderRequest(key="connector-referrals:7")).state == "escalated"

    # Done at last: nothing more, ever; the feedback reminder never came.
    n.call("CompleteReminder", pb.CompleteReminderRequest(key="connector-referrals:7", outcome="done"))
    n.move_clock(timedelta(days=60))
    time.sleep(2.5)
    assert [kind for kind, _ in _reminders(n, "connector")] == [
        "reminder_due_soon",
        "reminder_due_soon",
        "reminder_overdue",
    ]
    assert len(_reminders(n, "coordinator")) == 1
    assert not any("feedback" in s for _, s in _reminders(n, "connector"))


def _date(moment: datetime) -> str:
    from notifications.domain.templates import format_when

    return format_when(moment, "en", "America/Toronto", with_time=False)


def test_a_monthly_check_in_starts_its_next_occurrence_when_done(notifications) -> None:
    n = notifications(**TEST_CLOCK)
    n.register("connector")
    due = datetime.now(UTC) + timedelta(days=30)
    first = _schedule(n, "checkin:pair-1", "mentoring_checkin", due, every_months=1)
    assert (first.occurrence, first.every_months) == (1, 1)
    # Scheduling the same deadline again changes nothing.
    assert _schedule(n, "checkin:pair-1", "mentoring_checkin", due, every_months=1).occurrence == 1

    n.call("CompleteReminder", pb.CompleteReminderRequest(key="checkin:pair-1", outcome="done"))
    following = n.call("GetReminder", pb.GetReminderRequest(key="checkin:pair-1"))
    assert (following.occurrence, following.state) == (2, "scheduled")
    assert following.due_at.ToDatetime(tzinfo=UTC).month == (due.month % 12) + 1

    cancelled = n.call("CompleteReminder", pb.CompleteReminderRequest(key="checkin:pair-1", outcome="cancelled"))
    assert cancelled.state == "cancelled"
    error = n.refused("ScheduleReminder", _request("checkin:pair-1", due))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION


def _request(key: str, due_at: datetime) -> pb.ScheduleReminderRequest:
    request = pb.ScheduleReminderRequest(
        key=key,
        purpose="mentoring_checkin",
        user_id="connector",
        subject=common_pb2.LocalizedText(en="Pair 1", fr="Paire 1"),
    )
    request.due_at.FromDatetime(due_at)
    return request


def test_a_bad_reminder_is_refused_field_by_field_in_french(notifications) -> None:
    n = notifications(**TEST_CLOCK)
    n.register("connector")
    request = pb.ScheduleReminderRequest(
        key="has spaces", purpose="gossip", user_id="connector", coordinator_id="nobody", link="//evil.example"
    )
    request.due_at.FromDatetime(datetime.now(UTC) - timedelta(days=1))
    error = n.refused("ScheduleReminder", request, lang="fr")
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    errors = n.field_errors(error)
    assert set(errors) == {"key", "purpose", "due_at", "subject.en", "subject.fr", "link"}
    assert errors["due_at"][1] == "L’échéance est déjà passée. Donnez une date et une heure à venir."
    # The people are checked once the fields are right.
    error = n.refused("ScheduleReminder", _request_with(coordinator_id="nobody"))
    assert n.field_errors(error) == {"coordinator_id": ("recipient.unknown", "We do not know this person yet.")}
    assert n.db.reminders.count_documents({}) == 0


def _request_with(**kw: str) -> pb.ScheduleReminderRequest:
    request = _request("fine-key", datetime.now(UTC) + timedelta(days=3))
    for name, value in kw.items():
        setattr(request, name, value)
    return request


def test_a_daily_digest_gathers_the_days_notices_into_one_email(notifications) -> None:
    n = notifications(**TEST_CLOCK)
    n.register("dana", language="fr")
    n.call("UpdatePreferences", pb.UpdatePreferencesRequest(user_id="dana", email_frequency="daily"))
    for i in range(2):
        n.stack.publish(
            "opportunities",
            "application.submitted",
            opp_events.ApplicationSubmitted(
                application_id=f"a{i}", opportunity_id=f"o{i}", poster_id="dana", title_en=f"S{i}", title_fr=f"E{i}"
            ),
        )
    eventually(lambda: n.kinds("dana").count("application_received") == 2, what="both notices in the inbox")
    time.sleep(1.5)  # an immediate email would land here
    assert len(n.mails_to("dana")) == 1  # the welcome only

    n.move_clock(timedelta(days=1, hours=1))
    digest = eventually(lambda: n.mails_to("dana")[1:], what="the digest")
    assert len(digest) == 1
    assert n.subject(digest[0]).startswith("Vos avis Tandem du ")
    text = next(p for p in digest[0].walk() if p.get_content_type() == "text/plain")
    body = text.get_payload(decode=True).decode()
    assert "Nouvelle candidature pour E0" in body and "Nouvelle candidature pour E1" in body
    assert digest[0]["List-Unsubscribe"]
    time.sleep(1.5)
    assert len(n.mails_to("dana")) == 2  # one digest, not one per tick
