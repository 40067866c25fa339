"""What a person may put in their profile: every field checked, every error named, and a change
with any error refused whole."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from profiles.domain import model
from profiles.domain.model import (
    Education,
    LanguageLevels,
    Location,
    MentoringPreferences,
    OptIn,
    ProfileChanges,
    SelfIdentification,
    WorkExperience,
    validate_changes,
)
from profiles.domain.reference import ReferenceData, load_reference
from tandem_kit.errors import FieldError, InvalidInput

TODAY = date(2026, 11, 23)


@pytest.fixture(scope="module")
def ref() -> ReferenceData:
    return load_reference()


def change(**values: object) -> ProfileChanges:
    """A change of the fields given (`english` and `french` are both official_languages)."""
    fields = frozenset("official_languages" if name in ("english", "french") else name for name in values)
    return ProfileChanges(fields=fields, **values)  # type: ignore[arg-type]


def refused(ref: ReferenceData, changes: ProfileChanges) -> list[tuple[str, str]]:
    with pytest.raises(InvalidInput) as raised:
        validate_changes(ref, changes, today=TODAY)
    return [(e.field, e.code) for e in raised.value.errors]


def accepted(ref: ReferenceData, changes: ProfileChanges) -> dict[str, object]:
    return validate_changes(ref, changes, today=TODAY)


EVERY_FIELD = change(
    title="  Senior   policy analyst ",
    department="Treasury Board of Canada Secretariat",
    classification="ec 5",
    location=Location("Ottawa", "on", "America/Toronto"),
    english=LanguageLevels("C", "c", "B"),
    french=LanguageLevels("B", "B", "E"),
    other_languages=("Arabic", "arabic", "Spanish"),
    education=(Education("University of Ottawa", "MA", "Economics", 2010, 2012),),
    work_experience=(WorkExperience("Policy analyst", "ESDC", "2012-09", "2018-03", "Labour market policy."),),
    occupation_code="41401",
    industry_code="911910",
    career_goals="Lead a policy team.",
    interests=("Open data", "Mentoring"),
    skill_ids=("policy-analysis", " python ", "policy-analysis"),
    opt_ins=(OptIn("mentoring", ("mentor", "mentee")), OptIn("job_swap", ("seeker",)), OptIn("deployment", ())),
    mentoring=MentoringPreferences(("reverse", "traditional"), 2, 6, 4, False),
    self_identification=SelfIdentification("Lebanese Canadian", ("women", "visible_minorities")),
)


def test_a_change_with_every_field_right_is_cleaned_and_kept_whole(ref: ReferenceData) -> None:
    cleaned = accepted(ref, EVERY_FIELD)

    assert cleaned == {
        "title": "Senior policy analyst",
        "department": "Treasury Board of Canada Secretariat",
        "classification": "EC-05",
        "location": {"city": "Ottawa", "province": "ON", "time_zone": "America/Toronto"},
        "official_languages": {
            "english": {"written_comprehension": "C", "written_expression": "C", "oral_proficiency": "B"},
            "french": {"written_comprehension": "B", "written_expression": "B", "oral_proficiency": "E"},
        },
        "other_languages": ["Arabic", "Spanish"],
        "education": [
            {
                "institution": "University of Ottawa",
                "credential": "MA",
                "field_of_study": "Economics",
                "start_year": 2010,
                "end_year": 2012,
            }
        ],
        "work_experience": [
            {
                "title": "Policy analyst",
                "organization": "ESDC",
                "start": "2012-09",
                "end": "2018-03",
                "description": "Labour market policy.",
            }
        ],
        "occupation_code": "41401",
        "industry_code": "911910",
        "career_goals": "Lead a policy team.",
        "interests": ["Open data", "Mentoring"],
        "skill_ids": ["policy-analysis", "python"],
        # Roles in a stable order; a type opted in with no role is left out.
        "opt_ins": [
            {"opportunity_type": "job_swap", "roles": ["seeker"]},
            {"opportunity_type": "mentoring", "roles": ["mentee", "mentor"]},
        ],
        "mentoring": {
            "types": ["traditional", "reverse"],
            "max_mentees": 2,
            "connector_meetings_per_year": 6,
            "availability_hours_per_month": 4,
            "paused": False,
        },
        "self_identification": {
            "cultural_background": "Lebanese Canadian",
            "employment_equity_groups": ["women", "visible_minorities"],
        },
    }


def test_only_the_fields_named_are_returned(ref: ReferenceData) -> None:
    assert accepted(ref, change(title="Analyst")) == {"title": "Analyst"}


def test_empty_values_clear_a_field(ref: ReferenceData) -> None:
    cleared = accepted(ref, change(classification="", occupation_code="", industry_code="", location=Location()))

    assert cleared == {
        "classification": "",
        "occupation_code": "",
        "industry_code": "",
        "location": {"city": "", "province": "", "time_zone": ""},
    }


@pytest.mark.parametrize("level", ["D", "P", "1", "AB", "é"])
def test_a_language_level_outside_a_b_c_e_x_is_refused(ref: ReferenceData, level: str) -> None:
    assert refused(ref, change(english=LanguageLevels(oral_proficiency=level))) == [
        ("official_languages.english.oral_proficiency", "language.level")
    ]


def test_an_unknown_noc_code_is_refused(ref: ReferenceData) -> None:
    assert refused(ref, change(occupation_code="99999")) == [("occupation_code", "occupation.unknown")]


def test_a_noc_group_is_not_an_occupation(ref: ReferenceData) -> None:
    assert refused(ref, change(occupation_code="41")) == [("occupation_code", "occupation.not_unit_group")]


def test_an_unknown_naics_code_is_refused_and_any_shipped_level_accepted(ref: ReferenceData) -> None:
    assert refused(ref, change(industry_code="999999")) == [("industry_code", "industry.unknown")]
    assert accepted(ref, change(industry_code="91")) == {"industry_code": "91"}


@pytest.mark.parametrize(
    ("capacity", "field"),
    [
        (MentoringPreferences(max_mentees=-1), "mentoring.max_mentees"),
        (MentoringPreferences(max_mentees=model.MAX_MENTEES + 1), "mentoring.max_mentees"),
        (MentoringPreferences(connector_meetings_per_year=-3), "mentoring.connector_meetings_per_year"),
        (MentoringPreferences(availability_hours_per_month=-1), "mentoring.availability_hours_per_month"),
    ],
)
def test_a_capacity_out_of_range_is_refused(ref: ReferenceData, capacity: MentoringPreferences, field: str) -> None:
    assert refused(ref, change(mentoring=capacity)) == [(field, "field.number_range")]


def test_a_mentoring_type_must_be_one_of_the_four(ref: ReferenceData) -> None:
    assert refused(ref, change(mentoring=MentoringPreferences(types=("speed",)))) == [
        ("mentoring.types", "mentoring.type")
    ]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("EC", "classification.format"),
        ("05-EC", "classification.format"),
        ("ZZ-01", "classification.unknown_group"),
        ("EC-09", "classification.level"),
        ("EC-00", "classification.level"),
        ("EN-03", "classification.subgroup"),
        ("EN-XYZ-03", "classification.subgroup"),
    ],
)
def test_a_classification_not_in_the_list_of_groups_is_refused(ref: ReferenceData, value: str, code: str) -> None:
    assert refused(ref, change(classification=value)) == [("classification", code)]


@pytest.mark.parametrize(("value", "normalized"), [("EC-05", "EC-05"), ("as 2", "AS-02"), ("EN-ENG-03", "EN-ENG-03")])
def test_a_classification_is_normalized(ref: ReferenceData, value: str, normalized: str) -> None:
    assert accepted(ref, change(classification=value)) == {"classification": normalized}


def test_province_and_time_zone_come_from_their_lists(ref: ReferenceData) -> None:
    assert refused(ref, change(location=Location("Ottawa", "XX", "Mars/Olympus"))) == [
        ("location.province", "location.province"),
        ("location.time_zone", "location.time_zone"),
    ]


def test_education_years_are_checked(ref: ReferenceData) -> None:
    entries = (
        Education("Carleton", start_year=1700),
        Education("Laval", start_year=2015, end_year=2010),
        Education("", start_year=2010),
    )

    assert refused(ref, change(education=entries)) == [
        ("education.0.start_year", "year.range"),
        ("education.1.end_year", "year.order"),
        ("education.2.institution", "field.required"),
    ]


def test_work_experience_months_are_checked(ref: ReferenceData) -> None:
    entries = (
        WorkExperience("Analyst", start="2020-13"),
        WorkExperience("Analyst", start="2020-05", end="2019-01"),
        WorkExperience("Analyst"),
        WorkExperience("Analyst", start="March 2020"),
    )

    assert refused(ref, change(work_experience=entries)) == [
        ("work_experience.0.start", "month.format"),
        ("work_experience.1.end", "month.order"),
        ("work_experience.2.start", "field.required"),
        ("work_experience.3.start", "month.format"),
    ]


def test_opt_ins_name_known_types_and_their_own_roles(ref: ReferenceData) -> None:
    opt_ins = (
        OptIn("mentoring", ("host",)),
        OptIn("job_swap", ("participant",)),
        OptIn("space_mission", ("participant",)),
        OptIn("micro_mission", ("host",)),
        OptIn("micro_mission", ("participant",)),
    )

    assert refused(ref, change(opt_ins=opt_ins)) == [
        ("opt_ins.mentoring", "opt_in.role"),
        ("opt_ins.job_swap", "opt_in.role"),
        ("opt_ins.space_mission", "opt_in.unknown_type"),
        ("opt_ins.micro_mission", "opt_in.repeated"),
    ]


def test_every_opportunity_type_can_be_opted_in_with_each_of_its_roles(ref: ReferenceData) -> None:
    every = tuple(OptIn(kind, roles) for kind, roles in model.OPT_IN_ROLES.items())

    assert accepted(ref, change(opt_ins=every))["opt_ins"] == [
        {"opportunity_type": kind, "roles": list(roles)} for kind, roles in model.OPT_IN_ROLES.items()
    ]
    assert set(model.OPT_IN_ROLES) == {
        "micro_mission",
        "assignment",
        "deployment",
        "job_swap",
        "job_rotation",
        "mentoring",
        "job_shadowing",
        "skill_sharing",
        "peer_coaching",
        "job_sharing",
    }


def test_employment_equity_groups_are_the_four_designated_groups(ref: ReferenceData) -> None:
    assert refused(ref, change(self_identification=SelfIdentification("", ("veterans",)))) == [
        ("self_identification.employment_equity_groups", "equity_group.unknown")
    ]


def test_a_very_long_field_is_refused_by_its_limit(ref: ReferenceData) -> None:
    assert refused(ref, change(career_goals="x" * 900_000)) == [("career_goals", "field.too_long")]


def test_one_line_fields_refuse_line_breaks(ref: ReferenceData) -> None:
    assert refused(ref, change(title="Analyst\nand more")) == [("title", "field.single_line")]


def test_too_many_entries_are_refused(ref: ReferenceData) -> None:
    assert refused(ref, change(interests=tuple(f"i{n}" for n in range(model.INTERESTS_MAX + 1)))) == [
        ("interests", "field.too_many")
    ]


def test_unknown_skill_ids_are_refused_unless_they_are_known_custom_skills(ref: ReferenceData) -> None:
    assert refused(ref, change(skill_ids=("python", "custom-abc", "cobolx"))) == [("skill_ids", "skills.unknown")]
    cleaned = validate_changes(
        ref, change(skill_ids=("python", "custom-abc")), custom_skill_ids=frozenset({"custom-abc"}), today=TODAY
    )
    assert cleaned == {"skill_ids": ["python", "custom-abc"]}


def test_an_unknown_field_in_the_mask_is_refused(ref: ReferenceData) -> None:
    assert refused(ref, replace(change(title="x"), fields=frozenset({"title", "salary"}))) == [
        ("update_mask", "update_mask.unknown")
    ]


def test_every_error_of_a_change_is_reported_at_once(ref: ReferenceData) -> None:
    bad = replace(
        EVERY_FIELD,
        occupation_code="00000",
        english=LanguageLevels(written_expression="Q"),
        mentoring=MentoringPreferences(max_mentees=-1),
    )

    assert refused(ref, bad) == [
        ("official_languages.english.written_expression", "language.level"),
        ("occupation_code", "occupation.unknown"),
        ("mentoring.max_mentees", "field.number_range"),
    ]


def test_the_error_parameters_name_what_to_do(ref: ReferenceData) -> None:
    with pytest.raises(InvalidInput) as raised:
        validate_changes(ref, change(classification="EC-12"), today=TODAY)

    assert raised.value.errors == [
        FieldError("classification", "classification.level", {"group": "EC", "min": 1, "max": 8})
    ]


# --- completeness ---------------------------------------------------------------------------------


def test_an_empty_profile_misses_every_section() -> None:
    missing = model.missing_sections({"display_name": "Amira Haddad"})

    assert missing == list(model.SECTIONS)
    assert model.completeness_percent(missing) == 0


def test_a_full_profile_misses_nothing(ref: ReferenceData) -> None:
    stored = {**accepted(ref, EVERY_FIELD), "display_name": "Amira Haddad"}

    assert model.missing_sections(stored) == []
    assert model.completeness_percent([]) == 100


def test_a_location_needs_city_province_and_time_zone() -> None:
    partial = {"location": {"city": "Ottawa", "province": "ON", "time_zone": ""}}

    assert "location" in model.missing_sections(partial)


def test_security_clearance_and_availability_are_kept_in_a_stable_shape(ref: ReferenceData) -> None:
    cleaned = accepted(
        ref,
        change(
            security_clearance="secret",
            availability=model.Availability(10, 2, ("friday", "monday"), "08:30", "16:30"),
        ),
    )

    assert cleaned == {
        "security_clearance": "secret",
        "availability": {
            "hours_per_week": 10,
            "max_engagements": 2,
            "days": ["monday", "friday"],
            "day_start": "08:30",
            "day_end": "16:30",
        },
    }


def test_wrong_security_clearance_and_availability_are_refused_field_by_field(ref: ReferenceData) -> None:
    assert refused(
        ref,
        change(
            security_clearance="cosmic",
            availability=model.Availability(99, -1, ("someday",), "9h", "08:00"),
        ),
    ) == [
        ("security_clearance", "security_clearance.unknown"),
        ("availability.days", "availability.day"),
        ("availability.day_start", "availability.time"),
        ("availability.hours_per_week", "field.number_range"),
        ("availability.max_engagements", "field.number_range"),
    ]
    assert refused(ref, change(availability=model.Availability(day_start="17:00", day_end="09:00"))) == [
        ("availability.day_end", "availability.time_order")
    ]
