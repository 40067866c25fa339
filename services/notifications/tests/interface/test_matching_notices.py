"""Matching's match and connector-offer events through the real broker into the real store:
each notice reaches the right person's inbox and mailbox in their language, once however often
the event is delivered, and the person who declined a match is not told about it."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from tandem.common.v1 import common_pb2
from tandem.matching.v1 import events_pb2 as matching_events
from tandem.notifications.v1 import notifications_pb2 as pb
from tandem_dev.testing import eventually

pytestmark = pytest.mark.interface

PROGRAM = common_pb2.LocalizedText(en="Ottawa mentoring", fr="Mentorat d’Ottawa")

# conftest's Notifications: a conftest can't be imported by name under --import-mode=importlib.
Notifications = Any


@pytest.fixture
def n(shared_notifications: Notifications) -> Notifications:
    """The module's one notifications stack; each test has people of its own."""
    return shared_notifications


def person(n: Notifications, name: str, language: str) -> str:
    user_id = f"{name.split()[-1].lower()}-{uuid.uuid4().hex[:8]}"  # the address is user_id@...: ASCII
    n.register(user_id, language, name)
    return user_id


def notices(n: Notifications, user_id: str, kind: str) -> list[pb.Notification]:
    return [x for x in n.inbox(user_id).notifications if x.kind == kind]


def mail_subjects(n: Notifications, user_id: str) -> list[str]:
    return [n.subject(m) for m in n.mails_to(user_id)]


def decided(
    match_id: str, mentee: str, mentor: str, declined_by: str = "", mentee_name: str = "Léa Bouchard"
) -> matching_events.MatchDecided:
    return matching_events.MatchDecided(
        match_id=match_id,
        cohort_id="c1",
        program_id="p1",
        program_name=PROGRAM,
        mentee_id=mentee,
        mentee_name=mentee_name,
        mentor_id=mentor,
        mentor_name="Ann Smith",
        declined_by=declined_by,
    )


def publish_twice(n: Notifications, event_type: str, payload: matching_events.MatchDecided) -> None:
    """The same event delivered twice, as a redelivery after a lost ack would."""
    event_id = uuid.uuid4().hex
    n.stack.publish("matching", event_type, payload, event_id=event_id)
    n.stack.publish("matching", event_type, payload, event_id=event_id)


def test_an_accepted_match_reaches_both_parties_once_each_in_their_language(n: Notifications) -> None:
    lea = person(n, "Léa Bouchard", "fr")
    ann = person(n, "Ann Smith", "en")

    publish_twice(n, "match.accepted", decided("m-accepted", lea, ann))

    (french,) = eventually(lambda: notices(n, lea, "match_accepted"), what="the mentee's notice")
    assert french.subject == "Votre jumelage avec Ann Smith est confirmé"
    assert "programme Mentorat d’Ottawa" in french.body
    assert french.link.endswith("/fr/matches/m-accepted")
    (english,) = eventually(lambda: notices(n, ann, "match_accepted"), what="the mentor's notice")
    assert english.subject == "Your match with Léa Bouchard is confirmed"
    assert "the Ottawa mentoring coordinators" in english.body
    assert english.link.endswith("/en/matches/m-accepted")
    eventually(lambda: "Votre jumelage avec Ann Smith est confirmé" in mail_subjects(n, lea), what="French email")
    eventually(lambda: "Your match with Léa Bouchard is confirmed" in mail_subjects(n, ann), what="English email")
    time.sleep(1)  # a second copy would land here
    assert len(notices(n, lea, "match_accepted")) == len(notices(n, ann, "match_accepted")) == 1
    assert mail_subjects(n, lea).count("Votre jumelage avec Ann Smith est confirmé") == 1


def test_a_declined_match_is_told_to_the_other_party_only_and_once(n: Notifications) -> None:
    lea = person(n, "Léa Bouchard", "fr")
    ann = person(n, "Ann Smith", "en")
    sam = person(n, "Sam Patel", "en")

    # Ann, the mentor, declines her match with Léa; Sam, a mentee, declines his with Ann.
    publish_twice(n, "match.declined", decided("m-ann-declined", lea, ann, declined_by=ann))
    publish_twice(n, "match.declined", decided("m-sam-declined", sam, ann, declined_by=sam, mentee_name="Sam Patel"))

    (to_lea,) = eventually(lambda: notices(n, lea, "match_declined"), what="Léa's notice")
    assert to_lea.subject == "Le jumelage proposé avec Ann Smith ne se concrétisera pas"
    assert "l’équipe de coordination vous proposera une autre personne" in to_lea.body
    assert to_lea.link.endswith("/fr/matches/m-ann-declined")
    (to_ann,) = eventually(lambda: notices(n, ann, "match_declined"), what="Ann's notice about Sam's decline")
    assert to_ann.subject == "Your proposed match with Sam Patel will not go ahead"
    assert to_ann.link.endswith("/en/matches/m-sam-declined")
    eventually(lambda: len(n.mails_to(lea)) == 2, what="Léa's welcome and decline emails")
    time.sleep(1)  # a second copy, or a notice to a decliner, would land here
    assert [x.link.rsplit("/", 1)[1] for x in notices(n, ann, "match_declined")] == ["m-sam-declined"]
    assert notices(n, sam, "match_declined") == []
    assert len(notices(n, lea, "match_declined")) == 1
    assert [s for s in mail_subjects(n, sam) if "match" in s] == []
    assert len(n.mails_to(lea)) == 2


@pytest.mark.parametrize(
    ("language", "subject", "words"),
    [
        ("en", "A newcomer is proposed to you: Eric Nkemelu", "Review the résumé and profile of Eric Nkemelu"),
        ("fr", "Une personne nouvellement arrivée vous est proposée : Eric Nkemelu", "Consultez le CV et le profil"),
    ],
)
def test_a_connector_is_told_once_of_the_newcomer_offered_to_them(
    n: Notifications, language: str, subject: str, words: str
) -> None:
    connector = person(n, "Jonathan Roy", language)
    newcomer = person(n, "Eric Nkemelu", "en")
    offer = matching_events.ConnectorOffered(
        offer_id=f"off-{language}",
        program_id="connector-ottawa",
        newcomer_id=newcomer,
        connector_id=connector,
        program_name=common_pb2.LocalizedText(en="Ottawa Connector", fr="Connecteur d’Ottawa"),
        newcomer_name="Eric Nkemelu",
        connector_name="Jonathan Roy",
    )
    event_id = uuid.uuid4().hex
    n.stack.publish("matching", "connector.offered", offer, event_id=event_id)
    n.stack.publish("matching", "connector.offered", offer, event_id=event_id)

    (notice,) = eventually(lambda: notices(n, connector, "connector_offered"), what="the connector's notice")
    assert notice.subject == subject
    assert words in notice.body
    assert notice.link.endswith(f"/{language}/connector-offers/off-{language}")
    eventually(lambda: subject in mail_subjects(n, connector), what="the connector's email")
    time.sleep(1)  # a second copy would land here
    assert len(notices(n, connector, "connector_offered")) == 1
    assert mail_subjects(n, connector).count(subject) == 1
    assert notices(n, newcomer, "connector_offered") == []
