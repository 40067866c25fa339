"""Calendar invitations (RFC 5545 iCalendar, with the RFC 5546 METHOD:REQUEST that mail clients
turn into an invitation to accept or decline). Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//Government of Canada//Tandem//EN"
UID_DOMAIN = "tandem.gc.ca"
CONTENT_TYPE = "text/calendar"
FILENAME = "invite.ics"


@dataclass(frozen=True)
class Person:
    name: str
    email: str


@dataclass(frozen=True)
class Meeting:
    meeting_id: str
    sequence: int
    organizer: Person
    attendees: Sequence[Person]
    starts_at: datetime
    ends_at: datetime
    summary: str
    location: str
    description: str
    url: str


def _address(person: Person, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["CN"] = vText(person.name)
    for name, value in params.items():
        address.params[name] = vText(value)
    return address


def invitation(meeting: Meeting, stamp: datetime) -> bytes:
    """The .ics file for `meeting`: one VEVENT whose UID stays the same for every update, so
    a higher SEQUENCE replaces the event in people's calendars instead of adding one."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "REQUEST")
    event = Event()
    event.add("uid", f"{meeting.meeting_id}@{UID_DOMAIN}")
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", meeting.starts_at.astimezone(UTC))
    event.add("dtend", meeting.ends_at.astimezone(UTC))
    event.add("summary", meeting.summary)
    if meeting.location:
        event.add("location", meeting.location)
    if meeting.description:
        event.add("description", meeting.description)
    if meeting.url:
        event.add("url", meeting.url)
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("organizer", _address(meeting.organizer))
    for attendee in meeting.attendees:
        event.add(
            "attendee",
            _address(attendee, CUTYPE="INDIVIDUAL", ROLE="REQ-PARTICIPANT", PARTSTAT="NEEDS-ACTION", RSVP="TRUE"),
            encode=False,
        )
    cal.add_component(event)
    return bytes(cal.to_ical())
