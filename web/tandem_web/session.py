"""The browser session: an encrypted, HttpOnly, Secure, SameSite=Lax cookie that holds the
gateway's tokens, and the CSRF token every form carries.

The cookie is sealed with Fernet (AES-CBC + HMAC, from `cryptography`), so its holder can neither
read the tokens nor forge a session; the key comes from `WEB_SESSION_KEY`. CSRF protection is a
synchronizer token: a random value kept in the sealed session and put in a hidden field of every
form (and in htmx's request header); a state-changing request without the matching value is
refused before anything reaches the gateway.
"""

from __future__ import annotations

import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

COOKIE = "tandem_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
# A session cookie outlives neither the refresh token nor a working day of idleness.
MAX_AGE = 12 * 3600


@dataclass
class Session:
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    access_token: str = ""
    refresh_token: str = ""
    access_expires_at: float = 0.0
    user_id: str = ""
    display_name: str = ""
    roles: list[str] = field(default_factory=list)
    # One message to show on the next page (after a redirect): a catalogue msgid.
    flash: str = ""
    changed: bool = False

    @property
    def signed_in(self) -> bool:
        return bool(self.access_token)

    def has_role(self, *roles: str) -> bool:
        """`coordinator` matches a grant for any scope (`coordinator:<program>`), as in the gateway."""
        return any(grant.partition(":")[0] in roles for grant in self.roles)

    def sign_in(self, tokens: dict[str, Any], account: dict[str, Any]) -> None:
        self.access_token = tokens["access_token"]
        self.refresh_token = tokens.get("refresh_token", "")
        self.access_expires_at = time.time() + int(tokens.get("expires_in", 0))
        self.user_id = account["user_id"]
        self.display_name = account["display_name"]
        self.roles = list(account.get("roles", []))
        # A new session gets a new CSRF token: one fixed before sign-in is worth nothing after.
        self.csrf = secrets.token_urlsafe(32)
        self.changed = True

    def sign_out(self) -> None:
        fresh = Session(flash=self.flash)
        self.__dict__.update(fresh.__dict__)
        self.changed = True

    def set_flash(self, message: str) -> None:
        self.flash = message
        self.changed = True

    def pop_flash(self) -> str:
        message, self.flash = self.flash, ""
        if message:
            self.changed = True
        return message

    def csrf_ok(self, presented: str | None) -> bool:
        return bool(presented) and hmac.compare_digest(self.csrf.encode(), (presented or "").encode())


class SessionCodec:
    def __init__(self, key: bytes):
        self._fernet = Fernet(key)

    def dumps(self, session: Session) -> str:
        data = asdict(session)
        data.pop("changed")
        return self._fernet.encrypt(json.dumps(data, separators=(",", ":")).encode()).decode()

    def loads(self, cookie: str | None) -> Session:
        if not cookie:
            return Session(changed=True)
        try:
            data = json.loads(self._fernet.decrypt(cookie.encode(), ttl=MAX_AGE))
            return Session(**{k: v for k, v in data.items() if k in Session.__dataclass_fields__})
        except (InvalidToken, ValueError, TypeError):
            return Session(changed=True)


def new_key() -> bytes:
    return Fernet.generate_key()
