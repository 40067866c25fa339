"""Accounts and sign-in (identity)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from tandem.identity.v1 import identity_pb2
from tandem_gateway import schemas as s
from tandem_gateway.routes.common import Member, access, call_options, services

router = APIRouter(prefix="/v1")


@router.post(
    "/accounts", status_code=201, response_model=s.RegisterOut, tags=["accounts"], openapi_extra=access("public")
)
async def register(body: s.RegisterIn, request: Request) -> s.RegisterOut:
    resp = await services(request).identity.Register(
        identity_pb2.RegisterRequest(
            email=body.email,
            password=body.password,
            display_name=body.display_name,
            language=body.language,
            department=body.department,
        ),
        **call_options(request),
    )
    return s.RegisterOut(user_id=resp.user_id, username=resp.username)


@router.post("/auth/token", response_model=s.TokenOut, tags=["accounts"], openapi_extra=access("public"))
async def sign_in(body: s.SignInIn, request: Request) -> s.TokenOut:
    resp = await services(request).identity.SignIn(
        identity_pb2.SignInRequest(email=body.email, password=body.password), **call_options(request)
    )
    return s.TokenOut(
        access_token=resp.access_token, token_type=resp.token_type, expires_in=resp.expires_in, user_id=resp.user_id
    )


@router.get("/me", response_model=s.AccountOut, tags=["accounts"], openapi_extra=access("member"))
async def me(user: Member, request: Request) -> s.AccountOut:
    a = await services(request).identity.GetAccount(
        identity_pb2.GetAccountRequest(user_id=user.user_id), **call_options(request)
    )
    return s.AccountOut(
        user_id=a.user_id,
        email=a.email,
        username=a.username,
        display_name=a.display_name,
        language=a.language,
        department=a.department,
    )
