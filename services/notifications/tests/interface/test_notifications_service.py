"""Notifications' api and worker against real RabbitMQ, SecantusDB and an SMTP sink."""

from __future__ import annotations

import signal
import time

import pytest

from tandem.common.v1 import common_pb2
from tandem.identity.v1 import events_pb2 as identity_events
from tandem.notifications.v1 import notifications_pb2 as pb
from tandem.notifications.v1 import notifications_pb2_grpc as pb_grpc
from tandem.opportunities.v1 import events_pb2 as opp_events
from tandem_dev.testing import StackFactory, eventually

pytestmark = pytest.mark.interface


def _register(stack, user_id: str, language: str = "en") -> None:
    stack.publish(
        "identity",
        "user.registered",
        identity_events.UserRegistered(
            user_id=user_id,
            email=f"{user_id}@example.gc.ca",
            username=user_id,
            display_name=f"Person {user_id}",
            language=language,
        ),
    )


def _inbox(stack, user_id: str, page_size: int = 100) -> pb.ListNotificationsResponse:
    with stack.grpc_channel("notifications") as ch:
        return pb_grpc.NotificationsServiceStub(ch).ListNotifications(
            pb.ListNotificationsRequest(user_id=user_id, page=common_pb2.PageRequest(page_size=page_size))
        )


def test_application_reaches_the_posters_inbox_and_mailbox_in_their_language(stack_factory: StackFactory) -> None:
    stack = stack_factory(("notifications",))
    _register(stack, "poster", language="fr")
    eventually(lambda: _inbox(stack, "poster").notifications, what="welcome notice")
    stack.publish(
        "opportunities",
        "application.submitted",
        opp_events.ApplicationSubmitted(
            application_id="a1",
            opportunity_id="o1",
            poster_id="poster",
            applicant_id="someone",
            title_en="Survey analysis",
            title_fr="Analyse d’enquête",
        ),
    )
    inbox = eventually(lambda: [n for n in _inbox(stack, "poster").notifications if n.kind == "application_received"])
    assert inbox[0].subject == "Nouvelle candidature pour Analyse d’enquête"
    assert "/fr/opportunities/o1" in inbox[0].link
    mails = eventually(lambda: [m for m in stack.mails() if "Analyse" in m["Subject"]], what="email in the sink")
    assert mails[0]["To"] == "poster@example.gc.ca"
    assert mails[0]["Content-Language"] == "fr"
    assert {part.get_content_type() for part in mails[0].walk()} >= {"text/plain", "text/html"}


def test_mark_read_updates_the_unread_count(stack_factory: StackFactory) -> None:
    stack = stack_factory(("notifications",))
    _register(stack, "reader")
    notice = eventually(lambda: _inbox(stack, "reader").notifications)[0]
    assert _inbox(stack, "reader").unread_count == 1
    with stack.grpc_channel("notifications") as ch:
        marked = pb_grpc.NotificationsServiceStub(ch).MarkRead(
            pb.MarkReadRequest(user_id="reader", notification_ids=[notice.id])
        )
    assert marked.marked == 1
    assert _inbox(stack, "reader").unread_count == 0


def test_a_redelivered_event_is_applied_once(stack_factory: StackFactory) -> None:
    stack = stack_factory(("notifications",))
    _register(stack, "poster")
    eventually(lambda: _inbox(stack, "poster").notifications)
    event = opp_events.ApplicationSubmitted(
        application_id="a1", opportunity_id="o1", poster_id="poster", applicant_id="x", title_en="T", title_fr="T"
    )
    stack.publish("opportunities", "application.submitted", event, event_id="same-event-id")
    stack.publish("opportunities", "application.submitted", event, event_id="same-event-id")
    stack.publish("opportunities", "application.submitted", event, event_id="a-later-event")
    eventually(lambda: len(_inbox(stack, "poster").notifications) == 3, what="two application notices")
    time.sleep(0.5)  # a doubled effect would show up here; nothing should
    kinds = [n.kind for n in _inbox(stack, "poster").notifications]
    assert kinds.count("application_received") == 2


def test_a_poison_message_is_dead_lettered_and_the_consumer_keeps_going(stack_factory: StackFactory) -> None:
    stack = stack_factory(("notifications",))
    queue = "evt-opportunities-application.submitted--notifications.on_application_submitted"
    # Malformed: straight to the dead-letter queue. Unknown recipient: retried, then dead-lettered.
    stack.publish_raw("opportunities", "application.submitted", {"not": "an envelope"})
    stack.publish(
        "opportunities",
        "application.submitted",
        opp_events.ApplicationSubmitted(
            application_id="a1",
            opportunity_id="o1",
            poster_id="nobody-knows-me",
            applicant_id="x",
        ),
    )
    _register(stack, "poster")
    stack.publish(
        "opportunities",
        "application.submitted",
        opp_events.ApplicationSubmitted(
            application_id="a2",
            opportunity_id="o2",
            poster_id="poster",
            applicant_id="x",
            title_en="T",
            title_fr="T",
        ),
    )
    eventually(
        lambda: any(n.kind == "application_received" for n in _inbox(stack, "poster").notifications),
        what="the good event applied despite the bad ones",
    )

    from kombu import Connection

    def dead_letters() -> list:
        with Connection(stack.amqp_uri) as conn:
            channel = conn.channel()
            _, depth, _ = channel.queue_declare(f"{queue}.dlq", passive=True)
            return depth >= 2 and [channel.basic_get(f"{queue}.dlq", no_ack=True) for _ in range(depth)]

    messages = eventually(dead_letters, timeout=30, what="two dead letters")
    errors = [m.headers.get("x-tandem-error", "") for m in messages]
    assert any("malformed event envelope" in e for e in errors)
    assert any("RecipientUnknown" in e for e in errors)


def test_a_worker_killed_mid_stream_loses_and_doubles_nothing(stack_factory: StackFactory) -> None:
    stack = stack_factory(("notifications",))
    _register(stack, "poster")
    eventually(lambda: _inbox(stack, "poster").notifications)
    db = stack.database("notifications")
    total = 200
    ids = [
        stack.publish(
            "opportunities",
            "application.submitted",
            opp_events.ApplicationSubmitted(
                application_id=f"a{i}",
                opportunity_id=f"o{i}",
                poster_id="poster",
                applicant_id=f"x{i}",
                title_en=f"T{i}",
                title_fr=f"T{i}",
            ),
        )
        for i in range(total)
    ]
    # Kill -9 once some, not all, have been applied.
    eventually(lambda: db.notifications.count_documents({"kind": "application_received"}) >= 20, what="a start")
    stack.stack.stop_proc("notifications-worker", sig=signal.SIGKILL)
    applied_before_restart = db.notifications.count_documents({"kind": "application_received"})
    assert applied_before_restart < total, "the worker finished before it was killed; raise the total"
    stack.stack.restart("notifications-worker")
    eventually(
        lambda: db.notifications.count_documents({"kind": "application_received"}) >= total,
        timeout=120,
        what="every event applied",
    )
    time.sleep(1)  # let any redelivery land: it must change nothing
    per_event = list(
        db.notifications.aggregate(
            [
                {"$match": {"kind": "application_received"}},
                {"$group": {"_id": "$source_event_id", "n": {"$sum": 1}}},
            ]
        )
    )
    assert sorted(d["_id"] for d in per_event) == sorted(ids)
    assert all(d["n"] == 1 for d in per_event)
    assert db.outgoing_emails.count_documents({}) == total + 1  # one welcome email too
