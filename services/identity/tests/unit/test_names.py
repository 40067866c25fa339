"""The display name must be a real first and last name: obvious pseudonyms are refused."""

from __future__ import annotations

import pytest

from identity.domain.names import DISPLAY_NAME_MAX, check_display_name
from tandem_kit.errors import FieldCollector


def codes(name: str) -> list[str]:
    errors = FieldCollector()
    check_display_name(errors, name)
    return [e.code for e in errors.errors]


@pytest.mark.parametrize(
    "name",
    [
        "Amira Haddad",
        "Jean-François O’Neil",
        "Anne-Marie St. Pierre",
        "Nguyễn Thị Minh Khai",
        "Zoë Saldaña",
        "Li Na",
        "李 小龍",
        "J. Robert Oppenheimer",
        "Mary-Kate D'Arcy",
    ],
)
def test_real_names_are_accepted(name: str) -> None:
    assert codes(name) == []


@pytest.mark.parametrize("name", ["Cher", "Madonna", "J. K."])
def test_one_name_alone_is_refused(name: str) -> None:
    assert codes(name) == ["display_name.first_and_last"]


@pytest.mark.parametrize("name", ["xX_Gamer_Xx Pro", "Jean 2000", "Ada @Lovelace", "🙂 Smile"])
def test_digits_and_symbols_are_refused(name: str) -> None:
    assert codes(name) == ["display_name.characters"]


@pytest.mark.parametrize(
    "name", ["Test User", "Admin Istrator", "John Doe", "Mickey Mouse", "Aaaa Bbbb", "Bob Bob", "Anonymous Person"]
)
def test_obvious_pseudonyms_are_refused(name: str) -> None:
    assert codes(name) == ["display_name.pseudonym"]


def test_empty_and_too_long_names_say_so() -> None:
    assert codes("   ") == ["field.required"]
    assert codes("Jean " + "x" * DISPLAY_NAME_MAX) == ["field.too_long"]
