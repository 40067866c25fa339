"""Registration rules and usernames. Pure functions: no I/O."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from identity.domain.names import check_display_name
from identity.domain.passwords import check_new_password
from identity.domain.reference import Departments, GovernmentDomains
from tandem_kit.errors import FieldCollector
from tandem_kit.i18n import LANGUAGES

EMAIL_MAX = 254
PLATFORMS = ("internal", "external")


@dataclass(frozen=True)
class Registration:
    email: str
    password: str
    display_name: str
    language: str
    department: str
    platform: str
    terms_version: str


def normalize_email(email: str) -> str:
    return email.strip().lower()


def check_email(errors: FieldCollector, email: str, field: str = "email") -> str:
    email_n = normalize_email(email)
    if not email_n:
        errors.add(field, "field.required")
    elif len(email_n) > EMAIL_MAX:
        errors.add(field, "field.too_long", max=EMAIL_MAX)
    else:
        try:
            # Syntax only, no DNS look-up. Mail goes out without SMTPUTF8, so the mailbox is ASCII.
            email_n = validate_email(email_n, check_deliverability=False, allow_smtputf8=False).normalized.lower()
        except EmailNotValidError:
            errors.add(field, "email.invalid")
    return email_n


def validate_registration(
    *,
    email: str,
    email_confirmation: str,
    password: str,
    password_confirmation: str,
    display_name: str,
    language: str,
    department: str,
    platform: str,
    accepted_terms_version: str,
    departments: Departments,
    government: GovernmentDomains,
    terms_version: str,
) -> Registration:
    """Check every field and report all problems at once."""
    errors = FieldCollector()
    platform_n = platform.strip().lower() or "internal"
    if platform_n not in PLATFORMS:
        errors.add("platform", "platform.unsupported")

    email_n = check_email(errors, email)
    if not errors.has("email"):
        if normalize_email(email_confirmation) != email_n and normalize_email(email_confirmation) != normalize_email(
            email
        ):
            errors.add("email_confirmation", "email.mismatch")
        if platform_n == "internal" and not government.admits(email_n):
            errors.add("email", "email.not_government")

    dept = department.strip().lower()
    if not dept:
        if platform_n == "internal":
            errors.add("department", "department.required")
    elif departments.get(dept) is None:
        errors.add("department", "department.unknown")

    name = check_display_name(errors, display_name)
    local_part = email_n.partition("@")[0]
    password_n = check_new_password(errors, password, password_confirmation, personal=(email_n, local_part, name))

    lang = language.strip().lower() or "en"
    if lang not in LANGUAGES:
        errors.add("language", "language.unsupported")

    accepted = accepted_terms_version.strip()
    if not accepted:
        errors.add("accepted_terms_version", "terms.not_accepted")
    elif accepted != terms_version:
        errors.add("accepted_terms_version", "terms.outdated")

    errors.raise_if_any()
    return Registration(email_n, password_n, name, lang, dept, platform_n, accepted)


# Letters Unicode does not decompose into a base letter and an accent.
_TRANSLITERATE = str.maketrans(
    {
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "đ": "d",
        "Đ": "D",
        "þ": "th",
        "Þ": "TH",
        "ı": "i",
    }
)


def username_base(display_name: str) -> str:
    """`Émilie Tremblay-Roy` -> `emilie.tremblay-roy`; `Łukasz Øster` -> `lukasz.oster`."""
    folded = unicodedata.normalize("NFKD", display_name.translate(_TRANSLITERATE))
    ascii_name = folded.encode("ascii", "ignore").decode()
    parts = [re.sub(r"[^a-z0-9-]", "", p.lower()) for p in ascii_name.split()]
    base = ".".join(p for p in parts if p)
    return base[:40] or "member"


def next_username(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    n = 2
    while f"{base}{n}" in taken:
        n += 1
    return f"{base}{n}"
