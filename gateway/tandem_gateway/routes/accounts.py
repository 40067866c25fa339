"""Accounts, sign-in and sessions, passwords and the second factor (identity).

Answers that could tell whether an email has an account are the same either way: registering
an email already taken looks like success (the owner gets an email instead), and so do asking
for a password reset or a new confirmation link.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from tandem.identity.v1 import identity_pb2 as pb
from tandem_gateway import schemas as s
from tandem_gateway.problems import CATALOG, request_language
from tandem_gateway.routes.common import Member, access, call_options, services

router = APIRouter(prefix="/v1")

Password = Annotated[str, Field(max_length=256)]
Email = Annotated[str, Field(max_length=254)]
LinkToken = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]
TotpCode = Annotated[str, Field(max_length=10)]


# --- bodies -------------------------------------------------------------------------------------


class RegisterIn(s.Body):
    platform: str = Field(default="internal", max_length=10, description="internal or external.")
    email: Email
    email_confirmation: Email
    password: Password
    password_confirmation: Password
    display_name: str = Field(max_length=100, description="First and last name, as known at work.")
    language: str = Field(default="en", max_length=5)
    department: str = Field(default="", max_length=40, description="A code from GET /v1/departments.")
    accepted_terms_version: str = Field(default="", max_length=20, description="From GET /v1/terms.")


class RegisterOut(BaseModel):
    username: str = Field(description="Generated from the display name; the person signs in with their email.")
    email: str
    message: str = Field(description="What happens next, in the request's language.")


class ConfirmEmailIn(s.Body):
    token: LinkToken


class ConfirmEmailOut(BaseModel):
    user_id: str
    username: str


class EmailIn(s.Body):
    email: Email


class AcceptedOut(BaseModel):
    message: str


class SignInIn(s.Body):
    email: Email
    password: Password
    totp_code: TotpCode = ""


class RefreshIn(s.Body):
    refresh_token: str = Field(max_length=200)


class TokenOut(BaseModel):
    access_token: str
    token_type: str
    expires_in: int
    user_id: str
    refresh_token: str
    refresh_expires_in: int
    totp_enrollment_required: bool


class SignOutIn(s.Body):
    everywhere: bool = False


class SessionsEndedOut(BaseModel):
    sessions_ended: int


class ChangePasswordIn(s.Body):
    current_password: Password
    new_password: Password
    new_password_confirmation: Password


class ResetPasswordIn(s.Body):
    token: LinkToken
    new_password: Password
    new_password_confirmation: Password


class TotpEnrollmentOut(BaseModel):
    secret: str
    provisioning_uri: str


class TotpCodeIn(s.Body):
    code: TotpCode


class DisableTotpIn(s.Body):
    password: Password
    code: TotpCode


class AccountOut(BaseModel):
    user_id: str
    email: str
    username: str
    display_name: str
    language: str
    platform: str
    state: str
    department: str
    department_name: s.LocalizedText | None
    roles: list[str]
    totp_enabled: bool
    terms_version: str
    created_at: datetime


class DepartmentOut(BaseModel):
    code: str
    name: s.LocalizedText


class TermsOut(BaseModel):
    version: str
    url: s.LocalizedText


# --- conversions --------------------------------------------------------------------------------


def client_info(request: Request) -> pb.ClientInfo:
    """For identity's audit log. The address is the one this gateway sees (behind a proxy, the
    proxy's); nothing is decided on it, throttling least of all."""
    host = request.client.host if request.client else ""
    return pb.ClientInfo(ip=host, user_agent=request.headers.get("user-agent", "")[:200])


def account_out(a: pb.Account) -> AccountOut:
    return AccountOut(
        user_id=a.user_id,
        email=a.email,
        username=a.username,
        display_name=a.display_name,
        language=a.language,
        platform=a.platform,
        state=a.state,
        department=a.department,
        department_name=s.LocalizedText(en=a.department_name.en, fr=a.department_name.fr)
        if a.HasField("department_name")
        else None,
        roles=list(a.roles),
        totp_enabled=a.totp_enabled,
        terms_version=a.terms_version,
        created_at=a.created_at.ToDatetime(tzinfo=UTC),
    )


def _token_out(r: pb.SignInResponse) -> TokenOut:
    return TokenOut(
        access_token=r.access_token,
        token_type=r.token_type,
        expires_in=r.expires_in,
        user_id=r.user_id,
        refresh_token=r.refresh_token,
        refresh_expires_in=r.refresh_expires_in,
        totp_enrollment_required=r.totp_enrollment_required,
    )


