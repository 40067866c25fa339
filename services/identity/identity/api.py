"""Identity's gRPC api: convert, call a handler, convert back."""

from __future__ import annotations

from pathlib import Path

import grpc

from identity.config import TokenConfig
from identity.domain.reference import Department
from identity.handlers import admin, credentials, partners, registration, sessions
from identity.handlers.common import Client, Identity
from identity.partner import PARTNER_METHODS, SERVICE
from identity.store import DOCUMENTS, Account, AuditEvent
from identity.tokens import KeyRing
from tandem.common.v1 import common_pb2
from tandem.identity.v1 import identity_pb2 as pb
from tandem.identity.v1 import identity_pb2_grpc as pb_grpc
from tandem_kit.auth import ScopeInterceptor, TokenVerifier
from tandem_kit.config import ServiceConfig
from tandem_kit.grpc_server import ApiServer, Servicer
from tandem_kit.i18n import Catalog
from tandem_kit.storage import Store

CATALOG = Catalog.load(Path(__file__).with_name("messages.yaml"))


def _client(info: pb.ClientInfo) -> Client:
    return Client(ip=info.ip, user_agent=info.user_agent)


def _department(d: Department) -> pb.Department:
    return pb.Department(code=d.code, name=common_pb2.LocalizedText(en=d.en, fr=d.fr))


def _signed_in(result: sessions.SignedIn) -> pb.SignInResponse:
    return pb.SignInResponse(
        access_token=result.access_token,
        token_type="Bearer",
        expires_in=result.expires_in,
        user_id=result.user_id,
        refresh_token=result.refresh_token,
        refresh_expires_in=result.refresh_expires_in,
        totp_enrollment_required=result.totp_enrollment_required,
    )


