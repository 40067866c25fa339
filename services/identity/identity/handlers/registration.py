"""Registration, email confirmation and resending the confirmation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from pymongo.errors import DuplicateKeyError

from identity import metrics
from identity.domain.model import next_username, normalize_email, username_base, validate_registration
from identity.handlers.common import (
    Client,
    Identity,
    TooManyAttempts,
    audit,
    digest,
    new_id,
    new_secret,
    take_turn,
    throttle_key,
)
from identity.store import Account, EmailToken
from tandem.common.v1 import common_pb2
from tandem.identity.v1 import events_pb2
from tandem_kit.errors import Conflict, Refused
from tandem_kit.events import utcnow
from tandem_kit.storage import UnitOfWork

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


@dataclass(frozen=True)
class Registered:
    username: str
    email: str


@dataclass(frozen=True)
class Confirmed:
    user_id: str
    username: str


def register(
    identity: Identity,
    *,
    email: str,
    email_confirmation: str,
    password: str,
    password_confirmation: str,
    display_name: str,
    language: str,
    department: str,
    platform: str,
    accepted_terms_version: str,
    client: Client,
) -> Registered:
    reg = validate_registration(
        email=email,
        email_confirmation=email_confirmation,
        password=password,
        password_confirmation=password_confirmation,
        display_name=display_name,
        language=language,
        department=department,
        platform=platform,
        accepted_terms_version=accepted_terms_version,
        departments=identity.departments,
        government=identity.government,
        terms_version=identity.terms.version,
    )
    # Hash outside the transaction (it is slow, and a transaction may be retried), and hash even
    # for an email already taken, so both answers take the same time.
    password_hash = identity.hashing.hash(reg.password)
    base = username_base(reg.display_name)
    token = new_secret()

    def work(uow: UnitOfWork) -> Registered:
        taken = {a.username for a in uow.find(Account, {"username": {"$regex": f"^{re.escape(base)}[0-9]*$"}})}
        username = next_username(base, taken)
        existing = uow.find_one(Account, {"email": reg.email})
        if existing is not None:
            # Answer exactly as for a new account; tell the owner by email instead. The account
            # is not touched: overwriting a pending one would let a stranger set its password.
            uow.publish(
                "user.registration_repeated",
                events_pb2.RegistrationRepeated(
                    user_id=existing.id,
                    email=existing.email,
                    display_name=existing.display_name,
                    language=existing.language,
                ),
            )
            audit(uow, "registration.repeated", client=client, subject_id=existing.id)
            return Registered(username, reg.email)
        now = utcnow()
        user_id = new_id()
        uow.insert(
            Account(
                id=user_id,
                email=reg.email,
                username=username,
                display_name=reg.display_name,
                language=reg.language,
                department=reg.department,
                platform=reg.platform,
                password_hash=password_hash,
                state="pending",
                terms_version=reg.terms_version,
                terms_accepted_at=now,
                password_changed_at=now,
                created_at=now,
            )
        )
        _send_confirmation(uow, identity, user_id, reg.email, reg.display_name, reg.language, token)
        audit(
            uow,
            "account.registered",
            client=client,
            actor_id=user_id,
            subject_id=user_id,
            platform=reg.platform,
            terms_version=reg.terms_version,
        )
        return Registered(username, reg.email)

    for _ in range(5):
        try:
            result = identity.store.run(work)
            break
        except DuplicateKeyError:
            # Someone took the same username (or email) between our read and our insert: the
            # next attempt sees it and picks the next username (or answers as for a taken email).
            continue
    else:
        raise Conflict("username.exhausted")
    metrics.ACCOUNTS_REGISTERED.inc()
    return result


def _send_confirmation(
    uow: UnitOfWork, identity: Identity, user_id: str, email: str, display_name: str, language: str, token: str
) -> None:
    now = utcnow()
    expires_at = now + timedelta(seconds=identity.links.confirm_email_ttl_seconds)
    uow.insert(
        EmailToken(id=digest(token), purpose="confirm_email", user_id=user_id, created_at=now, expires_at=expires_at)
    )
    event = events_pb2.EmailConfirmationRequested(
        user_id=user_id, email=email, display_name=display_name, language=language, token=token
    )
    event.expires_at.FromDatetime(expires_at)
    uow.publish("user.email_confirmation_requested", event)


def consume_link(uow: UnitOfWork, token: str, purpose: str) -> EmailToken:
    """Use an emailed link once: unknown, used and expired links are all simply not valid."""
    if not _TOKEN.match(token):
        raise Refused("link.invalid")
    now = utcnow()
    found = uow.find_one_and_update(
        EmailToken,
        {"_id": digest(token), "purpose": purpose, "used_at": None, "expires_at": {"$gt": now}},
        {"$set": {"used_at": now}},
    )
    if found is None:
        raise Refused("link.invalid")
    return found


def confirm_email(identity: Identity, *, token: str, client: Client) -> Confirmed:
    def work(uow: UnitOfWork) -> Confirmed:
        link = consume_link(uow, token.strip(), "confirm_email")
        account = uow.find_one(Account, {"_id": link.user_id})
        if account is None or account.state != "pending":
            raise Refused("link.invalid")
        now = utcnow()
        uow.update_one(
            Account, {"_id": account.id, "state": "pending"}, {"$set": {"state": "active", "email_confirmed_at": now}}
        )
        # Only now does the rest of Tandem hear of this person.
        uow.publish("user.registered", registered_event(identity, account))
        audit(uow, "account.email_confirmed", client=client, actor_id=account.id, subject_id=account.id)
        return Confirmed(account.id, account.username)

    result = identity.store.run(work)
    metrics.ACCOUNTS_CONFIRMED.inc()
    return result


def registered_event(identity: Identity, account: Account) -> events_pb2.UserRegistered:
    department = identity.departments.get(account.department)
    return events_pb2.UserRegistered(
        user_id=account.id,
        email=account.email,
        username=account.username,
        display_name=account.display_name,
        language=account.language,
        department=department.name(account.language) if department else account.department,
        department_code=department.code if department else "",
        department_name=common_pb2.LocalizedText(en=department.en, fr=department.fr) if department else None,
        platform=account.platform,
    )


def resend_confirmation(identity: Identity, *, email: str, client: Client) -> None:
    """Send a new link if the email has an account waiting for confirmation. The answer and
    the throttle are the same whether it has one or not."""
    email_n = normalize_email(email)[:254]
    turn = take_turn(throttle_key("resend", email_n), identity.resend_policy)
    if not turn.allowed:
        raise TooManyAttempts("link.resend_throttled", turn.retry_after)
    token = new_secret()

    def work(uow: UnitOfWork) -> None:
        account = uow.find_one(Account, {"email": email_n, "state": "pending"})
        if account is None:
            return
        # Only the newest link works.
        uow.collection(EmailToken).update_many(
            {"user_id": account.id, "purpose": "confirm_email", "used_at": None},
            {"$set": {"used_at": utcnow()}},
            session=uow.session,
        )
        _send_confirmation(uow, identity, account.id, account.email, account.display_name, account.language, token)
        audit(uow, "account.confirmation_resent", client=client, subject_id=account.id)

    identity.store.run(work)
