"""Identity's use cases: load, decide, save with the outbox, in one unit of work."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pymongo.errors import DuplicateKeyError

from identity import metrics
from identity.domain.model import next_username, username_base, validate_registration
from identity.store import Account
from identity.tokens import KeyRing
from tandem.identity.v1 import events_pb2
from tandem_kit.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from tandem_kit.events import utcnow
from tandem_kit.storage import Store, UnitOfWork

# OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when an account doesn't exist, so both paths cost the same.
_DUMMY_HASH = HASHER.hash("not a real password, only for timing")


@dataclass(frozen=True)
class Registered:
    user_id: str
    username: str


@dataclass(frozen=True)
class SignedIn:
    access_token: str
    expires_in: int
    user_id: str


def register(
    store: Store, *, email: str, password: str, display_name: str, language: str, department: str
) -> Registered:
    reg = validate_registration(email, password, display_name, language, department)
    # Hash outside the transaction: it is slow, and a transaction may be retried.
    password_hash = HASHER.hash(reg.password)
    user_id = uuid.uuid4().hex
    base = username_base(reg.display_name)

    def work(uow: UnitOfWork) -> Registered:
        if uow.find_one(Account, {"email": reg.email}) is not None:
            raise InvalidInput.one("email", "email.taken")
        taken = {a.username for a in uow.find(Account, {"username": {"$regex": f"^{re.escape(base)}[0-9]*$"}})}
        username = next_username(base, taken)
        uow.insert(
            Account(
                id=user_id,
                email=reg.email,
                username=username,
                display_name=reg.display_name,
                language=reg.language,
                department=reg.department,
                password_hash=password_hash,
                created_at=utcnow(),
            )
        )
        uow.publish(
            "user.registered",
            events_pb2.UserRegistered(
                user_id=user_id,
                email=reg.email,
                username=username,
                display_name=reg.display_name,
                language=reg.language,
                department=reg.department,
            ),
        )
        return Registered(user_id, username)

    for _ in range(5):
        try:
            result = store.run(work)
            break
        except DuplicateKeyError as exc:
            # Someone took the same email or username between our check and our insert. A
            # username race is ours to solve: try again with the next free one.
            if "username" not in str((exc.details or {}).get("keyPattern", exc)):
                raise Conflict("email.taken") from exc
    else:
        raise Conflict("username.exhausted")
    metrics.ACCOUNTS_REGISTERED.inc()
    return result


def sign_in(store: Store, keys: KeyRing, *, email: str, password: str) -> SignedIn:
    account = Account.objects(email=email.strip().lower()).first()
    try:
        HASHER.verify(account.password_hash if account else _DUMMY_HASH, password)
        ok = account is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or account is None:
        metrics.SIGN_INS.labels("failed").inc()
        raise Unauthenticated("signin.failed")
    metrics.SIGN_INS.labels("ok").inc()
    token, ttl = keys.issue_access_token(account.id, list(account.roles))
    return SignedIn(token, ttl, account.id)


def get_account(user_id: str) -> Account:
    account = Account.objects(id=user_id).first()
    if account is None:
        raise NotFound("account.not_found")
    return account
