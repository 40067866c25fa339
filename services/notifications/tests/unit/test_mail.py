"""Email on the wire: the message, what an SMTP failure means, the pause during an outage, an
invitation's calendar file, and the settings."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from notifications.config import MailConfig
from notifications.domain.calendar import Meeting, Person, invitation
from notifications.mailer import PERMANENT, TRANSIENT, TRANSPORT, SmtpGate, build_message, classify
from notifications.store import OutgoingEmail
from tandem_kit.config import ConfigError

MAIL = MailConfig.from_env({})


def _email(**kw: object) -> OutgoingEmail:
    fields: dict[str, object] = {
        "id": "abc123",
        "notification_id": "n1",
        "to": "ada@example.gc.ca",
        "subject": "Votre offre a été acceptée : Analyse d’enquête",
        "text": "Bonjour",
        "html": "<p>Bonjour</p>",
        "language": "fr",
        "state": "pending",
        "next_attempt_at": datetime.now(UTC),
    }
    fields.update(kw)
    return OutgoingEmail(**fields)


def test_the_message_has_both_parts_a_fixed_message_id_and_the_one_click_headers() -> None:
    url = "https://api.tandem.example/v1/unsubscribe?token=u1." + "x" * 120
    msg = build_message(_email(unsubscribe_url=url), MAIL)
    again = build_message(_email(unsubscribe_url=url), MAIL)

    assert msg["Message-ID"] == again["Message-ID"] == "<abc123@tandem.gc.ca>"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg["Content-Language"] == "fr" and msg["Auto-Submitted"] == "auto-generated"
    wire = msg.as_string()
    # A long URL is not folded into an encoded-word: mail clients could not follow it.
    assert f"List-Unsubscribe: <{url}>\n" in wire
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click\n" in wire


def test_a_mandatory_email_has_no_unsubscribe_header() -> None:
    assert build_message(_email(), MAIL)["List-Unsubscribe"] is None


def test_an_invitation_is_attached_as_a_calendar_request() -> None:
    ics = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
    msg = build_message(
        _email(
            attachments=[{"filename": "invite.ics", "content_type": "text/calendar", "method": "REQUEST", "data": ics}]
        ),
        MAIL,
    )

    (part,) = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST" and part.get_filename() == "invite.ics"


def test_a_header_that_can_never_be_sent_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        build_message(_email(to="a@b.ca\nBcc: everyone@b.ca"), MAIL)


@pytest.mark.parametrize(
    ("error", "meaning"),
    [
        (ConnectionRefusedError(), TRANSPORT),
        (smtplib.SMTPServerDisconnected("gone"), TRANSPORT),
        (smtplib.SMTPResponseException(421, b"closing"), TRANSPORT),
        (smtplib.SMTPDataError(451, b"try later"), TRANSIENT),
        (smtplib.SMTPDataError(554, b"rejected"), PERMANENT),
        (smtplib.SMTPRecipientsRefused({"a@b": (550, b"no such user")}), PERMANENT),
        (smtplib.SMTPRecipientsRefused({"a@b": (452, b"mailbox full")}), TRANSIENT),
    ],
)
def test_failures_are_told_apart(error: Exception, meaning: str) -> None:
    assert classify(error) == meaning


def test_the_gate_pauses_longer_each_time_up_to_its_cap_and_opens_when_the_server_is_back() -> None:
    now = [100.0]
    gate = SmtpGate(max_pause=5, monotonic=lambda: now[0])

    assert [gate.server_down() for _ in range(5)] == [1, 2, 4, 5, 5]
    assert not gate.is_open()
    now[0] += 5
    assert gate.is_open()
    gate.server_up()
    assert gate.server_down() == 1


def test_an_invitation_is_an_icalendar_request_with_every_attendee() -> None:
    starts = datetime(2027, 2, 1, 15, 0, tzinfo=UTC)
    ics = invitation(
        Meeting(
            meeting_id="intro-7",
            sequence=2,
            organizer=Person("Ruth Connector", "ruth@example.ca"),
            attendees=[Person("Eric, N.", "eric@example.ca")],
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            summary="Rencontre d’information",
            location="Bureau 3; étage 2",
            description="",
            url="https://web/fr/x",
        ),
        stamp=starts - timedelta(days=2),
    )

    calendar = icalendar.Calendar.from_ical(ics)
    (event,) = calendar.walk("VEVENT")
    assert calendar["METHOD"] == "REQUEST" and calendar["VERSION"] == "2.0"
    assert (str(event["UID"]), int(event["SEQUENCE"])) == ("intro-7@tandem.gc.ca", 2)
    assert event.decoded("DTSTART") == starts
    assert str(event["LOCATION"]) == "Bureau 3; étage 2"
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:eric@example.ca"
    assert attendee.params["CN"] == "Eric, N." and attendee.params["RSVP"] == "TRUE"
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"


def test_settings_come_from_the_environment_and_bad_ones_are_named() -> None:
    mail = MailConfig.from_env({"MAIL_FROM": "Tandem <avis@tandem.canada.ca>", "GATEWAY_URL": "https://api"})
    assert (mail.message_id_domain, mail.public_api_url, mail.test_clock) == ("tandem.canada.ca", "https://api", False)

    with pytest.raises(ConfigError, match="NOTIFICATIONS_TEST_CLOCK"):
        MailConfig.from_env({"NOTIFICATIONS_TEST_CLOCK": "yes"})
    with pytest.raises(ConfigError, match="NOTIFICATIONS_UNSUBSCRIBE_KEY"):
        MailConfig.from_env({"NOTIFICATIONS_UNSUBSCRIBE_KEY": "short"})
    with pytest.raises(ConfigError, match="NOTIFICATIONS_TIMEZONE"):
        MailConfig.from_env({"NOTIFICATIONS_TIMEZONE": "Mars/Olympus"})
    with pytest.raises(ConfigError, match="SMTP_PORT"):
        MailConfig.from_env({"SMTP_PORT": "lots"})


def test_the_production_clock_ignores_an_offset_and_the_test_clock_adds_it() -> None:
    import mongoengine
    import mongomock

    from notifications.clock import OFFSET_ID, Clock
    from notifications.store import TestClockOffset

    mongoengine.connect("clock-test", alias="default", mongo_client_class=mongomock.MongoClient)
    try:
        TestClockOffset(id=OFFSET_ID, seconds=7 * 86400).save()
        real = datetime.now(UTC)

        assert Clock(test_offsets=False).now() - real < timedelta(minutes=1)
        assert Clock(test_offsets=True).now() - real > timedelta(days=6, hours=23)
    finally:
        mongoengine.disconnect()
