"""The notifications worker turns each event into a notice for the right person, and delegates
the rest to the use cases."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from google.protobuf.message import Message
from nameko.testing.services import worker_factory

from notifications import handlers
from notifications.worker import MAIL, PURPOSES, SMTP_GATE, TEMPLATES, NotificationsWorker
from tandem.common.v1 import common_pb2
from tandem.identity.v1 import events_pb2 as identity_events
from tandem.matching.v1 import events_pb2 as matching_events
from tandem.opportunities.v1 import events_pb2 as opportunity_events
from tandem_kit.events import Envelope

TITLES = {"title_en": "Data analyst", "title_fr": "Analyste de données"}

# entrypoint, event type, payload, who is notified, template kind
CASES: list[tuple[str, str, Message, str, str]] = [
    (
        "on_opportunity_shared",
        "opportunity.shared",
        opportunity_events.OpportunityShared(
            share_id="s", opportunity_id="opp-1", poster_id="poster", candidate_id="candidate", **TITLES
        ),
        "candidate",
        "opportunity_shared",
    ),
    (
        "on_application_submitted",
        "application.submitted",
        opportunity_events.ApplicationSubmitted(
            application_id="a", opportunity_id="opp-1", poster_id="poster", applicant_id="applicant", **TITLES
        ),
        "poster",
        "application_received",
    ),
    (
        "on_offer_made",
        "offer.made",
        opportunity_events.OfferMade(
            offer_id="off-1", opportunity_id="opp-1", poster_id="poster", applicant_id="applicant", **TITLES
        ),
        "applicant",
        "offer_made",
    ),
    (
        "on_offer_accepted",
        "offer.accepted",
        opportunity_events.OfferAccepted(
            offer_id="off-1", opportunity_id="opp-1", poster_id="poster", applicant_id="applicant", **TITLES
        ),
        "poster",
        "offer_accepted",
    ),
    (
        "on_offer_declined",
        "offer.declined",
        opportunity_events.OfferDeclined(
            offer_id="off-1", opportunity_id="opp-1", poster_id="poster", applicant_id="applicant", **TITLES
        ),
        "poster",
        "offer_declined",
    ),
    (
        "on_applicant_removed",
        "applicant.removed",
        opportunity_events.ApplicationClosed(
            application_id="a", opportunity_id="opp-1", poster_id="poster", applicant_id="applicant", **TITLES
        ),
        "applicant",
        "removed_from_opportunity",
    ),
    (
        "on_application_withdrawn",
        "application.withdrawn",
        opportunity_events.ApplicationClosed(
            application_id="a", opportunity_id="opp-1", poster_id="poster", applicant_id="applicant", **TITLES
        ),
        "poster",
        "application_withdrawn",
    ),
]


def envelope(event_type: str, payload: Message) -> Envelope[Any]:
    return Envelope.new(type=event_type, source="opportunities", payload=payload)


@pytest.mark.parametrize(("entrypoint", "event_type", "payload", "recipient", "kind"), CASES, ids=[c[0] for c in CASES])
def test_event_notifies_the_right_person_with_the_right_template(
    entrypoint: str, event_type: str, payload: Message, recipient: str, kind: str
) -> None:
    worker = worker_factory(NotificationsWorker)
    event = envelope(event_type, payload)

    with mock.patch.object(handlers, "notify", return_value=True) as notify:
        assert getattr(worker, entrypoint)(event) is True

    notify.assert_called_once()
    args, kwargs = notify.call_args
    assert args == (worker.store, TEMPLATES, MAIL, event)
    assert kwargs["handler"] == f"notifications.{entrypoint}"
    assert kwargs["user_id"] == recipient
    assert kwargs["kind"] == kind
    assert kwargs["params"]["title_en"] == "Data analyst"
    assert kwargs["params"]["title_fr"] == "Analyste de données"


@pytest.mark.parametrize(("entrypoint", "event_type", "payload", "recipient", "kind"), CASES, ids=[c[0] for c in CASES])
def test_worker_gives_the_template_every_placeholder_it_needs(
    entrypoint: str, event_type: str, payload: Message, recipient: str, kind: str
) -> None:
    worker = worker_factory(NotificationsWorker)

    with mock.patch.object(handlers, "notify", return_value=True) as notify:
        getattr(worker, entrypoint)(envelope(event_type, payload))

    # deliver adds `title` in the recipient's language; render adds `lang`.
    params = {**notify.call_args.kwargs["params"], "title": "T"}
    for lang in ("en", "fr"):
        TEMPLATES.render(kind, lang, params, "http://web")


def test_new_account_gets_a_welcome() -> None:
    worker = worker_factory(NotificationsWorker)
    event = Envelope.new(
        type="user.registered",
        source="identity",
        payload=identity_events.UserRegistered(user_id="u1", display_name="Ada Lovelace", language="fr"),
    )

    with mock.patch.object(handlers, "welcome", return_value=True) as welcome:
        assert worker.on_user_registered(event) is True

    welcome.assert_called_once_with(worker.store, TEMPLATES, MAIL, event)


def test_timers_send_emails_fire_reminders_and_send_digests_through_the_workers_store() -> None:
    worker = worker_factory(NotificationsWorker)

    with (
        mock.patch.object(handlers, "send_due_emails", return_value=0) as send_due_emails,
        mock.patch.object(handlers, "fire_due_reminders", return_value=0) as fire_due_reminders,
        mock.patch.object(handlers, "send_digests", return_value=0) as send_digests,
    ):
        worker.send_emails()
        worker.fire_reminders()
        worker.send_digests()

    send_due_emails.assert_called_once_with(worker.store, MAIL, SMTP_GATE)
    fire_due_reminders.assert_called_once_with(worker.store, TEMPLATES, MAIL, PURPOSES)
    send_digests.assert_called_once_with(worker.store, TEMPLATES, MAIL)


@pytest.mark.parametrize(
    ("entrypoint", "event_type", "expected"),
    [
        (
            "on_opportunity_completed",
            "opportunity.completed",
            [
                ("p1", "opportunity_completed"),
                ("p2", "opportunity_completed"),
                ("poster", "feedback_requested"),
                ("w1", "application_closed"),
            ],
        ),
        (
            "on_opportunity_cancelled",
            "opportunity.cancelled",
            [("p1", "opportunity_cancelled"), ("p2", "opportunity_cancelled"), ("w1", "opportunity_cancelled")],
        ),
    ],
)
def test_a_state_change_notifies_everyone_it_concerns(
    entrypoint: str, event_type: str, expected: list[tuple[str, str]]
) -> None:
    worker = worker_factory(NotificationsWorker)
    payload = opportunity_events.OpportunityStateChanged(
        opportunity_id="opp-1",
        poster_id="poster",
        participant_ids=["p1", "p2"],
        affected_applicant_ids=["w1"],
        **TITLES,
    )

    with mock.patch.object(handlers, "notify_many", return_value=True) as notify_many:
        assert getattr(worker, entrypoint)(envelope(event_type, payload)) is True

    kwargs = notify_many.call_args.kwargs
    assert kwargs["handler"] == f"notifications.{entrypoint}"
    assert kwargs["notices"] == expected
    for _, kind in expected:
        for lang in ("en", "fr"):
            TEMPLATES.render(kind, lang, {**kwargs["params"], "title": "T"}, "http://web")


PROGRAM = common_pb2.LocalizedText(en="Ottawa mentoring", fr="Mentorat d’Ottawa")
MATCH = {"match_id": "m1", "cohort_id": "c1", "program_id": "p1", "mentee_id": "mentee", "mentor_id": "mentor"}
NAMES = {"mentee_name": "Léa Bouchard", "mentor_name": "Ann Smith"}


# entrypoint, event type, payload, template kind, who is left out
MATCH_CASES: list[tuple[str, str, Message, str, str]] = [
    (
        "on_match_proposed",
        "match.proposed",
        matching_events.MatchProposed(**MATCH, **NAMES, program_name=PROGRAM),
        "match_proposed",
        "",
    ),
    (
        "on_match_accepted",
        "match.accepted",
        matching_events.MatchDecided(**MATCH, **NAMES, program_name=PROGRAM),
        "match_accepted",
        "",
    ),
    (
        "on_match_declined",
        "match.declined",
        matching_events.MatchDecided(**MATCH, **NAMES, program_name=PROGRAM, declined_by="mentor"),
        "match_declined",
        "mentor",
    ),
]


@pytest.mark.parametrize(
    ("entrypoint", "event_type", "payload", "kind", "left_out"), MATCH_CASES, ids=[c[0] for c in MATCH_CASES]
)
def test_a_match_event_tells_its_parties_with_the_right_template(
    entrypoint: str, event_type: str, payload: Message, kind: str, left_out: str
) -> None:
    worker = worker_factory(NotificationsWorker)
    event = Envelope.new(type=event_type, source="matching", payload=payload)

    with mock.patch.object(handlers, "notify_match_parties", return_value=True) as notify:
        assert getattr(worker, entrypoint)(event) is True

    notify.assert_called_once_with(
        worker.store, TEMPLATES, MAIL, event, handler=f"notifications.{entrypoint}", kind=kind, leave_out=left_out
    )


def test_an_offered_newcomer_is_announced_to_the_connector() -> None:
    worker = worker_factory(NotificationsWorker)
    payload = matching_events.ConnectorOffered(
        offer_id="off-1",
        program_id="p1",
        newcomer_id="newcomer",
        connector_id="connector",
        program_name=PROGRAM,
        newcomer_name="Eric Nkemelu",
        connector_name="Jonathan Roy",
    )
    event = Envelope.new(type="connector.offered", source="matching", payload=payload)

    with mock.patch.object(handlers, "notify_in_program", return_value=True) as notify:
        assert worker.on_connector_offered(event) is True

    kwargs = notify.call_args.kwargs
    assert kwargs["handler"] == "notifications.on_connector_offered"
    assert kwargs["program_name"] == PROGRAM
    assert kwargs["notices"] == [
        ("connector", "connector_offered", {"newcomer_name": "Eric Nkemelu", "offer_id": "off-1"})
    ]
    for lang in ("en", "fr"):
        TEMPLATES.render("connector_offered", lang, {**kwargs["notices"][0][2], "program": "P"}, "http://web")
