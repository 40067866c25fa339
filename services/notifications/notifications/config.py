"""Notifications' own settings, from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tandem_kit.config import ConfigError

TEST_CLOCK_ON = "enabled"
UNSUBSCRIBE_KEY_MIN = 32


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name) or str(default)
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc
    if not low <= value <= high:
        raise ConfigError(f"{name} must be from {low} to {high}, got {value}")
    return value


@dataclass(frozen=True)
class MailConfig:
    smtp_host: str
    smtp_port: int
    sender: str
    web_base_url: str
    # Where the gateway answers the public: the one-click unsubscribe URL points there.
    public_api_url: str = "http://127.0.0.1:8080"
    message_id_domain: str = "tandem.gc.ca"
    smtp_timeout_seconds: int = 10
    # While the SMTP server can't be reached, sending pauses 1 s, 2 s, 4 s... up to this.
    smtp_backoff_max_seconds: int = 60
    # A message the server refuses for now is tried this many times before it is given up.
    email_max_attempts: int = 8
    # Programs run on Eastern time: dates in notices and the digest hour are read there.
    timezone: str = "America/Toronto"
    digest_hour: int = 7
    # Signs unsubscribe links. Empty: a key generated once and kept in the service's database.
    unsubscribe_key: str = ""
    test_clock: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> MailConfig:
        env = os.environ if env is None else env
        sender = env.get("MAIL_FROM") or "Tandem <no-reply@tandem.gc.ca>"
        sender_domain = parseaddr(sender)[1].rpartition("@")[2]
        timezone = env.get("NOTIFICATIONS_TIMEZONE") or cls.timezone
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"NOTIFICATIONS_TIMEZONE {timezone!r} is not a time zone name") from exc
        key = env.get("NOTIFICATIONS_UNSUBSCRIBE_KEY") or ""
        if key and len(key) < UNSUBSCRIBE_KEY_MIN:
            raise ConfigError(f"NOTIFICATIONS_UNSUBSCRIBE_KEY must be at least {UNSUBSCRIBE_KEY_MIN} characters")
        clock = env.get("NOTIFICATIONS_TEST_CLOCK") or ""
        if clock not in ("", TEST_CLOCK_ON):
            raise ConfigError(f"NOTIFICATIONS_TEST_CLOCK is either unset or {TEST_CLOCK_ON!r}, got {clock!r}")
        return cls(
            smtp_host=env.get("SMTP_HOST") or "127.0.0.1",
            smtp_port=_int(env, "SMTP_PORT", 1025, 1, 65535),
            sender=sender,
            web_base_url=env.get("WEB_BASE_URL") or "http://127.0.0.1:8000",
            public_api_url=env.get("NOTIFICATIONS_PUBLIC_API_URL") or env.get("GATEWAY_URL") or cls.public_api_url,
            message_id_domain=env.get("NOTIFICATIONS_MESSAGE_ID_DOMAIN") or sender_domain or cls.message_id_domain,
            smtp_timeout_seconds=_int(env, "SMTP_TIMEOUT_SECONDS", cls.smtp_timeout_seconds, 1, 300),
            smtp_backoff_max_seconds=_int(
                env, "NOTIFICATIONS_SMTP_BACKOFF_MAX_SECONDS", cls.smtp_backoff_max_seconds, 1, 3600
            ),
            email_max_attempts=_int(env, "NOTIFICATIONS_EMAIL_MAX_ATTEMPTS", cls.email_max_attempts, 1, 50),
            timezone=timezone,
            digest_hour=_int(env, "NOTIFICATIONS_DIGEST_HOUR", cls.digest_hour, 0, 23),
            unsubscribe_key=key,
            test_clock=clock == TEST_CLOCK_ON,
        )
