"""Notifications' documents."""

from __future__ import annotations

from mongoengine import (
    BooleanField,
    DateTimeField,
    DictField,
    Document,
    FloatField,
    IntField,
    ListField,
    StringField,
)


class Recipient(Document):
    """Who a notice goes to, kept from identity's events."""

    meta = {"collection": "recipients"}
    id = StringField(primary_key=True)  # user id
    email = StringField(required=True)
    display_name = StringField(required=True)
    language = StringField(required=True, choices=("en", "fr"))


class Preferences(Document):
    """A person's choices. No document means everything on, email as it happens."""

    meta = {"collection": "preferences", "indexes": ["next_digest_at"]}
    id = StringField(primary_key=True)  # user id
    email_frequency = StringField(required=True, choices=("immediate", "daily"), default="immediate")
    # "<category>:<channel>" for each channel the person turned off.
    opted_out = ListField(StringField())
    # When the next digest goes out; also set once after switching back to immediate email, to
    # send what was waiting.
    next_digest_at = DateTimeField(null=True)
    updated_at = DateTimeField()


class Notification(Document):
    meta = {
        "collection": "notifications",
        "indexes": [("user_id", "-created_at"), ("user_id", "read"), ("user_id", "email_state")],
    }
    id = StringField(primary_key=True)
    user_id = StringField(required=True)
    kind = StringField(required=True)
    category = StringField(default="")
    subject = StringField(required=True)
    body = StringField(required=True)
    link = StringField(default="")
    read = BooleanField(default=False)
    # False when the person turned the inbox off for this kind of notice: kept only as the record
    # of the email.
    in_app = BooleanField(default=True)
    # "" no email | "queued" an OutgoingEmail was written | "digest" waiting for the daily digest
    # | "digested" sent in one
    email_state = StringField(default="")
    created_at = DateTimeField(required=True)
    source_event_id = StringField(required=True)


class OutgoingEmail(Document):
    """An email waiting for the SMTP server: written with its notification, claimed and sent by
    a worker, retried with backoff, so an SMTP outage delays mail but loses none."""

    meta = {
        "collection": "outgoing_emails",
        "indexes": [("state", "next_attempt_at"), ("state", "claimed_until")],
    }
    id = StringField(primary_key=True)  # also the Message-ID's local part, fixed across retries
    notification_id = StringField(required=True)
    user_id = StringField(default="")
    kind = StringField(default="")
    to = StringField(required=True)
    subject = StringField(required=True)
    text = StringField(required=True)
    html = StringField(required=True)
    language = StringField(required=True)
    # RFC 8058 one-click unsubscribe URL, for the List-Unsubscribe header; empty for mandatory mail.
    unsubscribe_url = StringField(default="")
    # Each: filename, content_type ("text/calendar"), method ("REQUEST"), data (text).
    attachments = ListField(DictField())
    # Holds a secret link: text and HTML are erased once the server accepted it.
    sensitive = BooleanField(default=False)
    # pending | sending (claimed by a worker) | sent | failed (refused for good, or out of attempts)
    state = StringField(required=True)
    attempts = IntField(default=0)
    next_attempt_at = DateTimeField(required=True)
    claimed_by = StringField(default="")
    claimed_until = DateTimeField(null=True)
    created_at = DateTimeField(null=True)
    sent_at = DateTimeField(null=True)
    last_error = StringField(default="")


class Reminder(Document):
    """One occurrence of a deadline and where its reminders are in their plan."""

    meta = {
        "collection": "reminders",
        "indexes": [
            {"fields": ("key", "occurrence"), "unique": True},
            ("state", "next_notice_at"),
        ],
    }
    id = StringField(primary_key=True)
    key = StringField(required=True)
    occurrence = IntField(required=True, default=1)
    purpose = StringField(required=True)
    user_id = StringField(required=True)
    coordinator_id = StringField(default="")
    due_at = DateTimeField(required=True)
    subject_en = StringField(required=True)
    subject_fr = StringField(required=True)
    link = StringField(default="")
    every_months = IntField(default=0)
    # scheduled | overdue | escalated | done | cancelled
    state = StringField(required=True)
    steps_done = IntField(default=0)
    next_notice_at = DateTimeField(null=True)
    next_occurrence_started = BooleanField(default=False)
    created_at = DateTimeField(required=True)
    closed_at = DateTimeField(null=True)


class MeetingInvitation(Document):
    """The last version of a meeting whose invitations went out."""

    meta = {"collection": "meeting_invitations"}
    id = StringField(primary_key=True)  # the caller's meeting id
    sequence = IntField(required=True)
    sent_at = DateTimeField(required=True)


class TestClockOffset(Document):
    """How far the clock is moved forward, honoured only with NOTIFICATIONS_TEST_CLOCK=enabled."""

    __test__ = False
    meta = {"collection": "test_clock"}
    id = StringField(primary_key=True)
    seconds = FloatField(required=True)


DOCUMENTS = (Recipient, Preferences, Notification, OutgoingEmail, Reminder, MeetingInvitation)
