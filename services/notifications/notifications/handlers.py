"""Notifications' use cases: turning events into notices, sending email, the inbox, preferences,
unsubscribing, reminders and meeting invitations."""

from __future__ import annotations

import logging
import os
import re
import smtplib
import socket
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import quote

from notifications import metrics
from notifications.clock import Clock
from notifications.config import MailConfig
from notifications.domain import preferences as prefs_rules
from notifications.domain import reminders as rules
from notifications.domain import unsubscribe
from notifications.domain.calendar import CONTENT_TYPE, FILENAME, Meeting, Person, invitation
from notifications.domain.templates import DigestItem, Templates, format_when, language
from notifications.keys import unsubscribe_key
from notifications.mailer import PERMANENT, TRANSPORT, SmtpGate, build_message, classify
from notifications.store import (
    MeetingInvitation,
    Notification,
    OutgoingEmail,
    Preferences,
    Recipient,
    Reminder,
)
from tandem.common.v1 import common_pb2
from tandem.identity.v1 import events_pb2 as identity_events
from tandem.matching.v1 import events_pb2 as matching_events
from tandem.notifications.v1 import events_pb2
from tandem_kit.errors import FieldCollector, InvalidInput, NotFound, Refused
from tandem_kit.events import Envelope, utcnow
from tandem_kit.i18n import DEFAULT_LANGUAGE, LANGUAGES
from tandem_kit.storage import Store, UnitOfWork

log = logging.getLogger(__name__)

CLOCK = Clock(MailConfig.from_env().test_clock)

PAGE_SIZE_MAX = 100
MARK_READ_MAX = 100
NOTIFICATION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Between attempts at one message the server refused for now.
EMAIL_BACKOFF = (30, 120, 600, 1800, 3600)
# How long a worker may hold an email it is sending before another may take it over.
CLAIM_SECONDS = 120
DIGEST_ITEMS_MAX = 50
MEETING_ATTENDEES_MAX = 50
MEETING_HOURS_MAX = 24
MEETING_TITLE_MAX = 200
MEETING_LOCATION_MAX = 300
MEETING_ID = re.compile(r"^[A-Za-z0-9:._-]{1,100}$")
_WORKER = f"{socket.gethostname()}:{os.getpid()}"


class RecipientUnknown(Exception):
    """The event names someone identity hasn't told us about yet; retried, then dead-lettered."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    method: str
    data: str


# --- delivering one notice ---------------------------------------------------------------------


def _unsubscribe_urls(store: Store, mail: MailConfig, user_id: str, scope: str, lang: str) -> tuple[str, str]:
    """The one-click URL (the gateway, for the List-Unsubscribe header) and the link in the
    email's footer (a page on the web front-end that confirms first)."""
    token = quote(unsubscribe.sign(unsubscribe_key(store, mail.unsubscribe_key), user_id, scope))
    return (
        f"{mail.public_api_url.rstrip('/')}/v1/unsubscribe?token={token}",
        f"{mail.web_base_url.rstrip('/')}/{lang}/unsubscribe?token={token}",
    )


def deliver(
    uow: UnitOfWork,
    templates: Templates,
    mail: MailConfig,
    source_id: str,
    recipient: Recipient,
    kind: str,
    params: Mapping[str, object],
    *,
    attachments: Sequence[Attachment] = (),
) -> Notification | None:
    """One notice to one person, on the channels their preferences allow, in their language:
    the inbox entry, and the email queued (or held for their daily digest). Returns None when
    they turned this kind of notice off everywhere."""
    template = templates.template(kind)
    category = templates.category(template.category)
    prefs = uow.find_one(Preferences, {"_id": recipient.id})
    opted_out = prefs.opted_out if prefs else []
    # A sensitive notice (a secret link) never sits in the inbox.
    in_app = (
        "in_app" in template.channels and not template.sensitive and prefs_rules.allows(opted_out, category, "in_app")
    )
    by_email = "email" in template.channels and prefs_rules.allows(opted_out, category, "email")
    if not in_app and not by_email:
        metrics.NOTICES_SUPPRESSED.labels(kind).inc()
        return None
    lang = language(recipient.language)
    values: dict[str, object] = {"name": recipient.display_name, **params}
    if "title" not in values and ("title_en" in values or "title_fr" in values):
        values["title"] = values.get(f"title_{lang}") or values.get("title_en", "")
    one_click, footer = ("", "")
    if by_email and not category.mandatory:
        one_click, footer = _unsubscribe_urls(uow.store, mail, recipient.id, category.name, lang)
    rendered = templates.render(kind, lang, values, mail.web_base_url, unsubscribe_url=footer)
    digest = (
        by_email
        and not category.mandatory
        and not attachments
        and prefs is not None
        and prefs.email_frequency == prefs_rules.DAILY
    )
    notice = uow.insert(
        Notification(
            id=uuid.uuid4().hex,
            user_id=recipient.id,
            kind=kind,
            category=category.name,
            subject=rendered.subject,
            body=rendered.body,
            link=rendered.link,
            in_app=in_app,
            email_state="digest" if digest else "queued" if by_email else "",
            created_at=CLOCK.now(),
            source_event_id=source_id,
        )
    )
    if by_email and not digest:
        _queue_email(
            uow,
            notice,
            recipient.email,
            lang,
            rendered.subject,
            rendered.text,
            rendered.html,
            unsubscribe_url=one_click,
            sensitive=template.sensitive,
            attachments=attachments,
        )
    if in_app:
        uow.publish(
            "notification.delivered",
            events_pb2.NotificationDelivered(
                notification_id=notice.id, user_id=recipient.id, kind=kind, channel="in_app"
            ),
        )
    metrics.NOTIFICATIONS_CREATED.labels(kind).inc()
    return notice


