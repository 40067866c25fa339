"""Every text on a page comes from a gettext message catalogue (Babel).

The source texts are English (`_("Sign in")`); `locale/fr/LC_MESSAGES/messages.po` holds the
French. It is read and compiled in memory at start-up, so nothing compiled is committed, and a
unit test keeps the catalogue whole: every text the templates and pages use has a French
translation, none fuzzy, with the same placeholders.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Literal

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

HERE = Path(__file__).parent
LOCALE_DIR = HERE / "locale"
Lang = Literal["en", "fr"]
LANGS: tuple[Lang, ...] = ("en", "fr")


def other(lang: str) -> Lang:
    return "fr" if lang == "en" else "en"


@cache
def translations(lang: str) -> NullTranslations:
    if lang == "en":
        return NullTranslations()
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def gettext(lang: str) -> Callable[[str], str]:
    return translations(lang).gettext


def N_(message: str) -> str:
    """Marks a text for extraction where it is defined (module level), translated when shown."""
    return message


def format_date(value: object, lang: str) -> str:
    from datetime import date, datetime

    from babel.dates import format_date as babel_format_date

    if isinstance(value, str):
        try:
            parsed: object = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        value = parsed
    if isinstance(value, datetime | date):
        return babel_format_date(value, format="long", locale="fr_CA" if lang == "fr" else "en_CA")
    return str(value)
