"""Password rules (NIST SP 800-63B): 8 to 256 characters, any characters, no composition rules,
no truncation, and not one of the commonly used passwords shipped in `data/`. Pure."""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

from tandem_kit.errors import FieldCollector

PASSWORD_MIN = 8
# Long passphrases are welcome; the cap only stops a denial of service through hashing.
PASSWORD_MAX = 256
COMMON_PASSWORDS = Path(__file__).resolve().parents[1] / "data" / "common-passwords.txt"


@cache
def common_passwords() -> frozenset[str]:
    with COMMON_PASSWORDS.open(encoding="utf-8") as f:
        return frozenset(line.rstrip("\n") for line in f if line.strip() and not line.startswith("#"))


def normalize_password(password: str) -> str:
    """NFKC, so the same passphrase typed on another keyboard or system still matches."""
    return unicodedata.normalize("NFKC", password)


def check_new_password(
    errors: FieldCollector,
    password: str,
    confirmation: str,
    *,
    field: str = "password",
    confirmation_field: str = "password_confirmation",
    personal: tuple[str, ...] = (),
) -> str:
    """Add what is wrong with a new password to `errors`; returns it normalized."""
    normalized = normalize_password(password)
    if not password:
        errors.add(field, "field.required")
    elif len(normalized) < PASSWORD_MIN:
        errors.add(field, "password.too_short", min=PASSWORD_MIN)
    elif len(normalized) > PASSWORD_MAX:
        errors.add(field, "field.too_long", max=PASSWORD_MAX)
    elif normalized.lower() in common_passwords():
        errors.add(field, "password.common")
    elif _folded(normalized) in {_folded(p) for p in personal if len(_folded(p)) >= 3}:
        errors.add(field, "password.personal")
    if password and not errors.has(field) and password != confirmation:
        errors.add(confirmation_field, "password.mismatch")
    return normalized


def _folded(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())