def _queue_email(
    uow: UnitOfWork,
    notice: Notification,
    to: str,
    lang: str,
    subject: str,
    text: str,
    html: str,
    *,
    unsubscribe_url: str,
    sensitive: bool = False,
    attachments: Sequence[Attachment] = (),
) -> None:
    now = utcnow()
    uow.insert(
        OutgoingEmail(
            id=uuid.uuid4().hex,
            notification_id=notice.id,
            user_id=notice.user_id,
            kind=notice.kind,
            to=to,
            subject=subject,
            text=text,
            html=html,
            language=lang,
            unsubscribe_url=unsubscribe_url,
            attachments=[
                {"filename": a.filename, "content_type": a.content_type, "method": a.method, "data": a.data}
                for a in attachments
            ],
            sensitive=sensitive,
            state="pending",
            next_attempt_at=now,
            created_at=now,
        )
    )


def _recipient(uow: UnitOfWork, user_id: str) -> Recipient:
    recipient = uow.find_one(Recipient, {"_id": user_id})
    if recipient is None:
        raise RecipientUnknown(user_id)
    return recipient


# --- events ------------------------------------------------------------------------------------


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
        deliver(uow, templates, mail, event.id, _recipient(uow, user.user_id), "welcome", {"username": user.username})

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
    params: Mapping[str, object],
) -> bool:
    """One notice for `user_id`, a known recipient, titled in their language: `params` may hold
    `title_en` and `title_fr`, and the template gets `title` in the recipient's language."""

    def work(uow: UnitOfWork) -> None:
        deliver(uow, templates, mail, event.id, _recipient(uow, user_id), kind, params)

    return store.apply_once(event, handler, work)


def notify_many(
    store: Store,
    templates: Templates,
    mail: MailConfig,
    event: Envelope[Any],
    *,
    handler: str,
    notices: Sequence[tuple[str, str]],
    params: Mapping[str, object],
) -> bool:
    """Several notices from one event, each (user_id, kind), all or none."""

    def work(uow: UnitOfWork) -> None:
        for user_id, kind in notices:
            deliver(uow, templates, mail, event.id, _recipient(uow, user_id), kind, params)

    return store.apply_once(event, handler, work)


def notify_in_program(
    store: Store,
    templates: Templates,
    mail: MailConfig,
    event: Envelope[Any],
    *,
    handler: str,
    program_name: common_pb2.LocalizedText,
    notices: Sequence[tuple[str, str, Mapping[str, object]]],
) -> bool:
    """Notices about a mentoring or Connector program's match or offer, each (user_id, kind,
    params), with the program's name as `program` in each recipient's language. All or none."""

    def work(uow: UnitOfWork) -> None:
        for user_id, kind, params in notices:
            recipient = _recipient(uow, user_id)
            program = getattr(program_name, language(recipient.language)) or program_name.en
            deliver(uow, templates, mail, event.id, recipient, kind, {**params, "program": program})

    return store.apply_once(event, handler, work)


