"""Administration (identity): accounts, roles, deactivation, the audit log, partner clients
and the signing key. Admins only; identity checks the actor is an admin too."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from tandem.common.v1 import common_pb2
from tandem.identity.v1 import identity_pb2 as pb
from tandem_gateway import schemas as s
from tandem_gateway.routes.accounts import AccountOut, account_out, client_info
from tandem_gateway.routes.common import Member, PathId, access, call_options, services

router = APIRouter(prefix="/v1/admin")

ADMIN = access("admin")


class RoleIn(s.Body):
    role: str = Field(max_length=40, description="coordinator, departmental_lead, agency_caseworker or admin.")
    scope: str = Field(default="", max_length=64, description="The program, department code or agency the role is for.")


class AuditEventOut(BaseModel):
    id: str
    at: datetime
    type: str
    actor_id: str
    subject_id: str
    detail: dict[str, str]
    ip: str
    user_agent: str


class AuditEventsOut(BaseModel):
    events: list[AuditEventOut]
    next_page_token: str


class PartnerClientIn(s.Body):
    name: str = Field(max_length=100)
    scopes: list[Annotated[str, Field(max_length=40)]] = Field(max_length=20)


class PartnerClientOut(BaseModel):
    client_id: str
    client_secret: str = Field(description="Shown once: store it now.")
    scopes: list[str]


class SigningKeyOut(BaseModel):
    kid: str


@router.get("/accounts/{user_id}", response_model=AccountOut, tags=["admin"], openapi_extra=ADMIN)
async def account(user_id: PathId, user: Member, request: Request) -> AccountOut:
    resp = await services(request).identity.GetAccount(
        pb.GetAccountRequest(user_id=user_id, actor_id=user.user_id), **call_options(request)
    )
    return account_out(resp)


@router.post("/accounts/{user_id}/roles", response_model=AccountOut, tags=["admin"], openapi_extra=ADMIN)
async def grant_role(user_id: PathId, body: RoleIn, user: Member, request: Request) -> AccountOut:
    """Grant a role (audited). Staff roles take effect once the person signs in with TOTP."""
    resp = await services(request).identity.GrantRole(
        pb.ChangeRoleRequest(
            actor_id=user.user_id, user_id=user_id, role=body.role, scope=body.scope, client=client_info(request)
        ),
        **call_options(request),
    )
    return account_out(resp)


@router.post("/accounts/{user_id}/roles/revoke", response_model=AccountOut, tags=["admin"], openapi_extra=ADMIN)
async def revoke_role(user_id: PathId, body: RoleIn, user: Member, request: Request) -> AccountOut:
    """Revoke a role (audited); the person's sessions end so it holds at once."""
    resp = await services(request).identity.RevokeRole(
        pb.ChangeRoleRequest(
            actor_id=user.user_id, user_id=user_id, role=body.role, scope=body.scope, client=client_info(request)
        ),
        **call_options(request),
    )
    return account_out(resp)


@router.post("/accounts/{user_id}/deactivate", response_model=AccountOut, tags=["admin"], openapi_extra=ADMIN)
async def deactivate(user_id: PathId, user: Member, request: Request) -> AccountOut:
    """Deactivate an account: it can't sign in, and its sessions end."""
    resp = await services(request).identity.DeactivateAccount(
        pb.DeactivateAccountRequest(actor_id=user.user_id, user_id=user_id, client=client_info(request)),
        **call_options(request),
    )
    return account_out(resp)


@router.get("/audit-events", response_model=AuditEventsOut, tags=["admin"], openapi_extra=ADMIN)
async def audit_events(
    user: Member,
    request: Request,
    user_id: Annotated[str, Query(max_length=64, pattern=r"^[A-Za-z0-9_-]*$")] = "",
    type: Annotated[str, Query(max_length=64, pattern=r"^[a-z_.]*$")] = "",
    page_size: Annotated[int, Query(ge=1, le=100)] = 50,
    page_token: Annotated[str, Query(max_length=9, pattern=r"^[0-9]*$")] = "",
) -> AuditEventsOut:
    """Security events, newest first, optionally about one person and/or of one type."""
    resp = await services(request).identity.ListAuditEvents(
        pb.ListAuditEventsRequest(
            actor_id=user.user_id,
            user_id=user_id,
            type=type,
            page=common_pb2.PageRequest(page_size=page_size, page_token=page_token),
        ),
        **call_options(request),
    )
    return AuditEventsOut(
        events=[
            AuditEventOut(
                id=e.id,
                at=e.at.ToDatetime(tzinfo=UTC),
                type=e.type,
                actor_id=e.actor_id,
                subject_id=e.subject_id,
                detail=dict(e.detail),
                ip=e.ip,
                user_agent=e.user_agent,
            )
            for e in resp.events
        ],
        next_page_token=resp.next_page_token,
    )


@router.post("/partner-clients", status_code=201, response_model=PartnerClientOut, tags=["admin"], openapi_extra=ADMIN)
async def create_partner_client(body: PartnerClientIn, user: Member, request: Request) -> PartnerClientOut:
    """A service account for a partner's system, with scopes for the partner gRPC API."""
    resp = await services(request).identity.CreatePartnerClient(
        pb.CreatePartnerClientRequest(
            actor_id=user.user_id, name=body.name, scopes=body.scopes, client=client_info(request)
        ),
        **call_options(request),
    )
    return PartnerClientOut(client_id=resp.client_id, client_secret=resp.client_secret, scopes=list(resp.scopes))


@router.post("/signing-keys/rotate", response_model=SigningKeyOut, tags=["admin"], openapi_extra=ADMIN)
async def rotate_signing_key(user: Member, request: Request) -> SigningKeyOut:
    """Sign tokens with a new key from now on; the old key verifies until its tokens expire."""
    resp = await services(request).identity.RotateSigningKey(
        pb.RotateSigningKeyRequest(actor_id=user.user_id, client=client_info(request)), **call_options(request)
    )
    return SigningKeyOut(kid=resp.kid)
