"""Mentor matching's service layer without I/O: what the mentoring read model takes from a
profile, and a program's rules taken from a request field by field."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from matching.cohorts import mentoring_facts, rules_from_dict, rules_from_message, rules_to_dict
from matching.domain.fit import LanguageRule, ProgramRules
from tandem.matching.v1 import cohorts_pb2 as pb
from tandem.profiles.v1 import events_pb2 as profile_events
from tandem.profiles.v1 import profiles_pb2
from tandem_kit.errors import FieldCollector

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _levels(level: str) -> profiles_pb2.LanguageLevels:
    return profiles_pb2.LanguageLevels(written_comprehension=level, written_expression=level, oral_proficiency=level)


def _profile(english: str, french: str, **details: object) -> profile_events.ProfileUpdated:
    return profile_events.ProfileUpdated(
        user_id="u1",
        display_name="Léa Bouchard",
        department="Statistics Canada",
        version=3,
        details=profiles_pb2.ProfileDetails(
            official_languages=profiles_pb2.OfficialLanguages(english=_levels(english), french=_levels(french)),
            **details,  # type: ignore[arg-type]
        ),
        private=profiles_pb2.PrivateProfile(
            opt_ins=[
                profiles_pb2.OptIn(opportunity_type="mentoring", roles=["mentee"]),
                profiles_pb2.OptIn(opportunity_type="micro_mission", roles=["host"]),
            ],
            mentoring=profiles_pb2.MentoringPreferences(max_mentees=2, connector_meetings_per_year=1),
        ),
    )


@pytest.mark.parametrize(
    ("english", "french", "languages", "preferred"),
    [
        ("", "E", ["fr"], "fr"),  # French only: prefers French
        ("X", "C", ["fr"], "fr"),  # X is no proficiency
        ("A", "E", ["fr"], "fr"),  # A alone is not enough to be mentored in
        ("B", "E", ["en", "fr"], ""),
        ("E", "", ["en"], "en"),
        ("", "", [], ""),
    ],
)
def test_official_languages_spoken_and_preferred(
    english: str, french: str, languages: list[str], preferred: str
) -> None:
    facts = mentoring_facts(_profile(english, french), NOW)
    assert (facts["languages"], facts["preferred_language"]) == (languages, preferred)


def test_mentoring_facts_from_a_profile() -> None:
    facts = mentoring_facts(
        _profile(
            "C",
            "",
            classification=profiles_pb2.Classification(code="EC-05", group="EC", level=5),
            occupation=profiles_pb2.ClassifiedCode(system="noc2021", code="21211"),
            interests=["  Data   Literacy", "leadership", "data literacy"],
            education=[
                profiles_pb2.Education(credential="Master of Science", field_of_study="Statistics"),
                profiles_pb2.Education(credential="Baccalauréat", field_of_study="Mathématiques"),
            ],
            work_experience=[
                profiles_pb2.WorkExperience(start="2020-03", end="2023-03"),
                profiles_pb2.WorkExperience(start="2024-03"),
            ],
        ),
        NOW,
    )
    assert facts["roles"] == ["mentee"]  # mentoring roles only
    assert facts["noc"] == "21211" and facts["seniority"] == 5
    assert facts["goals"] == ["data literacy", "leadership"]
    assert facts["education"] == 4  # master's
    assert facts["fields_of_study"] == ["mathématiques", "statistics"]
    assert facts["years_experience"] == 5.0
    assert (facts["max_mentees"], facts["connector_meetings_per_year"]) == (2, 1)


def test_rules_left_out_take_their_defaults_and_given_ones_replace_them() -> None:
    errors = FieldCollector()
    rules = rules_from_message(
        pb.ProgramRules(weights=pb.Weights(goals=0, culture=0), language_rule="preferred", exclude_past_pairs=False),
        errors,
    )
    assert not errors.errors
    assert rules.weights.goals == 0 and rules.weights.occupation == ProgramRules().weights.occupation
    assert rules.language_rule is LanguageRule.PREFERRED
    assert rules.exclude_past_pairs is False and rules.exclude_reporting_line is True
    assert rules_from_dict(rules_to_dict(rules)) == rules


def test_every_bad_rule_is_named() -> None:
    errors = FieldCollector()
    rules_from_message(
        pb.ProgramRules(
            weights=pb.Weights(sector=-1, culture=10),
            mentoring_type="sideways",
            same_city_proximity=2,
            max_peer_gap=40,
        ),
        errors,
    )
    assert {(e.field, e.code) for e in errors.errors} == {
        ("rules.weights.sector", "rules.weight_range"),
        ("rules.weights.culture", "rules.culture_not_allowed"),
        ("rules.mentoring_type", "rules.unknown_choice"),
        ("rules.same_city_proximity", "rules.share_range"),
        ("rules.max_peer_gap", "rules.seniority_gap_range"),
    }