def notify_match_parties(
    store: Store,
    templates: Templates,
    mail: MailConfig,
    event: Envelope[matching_events.MatchProposed] | Envelope[matching_events.MatchDecided],
    *,
    handler: str,
    kind: str,
    leave_out: str = "",
) -> bool:
    """The mentee and the mentor, except `leave_out`, are each told about the other (`other_name`)."""
    e = event.payload
    notices = [
        (user_id, kind, {"other_name": other_name, "match_id": e.match_id})
        for user_id, other_name in ((e.mentee_id, e.mentor_name), (e.mentor_id, e.mentee_name))
        if user_id != leave_out
    ]
    return notify_in_program(
        store, templates, mail, event, handler=handler, program_name=e.program_name, notices=notices
    )


def notify_address(
    store: Store,
    templates: Templates,
    mail: MailConfig,
    event: Envelope[Any],
    *,
    handler: str,
    user_id: str,
    email: str,
    display_name: str,
    language: str,
    kind: str,
    params: Mapping[str, object],
) -> bool:
    """A notice to an address the event itself gives: for mail that must reach people identity
    has not announced yet (confirming a new account's email) or at an address they are moving to."""
    lang = language if language in LANGUAGES else DEFAULT_LANGUAGE
    person = Recipient(id=user_id, email=email, display_name=display_name, language=lang)

    def work(uow: UnitOfWork) -> None:
        deliver(uow, templates, mail, event.id, person, kind, params)

    return store.apply_once(event, handler, work)


def when(moment: datetime, lang: str, mail: MailConfig, *, with_time: bool = True) -> str:
    """A timestamp as the person reads it, in the program's time zone: for templates' fields."""
    return format_when(moment, language(lang), mail.timezone, with_time=with_time)


# --- sending email -----------------------------------------------------------------------------


def _due_email_ids(limit: int) -> list[str]:
    """The oldest due emails, ids only: one light query, then each is claimed by id."""
    cursor = (
        OutgoingEmail._get_collection()
        .find({"state": "pending", "next_attempt_at": {"$lte": utcnow()}}, {"_id": 1})
        .sort([("next_attempt_at", 1), ("_id", 1)])
        .limit(limit)
    )
    return [str(doc["_id"]) for doc in cursor]


def _claim(email_id: str) -> OutgoingEmail | None:
    """Take one email for this worker; None if another worker took it first."""
    now = utcnow()
    raw = OutgoingEmail._get_collection().find_one_and_update(
        {"_id": email_id, "state": "pending"},
        {"$set": {"state": "sending", "claimed_by": _WORKER, "claimed_until": now + timedelta(seconds=CLAIM_SECONDS)}},
        return_document=True,
    )
    return None if raw is None else OutgoingEmail._from_son(raw)


def _reclaim_abandoned() -> None:
    """Put back emails whose worker died while sending. If the server had accepted one just
    before, it is sent again with the same Message-ID: at least once, never lost."""
    OutgoingEmail.objects(state="sending", claimed_until__lt=utcnow()).update(set__state="pending")


def _release(email: OutgoingEmail, error: str, *, retry_in: float | None, give_up: bool = False) -> None:
    update: dict[str, Any] = {"set__last_error": error[:500], "set__claimed_by": "", "set__claimed_until": None}
    if give_up:
        update["set__state"] = "failed"
        update["inc__attempts"] = 1
    elif retry_in is None:
        update["set__state"] = "pending"  # not this message's fault: no attempt counted
    else:
        update["set__state"] = "pending"
        update["inc__attempts"] = 1
        update["set__next_attempt_at"] = utcnow() + timedelta(seconds=retry_in)
    OutgoingEmail.objects(id=email.id, state="sending", claimed_by=_WORKER).update_one(**update)


def _mark_sent(email: OutgoingEmail) -> None:
    fields: dict[str, Any] = {"set__state": "sent", "set__sent_at": utcnow(), "set__claimed_until": None}
    if email.sensitive:
        fields.update(set__text="", set__html="")  # the secret link has left: keep no copy
    OutgoingEmail.objects(id=email.id).update_one(**fields)


