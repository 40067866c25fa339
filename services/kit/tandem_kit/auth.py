"""Verifying Tandem tokens inside a service, and the partner gRPC surface's authorization.

Tokens are EdDSA JWTs signed by identity and checked against its published keys (JWKS): an
algorithm allow-list (so `none` and HS256-with-the-public-key tricks fail), with issuer,
audience, expiry and token type all required.

`ScopeInterceptor` guards the methods of partner-facing gRPC services: every method declares the
scope it needs (deny by default: a method nobody declared refuses everyone), the caller presents
`authorization: Bearer <partner token>`, and a token without the scope is refused with
PERMISSION_DENIED before the method runs. Methods of other services pass through untouched.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import grpc
import jwt

from tandem_kit.errors import Forbidden, Unauthenticated

ALGORITHMS = ["EdDSA"]
# A flood of tokens with made-up key ids must not become a flood of key fetches: at most one a
# second. A token signed by a key published since the last fetch waits out the rest of that
# second once, so a rotation never refuses good tokens.
REFRESH_MIN_INTERVAL = 1.0
# Keys are fetched again this often anyway, so a retired key stops verifying.
KEYS_MAX_AGE = 300.0


class InvalidToken(Exception):
    pass


class TokenVerifier:
    """Thread-safe; `jwks` returns the JWKS JSON (from identity's GetPublicKeys, or its key ring)."""

    def __init__(self, jwks: Callable[[], str], *, issuer: str, audience: str, token_type: str):
        self._jwks = jwks
        self.issuer = issuer
        self.audience = audience
        self.token_type = token_type
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    def _refresh(self, *, force: bool) -> None:
        # Known keys never wait behind a fetch for an unknown one.
        if self._keys and not force and time.monotonic() - self._fetched_at < KEYS_MAX_AGE:
            return
        with self._lock:
            age = time.monotonic() - self._fetched_at
            if self._keys and not force and age < KEYS_MAX_AGE:
                return
            if self._keys and age < REFRESH_MIN_INTERVAL:
                time.sleep(REFRESH_MIN_INTERVAL - age)
            keys = jwt.PyJWKSet.from_json(self._jwks()).keys
            self._keys = {k.key_id: k for k in keys if k.key_id}
            self._fetched_at = time.monotonic()

    def verify(self, token: str) -> dict[str, Any]:
        kid = key_id(token)
        self._refresh(force=kid not in self._keys)
        return decode(
            token, self._keys.get(kid), issuer=self.issuer, audience=self.audience, token_type=self.token_type
        )


def key_id(token: str) -> str:
    """The `kid` of a token's header, unverified: which published key to check it with."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError as exc:
        raise InvalidToken("malformed token") from exc
    if not isinstance(kid, str) or not kid:
        raise InvalidToken("no key id")
    return kid


def decode(token: str, key: jwt.PyJWK | None, *, issuer: str, audience: str, token_type: str) -> dict[str, Any]:
    """Verify a token with the published key it names, and return its claims."""
    if key is None:
        raise InvalidToken("unknown key id")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key.key,
            algorithms=ALGORITHMS,
            audience=audience,
            issuer=issuer,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    if claims.get("typ") != token_type:
        raise InvalidToken("wrong token type")
    return claims


@dataclass(frozen=True)
class PartnerCaller:
    client_id: str
    scopes: frozenset[str]


# The partner whose call is being served (set by ScopeInterceptor).
partner_caller: contextvars.ContextVar[PartnerCaller | None] = contextvars.ContextVar("partner_caller", default=None)

# A method any caller may reach without a token (the token endpoint itself).
NO_TOKEN = ""


class ScopeInterceptor(grpc.ServerInterceptor):
    """`policy` maps each method of the guarded `services` ("/pkg.Service/Method") to the scope
    it needs, or NO_TOKEN. Put it after the kit's TandemInterceptor, which turns its refusals
    into statuses in the caller's language."""

    def __init__(self, verifier: TokenVerifier, services: Iterable[str], policy: Mapping[str, str]):
        self.verifier = verifier
        self.prefixes = tuple(f"/{s}/" for s in services)
        self.policy = dict(policy)

    def intercept_service(self, continuation: Callable[[Any], Any], handler_call_details: Any) -> Any:
        handler = continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or handler.unary_unary is None or not method.startswith(self.prefixes):
            return handler
        needed = self.policy.get(method)
        metadata = dict(handler_call_details.invocation_metadata or ())
        inner = handler.unary_unary

        def guarded(request: Any, context: grpc.ServicerContext) -> Any:
            if needed is None:
                raise Forbidden("auth.method_undeclared")
            if needed == NO_TOKEN:
                return inner(request, context)
            caller = self._caller(str(metadata.get("authorization", "")))
            if needed not in caller.scopes:
                raise Forbidden("auth.scope_missing", {"scope": needed})
            token = partner_caller.set(caller)
            try:
                return inner(request, context)
            finally:
                partner_caller.reset(token)

        return grpc.unary_unary_rpc_method_handler(
            guarded,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    def _caller(self, authorization: str) -> PartnerCaller:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("auth.token_required")
        try:
            claims = self.verifier.verify(token.strip())
        except InvalidToken as exc:
            raise Unauthenticated("auth.token_invalid") from exc
        return PartnerCaller(str(claims["sub"]), frozenset(str(claims.get("scope", "")).split()))


# --- the person a request acts for ------------------------------------------------------------------

ACTOR_FIELD = "actor_id"

# Requests whose acting person is named by another field than `actor_id`: request message ->
# field. One table for every service, so who a method acts for is declared in one place (a unit
# test checks each entry names a real field). Fields that only select what to read (whose public
# profile, whose opportunities) are not here: reading them is open to any member.
ACTOR_FIELDS: dict[str, str] = {
    "tandem.opportunities.v1.PostOpportunityRequest": "poster_id",
    "tandem.opportunities.v1.SaveDraftRequest": "poster_id",
    "tandem.opportunities.v1.GetDraftRequest": "poster_id",
    "tandem.opportunities.v1.PublishDraftRequest": "poster_id",
    "tandem.opportunities.v1.ShareOpportunityRequest": "poster_id",
    "tandem.opportunities.v1.ApplyRequest": "applicant_id",
    "tandem.opportunities.v1.MakeOfferRequest": "poster_id",
    "tandem.opportunities.v1.RemoveApplicantRequest": "poster_id",
    "tandem.opportunities.v1.AcceptOfferRequest": "applicant_id",
    "tandem.opportunities.v1.DeclineOfferRequest": "applicant_id",
    "tandem.opportunities.v1.ListOffersRequest": "applicant_id",
    "tandem.opportunities.v1.ChangeStateRequest": "poster_id",
    "tandem.profiles.v1.UpdateProfileRequest": "user_id",
    "tandem.profiles.v1.AddCustomSkillRequest": "user_id",
    "tandem.notifications.v1.ListNotificationsRequest": "user_id",
    "tandem.notifications.v1.CountUnreadRequest": "user_id",
    "tandem.notifications.v1.MarkReadRequest": "user_id",
    "tandem.notifications.v1.GetPreferencesRequest": "user_id",
    "tandem.notifications.v1.UpdatePreferencesRequest": "user_id",
    "tandem.referrals.v1.ListSharesRequest": "user_id",
}


# A request may instead carry an `actor` message (`user_id`, `roles`), as cohort requests do.
ACTOR_MESSAGE = "actor"


def actor_of(request: Any) -> str:
    """Who a request says it acts for ("" when it names nobody)."""
    descriptor = request.DESCRIPTOR
    if ACTOR_MESSAGE in descriptor.fields_by_name and request.HasField(ACTOR_MESSAGE):
        return str(getattr(request, ACTOR_MESSAGE).user_id)
    name = ACTOR_FIELDS.get(descriptor.full_name, ACTOR_FIELD)
    return str(getattr(request, name)) if name in descriptor.fields_by_name else ""


def roles_claimed(request: Any) -> tuple[str, ...]:
    """The roles a request says its actor holds (an `actor` message's), to be checked against the token."""
    if ACTOR_MESSAGE in request.DESCRIPTOR.fields_by_name and request.HasField(ACTOR_MESSAGE):
        return tuple(getattr(request, ACTOR_MESSAGE).roles)
    return ()


class ActorInterceptor(grpc.ServerInterceptor):
    """Every service checks for itself who a request acts for, rather than trusting its caller.

    A request that names its actor (`actor_id`, or the field ACTOR_FIELDS gives) must carry that
    person's access token in the `authorization` metadata, as the gateway forwards it. The token
    is verified here with the keys identity publishes (algorithm allow-list, issuer, audience,
    expiry, token type), and its subject must be the actor: a caller that can reach a service's
    port cannot act for someone else. Requests that name no actor (reference lookups between
    services; partner methods, which ScopeInterceptor guards) pass through. Put it after the
    kit's TandemInterceptor."""

    def __init__(self, verifier: TokenVerifier):
        self.verifier = verifier

    def intercept_service(self, continuation: Callable[[Any], Any], handler_call_details: Any) -> Any:
        handler = continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        metadata = dict(handler_call_details.invocation_metadata or ())
        inner = handler.unary_unary

        def bound(request: Any, context: grpc.ServicerContext) -> Any:
            actor = actor_of(request)
            if actor:
                self.check(actor, str(metadata.get("authorization", "")), roles_claimed(request))
            return inner(request, context)

        return grpc.unary_unary_rpc_method_handler(
            bound, request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer
        )

    def check(self, actor: str, authorization: str, roles: tuple[str, ...] = ()) -> dict[str, Any]:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("auth.token_required")
        try:
            claims = self.verifier.verify(token.strip())
        except InvalidToken as exc:
            raise Unauthenticated("auth.token_invalid") from exc
        if claims.get("sub") != actor:
            raise Forbidden("auth.actor_mismatch")
        if not set(roles) <= {str(r) for r in claims.get("roles", ())}:
            raise Forbidden("auth.roles_mismatch")
        return claims


def identity_keys(address: str, timeout: float = 5.0, configured: str = "") -> Callable[[], str]:
    """The JWKS identity publishes, fetched over gRPC from `address` when first needed; or, when
    the deployment pins the keys (`ACCESS_TOKEN_JWKS`, e.g. from a mounted secret), those."""

    def fetch() -> str:
        if configured:
            return configured
        from tandem.identity.v1 import identity_pb2, identity_pb2_grpc

        with grpc.insecure_channel(address) as channel:
            stub = identity_pb2_grpc.IdentityServiceStub(channel)
            response = stub.GetPublicKeys(identity_pb2.GetPublicKeysRequest(), timeout=timeout)
        return str(response.jwks_json)

    return fetch
