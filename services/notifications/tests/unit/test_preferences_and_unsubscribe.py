"""Preference rules and signed unsubscribe tokens."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from notifications.domain import unsubscribe
from notifications.domain.preferences import (
    CategoryChoice,
    allows,
    apply_choices,
    next_digest_at,
    validate_update,
)
from notifications.domain.templates import Category
from tandem_kit.errors import InvalidInput

SECURITY = Category("security", True, {"en": "Account security", "fr": "Sécurité du compte"})
OFFERS = Category("offers", False, {"en": "Offers", "fr": "Offres"})
CATEGORIES = {"security": SECURITY, "offers": OFFERS}
KEY = b"k" * 32


def test_everything_is_on_until_turned_off_and_security_always() -> None:
    assert allows([], OFFERS, "email")
    assert not allows(["offers:email"], OFFERS, "email")
    assert allows(["offers:email"], OFFERS, "in_app")
    assert allows(["security:email", "security:in_app"], SECURITY, "email")


def test_choices_set_each_channel_of_the_named_categories_only() -> None:
    result = apply_choices(["offers:email", "reminders:in_app"], [CategoryChoice("offers", False, True)])

    assert result == ["offers:in_app", "reminders:in_app"]


def test_turning_a_mandatory_category_off_is_refused_in_the_callers_language() -> None:
    with pytest.raises(InvalidInput) as raised:
        validate_update(
            "weekly",
            [CategoryChoice("security", True, False), CategoryChoice("gossip", True, True)],
            CATEGORIES,
            "fr",
        )

    found = {(e.field, e.code): dict(e.params) for e in raised.value.errors}
    assert found == {
        ("email_frequency", "preferences.frequency_invalid"): {"choices": "immediate, daily"},
        ("categories[0].category", "preferences.mandatory"): {"label": "Sécurité du compte"},
        ("categories[1].category", "preferences.category_unknown"): {
            "category": "gossip",
            "choices": "security, offers",
        },
    }


def test_naming_a_category_twice_is_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        validate_update("", [CategoryChoice("offers", True, True)] * 2, CATEGORIES, "en")

    assert [(e.field, e.code) for e in raised.value.errors] == [
        ("categories[1].category", "preferences.category_repeated")
    ]


def test_the_digest_goes_out_at_the_next_digest_hour_in_the_programs_time_zone() -> None:
    # 06:00 in Toronto (EST, UTC-5) on January 10th: today at 07:00.
    assert next_digest_at(datetime(2027, 1, 10, 11, 0, tzinfo=UTC), "America/Toronto", 7) == datetime(
        2027, 1, 10, 12, 0, tzinfo=UTC
    )
    # 07:00 exactly: tomorrow. Summer time (EDT, UTC-4) moves it an hour in UTC.
    assert next_digest_at(datetime(2027, 7, 10, 11, 0, tzinfo=UTC), "America/Toronto", 7) == datetime(
        2027, 7, 11, 11, 0, tzinfo=UTC
    )


def test_a_signed_token_names_the_person_and_the_kind_of_notice() -> None:
    token = unsubscribe.sign(KEY, "user-1", "offers")

    assert unsubscribe.verify(KEY, token) == unsubscribe.Unsubscription("user-1", "offers")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature changed
        lambda t: t.replace(t.split(".")[1], unsubscribe.sign(KEY, "user-2", "offers").split(".")[1]),  # other person
        lambda t: "u2" + t[2:],  # unknown version
        lambda t: t.split(".")[0] + "." + t.split(".")[1],  # no signature
        lambda t: "x" * 500,
        lambda t: "",
    ],
)
def test_a_tampered_token_is_refused(tamper) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(unsubscribe.TokenInvalid):
        unsubscribe.verify(KEY, tamper(unsubscribe.sign(KEY, "user-1", "offers")))


def test_a_token_signed_with_another_key_is_refused() -> None:
    with pytest.raises(unsubscribe.TokenInvalid):
        unsubscribe.verify(b"j" * 32, unsubscribe.sign(KEY, "user-1", "offers"))
