"""Posting an opportunity, applying to it, and who may act on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from opportunities.domain.model import (
    DESCRIPTION_MAX,
    MESSAGE_MAX,
    OPEN,
    OPENINGS_MAX,
    SKILLS_MAX,
    TITLE_MAX,
    Posting,
    check_can_apply,
    check_is_poster,
    validate_message,
    validate_posting,
)
from tandem_kit.errors import FieldError, Forbidden, InvalidInput, Refused

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)

GOOD: dict[str, Any] = {
    "title_en": "Data analyst",
    "title_fr": "Analyste de données",
    "description_en": "Help us measure programs.",
    "description_fr": "Aidez-nous à mesurer les programmes.",
    "skill_ids": ["data-analysis", "python"],
    "openings": 2,
    "application_deadline": NOW + timedelta(days=14),
}


def post(**changes: Any) -> Posting:
    return validate_posting(**{**GOOD, **changes}, now=NOW)


def refused(**changes: Any) -> list[FieldError]:
    with pytest.raises(InvalidInput) as raised:
        post(**changes)
    return raised.value.errors


def codes(errors: list[FieldError]) -> dict[str, str]:
    return {e.field: e.code for e in errors}


def test_valid_posting_is_trimmed_and_its_skills_deduplicated() -> None:
    posting = post(title_en="  Data analyst ", skill_ids=["python", " python ", "sql", ""])

    assert posting.title_en == "Data analyst"
    assert posting.skill_ids == ["python", "sql"]
    assert posting.openings == 2


def test_posting_without_a_deadline_is_accepted() -> None:
    assert post(application_deadline=None).application_deadline is None


def test_every_bad_field_is_reported_at_once() -> None:
    errors = refused(
        title_en="",
        title_fr="   ",
        description_en="d" * (DESCRIPTION_MAX + 1),
        description_fr="",
        skill_ids=[],
        openings=0,
        application_deadline=NOW - timedelta(minutes=1),
    )

    assert codes(errors) == {
        "title_en": "field.required",
        "title_fr": "field.required",
        "description_en": "field.too_long",
        "description_fr": "field.required",
        "skill_ids": "skills.required",
        "openings": "openings.range",
        "application_deadline": "deadline.past",
    }


def test_too_long_title_names_its_limit() -> None:
    assert refused(title_fr="t" * (TITLE_MAX + 1)) == [FieldError("title_fr", "field.too_long", {"max": TITLE_MAX})]


@pytest.mark.parametrize("openings", [0, -1, OPENINGS_MAX + 1])
def test_openings_outside_the_range_are_refused(openings: int) -> None:
    assert refused(openings=openings) == [FieldError("openings", "openings.range", {"max": OPENINGS_MAX})]


@pytest.mark.parametrize("openings", [1, OPENINGS_MAX])
def test_openings_at_the_bounds_are_accepted(openings: int) -> None:
    assert post(openings=openings).openings == openings


@pytest.mark.parametrize("deadline", [NOW, NOW - timedelta(days=1)])
def test_deadline_now_or_past_is_refused(deadline: datetime) -> None:
    assert refused(application_deadline=deadline) == [FieldError("application_deadline", "deadline.past")]


def test_deadline_just_ahead_is_accepted() -> None:
    assert post(application_deadline=NOW + timedelta(seconds=1)).application_deadline == NOW + timedelta(seconds=1)


def test_blank_skill_ids_count_as_none() -> None:
    assert refused(skill_ids=["  ", ""]) == [FieldError("skill_ids", "skills.required")]


def test_too_many_skills_are_refused() -> None:
    assert refused(skill_ids=[f"skill-{i}" for i in range(SKILLS_MAX + 1)]) == [
        FieldError("skill_ids", "skills.too_many", {"max": SKILLS_MAX})
    ]


@pytest.mark.parametrize("skill_id", ["Python", "data analysis", "-leading-dash", "é", "x" * 101])
def test_skill_id_not_in_canonical_form_is_refused(skill_id: str) -> None:
    assert refused(skill_ids=["python", skill_id]) == [FieldError("skill_ids", "skills.malformed")]


def can_apply(**changes: Any) -> None:
    args: dict[str, Any] = {
        "state": OPEN,
        "poster_id": "poster",
        "applicant_id": "applicant",
        "deadline": NOW + timedelta(days=1),
        "now": NOW,
    }
    check_can_apply(**{**args, **changes})


def test_anyone_but_the_poster_can_apply_to_an_open_opportunity() -> None:
    can_apply()
    can_apply(deadline=None)


def test_applying_to_a_closed_opportunity_is_refused() -> None:
    with pytest.raises(Refused) as raised:
        can_apply(state="closed")
    assert raised.value.code == "apply.closed"


def test_applying_to_ones_own_opportunity_is_refused() -> None:
    with pytest.raises(Refused) as raised:
        can_apply(applicant_id="poster")
    assert raised.value.code == "apply.own_opportunity"


def test_applying_after_the_deadline_is_refused() -> None:
    with pytest.raises(Refused) as raised:
        can_apply(deadline=NOW - timedelta(seconds=1))
    assert raised.value.code == "apply.deadline_passed"


def test_applying_at_the_deadline_itself_is_accepted() -> None:
    can_apply(deadline=NOW)


def test_closed_is_reported_before_the_other_refusals() -> None:
    with pytest.raises(Refused) as raised:
        can_apply(state="closed", applicant_id="poster", deadline=NOW - timedelta(days=1))
    assert raised.value.code == "apply.closed"


def test_poster_may_act_on_their_opportunity() -> None:
    check_is_poster("poster", "poster")


def test_someone_else_may_not_act_as_the_poster() -> None:
    with pytest.raises(Forbidden) as raised:
        check_is_poster("poster", "someone-else")
    assert raised.value.code == "opportunity.not_poster"


def test_application_message_is_trimmed() -> None:
    assert validate_message("  Hello!  ") == "Hello!"


def test_too_long_application_message_is_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        validate_message("m" * (MESSAGE_MAX + 1))
    assert raised.value.errors == [FieldError("message", "field.too_long", {"max": MESSAGE_MAX})]


def test_surrounding_whitespace_does_not_count_toward_the_limit() -> None:
    assert post(title_en="t" * TITLE_MAX + "\n").title_en == "t" * TITLE_MAX
    assert validate_message(" " + "m" * MESSAGE_MAX + " ") == "m" * MESSAGE_MAX
