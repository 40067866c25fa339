"""The hard filters that rule a candidate out before ranking, and which one is counted."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from matching.domain.ranking import (
    FILTERS,
    CandidateFacts,
    CandidateRecord,
    Requirements,
    Weights,
    rank,
    ruled_out_by,
    schedule_overlap,
    wanted_role,
)

# A Thursday in January: Toronto is UTC-5, Vancouver UTC-8, St. John's UTC-3:30.
AT = datetime(2026, 1, 15, 15, 0, tzinfo=UTC)


def verdict(req: Requirements, **facts: object) -> str:
    return ruled_out_by(req, CandidateFacts(**facts), 1.0, at=AT)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("type_", "host_role", "role"),
    [
        ("micro_mission", "offering", "participant"),
        ("micro_mission", "seeking", "host"),
        ("mentoring", "offering", "mentee"),
        ("mentoring", "seeking", "mentor"),
        ("job_swap", "offering", "seeker"),
        ("job_rotation", "seeking", "participant"),
    ],
)
def test_the_candidate_must_opt_in_to_the_other_side_of_the_hosts_role(type_: str, host_role: str, role: str) -> None:
    assert wanted_role(type_, host_role) == role
    req = Requirements(type=type_, host_role=host_role)
    assert verdict(req, opt_ins={type_: [role]}) == ""
    assert verdict(req, opt_ins={}) == "opt_in"


def test_a_department_only_opportunity_takes_only_its_department_by_code() -> None:
    req = Requirements(department="statcan", limited_to_department=True)

    assert verdict(req, department="statcan") == ""
    assert verdict(req, department="tbs-sct") == "department"
    # A person known only by a department name (an account from before codes) is not taken.
    assert verdict(req, department="") == "department"
    assert verdict(Requirements(department="statcan"), department="tbs-sct") == ""


def test_a_paused_mentor_is_ruled_out_of_mentoring_only() -> None:
    mentoring = Requirements(type="mentoring", host_role="seeking")
    assert verdict(mentoring, opt_ins={"mentoring": ["mentor"]}, paused=True) == "paused"
    micro = Requirements(type="micro_mission", host_role="offering")
    assert verdict(micro, opt_ins={"micro_mission": ["participant"]}, paused=True) == ""


def test_someone_engaged_in_as_many_opportunities_as_they_take_is_at_capacity() -> None:
    req = Requirements()

    assert verdict(req, max_engagements=2, engagements=1) == ""
    assert verdict(req, max_engagements=2, engagements=2) == "capacity"
    assert verdict(req, max_engagements=0, engagements=9) == ""  # no limit given


def test_a_mentor_mentoring_as_many_mentees_as_they_take_is_at_capacity_for_mentoring() -> None:
    wants_mentor = Requirements(type="mentoring", host_role="seeking")
    wants_mentee = Requirements(type="mentoring", host_role="offering")
    full = {"max_mentees": 2, "mentoring_engagements": 2}

    assert verdict(wants_mentor, opt_ins={"mentoring": ["mentor"]}, **full) == "capacity"
    assert verdict(wants_mentee, opt_ins={"mentoring": ["mentee"]}, **full) == ""
    assert verdict(wants_mentor, opt_ins={"mentoring": ["mentor"]}, max_mentees=2, mentoring_engagements=1) == ""


@pytest.mark.parametrize(
    ("theirs", "needed", "verdict_"),
    [
        ("B", "B", ""),
        ("C", "B", ""),
        ("E", "C", ""),
        ("A", "B", "language"),
        ("X", "A", "language"),
        ("", "A", "language"),
    ],
)
def test_language_levels_are_compared_in_order_with_exempt_highest(theirs: str, needed: str, verdict_: str) -> None:
    req = Requirements(languages={"fr": {"oral_proficiency": needed}})
    facts = {"languages": {"fr": {"oral_proficiency": theirs}} if theirs else {}}
    assert verdict(req, **facts) == verdict_


@pytest.mark.parametrize(
    ("held", "required", "verdict_"),
    [
        ("", "reliability", "security"),
        ("none", "reliability", "security"),
        ("reliability", "reliability", ""),
        ("secret", "reliability", ""),
        ("reliability", "secret", "security"),
        ("top_secret", "secret", ""),
        ("", "none", ""),
        ("", "", ""),
    ],
)
def test_security_clearance_must_reach_the_level_required(held: str, required: str, verdict_: str) -> None:
    assert verdict(Requirements(security_level=required), security_clearance=held) == verdict_


def test_location_matters_only_when_the_work_cannot_be_done_virtually() -> None:
    assert verdict(Requirements(virtual=False, province="QC"), province="ON") == "location"
    assert verdict(Requirements(virtual=False, province="QC"), province="QC") == ""
    assert verdict(Requirements(virtual=True, province="QC"), province="ON") == ""


def test_working_hours_must_cover_enough_of_the_schedule_across_time_zones() -> None:
    # Monday 09:00-12:00 in Toronto is 06:00-09:00 in Vancouver: outside a 9-to-5 day there.
    morning = Requirements(time_zone="America/Toronto", schedule=(("monday", 9 * 60, 180),))
    assert verdict(morning, time_zone="America/Toronto") == ""
    assert verdict(morning, time_zone="America/Vancouver") == "schedule"
    # ... unless they start early.
    assert verdict(morning, time_zone="America/Vancouver", day_start=6 * 60) == ""
    # Nor on a day they do not work.
    assert verdict(morning, time_zone="America/Toronto", days=("tuesday",)) == "schedule"


def test_without_a_schedule_a_time_zone_asks_for_overlapping_working_days() -> None:
    toronto = Requirements(time_zone="America/Toronto")
    # Vancouver's 9-to-5 covers 5 of Toronto's 8 hours; St. John's covers 6.5 of 8.
    assert schedule_overlap(toronto, CandidateFacts(time_zone="America/Vancouver"), AT) == pytest.approx(5 / 8)
    assert schedule_overlap(toronto, CandidateFacts(time_zone="America/St_Johns"), AT) == pytest.approx(6.5 / 8)
    assert verdict(toronto, time_zone="America/Vancouver") == ""
    strict = Weights(min_schedule_overlap=0.75)
    assert ruled_out_by(toronto, CandidateFacts(time_zone="America/Vancouver"), 1.0, weights=strict, at=AT) == (
        "schedule"
    )
    # Someone who gave no time zone is taken to work in the opportunity's.
    assert schedule_overlap(toronto, CandidateFacts(), AT) == 1.0
    # An opportunity that says nothing of when asks nothing.
    assert schedule_overlap(Requirements(), CandidateFacts(time_zone="Asia/Tokyo"), AT) is None


def test_a_schedule_that_wraps_past_midnight_utc_is_compared_whole() -> None:
    # Sunday 23:00 to Monday 01:00 in Toronto, against someone working Sunday evenings there.
    late = Requirements(time_zone="America/Toronto", schedule=(("sunday", 23 * 60, 120),))
    facts = CandidateFacts(time_zone="America/Toronto", days=("sunday", "monday"), day_start=0, day_end=24 * 60 - 1)

    assert schedule_overlap(late, facts, AT) == pytest.approx(119 / 120)


def test_someone_with_none_of_the_skills_is_ruled_out_by_skills_last() -> None:
    assert ruled_out_by(Requirements(), CandidateFacts(), 0.0, at=AT) == "skills"
    # Each person counts against the first filter they fail.
    req = Requirements(type="micro_mission", host_role="offering")
    assert ruled_out_by(req, CandidateFacts(), 0.0, at=AT) == "opt_in"
    assert FILTERS[-1] == "skills"


def test_each_person_is_counted_once_against_the_first_filter_they_fail() -> None:
    req = Requirements(
        skill_ids=("python",),
        type="micro_mission",
        host_role="offering",
        security_level="secret",
        department="statcan",
        limited_to_department=True,
    )
    python = {"python": {"en": "Python", "fr": "Python"}}
    opted = {"micro_mission": ["participant"]}
    people = [
        CandidateRecord("a", "A", python, CandidateFacts(department="statcan")),
        CandidateRecord("b", "B", python, CandidateFacts(opt_ins=opted, department="ssc-spc")),
        CandidateRecord("c", "C", python, CandidateFacts(opt_ins=opted, department="ssc-spc")),
        CandidateRecord("d", "D", python, CandidateFacts(opt_ins=opted, department="statcan")),
        CandidateRecord("e", "E", {}, CandidateFacts(opt_ins=opted, department="statcan", security_clearance="secret")),
    ]

    ranked, exclusions = rank(req, people, at=AT)

    assert ranked == []
    assert exclusions == {"opt_in": 1, "department": 2, "security": 1, "skills": 1}
    assert exclusions.most_common(1) == [("department", 2)]
