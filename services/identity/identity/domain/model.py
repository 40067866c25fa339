"""Registration and sign-in rules. Pure functions: no I/O."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from tandem_kit.errors import FieldCollector
from tandem_kit.i18n import LANGUAGES

EMAIL_MAX = 254
PASSWORD_MIN = 8
# Long passphrases are welcome; the cap only stops a denial of service through hashing.
PASSWORD_MAX = 256
DISPLAY_NAME_MAX = 100
DEPARTMENT_MAX = 200


@dataclass(frozen=True)
class Registration:
    email: str
    password: str
    display_name: str
    language: str
    department: str


def normalize_email(email: str) -> str:
    return email.strip().lower()


def validate_registration(email: str, password: str, display_name: str, language: str, department: str) -> Registration:
    """Check every field and report all problems at once."""
    errors = FieldCollector()
    email_n = normalize_email(email)
    if not email_n:
        errors.add("email", "field.required")
    elif len(email_n) > EMAIL_MAX:
        errors.add("email", "field.too_long", max=EMAIL_MAX)
    else:
        try:
            # Syntax only, no DNS look-up. Mail goes out without SMTPUTF8, so the mailbox is ASCII.
            email_n = validate_email(email_n, check_deliverability=False, allow_smtputf8=False).normalized.lower()
        except EmailNotValidError:
            errors.add("email", "email.invalid")

    if not password:
        errors.add("password", "field.required")
    elif len(password) < PASSWORD_MIN:
        errors.add("password", "password.too_short", min=PASSWORD_MIN)
    elif len(password) > PASSWORD_MAX:
        errors.add("password", "field.too_long", max=PASSWORD_MAX)

    name = " ".join(display_name.split())
    if not name:
        errors.add("display_name", "field.required")
    elif len(name) > DISPLAY_NAME_MAX:
        errors.add("display_name", "field.too_long", max=DISPLAY_NAME_MAX)
    elif len(name.split(" ")) < 2:
        errors.add("display_name", "display_name.first_and_last")

    lang = language.strip().lower() or "en"
    if lang not in LANGUAGES:
        errors.add("language", "language.unsupported")

    dept = department.strip()
    if len(dept) > DEPARTMENT_MAX:
        errors.add("department", "field.too_long", max=DEPARTMENT_MAX)

    errors.raise_if_any()
    return Registration(email_n, password, name, lang, dept)


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
