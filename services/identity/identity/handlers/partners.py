"""The partner-facing surface: client credentials for a token, and what partners may read."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from identity.domain.model import normalize_email
from identity.handlers.common import Client, Identity, audit, digest
from identity.store import Account, PartnerClient
from tandem_kit.auth import partner_caller
from tandem_kit.errors import InvalidInput, Unauthenticated


@dataclass(frozen=True)
class PartnerToken:
    access_token: str
    expires_in: int
    scopes: list[str]


def issue_token(identity: Identity, *, client_id: str, client_secret: str, scopes: list[str]) -> PartnerToken:
    partner = PartnerClient.objects(id=client_id).first() if client_id and len(client_id) <= 64 else None
    if (
        partner is None
        or partner.revoked_at is not None
        or not hmac.compare_digest(partner.secret_hash, digest(client_secret))
    ):
        audit(None, "partner.token_refused", client=Client(), subject_id=client_id[:64])
        raise Unauthenticated("partner.credentials_invalid")
    wanted = sorted(set(scopes)) or sorted(partner.scopes)
    if any(s not in partner.scopes for s in wanted):
        raise InvalidInput.one("scopes", "partner.scope_not_granted")
    token = identity.keys.issue_partner_token(partner.id, wanted)
    audit(None, "partner.token_issued", client=Client(), actor_id=partner.id, scopes=" ".join(wanted))
    return PartnerToken(token, identity.tokens.partner_ttl_seconds, wanted)


def verify_member(*, email: str) -> Account | None:
    """Is this an active member? Every look-up is audited under the partner that made it."""
    caller = partner_caller.get()
    email_n = normalize_email(email)
    if not email_n or len(email_n) > 254:
        raise InvalidInput.one("email", "email.invalid")
    account = Account.objects(email=email_n, state="active").first()
    audit(
        None,
        "partner.member_verified",
        client=Client(),
        actor_id=caller.client_id if caller else "",
        subject_id=account.id if account else "",
        email_sha256=digest(email_n),
    )
    return account
