"""Notices about mentoring matches and connector offers: who is told, about whom, and in which
language, from the real templates. The store is a fake that runs the unit of work in memory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from notifications import handlers
from notifications.config import MailConfig
from notifications.domain.templates import Templates
from notifications.store import Notification, OutgoingEmail, Recipient
from tandem.common.v1 import common_pb2
from tandem.matching.v1 import events_pb2 as matching_events
from tandem_kit.events import Envelope

MAIL = replace(MailConfig.from_env({}), web_base_url="https://tandem.example.gc.ca", unsubscribe_key="k" * 32)
PROGRAM = common_pb2.LocalizedText(en="Ottawa mentoring", fr="Mentorat d’Ottawa")
LEA = Recipient(id="lea", email="lea@example.gc.ca", display_name="Léa Bouchard", language="fr")
ANN = Recipient(id="ann", email="ann@example.gc.ca", display_name="Ann Smith", language="en")


class FakeUnitOfWork:
    def __init__(self, recipients: dict[str, Recipient]):
        self.recipients = recipients
        self.store = None
        self.inserted: list[Any] = []
        self.published: list[str] = []

    def find_one(self, doc_cls: type, filt: dict[str, Any]) -> Any:
        return self.recipients.get(filt["_id"]) if doc_cls is Recipient else None

    def insert(self, doc: Any) -> Any:
        self.inserted.append(doc)
        return doc

    def publish(self, event_type: str, payload: Any, **_: Any) -> None:
        self.published.append(event_type)


class FakeStore:
    """apply_once as the real store keeps it: once per handler and event id."""

    def __init__(self, *people: Recipient):
        self.uow = FakeUnitOfWork({p.id: p for p in people})
        self.applied: set[str] = set()

    def apply_once(self, event: Envelope[Any], handler: str, work: Callable[[Any], object]) -> bool:
        key = f"{handler}:{event.id}"
        if key in self.applied:
            return False
        self.applied.add(key)
        work(self.uow)
        return True

    def notices(self) -> dict[str, Notification]:
        found = [d for d in self.uow.inserted if isinstance(d, Notification)]
        assert len({n.user_id for n in found}) == len(found), "one notice a person"
        return {n.user_id: n for n in found}

    def emails(self) -> dict[str, OutgoingEmail]:
        return {e.user_id: e for e in self.uow.inserted if isinstance(e, OutgoingEmail)}


@pytest.fixture(scope="module")
def templates() -> Templates:
    return Templates.load()


def decided(event_type: str, declined_by: str = "") -> Envelope[matching_events.MatchDecided]:
    payload = matching_events.MatchDecided(
        match_id="m1",
        cohort_id="c1",
        program_id="p1",
        mentee_id=LEA.id,
        mentee_name=LEA.display_name,
        mentor_id=ANN.id,
        mentor_name=ANN.display_name,
        declined_by=declined_by,
        program_name=PROGRAM,
    )
    return Envelope.new(type=event_type, source="matching", payload=payload)


def tell_parties(store: FakeStore, templates: Templates, event: Envelope[Any], kind: str, leave_out: str = "") -> bool:
    return handlers.notify_match_parties(
        store,  # type: ignore[arg-type]
        templates,
        MAIL,
        event,
        handler=f"notifications.on_{kind}",
        kind=kind,
        leave_out=leave_out,
    )


def test_an_accepted_match_tells_each_party_about_the_other_in_their_own_language(templates: Templates) -> None:
    store = FakeStore(LEA, ANN)

    assert tell_parties(store, templates, decided("match.accepted"), "match_accepted") is True

    notices = store.notices()
    assert notices[LEA.id].subject == "Votre jumelage avec Ann Smith est confirmé"
    assert "programme Mentorat d’Ottawa" in notices[LEA.id].body
    assert notices[LEA.id].link == "https://tandem.example.gc.ca/fr/matches/m1"
    assert notices[ANN.id].subject == "Your match with Léa Bouchard is confirmed"
    assert "the Ottawa mentoring coordinators" in notices[ANN.id].body
    assert notices[ANN.id].link == "https://tandem.example.gc.ca/en/matches/m1"
    assert {n.category for n in notices.values()} == {"mentoring"}
    emails = store.emails()
    assert (emails[LEA.id].language, emails[LEA.id].to) == ("fr", LEA.email)
    assert (emails[ANN.id].language, emails[ANN.id].to) == ("en", ANN.email)


@pytest.mark.parametrize(
    ("decliner", "told", "subject"),
    [
        (LEA, ANN, "Your proposed match with Léa Bouchard will not go ahead"),
        (ANN, LEA, "Le jumelage proposé avec Ann Smith ne se concrétisera pas"),
    ],
    ids=["the mentee declines", "the mentor declines"],
)
def test_a_declined_match_tells_only_the_other_party(
    templates: Templates, decliner: Recipient, told: Recipient, subject: str
) -> None:
    store = FakeStore(LEA, ANN)

    tell_parties(store, templates, decided("match.declined", decliner.id), "match_declined", leave_out=decliner.id)

    notices = store.notices()
    assert list(notices) == [told.id]
    assert notices[told.id].subject == subject
    assert notices[told.id].link.endswith(f"/{told.language}/matches/m1")
    assert list(store.emails()) == [told.id]


def test_the_program_is_named_in_english_where_it_has_no_french_name(templates: Templates) -> None:
    store = FakeStore(LEA, ANN)
    event = decided("match.accepted")
    event.payload.program_name.fr = ""

    tell_parties(store, templates, event, "match_accepted")

    assert "programme Ottawa mentoring" in store.notices()[LEA.id].body


def test_a_match_event_delivered_twice_notifies_once(templates: Templates) -> None:
    store = FakeStore(LEA, ANN)
    event = decided("match.accepted")

    assert tell_parties(store, templates, event, "match_accepted") is True
    assert tell_parties(store, templates, event, "match_accepted") is False

    assert len(store.notices()) == 2


def test_an_unknown_party_is_retried_rather_than_half_told(templates: Templates) -> None:
    store = FakeStore(LEA)  # the mentor is not known yet

    with pytest.raises(handlers.RecipientUnknown):
        tell_parties(store, templates, decided("match.accepted"), "match_accepted")


@pytest.mark.parametrize(
    ("connector", "subject", "words"),
    [
        (ANN, "A newcomer is proposed to you: Eric Nkemelu", "Review the résumé and profile of Eric Nkemelu"),
        (LEA, "Une personne nouvellement arrivée vous est proposée : Eric Nkemelu", "Consultez le CV et le profil"),
    ],
    ids=["en", "fr"],
)
def test_a_connector_is_told_of_the_newcomer_offered_to_them(
    templates: Templates, connector: Recipient, subject: str, words: str
) -> None:
    store = FakeStore(LEA, ANN)
    event = Envelope.new(type="connector.offered", source="matching", payload=matching_events.ConnectorOffered())

    handlers.notify_in_program(
        store,  # type: ignore[arg-type]
        templates,
        MAIL,
        event,
        handler="notifications.on_connector_offered",
        program_name=PROGRAM,
        notices=[(connector.id, "connector_offered", {"newcomer_name": "Eric Nkemelu", "offer_id": "off-1"})],
    )

    notice = store.notices()[connector.id]
    assert (notice.kind, notice.category, notice.subject) == ("connector_offered", "connector", subject)
    assert words in notice.body
    assert notice.link == f"https://tandem.example.gc.ca/{connector.language}/connector-offers/off-1"
