"""The display name rule: first and last name as the person is known at work. As the Career
Marketplace's terms say, the display name must be the person's real name; pseudonyms are not
allowed. A rule cannot know a real name, so it refuses what is plainly not one. Pure."""

from __future__ import annotations

import re
import unicodedata

from tandem_kit.errors import FieldCollector

DISPLAY_NAME_MAX = 100

# Words that are never a name, alone or within one (checked against each word, accents folded).
NOT_NAMES = frozenset(
    {
        "admin",
        "administrator",
        "administrateur",
        "anonymous",
        "anonyme",
        "anon",
        "test",
        "tester",
        "testing",
        "user",
        "utilisateur",
        "utilisatrice",
        "guest",
        "invite",
        "unknown",
        "inconnu",
        "inconnue",
        "nobody",
        "null",
        "none",
        "aucun",
        "asdf",
        "qwerty",
        "azerty",
        "xxx",
        "foo",
        "bar",
        "root",
        "sysadmin",
        "webmaster",
        "support",
        "info",
        "noreply",
        "moderator",
        "moderateur",
    }
)
# Whole names that are famous placeholders or characters.
NOT_NAMES_WHOLE = frozenset(
    {
        "john doe",
        "jane doe",
        "john smith test",
        "mickey mouse",
        "donald duck",
        "darth vader",
        "harry potter",
        "bruce wayne",
        "clark kent",
        "peter parker",
        "tony stark",
        "homer simpson",
        "bugs bunny",
        "jean dupont",
        "marie dupont",
        "monsieur madame",
        "first last",
        "prenom nom",
        "firstname lastname",
    }
)
# Letters (any script), combining marks, and the punctuation names use: hyphen, apostrophes, period.
_ALLOWED = re.compile(r"^[^\W\d_]+(?:[-'’.][^\W\d_]*)*\.?$")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def check_display_name(errors: FieldCollector, display_name: str, field: str = "display_name") -> str:
    """Add what is wrong with the display name to `errors`; returns it with spaces tidied."""
    name = " ".join(unicodedata.normalize("NFC", display_name).split())
    if not name:
        errors.add(field, "field.required")
        return name
    if len(name) > DISPLAY_NAME_MAX:
        errors.add(field, "field.too_long", max=DISPLAY_NAME_MAX)
        return name
    words = name.split(" ")
    if not all(_ALLOWED.match(w) for w in words):
        errors.add(field, "display_name.characters")
    elif len(words) < 2 or sum(1 for w in words if len(w.strip(".-'’")) >= 2) < 1:
        errors.add(field, "display_name.first_and_last")
    elif _looks_made_up(words):
        errors.add(field, "display_name.pseudonym")
    return name


def _looks_made_up(words: list[str]) -> bool:
    folded = [_fold(w).strip(".") for w in words]
    if " ".join(folded) in NOT_NAMES_WHOLE or any(w in NOT_NAMES for w in folded):
        return True
    for word in folded:
        letters = [c for c in word if c.isalpha()]
        # "Aaaa", "Zzz Xxx": one letter repeated is not a name.
        if len(letters) >= 3 and len(set(letters)) == 1:
            return True
        # Three of the same letter in a row ("Annna") does not occur in names.
        if re.search(r"(.)\1\1", word):
            return True
    # The same word twice ("Test Test", "Bob Bob") is a placeholder, not a name.
    return len(folded) == 2 and folded[0] == folded[1]
