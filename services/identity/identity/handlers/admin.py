"""What admins do: read accounts, grant and revoke roles, deactivate accounts, read the audit
log, create partner clients and rotate the signing key. Every change is audited."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from identity.domain.roles import ADMIN, MEMBER, partner_client, role_grant, role_of
from identity.handlers.common import (
    Client,
    Identity,
    audit,
    digest,
    end_sessions,
    new_id,
    new_secret,
    require_admin,
)
from identity.store import Account, AuditEvent, PartnerClient
from tandem.identity.v1 import events_pb2
from tandem_kit.errors import FieldCollector, NotFound, Refused
from tandem_kit.events import utcnow
from tandem_kit.storage import UnitOfWork

AUDIT_PAGE_MAX = 100
# The actor recorded for changes made with `python -m identity.bootstrap` on the servers
# themselves: how the first admin comes to be.
OPERATOR = "operator"


def get_account(*, user_id: str, actor_id: str) -> Account:
    """A person reads their own account; an admin reads anyone's."""
    if actor_id and actor_id != user_id:
        require_admin(actor_id)
    account = Account.objects(id=user_id).first() if user_id else None
    if account is None:
        raise NotFound("account.not_found")
    return account


def _change_roles(
    identity: Identity,
    *,
    actor_id: str,
    user_id: str,
    role: str,
    scope: str,
    client: Client,
    change: str,
    decide: Callable[[Account, str], list[str]],
) -> Account:
    if actor_id != OPERATOR:
        require_admin(actor_id)
    grant = role_grant(role, scope, identity.departments)

    def work(uow: UnitOfWork) -> Account:
        account = uow.find_one(Account, {"_id": user_id})
        if account is None:
            raise NotFound("account.not_found")
        roles = decide(account, grant)
        uow.update_one(Account, {"_id": account.id}, {"$set": {"roles": roles}})
        if change == "revoked":
            # Tokens carry roles for their lifetime: end the sessions so the revocation holds now.
            end_sessions(uow, account.id, "role_revoked")
        uow.publish(
            "user.role_changed",
            events_pb2.UserRoleChanged(
                user_id=account.id,
                role=role_of(grant),
                scope=grant.partition(":")[2],
                change=change,
                actor_id=actor_id,
                roles=roles,
            ),
        )
        audit(uow, f"role.{change}", client=client, actor_id=actor_id, subject_id=account.id, role=grant)
        account.roles = roles
        return account

    result: Account = identity.store.run(work)
    return result


def grant_role(identity: Identity, *, actor_id: str, user_id: str, role: str, scope: str, client: Client) -> Account:
    def decide(account: Account, grant: str) -> list[str]:
        if account.state != "active":
            raise Refused("account.not_active")
        return list(account.roles) if grant in account.roles else [*account.roles, grant]

    return _change_roles(
        identity,
        actor_id=actor_id,
        user_id=user_id,
        role=role,
        scope=scope,
        client=client,
        change="granted",
        decide=decide,
    )


def revoke_role(identity: Identity, *, actor_id: str, user_id: str, role: str, scope: str, client: Client) -> Account:
    def decide(account: Account, grant: str) -> list[str]:
        if grant == MEMBER:
            raise Refused("role.member_permanent")
        if grant == ADMIN and account.id == actor_id:
            raise Refused("role.own_admin")
        if grant not in account.roles:
            raise Refused("role.not_held")
        return [r for r in account.roles if r != grant]

    return _change_roles(
        identity,
        actor_id=actor_id,
        user_id=user_id,
        role=role,
        scope=scope,
        client=client,
        change="revoked",
        decide=decide,
    )


def deactivate(identity: Identity, *, actor_id: str, user_id: str, client: Client) -> Account:
    require_admin(actor_id)
    if actor_id == user_id:
        raise Refused("account.deactivate_self")

    def work(uow: UnitOfWork) -> Account:
        account = uow.find_one(Account, {"_id": user_id})
        if account is None:
            raise NotFound("account.not_found")
        if account.state == "deactivated":
            raise Refused("account.not_active")
        uow.update_one(Account, {"_id": user_id}, {"$set": {"state": "deactivated", "deactivated_at": utcnow()}})
        ended = end_sessions(uow, user_id, "deactivated")
        uow.publish("user.deactivated", events_pb2.UserDeactivated(user_id=user_id, actor_id=actor_id))
        audit(uow, "account.deactivated", client=client, actor_id=actor_id, subject_id=user_id, sessions_ended=ended)
        account.state = "deactivated"
        return account

    result: Account = identity.store.run(work)
    return result


def list_audit_events(
    *, actor_id: str, user_id: str, event_type: str, page_size: int, page_token: str
) -> tuple[list[AuditEvent], str]:
    require_admin(actor_id)
    errors = FieldCollector()
    size = page_size or 50
    if not 1 <= size <= AUDIT_PAGE_MAX:
        errors.add("page_size", "page.size_range", max=AUDIT_PAGE_MAX)
    offset = 0
    if page_token:
        if not page_token.isdigit() or len(page_token) > 9:
            errors.add("page_token", "page.token_invalid")
        else:
            offset = int(page_token)
    if len(user_id) > 64:
        errors.add("user_id", "field.too_long", max=64)
    if len(event_type) > 64:
        errors.add("type", "field.too_long", max=64)
    errors.raise_if_any()
    query = AuditEvent.objects
    if user_id:
        query = query.filter(__raw__={"$or": [{"subject_id": user_id}, {"actor_id": user_id}]})
    if event_type:
        query = query.filter(type=event_type)
    items = list(query.order_by("-at", "-id").skip(offset).limit(size + 1))
    return items[:size], str(offset + size) if len(items) > size else ""


@dataclass(frozen=True)
class NewPartnerClient:
    client_id: str
    client_secret: str
    scopes: list[str]


def create_partner_client(
    identity: Identity, *, actor_id: str, name: str, scopes: list[str], client: Client
) -> NewPartnerClient:
    require_admin(actor_id)
    name_n, wanted = partner_client(name, scopes)
    client_id = f"pc_{new_id()}"
    secret = new_secret()

    def work(uow: UnitOfWork) -> None:
        uow.insert(
            PartnerClient(
                id=client_id,
                name=name_n,
                secret_hash=digest(secret),
                scopes=wanted,
                created_by=actor_id,
                created_at=utcnow(),
            )
        )
        audit(
            uow,
            "partner_client.created",
            client=client,
            actor_id=actor_id,
            subject_id=client_id,
            scopes=" ".join(wanted),
        )

    identity.store.run(work)
    return NewPartnerClient(client_id, secret, wanted)


def rotate_signing_key(identity: Identity, *, actor_id: str, client: Client) -> str:
    require_admin(actor_id)
    kid = identity.keys.rotate()
    audit(None, "signing_key.rotated", client=client, actor_id=actor_id, kid=kid)
    return kid
