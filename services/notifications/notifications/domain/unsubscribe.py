"""Signed one-click unsubscribe tokens. Pure.

A token names a person and what to turn off (a category of notice, or `all` optional email),
signed with HMAC-SHA256 under the service's key, so that nobody can unsubscribe someone else.
It does not expire: an unsubscribe link must keep working in an old email (RFC 8058).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

ALL = "all"
_VERSION = "u1"
_MAX_TOKEN = 400


class TokenInvalid(ValueError):
    """Malformed, or signed with another key."""


@dataclass(frozen=True)
class Unsubscription:
    user_id: str
    # A category name, or ALL.
    scope: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, f"{_VERSION}.{payload}".encode(), hashlib.sha256).digest())


def sign(key: bytes, user_id: str, scope: str) -> str:
    payload = _b64(f"{user_id}\n{scope}".encode())
    return f"{_VERSION}.{payload}.{_mac(key, payload)}"


def verify(key: bytes, token: str) -> Unsubscription:
    if len(token) > _MAX_TOKEN:
        raise TokenInvalid("too long")
    version, _, rest = token.partition(".")
    payload, _, mac = rest.partition(".")
    if version != _VERSION or not payload or not mac:
        raise TokenInvalid("malformed")
    if not hmac.compare_digest(mac, _mac(key, payload)):
        raise TokenInvalid("bad signature")
    try:
        user_id, _, scope = _unb64(payload).decode().partition("\n")
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise TokenInvalid("malformed payload") from exc
    if not user_id or not scope:
        raise TokenInvalid("malformed payload")
    return Unsubscription(user_id, scope)
