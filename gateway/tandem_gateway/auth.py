"""Verifying access tokens with identity's published keys.

Only EdDSA is accepted (an allow-list, so `none` and HS256-with-the-public-key tricks fail),
with issuer, audience, expiry and the token type all checked."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import jwt
from fastapi import Request

from tandem.identity.v1 import identity_pb2
from tandem_gateway.clients import Services
from tandem_gateway.config import GatewayConfig
from tandem_gateway.problems import ApiError

ALGORITHMS = ["EdDSA"]
# Don't refetch keys for an unknown kid more often than this: a flood of forged kids must not
# become a flood of calls to identity.
REFRESH_MIN_INTERVAL = 10.0


@dataclass(frozen=True)
class Principal:
    user_id: str
    roles: tuple[str, ...]


class TokenVerifier:
    def __init__(self, services: Services, config: GatewayConfig):
        self.services = services
        self.config = config
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def _refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._fetched_at < REFRESH_MIN_INTERVAL and self._keys:
                return
            resp = await self.services.identity.GetPublicKeys(identity_pb2.GetPublicKeysRequest(), timeout=5)
            jwks = jwt.PyJWKSet.from_json(resp.jwks_json)
            self._keys = {k.key_id: k for k in jwks.keys if k.key_id}
            self._fetched_at = time.monotonic()

    async def verify(self, token: str) -> Principal:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise _invalid() from exc
        if not isinstance(kid, str):
            raise _invalid()
        if kid not in self._keys:
            await self._refresh()
        key = self._keys.get(kid)
        if key is None:
            raise _invalid()
        try:
            claims = jwt.decode(
                token,
                key=key.key,
                algorithms=ALGORITHMS,
                audience=self.config.token_audience,
                issuer=self.config.token_issuer,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.PyJWTError as exc:
            raise _invalid() from exc
        if claims.get("typ") != "access":
            raise _invalid()
        return Principal(str(claims["sub"]), tuple(str(r) for r in claims.get("roles", ())))


def _invalid() -> ApiError:
    return ApiError(401, "auth.invalid_token", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


async def current_user(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "auth.required", headers={"WWW-Authenticate": "Bearer"})
    verifier: TokenVerifier = request.app.state.verifier
    return await verifier.verify(token.strip())
