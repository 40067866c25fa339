"""What every identity use case shares: its dependencies, the audit log, secrets, throttles."""

from __future__ import annotations

import hashlib
import math
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import grpc
from pymongo.errors import DuplicateKeyError

from identity import metrics
from identity.config import HashingConfig, LinkConfig, TokenConfig
from identity.domain import reference
from identity.domain.roles import ADMIN
from identity.domain.throttle import ThrottlePolicy, Turn
from identity.hashing import Hashing
from identity.store import Account, AuditEvent, Session, Throttle
from identity.tokens import KeyRing
from tandem_kit.errors import DomainError, Forbidden
from tandem_kit.events import utcnow
from tandem_kit.storage import Store, UnitOfWork


class TooManyAttempts(DomainError):
    """Throttled: the caller must wait `retry_after` seconds (a whole number, in params)."""

    status = grpc.StatusCode.RESOURCE_EXHAUSTED

    def __init__(self, code: str, retry_after: float):
        super().__init__(code, {"retry_after": max(1, math.ceil(retry_after))})


@dataclass(frozen=True)
class Client:
    """Where a request came from: recorded in the audit log, never used to decide anything."""

    ip: str = ""
    user_agent: str = ""


@dataclass
class Identity:
    """The dependencies of every use case, built once per process."""

    store: Store
    keys: KeyRing
    tokens: TokenConfig = field(default_factory=TokenConfig.from_env)
    links: LinkConfig = field(default_factory=LinkConfig.from_env)
    hashing: Hashing = field(default_factory=lambda: Hashing(HashingConfig.from_env()))
    signin_policy: ThrottlePolicy = field(default_factory=ThrottlePolicy.from_env)
    departments: reference.Departments = field(default_factory=reference.departments)
    government: reference.GovernmentDomains = field(default_factory=reference.government_domains)
    terms: reference.Terms = field(default_factory=reference.terms)

    @property
    def resend_policy(self) -> ThrottlePolicy:
        """Emailed links: one free send, then a doubling wait from the minimum interval."""
        return ThrottlePolicy(
            free_attempts=1,
            base_delay_seconds=self.links.resend_min_interval_seconds,
            max_delay_seconds=3600,
        )


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_secret() -> str:
    """256 bits, URL-safe: for emailed links, refresh tokens and client secrets."""
    return secrets.token_urlsafe(32)


def new_id() -> str:
    return uuid.uuid4().hex


def audit(
    uow: UnitOfWork | None,
    event_type: str,
    *,
    client: Client,
    actor_id: str = "",
    subject_id: str = "",
    **detail: Any,
) -> None:
    """Record a security event: inside `uow` with the change it describes, or on its own."""
    record = AuditEvent(
        id=new_id(),
        at=utcnow(),
        type=event_type,
        actor_id=actor_id,
        subject_id=subject_id,
        detail={k: str(v) for k, v in detail.items()},
        ip=client.ip[:64],
        user_agent=client.user_agent[:200],
    )
    if uow is None:
        record.save()
    else:
        uow.insert(record)


def require_admin(actor_id: str) -> Account:
    """The gateway checked the token's roles; identity checks its own record too."""
    actor = Account.objects(id=actor_id).first() if actor_id else None
    if actor is None or actor.state != "active" or ADMIN not in actor.roles:
        raise Forbidden("auth.forbidden")
    return actor


def end_sessions(uow: UnitOfWork, user_id: str, reason: str, *, keep: str = "") -> int:
    """End every open session of `user_id` (but `keep`): their tokens stop working."""
    now = utcnow()
    filt: dict[str, Any] = {"user_id": user_id, "ended_at": None}
    if keep:
        filt["_id"] = {"$ne": keep}
    ended = (
        uow.collection(Session)
        .update_many(filt, {"$set": {"ended_at": now, "end_reason": reason}}, session=uow.session)
        .modified_count
    )
    if ended:
        metrics.SESSIONS_ENDED.labels(reason).inc(ended)
    return int(ended)


# --- throttles -----------------------------------------------------------------------------------


def throttle_key(purpose: str, email: str) -> str:
    return f"{purpose}:{digest(email)}"


def take_turn(key: str, policy: ThrottlePolicy) -> Turn:
    """Count one attempt against `key` unless it must wait. Compare-and-set on a sequence
    number, so however many attempts race, each is counted and the lock holds for all."""
    coll = Throttle._get_collection()
    for _ in range(50):
        now = utcnow()
        doc = coll.find_one({"_id": key})
        if doc is None:
            try:
                coll.insert_one(
                    {
                        "_id": key,
                        "seq": 1,
                        "failures": 1,
                        "last_failure_at": now,
                        "locked_until": now + timedelta(seconds=policy.delay_after(1)),
                    }
                )
                return Turn(True)
            except DuplicateKeyError:
                continue
        locked_until = doc.get("locked_until")
        if locked_until is not None and locked_until > now:
            return Turn(False, (locked_until - now).total_seconds())
        failures = policy.current_failures(doc.get("failures", 0), doc.get("last_failure_at"), now) + 1
        changed = coll.update_one(
            {"_id": key, "seq": doc.get("seq", 0)},
            {
                "$set": {
                    "failures": failures,
                    "last_failure_at": now,
                    "locked_until": now + timedelta(seconds=policy.delay_after(failures)),
                },
                "$inc": {"seq": 1},
            },
        ).modified_count
        if changed:
            return Turn(True)
    # Lost every race: others are hammering this key right now, which is itself a reason to wait.
    return Turn(False, 1.0)


def clear_throttle(key: str) -> None:
    Throttle._get_collection().delete_one({"_id": key})
