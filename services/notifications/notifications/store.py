"""Notifications' documents."""

from __future__ import annotations

from mongoengine import BooleanField, DateTimeField, Document, IntField, StringField


class Recipient(Document):
    """Who a notice goes to, kept from identity's events."""

    meta = {"collection": "recipients"}
    id = StringField(primary_key=True)  # user id
    email = StringField(required=True)
    display_name = StringField(required=True)
    language = StringField(required=True, choices=("en", "fr"))


class Notification(Document):
    meta = {
        "collection": "notifications",
        "indexes": [("user_id", "-created_at"), ("user_id", "read")],
    }
    id = StringField(primary_key=True)
    user_id = StringField(required=True)
    kind = StringField(required=True)
    subject = StringField(required=True)
    body = StringField(required=True)
    link = StringField(default="")
    read = BooleanField(default=False)
    created_at = DateTimeField(required=True)
    source_event_id = StringField(required=True)


class OutgoingEmail(Document):
    """An email waiting for the SMTP server: written with its notification, sent by the worker,
    retried with backoff, so an SMTP outage delays mail but loses none."""

    meta = {"collection": "outgoing_emails", "indexes": [("state", "next_attempt_at")]}
    id = StringField(primary_key=True)
    notification_id = StringField(required=True)
    to = StringField(required=True)
    subject = StringField(required=True)
    text = StringField(required=True)
    html = StringField(required=True)
    language = StringField(required=True)
    state = StringField(required=True)  # pending | sent | rejected (can never be sent)
    attempts = IntField(default=0)
    next_attempt_at = DateTimeField(required=True)
    sent_at = DateTimeField(null=True)
    last_error = StringField(default="")


DOCUMENTS = (Recipient, Notification, OutgoingEmail)
