"""Identity's own settings."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class TokenConfig:
    issuer: str = "tandem-identity"
    audience: str = "tandem"
    # Partner tokens have their own audience, so neither kind is accepted where the other is.
    partner_audience: str = "tandem-partner"
    access_ttl_seconds: int = 900
    partner_ttl_seconds: int = 300
    # A session (and so its refresh tokens) lasts this long from sign-in, however often refreshed.
    session_ttl_seconds: int = 14 * 24 * 3600
    # The signing key is replaced when it is this old (checked by the worker, or on demand).
    key_rotation_seconds: int = 30 * 24 * 3600

    @classmethod
    def from_env(cls) -> TokenConfig:
        return cls(
            issuer=os.environ.get("TOKEN_ISSUER", cls.issuer),
            audience=os.environ.get("TOKEN_AUDIENCE", cls.audience),
            partner_audience=os.environ.get("PARTNER_TOKEN_AUDIENCE", cls.partner_audience),
            access_ttl_seconds=int(os.environ.get("ACCESS_TOKEN_TTL_SECONDS", cls.access_ttl_seconds)),
            partner_ttl_seconds=int(os.environ.get("PARTNER_TOKEN_TTL_SECONDS", cls.partner_ttl_seconds)),
            session_ttl_seconds=int(os.environ.get("SESSION_TTL_SECONDS", cls.session_ttl_seconds)),
            key_rotation_seconds=int(os.environ.get("SIGNING_KEY_ROTATION_SECONDS", cls.key_rotation_seconds)),
        )


@dataclass(frozen=True)
class LinkConfig:
    """How long emailed links stay good, and how often a confirmation email may be resent."""

    confirm_email_ttl_seconds: int = 48 * 3600
    reset_password_ttl_seconds: int = 3600
    resend_min_interval_seconds: int = 60

    @classmethod
    def from_env(cls) -> LinkConfig:
        return cls(
            confirm_email_ttl_seconds=int(
                os.environ.get("IDENTITY_CONFIRM_EMAIL_TTL_SECONDS", cls.confirm_email_ttl_seconds)
            ),
            reset_password_ttl_seconds=int(
                os.environ.get("IDENTITY_RESET_PASSWORD_TTL_SECONDS", cls.reset_password_ttl_seconds)
            ),
            resend_min_interval_seconds=int(
                os.environ.get("IDENTITY_RESEND_MIN_INTERVAL_SECONDS", cls.resend_min_interval_seconds)
            ),
        )


@dataclass(frozen=True)
class HashingConfig:
    """At most `slots` password hashes run at once (each takes 19 MiB and a core for ~40 ms);
    `max_waiting` more may queue for a slot, beyond that a sign-in is asked to retry."""

    slots: int = max(1, (os.cpu_count() or 2) - 1)
    max_waiting: int = 100

    @classmethod
    def from_env(cls) -> HashingConfig:
        return cls(
            slots=int(os.environ.get("IDENTITY_HASHING_SLOTS", cls.slots)),
            max_waiting=int(os.environ.get("IDENTITY_HASHING_MAX_WAITING", cls.max_waiting)),
        )
