"""TOTP (RFC 6238) second factor: 6 digits, 30-second steps, one step of clock drift either way,
and each step's code accepted once. Pure: the caller passes the time."""

from __future__ import annotations

import hmac
import re
from datetime import datetime

import pyotp

ISSUER = "Tandem"
_CODE = re.compile(r"^[0-9]{6}$")


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, account_name: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=ISSUER)


def matching_step(secret: str, code: str, now: datetime, *, after_step: int = 0) -> int | None:
    """The time step whose code `code` is, within one step of `now` and later than
    `after_step` (a code already used is refused); None if it matches none."""
    code = code.replace(" ", "")
    if not secret or not _CODE.match(code):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // totp.interval
    for step in (current - 1, current, current + 1):
        if step > after_step and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
