"""Registration rules and usernames."""

from __future__ import annotations

from typing import Any

import pytest

from identity.domain.model import Registration, next_username, username_base, validate_registration
from identity.domain.passwords import PASSWORD_MAX, PASSWORD_MIN
from identity.domain.reference import departments, government_domains, terms
from tandem_kit.errors import FieldError, InvalidInput

GOOD: dict[str, Any] = {
    "email": "emilie.tremblay@statcan.gc.ca",
    "email_confirmation": "emilie.tremblay@statcan.gc.ca",
    "password": "correct horse battery",
    "password_confirmation": "correct horse battery",
    "display_name": "Émilie Tremblay-Roy",
    "language": "fr",
    "department": "statcan",
    "platform": "internal",
    "accepted_terms_version": terms().version,
}


def validate(**changes: str) -> Registration:
    return validate_registration(
        **{**GOOD, **changes},
        departments=departments(),
        government=government_domains(),
        terms_version=terms().version,
    )


def refused(**changes: str) -> list[FieldError]:
    with pytest.raises(InvalidInput) as raised:
        validate(**changes)
    return raised.value.errors


def test_valid_registration_is_normalized() -> None:
    registration = validate(
        email="  Emilie.Tremblay@StatCan.GC.ca ",
        email_confirmation="emilie.tremblay@statcan.gc.ca",
        display_name="  Émilie   Tremblay-Roy ",
        language=" FR ",
        department=" StatCan ",
    )

    assert registration == Registration(
        email="emilie.tremblay@statcan.gc.ca",
        password="correct horse battery",
        display_name="Émilie Tremblay-Roy",
        language="fr",
        department="statcan",
        platform="internal",
        terms_version=terms().version,
    )


def test_every_bad_field_is_reported_at_once() -> None:
    errors = refused(
        email="not-an-email",
        password="short",
        password_confirmation="short",
        display_name="Cher",
        language="de",
        department="ministry-of-magic",
        accepted_terms_version="",
    )

    assert errors == [
        FieldError("email", "email.invalid"),
        FieldError("department", "department.unknown"),
        FieldError("display_name", "display_name.first_and_last"),
        FieldError("password", "password.too_short", {"min": PASSWORD_MIN}),
        FieldError("language", "language.unsupported"),
        FieldError("accepted_terms_version", "terms.not_accepted"),
    ]


def test_email_and_password_must_each_be_typed_twice_alike() -> None:
    errors = refused(email_confirmation="emilie.tremblay@statcan.gc.com", password_confirmation="correct horse")

    assert [(e.field, e.code) for e in errors] == [
        ("email_confirmation", "email.mismatch"),
        ("password_confirmation", "password.mismatch"),
    ]


@pytest.mark.parametrize("email", ["ada@tbs-sct.gc.ca", "ada@canada.ca", "ada@ec.gc.ca", "ada@elections.ca"])
def test_internal_platform_takes_government_of_canada_addresses(email: str) -> None:
    assert validate(email=email, email_confirmation=email).email == email


@pytest.mark.parametrize("email", ["ada@gmail.com", "ada@gc.ca.evil.com", "ada@notgc.ca", "ada@canada.com"])
def test_internal_platform_refuses_other_addresses(email: str) -> None:
    assert refused(email=email, email_confirmation=email) == [FieldError("email", "email.not_government")]


def test_external_platform_takes_any_address_and_needs_no_department() -> None:
    registration = validate(
        platform="external", email="ada@example.com", email_confirmation="ada@example.com", department=""
    )

    assert (registration.platform, registration.department) == ("external", "")


def test_internal_platform_requires_a_department() -> None:
    assert refused(department="") == [FieldError("department", "department.required")]


def test_an_unknown_platform_is_refused() -> None:
    assert FieldError("platform", "platform.unsupported") in refused(platform="intranet")


def test_terms_of_another_version_must_be_read_again() -> None:
    assert refused(accepted_terms_version="2019-01") == [FieldError("accepted_terms_version", "terms.outdated")]


def test_common_and_personal_passwords_are_refused() -> None:
    assert refused(password="password123", password_confirmation="password123") == [
        FieldError("password", "password.common")
    ]
    assert refused(password="Emilie.Tremblay", password_confirmation="Emilie.Tremblay") == [
        FieldError("password", "password.personal")
    ]


def test_passwords_at_the_limits_are_accepted_and_never_truncated() -> None:
    shortest, longest = "q" * (PASSWORD_MIN - 1) + "z", "pass phrase " * 21 + "abcd"
    assert len(longest) == PASSWORD_MAX
    assert validate(password=shortest, password_confirmation=shortest).password == shortest
    assert validate(password=longest, password_confirmation=longest).password == longest
    too_long = longest + "x"
    assert refused(password=too_long, password_confirmation=too_long) == [
        FieldError("password", "field.too_long", {"max": PASSWORD_MAX})
    ]


@pytest.mark.parametrize("email", ["name@example", "name example@example.com", "@example.com", "a@b@c.com"])
def test_malformed_email_is_refused(email: str) -> None:
    assert refused(email=email, email_confirmation=email, platform="external") == [FieldError("email", "email.invalid")]


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


def test_next_username_takes_the_next_free_suffix() -> None:
    assert next_username("jean.roy", {"jean.roy2"}) == "jean.roy"
    assert next_username("jean.roy", {"jean.roy", "jean.roy2", "jean.roy3"}) == "jean.roy4"
    assert next_username("jean.roy", {"jean.roy", "jean.roy3"}) == "jean.roy2"
