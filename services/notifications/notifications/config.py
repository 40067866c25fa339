"""Notifications' own settings."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class MailConfig:
    smtp_host: str
    smtp_port: int
    sender: str
    web_base_url: str

    @classmethod
    def from_env(cls) -> MailConfig:
        return cls(
            smtp_host=os.environ.get("SMTP_HOST", "127.0.0.1"),
            smtp_port=int(os.environ.get("SMTP_PORT", "1025")),
            sender=os.environ.get("MAIL_FROM", "Tandem <no-reply@tandem.gc.ca>"),
            web_base_url=os.environ.get("WEB_BASE_URL", "http://127.0.0.1:8000"),
        )