def _said(request: Request, code: str) -> str:
    return CATALOG.render(code, request_language(request))


# --- registration -------------------------------------------------------------------------------


@router.post(
    "/accounts", status_code=201, response_model=RegisterOut, tags=["accounts"], openapi_extra=access("public")
)
async def register(body: RegisterIn, request: Request) -> RegisterOut:
    """Register on the internal (Government of Canada email) or external platform. A link to
    confirm the email address is sent to it; the account works once it is confirmed."""
    resp = await services(request).identity.Register(
        pb.RegisterRequest(
            platform=body.platform,
            email=body.email,
            email_confirmation=body.email_confirmation,
            password=body.password,
            password_confirmation=body.password_confirmation,
            display_name=body.display_name,
            language=body.language,
            department=body.department,
            accepted_terms_version=body.accepted_terms_version,
            client=client_info(request),
        ),
        **call_options(request),
    )
    return RegisterOut(username=resp.username, email=resp.email, message=_said(request, "accounts.check_email"))


@router.post("/accounts/confirm", response_model=ConfirmEmailOut, tags=["accounts"], openapi_extra=access("public"))
async def confirm_email(body: ConfirmEmailIn, request: Request) -> ConfirmEmailOut:
    """Activate an account with the link emailed at registration (single use, expires)."""
    resp = await services(request).identity.ConfirmEmail(
        pb.ConfirmEmailRequest(token=body.token, client=client_info(request)), **call_options(request)
    )
    return ConfirmEmailOut(user_id=resp.user_id, username=resp.username)


@router.post(
    "/accounts/confirmation-email",
    status_code=202,
    response_model=AcceptedOut,
    tags=["accounts"],
    openapi_extra=access("public"),
)
async def resend_confirmation(body: EmailIn, request: Request) -> AcceptedOut:
    """Send the confirmation link again (throttled per address)."""
    await services(request).identity.ResendConfirmation(
        pb.ResendConfirmationRequest(email=body.email, client=client_info(request)), **call_options(request)
    )
    return AcceptedOut(message=_said(request, "accounts.link_sent"))


@router.get("/departments", response_model=list[DepartmentOut], tags=["accounts"], openapi_extra=access("public"))
async def departments(request: Request) -> list[DepartmentOut]:
    """Federal departments and agencies, for the registration form: a stable code, both names."""
    resp = await services(request).identity.GetRegistrationOptions(
        pb.GetRegistrationOptionsRequest(), **call_options(request)
    )
    return [DepartmentOut(code=d.code, name=s.LocalizedText(en=d.name.en, fr=d.name.fr)) for d in resp.departments]


@router.get("/terms", response_model=TermsOut, tags=["accounts"], openapi_extra=access("public"))
async def terms(request: Request) -> TermsOut:
    """The current terms and conditions: registration records the version accepted."""
    resp = await services(request).identity.GetRegistrationOptions(
        pb.GetRegistrationOptionsRequest(), **call_options(request)
    )
    return TermsOut(version=resp.terms_version, url=s.LocalizedText(en=resp.terms_url.en, fr=resp.terms_url.fr))


# --- sign-in and sessions -----------------------------------------------------------------------


@router.post("/auth/token", response_model=TokenOut, tags=["accounts"], openapi_extra=access("public"))
async def sign_in(body: SignInIn, request: Request) -> TokenOut:
    """Sign in with email and password (and the TOTP code, when the account has one). Failed
    attempts are throttled per account, with a growing delay (429 with Retry-After)."""
    resp = await services(request).identity.SignIn(
        pb.SignInRequest(
            email=body.email, password=body.password, totp_code=body.totp_code, client=client_info(request)
        ),
        **call_options(request),
    )
    return _token_out(resp)


@router.post("/auth/refresh", response_model=TokenOut, tags=["accounts"], openapi_extra=access("public"))
async def refresh(body: RefreshIn, request: Request) -> TokenOut:
    """A new access token and a new refresh token; the one sent stops working. Sending a refresh
    token a second time ends the session."""
    resp = await services(request).identity.Refresh(
        pb.RefreshRequest(refresh_token=body.refresh_token, client=client_info(request)), **call_options(request)
    )
    return _token_out(resp)


@router.post("/auth/logout", response_model=SessionsEndedOut, tags=["accounts"], openapi_extra=access("member"))
async def sign_out(body: SignOutIn, user: Member, request: Request) -> SessionsEndedOut:
    """End this session (or every session of the person): their tokens stop working."""
    resp = await services(request).identity.SignOut(
        pb.SignOutRequest(
            actor_id=user.user_id,
            session_id=user.session_id,
            everywhere=body.everywhere,
            client=client_info(request),
        ),
        **call_options(request),
    )
    request.app.state.verifier.forget_session(user.session_id)
    return SessionsEndedOut(sessions_ended=resp.sessions_ended)