def send_due_emails(store: Store, mail: MailConfig, gate: SmtpGate, batch: int = 200) -> int:
    """Send due emails over one SMTP connection. Each is claimed before it is sent and marked
    sent only once the server accepted it. While the server can't be reached, the gate pauses
    sending with backoff and no email is charged an attempt. (`store` is the worker's: the
    documents use its connection.)"""
    if not gate.is_open():
        return 0
    _reclaim_abandoned()
    sent = 0
    smtp: smtplib.SMTP | None = None
    try:
        for email_id in _due_email_ids(batch):
            email = _claim(email_id)
            if email is None:
                continue
            try:
                msg = build_message(email, mail)
            except ValueError as exc:
                _release(email, str(exc), retry_in=None, give_up=True)
                metrics.EMAIL_FAILURES.labels(PERMANENT).inc()
                continue
            try:
                if smtp is None:
                    smtp = smtplib.SMTP(mail.smtp_host, mail.smtp_port, timeout=mail.smtp_timeout_seconds)
                smtp.send_message(msg)
            except (OSError, smtplib.SMTPException) as exc:
                reason = classify(exc)
                metrics.EMAIL_FAILURES.labels(reason).inc()
                if reason == TRANSPORT:
                    _release(email, str(exc), retry_in=None)
                    pause = gate.server_down()
                    log.warning("SMTP server unreachable; pausing email", extra={"pause_s": pause, "error": str(exc)})
                    break
                out_of_attempts = email.attempts + 1 >= mail.email_max_attempts
                delay = EMAIL_BACKOFF[min(email.attempts, len(EMAIL_BACKOFF) - 1)]
                _release(email, str(exc), retry_in=delay, give_up=reason == PERMANENT or out_of_attempts)
                continue
            _mark_sent(email)
            metrics.EMAILS_SENT.inc()
            sent += 1
        if sent:
            gate.server_up()
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
    metrics.EMAILS_PENDING.set(OutgoingEmail.objects(state__in=("pending", "sending")).count())
    return sent


# --- the daily digest --------------------------------------------------------------------------


def send_digests(store: Store, templates: Templates, mail: MailConfig) -> int:
    """For each person whose digest time has come: one email listing what waited."""
    now = CLOCK.now()
    sent = 0
    for due in Preferences.objects(next_digest_at__lte=now).only("id", "next_digest_at").limit(100):
        work = partial(_send_digest, templates=templates, mail=mail, user_id=due.id, now=now)
        sent += store.run(partial(work, expected=due.next_digest_at))
    return sent


def _send_digest(
    uow: UnitOfWork, *, templates: Templates, mail: MailConfig, user_id: str, expected: datetime, now: datetime
) -> bool:
    prefs = uow.find_one(Preferences, {"_id": user_id, "next_digest_at": expected})
    if prefs is None:
        return False  # another worker took it
    waiting = uow.find(Notification, {"user_id": user_id, "email_state": "digest"}, sort=[("created_at", 1)])
    recipient = uow.find_one(Recipient, {"_id": user_id})
    daily = prefs.email_frequency == prefs_rules.DAILY
    following = prefs_rules.next_digest_at(now, mail.timezone, mail.digest_hour) if daily else None
    uow.update_one(Preferences, {"_id": user_id}, {"$set": {"next_digest_at": following}})
    if not waiting or recipient is None:
        return False
    lang = language(recipient.language)
    one_click, footer = _unsubscribe_urls(uow.store, mail, user_id, unsubscribe.ALL, lang)
    shown = waiting[-DIGEST_ITEMS_MAX:]
    rendered = templates.render(
        "daily_digest",
        lang,
        {"name": recipient.display_name, "count": len(waiting), "date": when(now, lang, mail, with_time=False)},
        mail.web_base_url,
        unsubscribe_url=footer,
        items=[DigestItem(n.subject, n.body, n.link) for n in shown],
    )
    digest = uow.insert(
        Notification(
            id=uuid.uuid4().hex,
            user_id=user_id,
            kind="daily_digest",
            category=rendered.category,
            subject=rendered.subject,
            body=rendered.body,
            link=rendered.link,
            in_app=False,
            email_state="queued",
            created_at=now,
            source_event_id=f"digest:{user_id}:{expected.isoformat()}",
        )
    )
    _queue_email(
        uow, digest, recipient.email, lang, rendered.subject, rendered.text, rendered.html, unsubscribe_url=one_click
    )
    uow.collection(Notification).update_many(
        {"_id": {"$in": [n.id for n in waiting]}}, {"$set": {"email_state": "digested"}}, session=uow.session
    )
    metrics.DIGESTS_SENT.inc()
    return True


# --- the inbox ---------------------------------------------------------------------------------


def _require_user(user_id: str) -> None:
    if not user_id:
        raise InvalidInput.one("user_id", "user_id.required")


def _inbox(user_id: str) -> Any:
    # Notices stored before in_app existed have no such field: they are in the inbox.
    return Notification.objects(user_id=user_id, in_app__ne=False)


def list_notifications(
    user_id: str, *, unread_only: bool, page_size: int, page_token: str
) -> tuple[list[Notification], int, str]:
    errors = FieldCollector()
    if not user_id:
        errors.add("user_id", "user_id.required")
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
    query = _inbox(user_id)
    if unread_only:
        query = query.filter(read=False)
    items = list(query.order_by("-created_at", "-id").skip(offset).limit(size + 1))
    next_token = str(offset + size) if len(items) > size else ""
    return items[:size], count_unread(user_id), next_token


