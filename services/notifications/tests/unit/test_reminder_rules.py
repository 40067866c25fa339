"""When a deadline's notices go out, and what a request to schedule one must hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from notifications.domain.reminders import (
    ESCALATED,
    ESCALATION,
    OVERDUE,
    OVERDUE_STATE,
    REMINDER,
    SCHEDULED,
    ReminderRequest,
    add_months,
    load_purposes,
    next_step_at,
    parse_purposes,
    plan,
    state_after,
    steps_due,
    validate_request,
)

DUE = datetime(2027, 3, 15, 17, 0, tzinfo=UTC)
DAY = timedelta(days=1)
PURPOSES = load_purposes()


def test_the_connector_programs_deadlines_are_purposes() -> None:
    assert {
        "application_deadline",
        "connector_response",
        "connector_referrals",
        "mentoring_checkin",
        "feedback_form",
    } <= set(PURPOSES)
    # Three referrals within two weeks: reminded 4 and 1 days before, escalated 2 days after.
    steps = plan(DUE, PURPOSES["connector_referrals"], escalates=True)
    assert [(s.kind, s.at) for s in steps] == [
        (REMINDER, DUE - 4 * DAY),
        (REMINDER, DUE - DAY),
        (OVERDUE, DUE),
        (ESCALATION, DUE + 2 * DAY),
    ]


def test_without_a_coordinator_nobody_is_escalated_to() -> None:
    assert ESCALATION not in {s.kind for s in plan(DUE, PURPOSES["connector_referrals"], escalates=False)}


def test_nothing_is_due_before_its_time() -> None:
    steps = plan(DUE, PURPOSES["connector_referrals"], escalates=True)

    assert steps_due(steps, 0, DUE - 4 * DAY - timedelta(seconds=1)) == ([], 0)
    sent, done = steps_due(steps, 0, DUE - 4 * DAY)
    assert [s.kind for s in sent] == [REMINDER] and done == 1
    assert next_step_at(steps, done) == DUE - DAY


def test_after_downtime_one_reminder_goes_out_not_every_missed_one() -> None:
    steps = plan(DUE, PURPOSES["connector_referrals"], escalates=True)

    sent, done = steps_due(steps, 0, DUE - timedelta(hours=1))
    assert [(s.kind, s.at) for s in sent] == [(REMINDER, DUE - DAY)] and done == 2


def test_once_the_deadline_passed_no_reminder_goes_out_only_what_is_late() -> None:
    steps = plan(DUE, PURPOSES["connector_referrals"], escalates=True)

    sent, done = steps_due(steps, 0, DUE + 3 * DAY)
    assert [s.kind for s in sent] == [OVERDUE, ESCALATION] and done == 4
    assert next_step_at(steps, done) is None
    assert state_after(steps, done) == ESCALATED
    assert state_after(steps, 3) == OVERDUE_STATE
    assert state_after(steps, 1) == SCHEDULED


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (datetime(2027, 1, 31, 9, tzinfo=UTC), 1, datetime(2027, 2, 28, 9, tzinfo=UTC)),
        (datetime(2028, 1, 31, 9, tzinfo=UTC), 1, datetime(2028, 2, 29, 9, tzinfo=UTC)),
        (datetime(2027, 11, 15, 9, tzinfo=UTC), 3, datetime(2028, 2, 15, 9, tzinfo=UTC)),
        (datetime(2027, 12, 1, 9, tzinfo=UTC), 12, datetime(2028, 12, 1, 9, tzinfo=UTC)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_months_last(start: datetime, months: int, expected: datetime) -> None:
    assert add_months(start, months) == expected


def _request(**kw: object) -> ReminderRequest:
    fields: dict[str, object] = {
        "key": "connector-referrals:7",
        "purpose": "connector_referrals",
        "user_id": "u1",
        "due_at": DUE,
        "coordinator_id": "c1",
        "subject_en": "Eric",
        "subject_fr": "Eric",
        "link": "/connector/7",
        "every_months": 0,
    }
    fields.update(kw)
    return ReminderRequest(**fields)  # type: ignore[arg-type]


def test_a_good_request_has_no_errors() -> None:
    assert validate_request(_request(), PURPOSES, DUE - DAY).errors == []


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"key": "a b"}, "key", "reminder.key_invalid"),
        ({"key": "k" * 201}, "key", "reminder.key_invalid"),
        ({"purpose": "gossip"}, "purpose", "reminder.purpose_unknown"),
        ({"user_id": ""}, "user_id", "user_id.required"),
        ({"due_at": None}, "due_at", "reminder.due_required"),
        ({"due_at": DUE - 2 * DAY}, "due_at", "reminder.due_past"),
        ({"coordinator_id": "u1"}, "coordinator_id", "reminder.coordinator_is_user"),
        ({"subject_fr": " "}, "subject.fr", "reminder.subject_required"),
        ({"subject_en": "x" * 201}, "subject.en", "reminder.subject_required"),
        ({"link": "https://evil.example"}, "link", "reminder.link_invalid"),
        ({"link": "//evil.example"}, "link", "reminder.link_invalid"),
        ({"link": "/a b"}, "link", "reminder.link_invalid"),
        ({"every_months": 13}, "every_months", "reminder.every_months_range"),
    ],
)
def test_each_bad_field_is_named(change: dict[str, object], field: str, code: str) -> None:
    errors = validate_request(_request(**change), PURPOSES, DUE - DAY).errors

    assert [(e.field, e.code) for e in errors] == [(field, code)]


def test_a_purpose_lacking_french_or_with_bad_days_is_refused() -> None:
    english = {"task": "t", "item": "i"}
    with pytest.raises(ValueError, match="lacks a fr task or item"):
        parse_purposes({"p": {"en": english}})
    with pytest.raises(ValueError, match="remind_days_before"):
        parse_purposes({"p": {"remind_days_before": [0], "en": english, "fr": english}})
