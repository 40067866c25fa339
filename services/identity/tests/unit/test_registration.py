"""Registration rules and usernames."""

from __future__ import annotations

import pytest

from identity.domain.model import (
    DEPARTMENT_MAX,
    DISPLAY_NAME_MAX,
    EMAIL_MAX,
    PASSWORD_MAX,
    PASSWORD_MIN,
    Registration,
    next_username,
    username_base,
    validate_registration,
)
from tandem_kit.errors import FieldError, InvalidInput

GOOD = {
    "email": "emilie.tremblay@example.gc.ca",
    "password": "correct horse battery",
    "display_name": "Émilie Tremblay-Roy",
    "language": "fr",
    "department": "Statistics Canada",
}


def refused(**changes: str) -> list[FieldError]:
    with pytest.raises(InvalidInput) as raised:
        validate_registration(**{**GOOD, **changes})
    return raised.value.errors


def test_valid_registration_is_normalized() -> None:
    registration = validate_registration(
        email="  Emilie.Tremblay@Example.GC.ca ",
        password="correct horse battery",
        display_name="  Émilie   Tremblay-Roy ",
        language=" FR ",
        department="  Statistics Canada ",
    )

    assert registration == Registration(
        email="emilie.tremblay@example.gc.ca",
        password="correct horse battery",
        display_name="Émilie Tremblay-Roy",
        language="fr",
        department="Statistics Canada",
    )


def test_blank_language_means_english() -> None:
    assert validate_registration(**{**GOOD, "language": ""}).language == "en"


def test_every_bad_field_is_reported_at_once() -> None:
    errors = refused(
        email="not-an-email",
        password="short",
        display_name="Cher",
        language="de",
        department="x" * (DEPARTMENT_MAX + 1),
    )

    assert errors == [
        FieldError("email", "email.invalid"),
        FieldError("password", "password.too_short", {"min": PASSWORD_MIN}),
        FieldError("display_name", "display_name.first_and_last"),
        FieldError("language", "language.unsupported"),
        FieldError("department", "field.too_long", {"max": DEPARTMENT_MAX}),
    ]


def test_empty_fields_are_required() -> None:
    errors = refused(email="   ", password="", display_name="  ")

    assert [(e.field, e.code) for e in errors] == [
        ("email", "field.required"),
        ("password", "field.required"),
        ("display_name", "field.required"),
    ]


def test_too_long_fields_name_their_limit() -> None:
    errors = refused(
        email="a" * EMAIL_MAX + "@example.com",
        password="p" * (PASSWORD_MAX + 1),
        display_name="Jean " + "x" * DISPLAY_NAME_MAX,
    )

    assert errors == [
        FieldError("email", "field.too_long", {"max": EMAIL_MAX}),
        FieldError("password", "field.too_long", {"max": PASSWORD_MAX}),
        FieldError("display_name", "field.too_long", {"max": DISPLAY_NAME_MAX}),
    ]


def test_passwords_at_the_limits_are_accepted() -> None:
    assert validate_registration(**{**GOOD, "password": "p" * PASSWORD_MIN}).password == "p" * PASSWORD_MIN
    assert validate_registration(**{**GOOD, "password": "p" * PASSWORD_MAX}).password == "p" * PASSWORD_MAX


@pytest.mark.parametrize("email", ["name@example", "name example@example.com", "@example.com", "a@b@c.com"])
def test_malformed_email_is_refused(email: str) -> None:
    assert refused(email=email) == [FieldError("email", "email.invalid")]


@pytest.mark.parametrize(
    ("display_name", "expected"),
    [
        ("Émilie Tremblay-Roy", "emilie.tremblay-roy"),
        ("Jean-François O'Neil", "jean-francois.oneil"),
        ("  Zoë   Saldaña ", "zoe.saldana"),
        ("Ångström Côté", "angstrom.cote"),
        ("Anne-Marie St. Pierre", "anne-marie.st.pierre"),
        ("李 小龍", "member"),
        ("", "member"),
    ],
)
def test_username_base_folds_accents_and_drops_punctuation(display_name: str, expected: str) -> None:
    assert username_base(display_name) == expected


def test_username_base_transliterates_letters_without_a_decomposition() -> None:
    assert username_base("Łukasz Øster") == "lukasz.oster"


def test_username_base_is_at_most_40_characters() -> None:
    base = username_base("Maximilian " + "Abcdefghij" * 6)

    assert len(base) == 40
    assert base.startswith("maximilian.abcdefghij")


def test_next_username_is_the_base_when_free() -> None:
    assert next_username("jean.roy", {"jean.roy2", "jean.roy3"}) == "jean.roy"


def test_next_username_takes_the_next_free_suffix() -> None:
    assert next_username("jean.roy", {"jean.roy"}) == "jean.roy2"
    assert next_username("jean.roy", {"jean.roy", "jean.roy2", "jean.roy3"}) == "jean.roy4"


def test_next_username_fills_the_first_gap() -> None:
    assert next_username("jean.roy", {"jean.roy", "jean.roy3"}) == "jean.roy2"
