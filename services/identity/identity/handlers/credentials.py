"""Passwords (change, reset by emailed link) and the TOTP second factor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from identity.domain import totp
from identity.domain.model import normalize_email
from identity.domain.passwords import check_new_password
from identity.domain.roles import is_staff
from identity.handlers.common import (
    Client,
    Identity,
    TooManyAttempts,
    audit,
    clear_throttle,
    digest,
    end_sessions,
    new_secret,
    take_turn,
    throttle_key,
)
from identity.handlers.registration import consume_link
from identity.handlers.sessions import check_password, use_totp_code
from identity.store import Account, EmailToken
from tandem.identity.v1 import events_pb2
from tandem_kit.errors import FieldCollector, InvalidInput, NotFound, Refused
from tandem_kit.events import utcnow
from tandem_kit.storage import UnitOfWork


def _active_account(user_id: str) -> Account:
    account = Account.objects(id=user_id).first() if user_id else None
    if account is None or account.state != "active":
        raise NotFound("account.not_found")
    return account


def _current_password_ok(identity: Identity, account: Account, password: str, client: Client) -> None:
    """A signed-in person re-proving their password goes through the same throttle as sign-in,
    or a stolen session would be a way to guess it at full speed."""
    if not password:
        raise InvalidInput.one("current_password", "field.required")
    confirmed, right = check_password(identity, account.email, password, client)
    if confirmed is None or not right or confirmed.id != account.id:
        audit(None, "password.check_failed", client=client, actor_id=account.id, subject_id=account.id)
        raise InvalidInput.one("current_password", "password.current_wrong")


def change_password(
    identity: Identity,
    *,
    actor_id: str,
    session_id: str,
    current_password: str,
    new_password: str,
    new_password_confirmation: str,
    client: Client,
) -> int:
    """Returns how many other sessions ended: every one but the session making the change."""
    account = _active_account(actor_id)
    errors = FieldCollector()
    password = check_new_password(
        errors,
        new_password,
        new_password_confirmation,
        field="new_password",
        confirmation_field="new_password_confirmation",
        personal=(account.email, account.email.partition("@")[0], account.display_name),
    )
    errors.raise_if_any()
    _current_password_ok(identity, account, current_password, client)
    clear_throttle(throttle_key("signin", account.email))
    password_hash = identity.hashing.hash(password)

    def work(uow: UnitOfWork) -> int:
        uow.update_one(
            Account, {"_id": account.id}, {"$set": {"password_hash": password_hash, "password_changed_at": utcnow()}}
        )
        ended = end_sessions(uow, account.id, "password_changed", keep=session_id)
        audit(uow, "password.changed", client=client, actor_id=account.id, subject_id=account.id, sessions_ended=ended)
        return ended

    return int(identity.store.run(work))


def request_password_reset(identity: Identity, *, email: str, client: Client) -> None:
    """Email a reset link if the address has an active account. The answer, its timing and the
    throttle are the same whether it has one or not."""
    email_n = normalize_email(email)[:254]
    if not email_n:
        raise InvalidInput.one("email", "field.required")
    turn = take_turn(throttle_key("reset", email_n), identity.resend_policy)
    if not turn.allowed:
        raise TooManyAttempts("link.resend_throttled", turn.retry_after)
    token = new_secret()

    def work(uow: UnitOfWork) -> None:
        account = uow.find_one(Account, {"email": email_n, "state": "active"})
        if account is None:
            audit(uow, "password.reset_requested_unknown", client=client, email_sha256=digest(email_n))
            return
        now = utcnow()
        expires_at = now + timedelta(seconds=identity.links.reset_password_ttl_seconds)
        # Only the newest link works.
        uow.collection(EmailToken).update_many(
            {"user_id": account.id, "purpose": "reset_password", "used_at": None},
            {"$set": {"used_at": now}},
            session=uow.session,
        )
        uow.insert(
            EmailToken(
                id=digest(token), purpose="reset_password", user_id=account.id, created_at=now, expires_at=expires_at
            )
        )
        event = events_pb2.PasswordResetRequested(
            user_id=account.id,
            email=account.email,
            display_name=account.display_name,
            language=account.language,
            token=token,
        )
        event.expires_at.FromDatetime(expires_at)
        uow.publish("user.password_reset_requested", event)
        audit(uow, "password.reset_requested", client=client, subject_id=account.id)

    identity.store.run(work)


def reset_password(
    identity: Identity, *, token: str, new_password: str, new_password_confirmation: str, client: Client
) -> int:
    """Set a new password with an emailed link. Every session ends, and the sign-in throttle is
    cleared: the owner is back in, whatever a guesser did."""
    errors = FieldCollector()
    password = check_new_password(
        errors,
        new_password,
        new_password_confirmation,
        field="new_password",
        confirmation_field="new_password_confirmation",
    )
    errors.raise_if_any()
    pending = EmailToken.objects(id=digest(token.strip()), purpose="reset_password", used_at=None).first()
    account = Account.objects(id=pending.user_id).first() if pending else None
    if account is not None:
        check_new_password(
            errors,
            new_password,
            new_password_confirmation,
            field="new_password",
            confirmation_field="new_password_confirmation",
            personal=(account.email, account.email.partition("@")[0], account.display_name),
        )
        errors.raise_if_any()
    password_hash = identity.hashing.hash(password)

    def work(uow: UnitOfWork) -> tuple[int, str]:
        link = consume_link(uow, token.strip(), "reset_password")
        target = uow.find_one(Account, {"_id": link.user_id, "state": "active"})
        if target is None:
            raise Refused("link.invalid")
        uow.update_one(
            Account, {"_id": target.id}, {"$set": {"password_hash": password_hash, "password_changed_at": utcnow()}}
        )
        ended = end_sessions(uow, target.id, "password_reset")
        audit(uow, "password.reset", client=client, actor_id=target.id, subject_id=target.id, sessions_ended=ended)
        return ended, target.email

    ended, email = identity.store.run(work)
    clear_throttle(throttle_key("signin", email))
    return int(ended)


# --- TOTP ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrollment:
    secret: str
    provisioning_uri: str


def begin_totp(identity: Identity, *, actor_id: str, client: Client) -> Enrollment:
    account = _active_account(actor_id)
    if account.totp_enabled:
        raise Refused("totp.already_enabled")
    secret = totp.new_secret()
    Account.objects(id=account.id).update_one(set__totp_pending_secret=secret)
    audit(None, "totp.enrollment_started", client=client, actor_id=account.id, subject_id=account.id)
    return Enrollment(secret, totp.provisioning_uri(secret, account.email))


def confirm_totp(identity: Identity, *, actor_id: str, code: str, client: Client) -> Account:
    account = _active_account(actor_id)
    if account.totp_enabled:
        raise Refused("totp.already_enabled")
    if not account.totp_pending_secret:
        raise Refused("totp.not_started")
    step = totp.matching_step(account.totp_pending_secret, code, utcnow())
    if step is None:
        raise InvalidInput.one("code", "totp.invalid")

    def work(uow: UnitOfWork) -> None:
        uow.update_one(
            Account,
            {"_id": account.id, "totp_pending_secret": account.totp_pending_secret},
            {
                "$set": {
                    "totp_secret": account.totp_pending_secret,
                    "totp_enabled": True,
                    "totp_pending_secret": "",
                    "totp_last_step": step,
                }
            },
        )
        audit(uow, "totp.enabled", client=client, actor_id=account.id, subject_id=account.id)

    identity.store.run(work)
    return _active_account(actor_id)


def disable_totp(identity: Identity, *, actor_id: str, password: str, code: str, client: Client) -> Account:
    account = _active_account(actor_id)
    if not account.totp_enabled:
        raise Refused("totp.not_enabled")
    if is_staff(account.roles):
        raise Refused("totp.required_for_role")
    _current_password_ok(identity, account, password, client)
    if not use_totp_code(account, code):
        raise InvalidInput.one("code", "totp.invalid")

    def work(uow: UnitOfWork) -> None:
        uow.update_one(
            Account, {"_id": account.id}, {"$set": {"totp_enabled": False, "totp_secret": "", "totp_last_step": 0}}
        )
        audit(uow, "totp.disabled", client=client, actor_id=account.id, subject_id=account.id)

    identity.store.run(work)
    return _active_account(actor_id)
