"""Who is calling, and may they call this route.

Authentication: an EdDSA access token verified with identity's published keys (tandem_kit.auth:
an algorithm allow-list, so `none` and HS256-with-the-public-key tricks fail, with issuer,
audience, expiry and token type all checked), whose session (`sid`) identity still holds open.
The session answer is cached briefly; a sign-out through this gateway drops it at once.

Authorization: every route declares `x-tandem-access` in its OpenAPI operation, and that very
declaration is enforced here for every request (an app-wide dependency), so the documented rule
and the applied rule cannot drift apart. Levels:

- `public`: anyone;
- `member`: any signed-in person;
- `poster`: a signed-in person; the route itself checks they posted the opportunity;
- a role, or roles joined with `|` (`admin`, `coordinator|admin`): a signed-in person holding one
  of them (for any program, department or agency);
- `staff`: any of the staff roles (coordinator, departmental_lead, agency_caseworker, admin).

Staff roles are only in tokens of sessions opened with a second factor.

A route without a declaration refuses everyone.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import jwt
from fastapi import Request
from fastapi.routing import APIRoute

from tandem.identity.v1 import identity_pb2
from tandem_gateway.clients import Services
from tandem_gateway.config import GatewayConfig
from tandem_gateway.problems import ApiError
from tandem_kit.auth import InvalidToken, decode, key_id

PUBLIC, MEMBER, POSTER, STAFF = "public", "member", "poster", "staff"
ROLES = ("coordinator", "departmental_lead", "agency_caseworker", "admin")
# Don't refetch keys for an unknown kid more often than this: a flood of forged kids must not
# become a flood of calls to identity.
REFRESH_MIN_INTERVAL = 1.0
# Refetch anyway this often, so a retired key stops verifying.
KEYS_MAX_AGE = 300.0


@dataclass(frozen=True)
class Principal:
    user_id: str
    roles: tuple[str, ...]
    session_id: str = ""

    def has_role(self, role: str) -> bool:
        """`role` for any scope: `coordinator` matches `coordinator:<program>`."""
        return any(r == role or r.startswith(f"{role}:") for r in self.roles)


def allowed_roles(level: str) -> tuple[str, ...] | None:
    """The roles a level admits (None: any signed-in person), or ValueError if it is no level."""
    if level in (MEMBER, POSTER):
        return None
    if level == STAFF:
        return ROLES
    roles = tuple(level.split("|"))
    if not roles or any(r not in ROLES for r in roles):
        raise ValueError(f"unknown access level {level!r}")
    return roles


def is_access_level(level: object) -> bool:
    if level == PUBLIC:
        return True
    try:
        allowed_roles(str(level))
    except ValueError:
        return False
    return True


class TokenVerifier:
    def __init__(self, services: Services, config: GatewayConfig):
        self.services = services
        self.config = config
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()
        # sid -> (active, when the answer expires)
        self._sessions: dict[str, tuple[bool, float]] = {}

    async def _refresh(self, *, force: bool) -> None:
        # Known keys never wait behind a fetch for an unknown one.
        if self._keys and not force and time.monotonic() - self._fetched_at < KEYS_MAX_AGE:
            return
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            if self._keys and not force and age < KEYS_MAX_AGE:
                return
            if self._keys and age < REFRESH_MIN_INTERVAL:
                # At most one fetch a second, however many unknown key ids arrive.
                await asyncio.sleep(REFRESH_MIN_INTERVAL - age)
            resp = await self.services.identity.GetPublicKeys(identity_pb2.GetPublicKeysRequest(), timeout=5)
            jwks = jwt.PyJWKSet.from_json(resp.jwks_json)
            self._keys = {k.key_id: k for k in jwks.keys if k.key_id}
            self._fetched_at = time.monotonic()

    async def verify(self, token: str) -> Principal:
        try:
            kid = key_id(token)
            await self._refresh(force=kid not in self._keys)
            claims = decode(
                token,
                self._keys.get(kid),
                issuer=self.config.token_issuer,
                audience=self.config.token_audience,
                token_type="access",
            )
        except InvalidToken as exc:
            raise _invalid() from exc
        session_id = str(claims.get("sid", ""))
        if not session_id or not await self._session_active(session_id):
            raise _invalid()
        return Principal(str(claims["sub"]), tuple(str(r) for r in claims.get("roles", ())), session_id)

    async def _session_active(self, session_id: str) -> bool:
        now = time.monotonic()
        cached = self._sessions.get(session_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        resp = await self.services.identity.CheckSession(
            identity_pb2.CheckSessionRequest(session_id=session_id), timeout=5
        )
        if len(self._sessions) > 100_000:
            self._sessions.clear()  # a crude bound; the cache is only ever seconds deep
        self._sessions[session_id] = (resp.active, now + self.config.session_cache_seconds)
        return bool(resp.active)

    def forget_session(self, session_id: str) -> None:
        """This gateway ended the session: refuse its tokens from now on, not after the cache."""
        self._sessions[session_id] = (False, time.monotonic() + self.config.session_cache_seconds)


def _invalid() -> ApiError:
    return ApiError(401, "auth.invalid_token", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


async def current_user(request: Request) -> Principal:
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "auth.required", headers={"WWW-Authenticate": "Bearer"})
    verifier: TokenVerifier = request.app.state.verifier
    principal = await verifier.verify(token.strip())
    request.state.principal = principal
    return principal


async def enforce_access(request: Request) -> None:
    """The app-wide dependency: apply the route's own `x-tandem-access` declaration."""
    route = request.scope.get("route")
    level = (route.openapi_extra or {}).get("x-tandem-access") if isinstance(route, APIRoute) else None
    if level == PUBLIC:
        return
    if not isinstance(level, str) or not is_access_level(level):
        raise ApiError(403, "auth.forbidden")
    principal = await current_user(request)
    roles = allowed_roles(level)
    if roles is not None and not any(principal.has_role(r) for r in roles):
        raise ApiError(403, "auth.forbidden")
