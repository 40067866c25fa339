"""Email through a real SMTP sink: an outage delays mail and loses none, preferences and the
one-click unsubscribe decide what is sent, and meeting invitations carry an .ics."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import grpc
import icalendar
import pytest

from tandem.common.v1 import common_pb2
from tandem.notifications.v1 import notifications_pb2 as pb
from tandem.opportunities.v1 import events_pb2 as opp_events
from tandem_dev.testing import eventually

pytestmark = pytest.mark.interface


def _application(n: int, poster: str = "poster") -> opp_events.ApplicationSubmitted:
    return opp_events.ApplicationSubmitted(
        application_id=f"a{n}",
        opportunity_id=f"o{n}",
        poster_id=poster,
        applicant_id=f"x{n}",
        title_en=f"Survey {n}",
        title_fr=f"Enquête {n}",
    )


def _offer(n: int, applicant: str) -> opp_events.OfferMade:
    return opp_events.OfferMade(
        offer_id=f"f{n}", opportunity_id=f"o{n}", poster_id="poster", applicant_id=applicant, title_en=f"Role {n}"
    )


def test_an_smtp_outage_delays_fifty_notices_and_each_arrives_exactly_once(notifications) -> None:
    n = notifications(NOTIFICATIONS_SMTP_BACKOFF_MAX_SECONDS="2")
    n.register("poster")
    eventually(lambda: n.mails_to("poster"), what="the welcome email")
    n.stack.stack.stop_proc("smtp-sink")

    total = 50
    for i in range(total):
        n.stack.publish("opportunities", "application.submitted", _application(i))
    eventually(lambda: n.kinds("poster").count("application_received") == total, what="every notice in the inbox")
    # The worker tried to send during the outage and kept every email.
    eventually(
        lambda: n.db.outgoing_emails.count_documents({"last_error": {"$ne": ""}, "state": "pending"}) >= 1,
        what="a failed attempt while the sink was down",
    )
    assert n.db.outgoing_emails.count_documents({"state": "sent"}) == 1  # the welcome, before the outage
    assert len(n.mails_to("poster")) == 1

    n.stack.stack.restart("smtp-sink")
    eventually(lambda: len(n.mails_to("poster")) >= total + 1, timeout=60, what="every email after the restart")
    time.sleep(2)  # a second copy of anything would land here
    mails = n.mails_to("poster")
    ids = Counter(m["Message-ID"] for m in mails)
    assert len(mails) == total + 1
    assert all(count == 1 for count in ids.values()), ids.most_common(3)
    subjects = {n.subject(m) for m in mails}
    assert {f"New application for Survey {i}" for i in range(total)} <= subjects
    assert n.db.outgoing_emails.count_documents({"state": "sent"}) == total + 1


def test_each_email_has_plain_text_html_and_a_signed_one_click_unsubscribe(notifications) -> None:
    n = notifications()
    n.register("ada", language="fr", name="Ada Lovelace")
    n.stack.publish("opportunities", "offer.made", _offer(1, "ada"))
    mail = eventually(lambda: [m for m in n.mails_to("ada") if "offre" in n.subject(m)], what="the offer email")[0]

    parts = {part.get_content_type(): part for part in mail.walk()}
    assert {"text/plain", "text/html"} <= set(parts)
    assert "Bonjour Ada Lovelace," in parts["text/plain"].get_payload(decode=True).decode()
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = mail["List-Unsubscribe"].strip("<>")
    assert url.startswith(n.stack.gateway_url + "/v1/unsubscribe?token=")
    token = parse_qs(urlsplit(url).query)["token"][0]
    # The welcome is optional too, and also carries a link; a security notice would not.
    assert all(m["List-Unsubscribe"] for m in n.mails_to("ada"))

    # A token changed by one character is refused, in the caller's language, and changes nothing.
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    error = n.refused("Unsubscribe", pb.UnsubscribeRequest(token=forged), lang="fr")
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert n.field_errors(error)["token"][0] == "unsubscribe.token_invalid"
    assert "lien de désabonnement" in n.field_errors(error)["token"][1]

    described = n.call("InspectUnsubscribe", pb.UnsubscribeRequest(token=token))
    assert (described.category, described.label.fr, described.channel) == ("offers", "Offres", "email")
    prefs = n.call("GetPreferences", pb.GetPreferencesRequest(user_id="ada"))
    assert {c.category: c.email for c in prefs.categories}["offers"] is True  # inspecting changed nothing

    assert n.call("Unsubscribe", pb.UnsubscribeRequest(token=token)).category == "offers"
    assert n.call("Unsubscribe", pb.UnsubscribeRequest(token=token)).category == "offers"  # twice is fine
    prefs = n.call("GetPreferences", pb.GetPreferencesRequest(user_id="ada"))
    email_on = {c.category: c.email for c in prefs.categories}
    assert email_on["offers"] is False and email_on["applications"] is True and email_on["security"] is True

    # The next offer reaches the inbox but not the mailbox; other kinds still email.
    before = len(n.mails_to("ada"))
    n.stack.publish("opportunities", "offer.made", _offer(2, "ada"))
    n.stack.publish("opportunities", "application.submitted", _application(3, poster="ada"))
    eventually(lambda: "application_received" in n.kinds("ada") and n.kinds("ada").count("offer_made") == 2)
    eventually(lambda: len(n.mails_to("ada")) == before + 1, what="the application email")
    time.sleep(1)  # the offer email would land here
    assert [n.subject(m) for m in n.mails_to("ada")][before:] == ["Nouvelle candidature pour Enquête 3"]


def test_preferences_turn_channels_off_but_never_security(notifications) -> None:
    n = notifications()
    n.register("bo")
    updated = n.call(
        "UpdatePreferences",
        pb.UpdatePreferencesRequest(
            user_id="bo", categories=[pb.CategoryPreference(category="applications", in_app=False, email=True)]
        ),
    )
    assert {c.category: (c.in_app, c.email) for c in updated.categories}["applications"] == (False, True)

    n.stack.publish("opportunities", "application.submitted", _application(1, poster="bo"))
    eventually(lambda: any("Survey 1" in n.subject(m) for m in n.mails_to("bo")), what="the email")
    assert n.kinds("bo") == ["welcome"]  # the inbox entry is off
    assert n.inbox("bo").unread_count == 1

    error = n.refused(
        "UpdatePreferences",
        pb.UpdatePreferencesRequest(
            user_id="bo",
            email_frequency="weekly",
            categories=[
                pb.CategoryPreference(category="security", in_app=True, email=False),
                pb.CategoryPreference(category="gossip", in_app=True, email=True),
            ],
        ),
        lang="fr",
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    errors = n.field_errors(error)
    assert errors["email_frequency"][0] == "preferences.frequency_invalid"
    assert errors["categories[0].category"] == (
        "preferences.mandatory",
        "Les avis « Sécurité du compte » sont toujours envoyés, par courriel et dans Tandem. "
        "Ils ne peuvent pas être désactivés.",
    )
    assert errors["categories[1].category"][0] == "preferences.category_unknown"
    # Nothing was half done.
    prefs = n.call("GetPreferences", pb.GetPreferencesRequest(user_id="bo"))
    assert prefs.email_frequency == "immediate"
    assert {c.category: c.in_app for c in prefs.categories}["applications"] is False


def test_mark_all_read_and_the_unread_count(notifications) -> None:
    n = notifications()
    n.register("cy")
    for i in range(3):
        n.stack.publish("opportunities", "application.submitted", _application(i, poster="cy"))
    eventually(lambda: n.call("CountUnread", pb.CountUnreadRequest(user_id="cy")).unread_count == 4)

    error = n.refused("MarkRead", pb.MarkReadRequest(user_id="cy"))
    assert n.field_errors(error)["notification_ids"][0] == "mark_read.ids_or_all"
    one = n.inbox("cy").notifications[0].id
    assert n.call("MarkRead", pb.MarkReadRequest(user_id="cy", notification_ids=[one])).unread_count == 3
    done = n.call("MarkRead", pb.MarkReadRequest(user_id="cy", all=True))
    assert (done.marked, done.unread_count) == (3, 0)
    assert n.inbox("cy", unread_only=True).notifications == []


def test_a_meeting_invitation_carries_an_ics_request_once_per_version(notifications) -> None:
    n = notifications()
    n.register("host", name="Ruth Connector")
    n.register("guest", language="fr", name="Eric Newcomer")
    starts = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    request = pb.SendMeetingInvitationRequest(
        meeting_id="intro-42",
        sequence=0,
        organizer_id="host",
        attendee_ids=["guest"],
        location="945 Wellington St W",
        title=common_pb2.LocalizedText(en="Informational meeting", fr="Rencontre d’information"),
        link="/connector/introductions/42",
    )
    request.starts_at.FromDatetime(starts)
    request.ends_at.FromDatetime(starts + timedelta(hours=1))

    assert n.call("SendMeetingInvitation", request).sent is True
    mail = eventually(lambda: n.mails_to("guest")[1:], what="the invitation email")[0]
    assert n.subject(mail).startswith("Invitation : Rencontre d’information, ")
    (ics,) = [p for p in mail.walk() if p.get_content_type() == "text/calendar"]
    assert ics.get_param("method") == "REQUEST"
    assert ics.get_filename() == "invite.ics"
    calendar = icalendar.Calendar.from_ical(ics.get_payload(decode=True))
    (event,) = calendar.walk("VEVENT")
    assert calendar["METHOD"] == "REQUEST"
    assert str(event["UID"]) == "intro-42@tandem.gc.ca"
    assert event.decoded("DTSTART") == starts
    assert str(event["ORGANIZER"]) == "mailto:host@example.gc.ca"
    assert [str(a) for a in [event["ATTENDEE"]]] == ["mailto:guest@example.gc.ca"]
    assert str(event["SUMMARY"]) == "Rencontre d’information"
    assert "meeting_invitation" in n.kinds("guest")

    # The same version again sends nothing; an older one is refused; a newer one is an update.
    assert n.call("SendMeetingInvitation", request).sent is False
    request.sequence = 1
    assert n.call("SendMeetingInvitation", request).sent is True
    request.sequence = 0
    assert n.refused("SendMeetingInvitation", request).code() == grpc.StatusCode.FAILED_PRECONDITION
    eventually(lambda: len(n.mails_to("guest")) == 3, what="the update")
    time.sleep(0.5)
    assert len(n.mails_to("guest")) == 3

    bad = pb.SendMeetingInvitationRequest(meeting_id="no spaces", organizer_id="host", attendee_ids=["host"])
    error = n.refused("SendMeetingInvitation", bad)
    assert set(n.field_errors(error)) == {"meeting_id", "attendee_ids", "starts_at", "title.en", "title.fr"}