def count_unread(user_id: str) -> int:
    _require_user(user_id)
    return int(_inbox(user_id).filter(read=False).count())


def mark_read(user_id: str, ids: Sequence[str], *, everything: bool) -> int:
    errors = FieldCollector()
    if not user_id:
        errors.add("user_id", "user_id.required")
    if bool(ids) == everything:
        errors.add("notification_ids", "mark_read.ids_or_all")
    elif len(ids) > MARK_READ_MAX:
        errors.add("notification_ids", "mark_read.too_many", max=MARK_READ_MAX)
    else:
        for i, notification_id in enumerate(ids):
            if not NOTIFICATION_ID.match(notification_id):
                errors.add(f"notification_ids[{i}]", "mark_read.id_invalid")
    errors.raise_if_any()
    query = _inbox(user_id).filter(read=False)
    if not everything:
        query = query.filter(id__in=list(ids))
    return int(query.update(set__read=True))


def get_recipient(user_id: str) -> Recipient:
    recipient = Recipient.objects(id=user_id).first()
    if recipient is None:
        raise NotFound("recipient.unknown")
    return recipient


# --- preferences and unsubscribing -------------------------------------------------------------


def get_preferences(user_id: str) -> Preferences:
    _require_user(user_id)
    return Preferences.objects(id=user_id).first() or Preferences(id=user_id)


def update_preferences(
    store: Store,
    templates: Templates,
    mail: MailConfig,
    user_id: str,
    frequency: str,
    choices: Sequence[prefs_rules.CategoryChoice],
    lang: str,
) -> Preferences:
    _require_user(user_id)
    prefs_rules.validate_update(frequency, choices, templates.categories, language(lang))
    now = CLOCK.now()

    def work(uow: UnitOfWork) -> Preferences:
        current = uow.find_one(Preferences, {"_id": user_id}) or Preferences(id=user_id)
        was_daily = current.email_frequency == prefs_rules.DAILY
        current.opted_out = prefs_rules.apply_choices(current.opted_out, choices)
        if frequency:
            current.email_frequency = frequency
        if current.email_frequency == prefs_rules.DAILY and not was_daily:
            current.next_digest_at = prefs_rules.next_digest_at(now, mail.timezone, mail.digest_hour)
        elif current.email_frequency != prefs_rules.DAILY and was_daily:
            current.next_digest_at = now  # send what was waiting, once
        current.updated_at = now
        current.validate()
        uow.collection(Preferences).replace_one({"_id": user_id}, current.to_mongo(), upsert=True, session=uow.session)
        return current

    return store.run(work)


@dataclass(frozen=True)
class UnsubscribeTarget:
    user_id: str
    scope: str
    # The categories whose email it turns off.
    categories: tuple[str, ...]


def _unsubscribe_target(store: Store, templates: Templates, mail: MailConfig, token: str) -> UnsubscribeTarget:
    try:
        found = unsubscribe.verify(unsubscribe_key(store, mail.unsubscribe_key), token)
    except unsubscribe.TokenInvalid:
        raise InvalidInput.one("token", "unsubscribe.token_invalid") from None
    optional = [c.name for c in templates.categories.values() if not c.mandatory]
    if found.scope == unsubscribe.ALL:
        return UnsubscribeTarget(found.user_id, found.scope, tuple(optional))
    if found.scope not in optional:
        raise InvalidInput.one("token", "unsubscribe.token_invalid")
    return UnsubscribeTarget(found.user_id, found.scope, (found.scope,))


def inspect_unsubscribe(store: Store, templates: Templates, mail: MailConfig, token: str) -> UnsubscribeTarget:
    return _unsubscribe_target(store, templates, mail, token)


def unsubscribe_by_token(store: Store, templates: Templates, mail: MailConfig, token: str) -> UnsubscribeTarget:
    """Turn off the email the token names. Doing it twice changes nothing more."""
    target = _unsubscribe_target(store, templates, mail, token)
    switches = [prefs_rules.switch(c, "email") for c in target.categories]

    def work(uow: UnitOfWork) -> None:
        uow.update_one(
            Preferences,
            {"_id": target.user_id},
            {
                "$addToSet": {"opted_out": {"$each": switches}},
                "$set": {"updated_at": CLOCK.now()},
                "$setOnInsert": {"email_frequency": prefs_rules.IMMEDIATE},
            },
            upsert=True,
        )

    store.run(work)
    metrics.UNSUBSCRIBES.labels(target.scope).inc()
    return target