class IdentityApi(pb_grpc.IdentityServiceServicer):
    def __init__(self, identity: Identity):
        self.identity = identity

    def account(self, account: Account) -> pb.Account:
        department = self.identity.departments.get(account.department)
        response = pb.Account(
            user_id=account.id,
            email=account.email,
            username=account.username,
            display_name=account.display_name,
            language=account.language,
            department=account.department,
            platform=account.platform,
            state=account.state,
            roles=list(account.roles),
            totp_enabled=account.totp_enabled,
            terms_version=account.terms_version,
        )
        if department is not None:
            response.department_name.CopyFrom(common_pb2.LocalizedText(en=department.en, fr=department.fr))
        response.created_at.FromDatetime(account.created_at)
        return response

    # --- registration ---------------------------------------------------------------------------
    def Register(self, request: pb.RegisterRequest, context: grpc.ServicerContext) -> pb.RegisterResponse:
        result = registration.register(
            self.identity,
            email=request.email,
            email_confirmation=request.email_confirmation,
            password=request.password,
            password_confirmation=request.password_confirmation,
            display_name=request.display_name,
            language=request.language,
            department=request.department,
            platform=request.platform,
            accepted_terms_version=request.accepted_terms_version,
            client=_client(request.client),
        )
        return pb.RegisterResponse(username=result.username, email=result.email)

    def ConfirmEmail(self, request: pb.ConfirmEmailRequest, context: grpc.ServicerContext) -> pb.ConfirmEmailResponse:
        result = registration.confirm_email(self.identity, token=request.token, client=_client(request.client))
        return pb.ConfirmEmailResponse(user_id=result.user_id, username=result.username)

    def ResendConfirmation(self, request: pb.ResendConfirmationRequest, context: grpc.ServicerContext) -> pb.Accepted:
        registration.resend_confirmation(self.identity, email=request.email, client=_client(request.client))
        return pb.Accepted()

    def GetRegistrationOptions(
        self, request: pb.GetRegistrationOptionsRequest, context: grpc.ServicerContext
    ) -> pb.RegistrationOptions:
        terms = self.identity.terms
        return pb.RegistrationOptions(
            terms_version=terms.version,
            terms_url=common_pb2.LocalizedText(en=terms.url_en, fr=terms.url_fr),
            departments=[_department(d) for d in self.identity.departments.all],
            government_email_domains=list(self.identity.government.domains),
        )

    # --- sessions -------------------------------------------------------------------------------
    def SignIn(self, request: pb.SignInRequest, context: grpc.ServicerContext) -> pb.SignInResponse:
        return _signed_in(
            sessions.sign_in(
                self.identity,
                email=request.email,
                password=request.password,
                totp_code=request.totp_code,
                client=_client(request.client),
            )
        )

    def Refresh(self, request: pb.RefreshRequest, context: grpc.ServicerContext) -> pb.SignInResponse:
        return _signed_in(
            sessions.refresh(self.identity, refresh_token=request.refresh_token, client=_client(request.client))
        )

    def SignOut(self, request: pb.SignOutRequest, context: grpc.ServicerContext) -> pb.SignOutResponse:
        ended = sessions.sign_out(
            self.identity,
            actor_id=request.actor_id,
            session_id=request.session_id,
            everywhere=request.everywhere,
            client=_client(request.client),
        )
        return pb.SignOutResponse(sessions_ended=ended)

    def CheckSession(self, request: pb.CheckSessionRequest, context: grpc.ServicerContext) -> pb.CheckSessionResponse:
        active, user_id = sessions.check_session(request.session_id)
        return pb.CheckSessionResponse(active=active, user_id=user_id)

    def GetPublicKeys(
        self, request: pb.GetPublicKeysRequest, context: grpc.ServicerContext
    ) -> pb.GetPublicKeysResponse:
        return pb.GetPublicKeysResponse(jwks_json=self.identity.keys.jwks())

    # --- credentials ----------------------------------------------------------------------------
    def ChangePassword(
        self, request: pb.ChangePasswordRequest, context: grpc.ServicerContext
    ) -> pb.ChangePasswordResponse:
        ended = credentials.change_password(
            self.identity,
            actor_id=request.actor_id,
            session_id=request.session_id,
            current_password=request.current_password,
            new_password=request.new_password,
            new_password_confirmation=request.new_password_confirmation,
            client=_client(request.client),
        )
        return pb.ChangePasswordResponse(sessions_ended=ended)

    def RequestPasswordReset(
        self, request: pb.RequestPasswordResetRequest, context: grpc.ServicerContext
    ) -> pb.Accepted:
        credentials.request_password_reset(self.identity, email=request.email, client=_client(request.client))
        return pb.Accepted()

    def ResetPassword(
        self, request: pb.ResetPasswordRequest, context: grpc.ServicerContext
    ) -> pb.ResetPasswordResponse:
        ended = credentials.reset_password(
            self.identity,
            token=request.token,
            new_password=request.new_password,
            new_password_confirmation=request.new_password_confirmation,
            client=_client(request.client),
        )
        return pb.ResetPasswordResponse(sessions_ended=ended)

    def BeginTotpEnrollment(
        self, request: pb.BeginTotpEnrollmentRequest, context: grpc.ServicerContext
    ) -> pb.TotpEnrollment:
        result = credentials.begin_totp(self.identity, actor_id=request.actor_id, client=_client(request.client))
        return pb.TotpEnrollment(secret=result.secret, provisioning_uri=result.provisioning_uri)

    def ConfirmTotpEnrollment(
        self, request: pb.ConfirmTotpEnrollmentRequest, context: grpc.ServicerContext
    ) -> pb.Account:
        return self.account(
            credentials.confirm_totp(
                self.identity, actor_id=request.actor_id, code=request.code, client=_client(request.client)
            )
        )

    def DisableTotp(self, request: pb.DisableTotpRequest, context: grpc.ServicerContext) -> pb.Account:
        return self.account(
            credentials.disable_totp(
                self.identity,
                actor_id=request.actor_id,
                password=request.password,
                code=request.code,
                client=_client(request.client),
            )
        )

    # --- administration -------------------------------------------------------------------------
    def GetAccount(self, request: pb.GetAccountRequest, context: grpc.ServicerContext) -> pb.Account:
        return self.account(admin.get_account(user_id=request.user_id, actor_id=request.actor_id))

    def GrantRole(self, request: pb.ChangeRoleRequest, context: grpc.ServicerContext) -> pb.Account:
        return self.account(
            admin.grant_role(
                self.identity,
                actor_id=request.actor_id,
                user_id=request.user_id,
                role=request.role,
                scope=request.scope,
                client=_client(request.client),
            )
        )

    def RevokeRole(self, request: pb.ChangeRoleRequest, context: grpc.ServicerContext) -> pb.Account:
        return self.account(
            admin.revoke_role(
                self.identity,
                actor_id=request.actor_id,
                user_id=request.user_id,
                role=request.role,
                scope=request.scope,
                client=_client(request.client),
            )
        )

    def DeactivateAccount(self, request: pb.DeactivateAccountRequest, context: grpc.ServicerContext) -> pb.Account:
        return self.account(
            admin.deactivate(
                self.identity, actor_id=request.actor_id, user_id=request.user_id, client=_client(request.client)
            )
        )

    def ListAuditEvents(
        self, request: pb.ListAuditEventsRequest, context: grpc.ServicerContext
    ) -> pb.ListAuditEventsResponse:
        events, next_token = admin.list_audit_events(
            actor_id=request.actor_id,
            user_id=request.user_id,
            event_type=request.type,
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        return pb.ListAuditEventsResponse(events=[_audit_event(e) for e in events], next_page_token=next_token)

    def CreatePartnerClient(
        self, request: pb.CreatePartnerClientRequest, context: grpc.ServicerContext
    ) -> pb.CreatePartnerClientResponse:
        result = admin.create_partner_client(
            self.identity,
            actor_id=request.actor_id,
            name=request.name,
            scopes=list(request.scopes),
            client=_client(request.client),
        )
        return pb.CreatePartnerClientResponse(
            client_id=result.client_id, client_secret=result.client_secret, scopes=result.scopes
        )

    def RotateSigningKey(
        self, request: pb.RotateSigningKeyRequest, context: grpc.ServicerContext
    ) -> pb.RotateSigningKeyResponse:
        kid = admin.rotate_signing_key(self.identity, actor_id=request.actor_id, client=_client(request.client))
        return pb.RotateSigningKeyResponse(kid=kid)


def _audit_event(e: AuditEvent) -> pb.AuditEvent:
    message = pb.AuditEvent(
        id=e.id,
        type=e.type,
        actor_id=e.actor_id,
        subject_id=e.subject_id,
        detail=dict(e.detail),
        ip=e.ip,
        user_agent=e.user_agent,
    )
    message.at.FromDatetime(e.at)
    return message


class IdentityPartnerApi(pb_grpc.IdentityPartnerServiceServicer):
    def __init__(self, identity: Identity):
        self.identity = identity

    def IssueToken(self, request: pb.IssueTokenRequest, context: grpc.ServicerContext) -> pb.IssueTokenResponse:
        result = partners.issue_token(
            self.identity, client_id=request.client_id, client_secret=request.client_secret, scopes=list(request.scopes)
        )
        return pb.IssueTokenResponse(
            access_token=result.access_token, token_type="Bearer", expires_in=result.expires_in, scopes=result.scopes
        )

    def ListDepartments(
        self, request: pb.ListDepartmentsRequest, context: grpc.ServicerContext
    ) -> pb.ListDepartmentsResponse:
        return pb.ListDepartmentsResponse(departments=[_department(d) for d in self.identity.departments.all])

    def VerifyMember(self, request: pb.VerifyMemberRequest, context: grpc.ServicerContext) -> pb.VerifyMemberResponse:
        account = partners.verify_member(email=request.email)
        return pb.VerifyMemberResponse(
            active_member=account is not None, department=account.department if account else ""
        )


def build_server(config: ServiceConfig) -> ApiServer:
    store = Store.open(config, DOCUMENTS)
    tokens = TokenConfig.from_env()
    keys = KeyRing(tokens)
    identity = Identity(store, keys, tokens=tokens)
    partner_tokens = TokenVerifier(
        keys.jwks, issuer=tokens.issuer, audience=tokens.partner_audience, token_type="partner"
    )
    access_tokens = TokenVerifier(keys.jwks, issuer=tokens.issuer, audience=tokens.audience, token_type="access")
    return ApiServer(
        config,
        CATALOG,
        [
            Servicer(
                pb_grpc.add_IdentityServiceServicer_to_server,
                IdentityApi(identity),
                pb.DESCRIPTOR.services_by_name["IdentityService"],
            ),
            Servicer(
                pb_grpc.add_IdentityPartnerServiceServicer_to_server,
                IdentityPartnerApi(identity),
                pb.DESCRIPTOR.services_by_name["IdentityPartnerService"],
            ),
        ],
        # Sign-ins wait for a hashing slot on their api thread; at most HashingConfig.max_waiting
        # (100) do, so a burst of them leaves threads for everything else (session checks, keys).
        max_workers=128,
        interceptors=[ScopeInterceptor(partner_tokens, [SERVICE], PARTNER_METHODS)],
        access_tokens=access_tokens,
    )
