"""The members' own rankings for stable runs, without I/O: a ranking names only people of the
other side, once each, and not too many; the stored rankings reach the domain's request for a
stable run only; and a pair made from them says so, in both languages."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from matching import cohorts
from matching.cohort_store import Cohort, CohortRun, Program
from matching.cohorts import (
    RANKING_MAX,
    RANKING_REASONS,
    check_ranking,
    cohort_request,
    rules_to_dict,
    with_ranking_reasons,
)
from matching.domain.cohort import Method, run_cohort
from matching.domain.fit import Participant, ProgramRules
from tandem_kit.errors import FieldCollector
from tandem_kit.i18n import Catalog

NOW = datetime(2026, 3, 1, tzinfo=UTC)
SIDES = {
    "mentee": {"e1": "Léa Bouchard", "e2": "Sam Patel"},
    "mentor": {"A": "Ann Smith", "B": "René Côté"},
}


def _errors(side: str, ranked: list[str]) -> set[tuple[str, str]]:
    errors = FieldCollector()
    check_ranking(errors, "ranked_user_ids", side, ranked, SIDES)
    return {(e.field, e.code) for e in errors.errors}


def test_a_ranking_of_the_other_side_is_taken() -> None:
    assert _errors("mentee", ["B", "A"]) == set()
    assert _errors("mentor", ["e2"]) == set()
    assert _errors("mentee", []) == set()  # empty: back to ranking by fit


def test_a_ranking_names_only_people_of_the_other_side_once_each() -> None:
    assert _errors("mentee", ["e2", "nobody", "B", "B", "not an id"]) == {
        ("ranked_user_ids[0]", "cohort.ranking_mentors_only"),
        ("ranked_user_ids[1]", "cohort.unknown_person"),
        ("ranked_user_ids[3]", "cohort.ranked_twice"),
        ("ranked_user_ids[4]", "field.not_an_id"),
    }
    assert _errors("mentor", ["A", "e1"]) == {("ranked_user_ids[0]", "cohort.ranking_mentees_only")}


def test_a_ranking_longer_than_the_limit_is_refused_as_a_whole() -> None:
    assert _errors("mentee", [f"m{k}" for k in range(RANKING_MAX + 1)]) == {
        ("ranked_user_ids", "cohort.ranking_too_long")
    }


def test_a_wrong_side_names_the_person_in_both_languages() -> None:
    catalog = Catalog.load(Path(cohorts.__file__).with_name("messages.yaml"))
    errors = FieldCollector()
    check_ranking(errors, "ranked_user_ids", "mentee", ["e2"], SIDES)
    (error,) = errors.errors
    assert catalog.render(error.code, "en", error.params) == "Sam Patel is a mentee: a mentee ranks mentors only."
    assert catalog.render(error.code, "fr", error.params) == (
        "Sam Patel fait partie des mentorés : un mentoré ne classe que des mentors."
    )


@pytest.mark.parametrize("code", sorted(RANKING_REASONS))
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_ranking_reason_renders_with_its_parameters(code: str, lang: str) -> None:
    catalog = Catalog.load(Path(cohorts.__file__).with_name("messages.yaml"))
    text = catalog.render(code, lang, {name: f"<{name}>" for name in RANKING_REASONS[code]})
    assert all(f"<{name}>" in text for name in RANKING_REASONS[code])


# --- the stored rankings reach the domain ---------------------------------------------------------


def _member(user_id: str, capacity: int = 0) -> dict[str, object]:
    name = {**SIDES["mentee"], **SIDES["mentor"]}[user_id]
    return {"user_id": user_id, "display_name": name, "capacity": capacity, "reporting_line": []}


def _cohort() -> Cohort:
    """e1 and A share an occupation, as do e2 and B: fit pairs e1 with A and e2 with B. Léa (e1)
    and René (B) chose each other instead; Ann (A) ranked Sam (e2) first on paper."""
    return Cohort(
        id="c1",
        program_id="p1",
        name={"en": "Spring", "fr": "Printemps"},
        mentees=[_member("e1"), _member("e2")],
        mentors=[_member("A", 1), _member("B", 1)],
        mentee_rankings={"e1": {"ranked": ["B", "A"], "set_by": "e1", "set_at": NOW}},
        mentor_rankings={
            "B": {"ranked": ["e1"], "set_by": "B", "set_at": NOW},
            "A": {"ranked": ["e2", "e1"], "set_by": "cora", "set_at": NOW},
        },
        created_by="cora",
        created_at=NOW,
    )


def _people() -> dict[str, Participant]:
    def person(user_id: str, noc: str, level: int) -> Participant:
        return Participant(id=user_id, noc=noc, languages=frozenset({"en"}), seniority=level)

    return {
        "e1": person("e1", "21231", 2),
        "e2": person("e2", "41401", 2),
        "A": person("A", "21231", 4),
        "B": person("B", "41401", 4),
    }


def _run(method: str) -> CohortRun:
    return CohortRun(
        id="r1", cohort_id="c1", program_id="p1", method=method, state="running", generation=0, pins=[], bans=[]
    )


PROGRAM = Program(
    id="p1",
    name={"en": "P", "fr": "P"},
    rules=rules_to_dict(ProgramRules()),
    version=1,
    updated_by="cora",
    updated_at=NOW,
)


def test_a_stable_run_takes_the_stored_rankings_and_the_others_take_none() -> None:
    stable = cohort_request(_cohort(), PROGRAM, _run("stable"), _people())
    assert stable.method is Method.STABLE
    assert stable.mentee_rankings == {"e1": ["B", "A"]}
    assert stable.mentor_rankings == {"B": ["e1"], "A": ["e2", "e1"]}

    optimal = cohort_request(_cohort(), PROGRAM, _run("optimal"), _people())
    assert (optimal.mentee_rankings, optimal.mentor_rankings) == ({}, {})


def test_a_stable_run_follows_the_rankings_over_fit_and_each_pair_says_whose_choice_it_was() -> None:
    optimal = run_cohort(cohort_request(_cohort(), PROGRAM, _run("optimal"), _people()))
    assert {(m.mentee_id, m.mentor_id) for m in optimal.matches} == {("e1", "A"), ("e2", "B")}

    request = cohort_request(_cohort(), PROGRAM, _run("stable"), _people())
    result = with_ranking_reasons(run_cohort(request), request)

    by_mentee = {m.mentee_id: m for m in result.matches}
    assert {(m.mentee_id, m.mentor_id) for m in result.matches} == {("e1", "B"), ("e2", "A")}
    first = by_mentee["e1"].reasons[0]
    assert (first.code, dict(first.params)) == ("fit.ranked_by_both", {"mentee_rank": 1, "mentor_rank": 1})
    # Sam gave no ranking (he ranks by fit); Ann ranked him first.
    first = by_mentee["e2"].reasons[0]
    assert (first.code, dict(first.params)) == ("fit.ranked_by_mentor", {"rank": 1})


def test_a_pinned_pair_or_one_nobody_ranked_carries_no_ranking_reason() -> None:
    cohort = _cohort()
    cohort.mentee_rankings, cohort.mentor_rankings = {}, {}
    request = cohort_request(cohort, PROGRAM, _run("stable"), _people())
    result = with_ranking_reasons(run_cohort(request), request)
    assert not [r for m in result.matches for r in m.reasons if r.code in RANKING_REASONS]

    run = _run("stable")
    run.pins = [["e1", "B"]]
    request = cohort_request(_cohort(), PROGRAM, run, _people())
    result = with_ranking_reasons(run_cohort(request), request)
    (pinned,) = [m for m in result.matches if m.pinned]
    assert not [r for r in pinned.reasons if r.code in RANKING_REASONS]