# --- reminders ---------------------------------------------------------------------------------


def _check_people(uow: UnitOfWork, errors: FieldCollector, **people: str) -> None:
    for field_name, user_id in people.items():
        if user_id and not errors.has(field_name) and uow.find_one(Recipient, {"_id": user_id}) is None:
            errors.add(field_name, "recipient.unknown")


def _first_step_at(due_at: datetime, purpose: rules.Purpose, coordinator_id: str) -> datetime | None:
    return rules.next_step_at(rules.plan(due_at, purpose, escalates=bool(coordinator_id)), 0)


def schedule_reminder(store: Store, purposes: Mapping[str, rules.Purpose], request: rules.ReminderRequest) -> Reminder:
    """Schedule the reminders for a deadline, or move it. The same request twice changes
    nothing; a changed deadline starts its plan again."""
    now = CLOCK.now()
    errors = rules.validate_request(request, purposes, now)
    errors.raise_if_any()
    assert request.due_at is not None
    due_at = request.due_at
    purpose = purposes[request.purpose]

    def work(uow: UnitOfWork) -> Reminder:
        people = FieldCollector()
        _check_people(uow, people, user_id=request.user_id, coordinator_id=request.coordinator_id)
        people.raise_if_any()
        latest = uow.find(Reminder, {"key": request.key}, sort=[("occurrence", -1)])
        current = next((r for r in reversed(latest) if r.state in rules.OPEN_STATES), None)
        if current is None and latest:
            raise Refused("reminder.closed")
        fields = {
            "purpose": request.purpose,
            "user_id": request.user_id,
            "coordinator_id": request.coordinator_id,
            "due_at": request.due_at,
            "subject_en": request.subject_en.strip(),
            "subject_fr": request.subject_fr.strip(),
            "link": request.link,
            "every_months": request.every_months,
        }
        if current is not None:
            unchanged = (
                all(getattr(current, name) == value for name, value in fields.items() if name not in ("due_at",))
                and abs((current.due_at - request.due_at).total_seconds()) < 1
            )
            if unchanged:
                return current
            for name, value in fields.items():
                setattr(current, name, value)
            current.state = rules.SCHEDULED
            current.steps_done = 0
            current.next_notice_at = _first_step_at(due_at, purpose, request.coordinator_id)
            uow.replace(current)
            return current
        return uow.insert(
            Reminder(
                id=uuid.uuid4().hex,
                key=request.key,
                occurrence=1,
                state=rules.SCHEDULED,
                steps_done=0,
                next_notice_at=_first_step_at(due_at, purpose, request.coordinator_id),
                created_at=now,
                **fields,
            )
        )

    reminder = store.run(work)
    metrics.REMINDERS_SCHEDULED.labels(request.purpose).inc()
    return reminder


def _next_occurrence(uow: UnitOfWork, purposes: Mapping[str, rules.Purpose], reminder: Reminder) -> None:
    """A recurring deadline's next occurrence, started once."""
    if not reminder.every_months or reminder.next_occurrence_started:
        return
    reminder.next_occurrence_started = True
    due_at = rules.add_months(reminder.due_at, reminder.every_months)
    purpose = purposes.get(reminder.purpose)
    uow.insert(
        Reminder(
            id=uuid.uuid4().hex,
            key=reminder.key,
            occurrence=reminder.occurrence + 1,
            purpose=reminder.purpose,
            user_id=reminder.user_id,
            coordinator_id=reminder.coordinator_id,
            due_at=due_at,
            subject_en=reminder.subject_en,
            subject_fr=reminder.subject_fr,
            link=reminder.link,
            every_months=reminder.every_months,
            state=rules.SCHEDULED,
            steps_done=0,
            next_notice_at=_first_step_at(due_at, purpose, reminder.coordinator_id) if purpose else None,
            created_at=CLOCK.now(),
        )
    )


