"""Identity's own settings."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class TokenConfig:
    issuer: str = "tandem-identity"
    audience: str = "tandem"
    access_ttl_seconds: int = 900

    @classmethod
    def from_env(cls) -> TokenConfig:
        return cls(
            issuer=os.environ.get("TOKEN_ISSUER", cls.issuer),
            audience=os.environ.get("TOKEN_AUDIENCE", cls.audience),
            access_ttl_seconds=int(os.environ.get("ACCESS_TOKEN_TTL_SECONDS", cls.access_ttl_seconds)),
        )
