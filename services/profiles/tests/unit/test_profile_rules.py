"""What a person may put in their profile."""

from __future__ import annotations

import pytest

from profiles.domain.model import SKILLS_MAX, TITLE_MAX, validate_profile_update
from profiles.domain.taxonomy import Skill, Taxonomy
from tandem_kit.errors import FieldError, InvalidInput

TAXONOMY = Taxonomy(Skill(f"skill-{i}", f"Skill {i}", f"Compétence {i}") for i in range(SKILLS_MAX + 20))


def refused(title: str = "", skill_ids: list[str] | None = None) -> list[FieldError]:
    with pytest.raises(InvalidInput) as raised:
        validate_profile_update(TAXONOMY, title, skill_ids or [])
    return raised.value.errors


def test_valid_update_is_cleaned_and_deduplicated() -> None:
    title, ids = validate_profile_update(TAXONOMY, "  Senior   analyst ", [" skill-2", "skill-1", "skill-2 ", "  "])

    assert title == "Senior analyst"
    assert ids == ["skill-2", "skill-1"]


def test_unknown_skill_ids_are_refused_and_named() -> None:
    assert refused(skill_ids=["skill-1", "cobol", "fortran"]) == [
        FieldError("skill_ids", "skills.unknown", {"ids": "cobol, fortran"})
    ]


def test_too_many_skills_are_refused() -> None:
    assert refused(skill_ids=[f"skill-{i}" for i in range(SKILLS_MAX + 1)]) == [
        FieldError("skill_ids", "skills.too_many", {"max": SKILLS_MAX})
    ]


def test_the_maximum_number_of_skills_is_accepted() -> None:
    _, ids = validate_profile_update(TAXONOMY, "", [f"skill-{i}" for i in range(SKILLS_MAX)])

    assert len(ids) == SKILLS_MAX


def test_repeated_skills_count_once() -> None:
    _, ids = validate_profile_update(TAXONOMY, "", ["skill-1"] * (SKILLS_MAX + 1))

    assert ids == ["skill-1"]


def test_too_long_title_is_refused_with_the_skill_errors() -> None:
    errors = refused(title="t" * (TITLE_MAX + 1), skill_ids=["nope"])

    assert errors == [
        FieldError("title", "field.too_long", {"max": TITLE_MAX}),
        FieldError("skill_ids", "skills.unknown", {"ids": "nope"}),
    ]


def test_only_the_first_five_unknown_ids_are_named() -> None:
    (error,) = refused(skill_ids=[f"bad-{i}" for i in range(8)])

    assert error.params == {"ids": "bad-0, bad-1, bad-2, bad-3, bad-4"}