def complete_reminder(store: Store, purposes: Mapping[str, rules.Purpose], key: str, outcome: str) -> Reminder:
    """`done`: the earliest open occurrence was met (a recurring deadline goes on).
    `cancelled`: no more reminders for this key at all."""
    errors = FieldCollector()
    if not rules.KEY.match(key):
        errors.add("key", "reminder.key_invalid")
    if outcome not in rules.OUTCOMES:
        errors.add("outcome", "reminder.outcome_invalid")
    errors.raise_if_any()
    now = CLOCK.now()

    def work(uow: UnitOfWork) -> Reminder:
        open_ones = uow.find(
            Reminder, {"key": key, "state": {"$in": list(rules.OPEN_STATES)}}, sort=[("occurrence", 1)]
        )
        if not open_ones:
            raise NotFound("reminder.not_found")
        closing = open_ones if outcome == rules.CANCELLED else open_ones[:1]
        for reminder in closing:
            reminder.state = outcome
            reminder.next_notice_at = None
            reminder.closed_at = now
            if outcome == rules.DONE:
                _next_occurrence(uow, purposes, reminder)
            uow.replace(reminder)
        return closing[0]

    reminder = store.run(work)
    metrics.REMINDERS_CLOSED.labels(reminder.purpose, outcome).inc()
    return reminder


def get_reminder(key: str) -> Reminder:
    if not rules.KEY.match(key):
        raise InvalidInput.one("key", "reminder.key_invalid")
    occurrences = list(Reminder.objects(key=key).order_by("occurrence"))
    if not occurrences:
        raise NotFound("reminder.not_found")
    return next((r for r in occurrences if r.state in rules.OPEN_STATES), occurrences[-1])


def fire_due_reminders(
    store: Store, templates: Templates, mail: MailConfig, purposes: Mapping[str, rules.Purpose], batch: int = 200
) -> int:
    """Send every reminder, overdue notice and escalation whose time has come."""
    now = CLOCK.now()
    due = Reminder.objects(state__in=rules.OPEN_STATES, next_notice_at__lte=now).only("id").limit(batch)
    fired = 0
    for ref in due:
        work = partial(_fire, templates=templates, mail=mail, purposes=purposes, reminder_id=ref.id, now=now)
        fired += store.run(work)
    return fired


def _fire(
    uow: UnitOfWork,
    *,
    templates: Templates,
    mail: MailConfig,
    purposes: Mapping[str, rules.Purpose],
    reminder_id: str,
    now: datetime,
) -> int:
    # Read again inside the transaction: another worker may have fired it, or it was just done.
    reminder = uow.find_one(Reminder, {"_id": reminder_id})
    if reminder is None or reminder.state not in rules.OPEN_STATES or reminder.next_notice_at is None:
        return 0
    purpose = purposes.get(reminder.purpose)
    if purpose is None:
        log.error("reminder purpose no longer exists; closing it", extra={"purpose": reminder.purpose})
        uow.update_one(Reminder, {"_id": reminder.id}, {"$set": {"next_notice_at": None}})
        return 0
    steps = rules.plan(reminder.due_at, purpose, escalates=bool(reminder.coordinator_id))
    send, done = rules.steps_due(steps, reminder.steps_done, now)
    person = uow.find_one(Recipient, {"_id": reminder.user_id})
    for step in send:
        if step.kind == rules.ESCALATION:
            coordinator = uow.find_one(Recipient, {"_id": reminder.coordinator_id})
            if coordinator is not None:
                params = _reminder_params(reminder, purpose, coordinator.language, mail)
                params["person_name"] = person.display_name if person else reminder.user_id
                source = f"reminder:{reminder.id}:{step.kind}"
                deliver(uow, templates, mail, source, coordinator, "reminder_escalated", params)
        elif person is not None:
            kind = "reminder_overdue" if step.kind == rules.OVERDUE else "reminder_due_soon"
            params = _reminder_params(reminder, purpose, person.language, mail)
            deliver(uow, templates, mail, f"reminder:{reminder.id}:{step.kind}:{done}", person, kind, params)
        metrics.REMINDER_NOTICES.labels(reminder.purpose, step.kind).inc()
    reminder.steps_done = done
    reminder.state = rules.state_after(steps, done)
    reminder.next_notice_at = rules.next_step_at(steps, done)
    if any(s.kind == rules.OVERDUE for s in send):
        _next_occurrence(uow, purposes, reminder)
    uow.replace(reminder)
    return len(send)


def _reminder_params(reminder: Reminder, purpose: rules.Purpose, lang: str, mail: MailConfig) -> dict[str, object]:
    lang = language(lang)
    return {
        **purpose.words[lang],
        "title": reminder.subject_fr if lang == "fr" else reminder.subject_en,
        "due_date": when(reminder.due_at, lang, mail, with_time=False),
        "path": reminder.link or "/",
    }


# --- meeting invitations -----------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingRequest:
    meeting_id: str
    sequence: int
    organizer_id: str
    attendee_ids: Sequence[str]
    starts_at: datetime | None
    ends_at: datetime | None
    location: str
    title_en: str
    title_fr: str
    link: str


