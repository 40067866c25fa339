"""Notifications' use cases: turning events into notices, sending email, reading the inbox."""

from __future__ import annotations

import smtplib
import uuid
from collections.abc import Mapping
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from notifications import metrics
from notifications.config import MailConfig
from notifications.domain.templates import Templates
from notifications.store import Notification, OutgoingEmail, Recipient
from tandem.identity.v1 import events_pb2 as identity_events
from tandem.notifications.v1 import events_pb2
from tandem_kit.errors import FieldCollector, NotFound
from tandem_kit.events import Envelope, utcnow
from tandem_kit.storage import Store, UnitOfWork

PAGE_SIZE_MAX = 100
# Backoff between attempts to send one email, capped at an hour.
EMAIL_BACKOFF = (5, 30, 120, 600, 3600)


class RecipientUnknown(Exception):
    """The event names someone identity hasn't told us about yet; retried, then dead-lettered."""


def _add_notice(
    uow: UnitOfWork,
    templates: Templates,
    mail: MailConfig,
    event: Envelope[Any],
    recipient: Recipient,
    kind: str,
    params: Mapping[str, str],
) -> Notification:
    rendered = templates.render(kind, recipient.language, params, mail.web_base_url)
    now = utcnow()
    notice = uow.insert(
        Notification(
            id=uuid.uuid4().hex,
            user_id=recipient.id,
            kind=kind,
            subject=rendered.subject,
            body=rendered.text.split("\n\n")[0],
            link=rendered.link,
            created_at=now,
            source_event_id=event.id,
        )
    )
    uow.insert(
        OutgoingEmail(
            id=uuid.uuid4().hex,
            notification_id=notice.id,
            to=recipient.email,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            language=recipient.language,
            state="pending",
            next_attempt_at=now,
        )
    )
    uow.publish(
        "notification.delivered",
        events_pb2.NotificationDelivered(
            notification_id=notice.id,
            user_id=recipient.id,
            kind=kind,
            channel="in_app",
        ),
    )
    metrics.NOTIFICATIONS_CREATED.labels(kind).inc()
    return notice


def welcome(
    store: Store, templates: Templates, mail: MailConfig, event: Envelope[identity_events.UserRegistered]
) -> bool:
    user = event.payload

    def work(uow: UnitOfWork) -> None:
        uow.update_one(
            Recipient,
            {"_id": user.user_id},
            {"$set": {"email": user.email, "display_name": user.display_name, "language": user.language or "en"}},
            upsert=True,
        )
        recipient = uow.find_one(Recipient, {"_id": user.user_id})
        assert recipient is not None
        _add_notice(
            uow, templates, mail, event, recipient, "welcome", {"name": user.display_name, "username": user.username}
        )

    return store.apply_once(event, "notifications.on_user_registered", work)


def notify(
    store: Store,
    templates: Templates,
    mail: MailConfig,
    event: Envelope[Any],
    *,
    handler: str,
    user_id: str,
    kind: str,
    params: Mapping[str, str],
) -> bool:
    """One notice for `user_id`, titled in their language: `params` may hold `title_en` and
    `title_fr`, and the template gets `title` in the recipient's language."""

    def work(uow: UnitOfWork) -> None:
        recipient = uow.find_one(Recipient, {"_id": user_id})
        if recipient is None:
            raise RecipientUnknown(user_id)
        values = dict(params)
        values["title"] = values.get(f"title_{recipient.language}") or values.get("title_en", "")
        _add_notice(uow, templates, mail, event, recipient, kind, values)

    return store.apply_once(event, handler, work)


def _build_message(email: OutgoingEmail, mail: MailConfig) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = mail.sender
    msg["To"] = email.to
    msg["Subject"] = email.subject
    msg["Message-ID"] = make_msgid(idstring=email.id, domain="tandem.gc.ca")
    msg.set_content(email.text)
    msg.add_alternative(email.html, subtype="html")
    # After add_alternative, which moves Content-* headers into the first part.
    msg["Content-Language"] = email.language
    return msg


def send_due_emails(store: Store, mail: MailConfig, batch: int = 50) -> int:
    """Send pending emails whose time has come. Each is marked sent only after the SMTP server
    accepted it; its Message-ID is fixed, so a resend after a crash is recognisable."""
    if not store.lease("email-sender", ttl=10.0).acquire():
        return 0  # another worker replica is sending
    now = utcnow()
    due = OutgoingEmail.objects(state="pending", next_attempt_at__lte=now).order_by("next_attempt_at")[:batch]
    sent = 0
    for email in due:
        try:
            msg = _build_message(email, mail)
        except ValueError as exc:
            # This one can never be sent (a malformed header): park it, don't block the rest.
            OutgoingEmail.objects(id=email.id).update_one(set__state="rejected", set__last_error=str(exc)[:500])
            metrics.EMAIL_FAILURES.inc()
            continue
        try:
            with smtplib.SMTP(mail.smtp_host, mail.smtp_port, timeout=10) as smtp:
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            delay = EMAIL_BACKOFF[min(email.attempts, len(EMAIL_BACKOFF) - 1)]
            OutgoingEmail.objects(id=email.id).update_one(
                inc__attempts=1,
                set__next_attempt_at=utcnow() + timedelta(seconds=delay),
                set__last_error=str(exc)[:500],
            )
            metrics.EMAIL_FAILURES.inc()
            break  # the server is likely down: leave the rest for the next tick
        OutgoingEmail.objects(id=email.id).update_one(set__state="sent", set__sent_at=utcnow(), inc__attempts=1)
        metrics.EMAILS_SENT.inc()
        sent += 1
    return sent


def list_notifications(
    user_id: str, *, unread_only: bool, page_size: int, page_token: str
) -> tuple[list[Notification], int, str]:
    errors = FieldCollector()
    size = page_size or 20
    if not 1 <= size <= PAGE_SIZE_MAX:
        errors.add("page_size", "page.size_range", max=PAGE_SIZE_MAX)
    offset = 0
    if page_token:
        if not page_token.isdigit() or len(page_token) > 9:
            errors.add("page_token", "page.token_invalid")
        else:
            offset = int(page_token)
    errors.raise_if_any()
    query = Notification.objects(user_id=user_id)
    if unread_only:
        query = query.filter(read=False)
    items = list(query.order_by("-created_at", "-id").skip(offset).limit(size + 1))
    next_token = str(offset + size) if len(items) > size else ""
    unread = Notification.objects(user_id=user_id, read=False).count()
    return items[:size], unread, next_token


def mark_read(user_id: str, ids: list[str]) -> int:
    query = Notification.objects(user_id=user_id, read=False)
    if ids:
        query = query.filter(id__in=ids)
    return int(query.update(set__read=True))


def get_recipient(user_id: str) -> Recipient:
    recipient = Recipient.objects(id=user_id).first()
    if recipient is None:
        raise NotFound("recipient.unknown")
    return recipient