@router.get("/auth/jwks", tags=["accounts"], openapi_extra=access("public"))
async def jwks(request: Request) -> Response:
    """The public keys that verify Tandem's tokens (RFC 7517), for services and partners."""
    resp = await services(request).identity.GetPublicKeys(pb.GetPublicKeysRequest(), **call_options(request))
    return Response(resp.jwks_json, media_type="application/jwk-set+json")


# --- passwords ----------------------------------------------------------------------------------


@router.post(
    "/auth/password-reset",
    status_code=202,
    response_model=AcceptedOut,
    tags=["accounts"],
    openapi_extra=access("public"),
)
async def request_password_reset(body: EmailIn, request: Request) -> AcceptedOut:
    """Email a single-use link to set a new password, if the address has an account."""
    await services(request).identity.RequestPasswordReset(
        pb.RequestPasswordResetRequest(email=body.email, client=client_info(request)), **call_options(request)
    )
    return AcceptedOut(message=_said(request, "accounts.link_sent"))


@router.post(
    "/auth/password-reset/complete",
    response_model=SessionsEndedOut,
    tags=["accounts"],
    openapi_extra=access("public"),
)
async def reset_password(body: ResetPasswordIn, request: Request) -> SessionsEndedOut:
    """Set a new password with the emailed link. Every session of the account ends."""
    resp = await services(request).identity.ResetPassword(
        pb.ResetPasswordRequest(
            token=body.token,
            new_password=body.new_password,
            new_password_confirmation=body.new_password_confirmation,
            client=client_info(request),
        ),
        **call_options(request),
    )
    return SessionsEndedOut(sessions_ended=resp.sessions_ended)


# --- me -----------------------------------------------------------------------------------------


@router.get("/me", response_model=AccountOut, tags=["accounts"], openapi_extra=access("member"))
async def me(user: Member, request: Request) -> AccountOut:
    a = await services(request).identity.GetAccount(pb.GetAccountRequest(user_id=user.user_id), **call_options(request))
    return account_out(a)


@router.post("/me/password", response_model=SessionsEndedOut, tags=["accounts"], openapi_extra=access("member"))
async def change_password(body: ChangePasswordIn, user: Member, request: Request) -> SessionsEndedOut:
    """Change the password; every other session of the person ends."""
    resp = await services(request).identity.ChangePassword(
        pb.ChangePasswordRequest(
            actor_id=user.user_id,
            session_id=user.session_id,
            current_password=body.current_password,
            new_password=body.new_password,
            new_password_confirmation=body.new_password_confirmation,
            client=client_info(request),
        ),
        **call_options(request),
    )
    return SessionsEndedOut(sessions_ended=resp.sessions_ended)


@router.post("/me/totp", response_model=TotpEnrollmentOut, tags=["accounts"], openapi_extra=access("member"))
async def begin_totp(user: Member, request: Request) -> TotpEnrollmentOut:
    """Start setting up two-step verification: a secret for an authenticator app."""
    resp = await services(request).identity.BeginTotpEnrollment(
        pb.BeginTotpEnrollmentRequest(actor_id=user.user_id, client=client_info(request)), **call_options(request)
    )
    return TotpEnrollmentOut(secret=resp.secret, provisioning_uri=resp.provisioning_uri)


@router.post("/me/totp/confirm", response_model=AccountOut, tags=["accounts"], openapi_extra=access("member"))
async def confirm_totp(body: TotpCodeIn, user: Member, request: Request) -> AccountOut:
    """Finish setting up two-step verification with a code from the app."""
    resp = await services(request).identity.ConfirmTotpEnrollment(
        pb.ConfirmTotpEnrollmentRequest(actor_id=user.user_id, code=body.code, client=client_info(request)),
        **call_options(request),
    )
    return account_out(resp)


@router.post("/me/totp/disable", response_model=AccountOut, tags=["accounts"], openapi_extra=access("member"))
async def disable_totp(body: DisableTotpIn, user: Member, request: Request) -> AccountOut:
    """Turn two-step verification off (not for staff roles, which require it)."""
    resp = await services(request).identity.DisableTotp(
        pb.DisableTotpRequest(
            actor_id=user.user_id, password=body.password, code=body.code, client=client_info(request)
        ),
        **call_options(request),
    )
    return account_out(resp)