def _validate_meeting(request: MeetingRequest, now: datetime) -> FieldCollector:
    errors = FieldCollector()
    if not MEETING_ID.match(request.meeting_id):
        errors.add("meeting_id", "meeting.id_invalid")
    if request.sequence < 0:
        errors.add("sequence", "meeting.sequence_range")
    if not request.organizer_id:
        errors.add("organizer_id", "user_id.required")
    attendees = list(request.attendee_ids)
    if (
        not 1 <= len(attendees) <= MEETING_ATTENDEES_MAX
        or len(set(attendees)) != len(attendees)
        or request.organizer_id in attendees
        or not all(attendees)
    ):
        errors.add("attendee_ids", "meeting.attendees_range", max=MEETING_ATTENDEES_MAX)
    if request.starts_at is None or request.starts_at <= now:
        errors.add("starts_at", "meeting.start_required")
    elif request.ends_at is None or not (
        request.starts_at < request.ends_at <= request.starts_at + timedelta(hours=MEETING_HOURS_MAX)
    ):
        errors.add("ends_at", "meeting.end_before_start", max=MEETING_HOURS_MAX)
    for field_name, text in (("title.en", request.title_en), ("title.fr", request.title_fr)):
        if not text.strip() or len(text) > MEETING_TITLE_MAX:
            errors.add(field_name, "meeting.title_required", max=MEETING_TITLE_MAX)
    if len(request.location) > MEETING_LOCATION_MAX:
        errors.add("location", "meeting.location_too_long", max=MEETING_LOCATION_MAX)
    link = request.link
    if link and (not link.startswith("/") or link.startswith("//") or any(c.isspace() for c in link)):
        errors.add("link", "reminder.link_invalid", max=rules.LINK_MAX)
    return errors


def send_meeting_invitation(
    store: Store, templates: Templates, mail: MailConfig, request: MeetingRequest
) -> tuple[int, bool]:
    """Each attendee gets a notice and an email with the .ics invitation, in their language.
    Returns (attendees, sent): sent is False when this version had gone out before."""
    now = CLOCK.now()
    errors = _validate_meeting(request, now)
    errors.raise_if_any()
    assert request.starts_at is not None and request.ends_at is not None
    starts_at, ends_at = request.starts_at, request.ends_at

    def work(uow: UnitOfWork) -> bool:
        people = FieldCollector()
        _check_people(uow, people, organizer_id=request.organizer_id)
        attendees = [uow.find_one(Recipient, {"_id": a}) for a in request.attendee_ids]
        if any(a is None for a in attendees):
            people.add("attendee_ids", "recipient.unknown")
        people.raise_if_any()
        previous = uow.find_one(MeetingInvitation, {"_id": request.meeting_id})
        if previous is not None and previous.sequence > request.sequence:
            raise Refused("meeting.sequence_stale", {"sequence": previous.sequence})
        if previous is not None and previous.sequence == request.sequence:
            return False
        uow.update_one(
            MeetingInvitation,
            {"_id": request.meeting_id},
            {"$set": {"sequence": request.sequence, "sent_at": now}},
            upsert=True,
        )
        organizer = uow.find_one(Recipient, {"_id": request.organizer_id})
        assert organizer is not None
        invited = [a for a in attendees if a is not None]
        for attendee in invited:
            lang = language(attendee.language)
            title = request.title_fr if lang == "fr" else request.title_en
            location = request.location or templates.words.render("meeting.location_tbd", lang)
            params = {
                "title": title,
                "path": request.link or "/",
                "when": when(starts_at, lang, mail),
                "location": location,
                "organizer_name": organizer.display_name,
            }
            url = f"{mail.web_base_url.rstrip('/')}/{lang}{request.link or '/'}"
            ics = invitation(
                Meeting(
                    meeting_id=request.meeting_id,
                    sequence=request.sequence,
                    organizer=Person(organizer.display_name, organizer.email),
                    attendees=[Person(a.display_name, a.email) for a in invited],
                    starts_at=starts_at,
                    ends_at=ends_at,
                    summary=title,
                    location=request.location,
                    description=url,
                    url=url,
                ),
                stamp=utcnow(),
            )
            deliver(
                uow,
                templates,
                mail,
                f"meeting:{request.meeting_id}:{request.sequence}",
                attendee,
                "meeting_invitation",
                params,
                attachments=[Attachment(FILENAME, CONTENT_TYPE, "REQUEST", ics.decode())],
            )
        return True

    sent = store.run(work)
    if sent:
        metrics.MEETING_INVITATIONS.inc(len(request.attendee_ids))
    return len(request.attendee_ids), sent
