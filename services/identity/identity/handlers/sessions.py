"""Sign-in, refresh, sign-out and the session check the gateway makes for every token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from identity import metrics
from identity.domain.model import normalize_email
from identity.domain.passwords import PASSWORD_MAX, normalize_password
from identity.domain.roles import is_staff, token_roles
from identity.domain.totp import matching_step
from identity.handlers.common import (
    Client,
    Identity,
    TooManyAttempts,
    audit,
    clear_throttle,
    digest,
    end_sessions,
    new_id,
    new_secret,
    take_turn,
    throttle_key,
)
from identity.store import Account, Session
from tandem_kit.errors import FieldCollector, Unauthenticated
from tandem_kit.events import utcnow
from tandem_kit.storage import UnitOfWork


@dataclass(frozen=True)
class SignedIn:
    access_token: str
    expires_in: int
    user_id: str
    refresh_token: str
    refresh_expires_in: int
    totp_enrollment_required: bool


def check_password(identity: Identity, email: str, password: str, client: Client) -> tuple[Account | None, bool]:
    """Verify a password under the account's sign-in throttle: the account the email names (if
    any), and whether the password is its own. Every path costs one hash, account or not."""
    email_n = normalize_email(email)
    turn = take_turn(throttle_key("signin", email_n), identity.signin_policy)
    if not turn.allowed:
        metrics.SIGN_INS.labels("throttled").inc()
        audit(None, "signin.throttled", client=client, email_sha256=digest(email_n))
        raise TooManyAttempts("signin.throttled", turn.retry_after)
    account = Account.objects(email=email_n).first()
    return account, identity.hashing.verify(account.password_hash if account else None, normalize_password(password))


def sign_in(identity: Identity, *, email: str, password: str, totp_code: str, client: Client) -> SignedIn:
    errors = FieldCollector()
    if not email.strip():
        errors.add("email", "field.required")
    if not password:
        errors.add("password", "field.required")
    elif len(password) > PASSWORD_MAX:
        errors.add("password", "field.too_long", max=PASSWORD_MAX)
    errors.raise_if_any()

    account, right = check_password(identity, email, password, client)
    # A pending or deactivated account answers like a wrong password: nothing here says which.
    if account is None or not right or account.state != "active":
        metrics.SIGN_INS.labels("failed").inc()
        audit(
            None,
            "signin.failed",
            client=client,
            subject_id=account.id if account else "",
            email_sha256=digest(normalize_email(email)),
        )
        raise Unauthenticated("signin.failed")
    if account.totp_enabled:
        if not totp_code.strip():
            metrics.SIGN_INS.labels("second_factor_required").inc()
            raise Unauthenticated("signin.totp_required")
        if not use_totp_code(account, totp_code):
            metrics.SIGN_INS.labels("failed").inc()
            audit(None, "signin.totp_failed", client=client, subject_id=account.id)
            raise Unauthenticated("signin.totp_invalid")
    clear_throttle(throttle_key("signin", account.email))
    metrics.SIGN_INS.labels("ok").inc()
    return open_session(identity, account, second_factor=account.totp_enabled, client=client)


def use_totp_code(account: Account, code: str) -> bool:
    """Accept `code` once: the step it belongs to becomes the last one used."""
    step = matching_step(account.totp_secret, code, utcnow(), after_step=account.totp_last_step)
    if step is None:
        return False
    return bool(
        Account.objects(id=account.id, totp_last_step__lt=step).update_one(set__totp_last_step=step)
    )  # a concurrent use of the same code loses here


def open_session(identity: Identity, account: Account, *, second_factor: bool, client: Client) -> SignedIn:
    secret = new_secret()
    now = utcnow()
    session = Session(
        id=new_id(),
        user_id=account.id,
        second_factor=second_factor,
        refresh_hash=digest(secret),
        created_at=now,
        expires_at=now + timedelta(seconds=identity.tokens.session_ttl_seconds),
    )

    def work(uow: UnitOfWork) -> None:
        uow.insert(session)
        audit(
            uow,
            "signin.succeeded",
            client=client,
            actor_id=account.id,
            subject_id=account.id,
            session_id=session.id,
            second_factor=second_factor,
        )

    identity.store.run(work)
    return _tokens(identity, account, session, secret)


def _tokens(identity: Identity, account: Account, session: Session, secret: str) -> SignedIn:
    roles = token_roles(account.roles, second_factor=session.second_factor)
    access = identity.keys.issue_access_token(account.id, session.id, roles, second_factor=session.second_factor)
    remaining = int((session.expires_at - utcnow()).total_seconds())
    return SignedIn(
        access_token=access,
        expires_in=identity.tokens.access_ttl_seconds,
        user_id=account.id,
        refresh_token=f"{session.id}.{secret}",
        refresh_expires_in=max(0, remaining),
        totp_enrollment_required=is_staff(account.roles) and not session.second_factor,
    )


def refresh(identity: Identity, *, refresh_token: str, client: Client) -> SignedIn:
    """Exchange a refresh token for a new pair. Each refresh token works once: presenting one
    that was already exchanged means someone else has a copy, so the whole session ends."""
    session_id, _, secret = refresh_token.strip().partition(".")
    if not session_id or not secret or len(refresh_token) > 200:
        raise Unauthenticated("session.invalid")
    presented = digest(secret)
    new = new_secret()
    now = utcnow()

    def work(uow: UnitOfWork) -> tuple[Session, Account] | None:
        session = uow.find_one(Session, {"_id": session_id})
        if session is None:
            return None
        if presented in session.used_refresh_hashes and session.ended_at is None:
            end_sessions_by_id(uow, session.id, "refresh_reused")
            audit(uow, "session.refresh_reused", client=client, subject_id=session.user_id, session_id=session.id)
            return None
        if session.ended_at is not None or session.expires_at <= now or session.refresh_hash != presented:
            return None
        account = uow.find_one(Account, {"_id": session.user_id})
        if account is None or account.state != "active":
            return None
        uow.update_one(
            Session,
            {"_id": session.id, "refresh_hash": presented},
            {
                "$set": {"refresh_hash": digest(new), "refreshed_at": now},
                # The last few are enough to catch a replay; the list must not grow forever.
                "$push": {"used_refresh_hashes": {"$each": [presented], "$slice": -50}},
            },
        )
        return session, account

    found = identity.store.run(work)
    if found is None:
        raise Unauthenticated("session.invalid")
    session, account = found
    return _tokens(identity, account, session, new)


def end_sessions_by_id(uow: UnitOfWork, session_id: str, reason: str) -> None:
    uow.update_one(
        Session, {"_id": session_id, "ended_at": None}, {"$set": {"ended_at": utcnow(), "end_reason": reason}}
    )
    metrics.SESSIONS_ENDED.labels(reason).inc()


def sign_out(identity: Identity, *, actor_id: str, session_id: str, everywhere: bool, client: Client) -> int:
    def work(uow: UnitOfWork) -> int:
        if everywhere:
            ended = end_sessions(uow, actor_id, "signed_out")
        else:
            ended = (
                uow.collection(Session)
                .update_one(
                    {"_id": session_id, "user_id": actor_id, "ended_at": None},
                    {"$set": {"ended_at": utcnow(), "end_reason": "signed_out"}},
                    session=uow.session,
                )
                .modified_count
            )
        audit(
            uow,
            "session.signed_out",
            client=client,
            actor_id=actor_id,
            subject_id=actor_id,
            session_id=session_id,
            everywhere=everywhere,
            sessions_ended=ended,
        )
        return int(ended)

    return int(identity.store.run(work))


def check_session(session_id: str) -> tuple[bool, str]:
    session = Session.objects(id=session_id).first() if session_id else None
    if session is None:
        return False, ""
    return session.ended_at is None and session.expires_at > utcnow(), session.user_id
