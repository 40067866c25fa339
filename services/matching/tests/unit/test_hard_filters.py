"""The hard filters that rule a candidate out before ranking, and which one is counted."""

from __future__ import annotations

import pytest

from matching.domain.ranking import CandidateFacts, Requirements, ruled_out_by, wanted_role

SKILLS = {"data-analysis": {"en": "Data Analysis", "fr": "Analyse de données"}}


def verdict(req: Requirements, **facts: object) -> str:
    return ruled_out_by(req, ["data-analysis"], CandidateFacts(**facts), SKILLS)  # type: ignore[arg-type]


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


def test_a_paused_mentor_is_ruled_out_of_mentoring_only() -> None:
    mentoring = Requirements(type="mentoring", host_role="seeking")
    assert verdict(mentoring, opt_ins={"mentoring": ["mentor"]}, paused=True) == "paused"
    micro = Requirements(type="micro_mission", host_role="offering")
    assert verdict(micro, opt_ins={"micro_mission": ["participant"]}, paused=True) == ""


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


def test_location_matters_only_when_the_work_cannot_be_done_virtually() -> None:
    assert verdict(Requirements(virtual=False, province="QC"), province="ON") == "location"
    assert verdict(Requirements(virtual=False, province="QC"), province="QC") == ""
    assert verdict(Requirements(virtual=True, province="QC"), province="ON") == ""


def test_someone_with_none_of_the_skills_is_ruled_out_by_skills_last() -> None:
    assert ruled_out_by(Requirements(), ["python"], CandidateFacts(), SKILLS) == "skills"
    # Each person counts against the first filter they fail.
    req = Requirements(type="micro_mission", host_role="offering")
    assert ruled_out_by(req, ["python"], CandidateFacts(), SKILLS) == "opt_in"
