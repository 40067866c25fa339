"""The gateway's settings, from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from tandem_kit.config import SERVICES, service_address


@dataclass(frozen=True)
class GatewayConfig:
    addresses: Mapping[str, str] = field(default_factory=dict)
    token_issuer: str = "tandem-identity"
    token_audience: str = "tandem"
    # Bodies beyond this are refused before parsing (413).
    max_body_bytes: int = 1_000_000
    grpc_timeout_seconds: float = 10.0
    # How long an answer from identity that a session is open is trusted. A sign-out through
    # this gateway takes effect at once; elsewhere (another replica, an admin) within this.
    session_cache_seconds: float = 5.0

    @classmethod
    def from_env(cls) -> GatewayConfig:
        return cls(
            addresses={s: service_address(s) for s in SERVICES},
            token_issuer=os.environ.get("TOKEN_ISSUER", cls.token_issuer),
            token_audience=os.environ.get("TOKEN_AUDIENCE", cls.token_audience),
            max_body_bytes=int(os.environ.get("GATEWAY_MAX_BODY_BYTES", cls.max_body_bytes)),
            grpc_timeout_seconds=float(os.environ.get("GATEWAY_GRPC_TIMEOUT_SECONDS", cls.grpc_timeout_seconds)),
            session_cache_seconds=float(os.environ.get("GATEWAY_SESSION_CACHE_SECONDS", cls.session_cache_seconds)),
        )
