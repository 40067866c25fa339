"""Cohort runs: the optimizer's total equals a brute-force optimum; pins, bans, capacities and
hard rules always hold, whatever the method; bad requests are refused field by field."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.domain.cohort import (
    CandidateGraph,
    CohortRequest,
    CohortResult,
    Method,
    greedy_assignment,
    optimal_assignment,
    random_assignment,
    run_cohort,
)
from matching.domain.fit import (
    FitModel,
    LanguageRule,
    Location,
    MentoringType,
    Participant,
    ProgramRules,
    Weights,
)
from tandem_kit.errors import InvalidInput

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- small random cohorts --------------------------------------------------------------------

NOCS = ["21231", "21232", "21211", "21222", "41401", "41403", "13100", "00012", ""]
GOALS = ["leadership", "data-literacy", "networking", "policy-writing"]
PLACES = [
    ("Ottawa", "ON", 45.42, -75.70),
    ("Gatineau", "QC", 45.48, -75.70),
    ("Montréal", "QC", 45.50, -73.57),
    ("Toronto", "ON", 43.65, -79.38),
    ("Halifax", "NS", 44.65, -63.57),
]
# (languages, preferred language)
SPEAKERS = [({"en"}, "en"), ({"fr"}, "fr"), ({"en", "fr"}, "en"), ({"en", "fr"}, "fr"), ({"en", "fr"}, "")]


@st.composite
def participants(draw: st.DrawFn, pid: str, others: list[str]) -> Participant:
    languages, preferred = draw(st.sampled_from(SPEAKERS))
    city, province, lat, lon = draw(st.sampled_from(PLACES))
    located = draw(st.booleans())
    return Participant(
        id=pid,
        noc=draw(st.sampled_from(NOCS)),
        sector=draw(st.sampled_from(["", "statcan", "esdc-edsc"])),
        goals=frozenset(draw(st.sets(st.sampled_from(GOALS), max_size=3))),
        languages=frozenset(languages),
        preferred_language=preferred,
        cultural_backgrounds=frozenset(draw(st.sets(st.sampled_from(["metis", "arab"]), max_size=1))),
        location=Location(city, province, lat if located else None, lon if located else None),
        seniority=draw(st.integers(1, 5)),
        reporting_line=frozenset(draw(st.sets(st.sampled_from(others), max_size=1))),
        past_partners=frozenset(draw(st.sets(st.sampled_from(others), max_size=1))),
    )


RULES = st.builds(
    ProgramRules,
    weights=st.builds(
        Weights, culture=st.just(0.0), **{k: st.integers(0, 30).map(float) for k in ("occupation", "goals", "sector")}
    ),
    language_rule=st.sampled_from(LanguageRule),
    mentoring_type=st.sampled_from(MentoringType),
    min_seniority_gap=st.integers(0, 2),
    min_fit=st.sampled_from([0.0, 0.0, 20.0]),
)


@st.composite
def requests(draw: st.DrawFn, max_mentees: int = 6, max_mentors: int = 3) -> CohortRequest:
    """A cohort with capacities, and pins and bans a coordinator could make."""
    n, m = draw(st.integers(1, max_mentees)), draw(st.integers(1, max_mentors))
    mentee_ids, mentor_ids = [f"e{i}" for i in range(n)], [f"r{j}" for j in range(m)]
    mentees = [draw(participants(pid, mentor_ids)) for pid in mentee_ids]
    mentors = [draw(participants(pid, mentee_ids)) for pid in mentor_ids]
    rules = draw(RULES)
    capacities = {pid: draw(st.integers(1, 2)) for pid in mentor_ids}
    model = FitModel(rules, mentees, mentors)
    hard_ok = [
        (a, b)
        for a in mentee_ids
        for b in mentor_ids
        if all(v.code == "rule.below_min_fit" for v in model.explain(a, b).violations)
    ]
    pins: list[tuple[str, str]] = []
    for a, b in draw(st.lists(st.sampled_from(hard_ok), max_size=2, unique=True)) if hard_ok else []:
        if all(p[0] != a for p in pins) and sum(p[1] == b for p in pins) < capacities[b]:
            pins.append((a, b))
    all_pairs = [(a, b) for a in mentee_ids for b in mentor_ids if (a, b) not in pins]
    bans = draw(st.lists(st.sampled_from(all_pairs), max_size=3, unique=True)) if all_pairs else []
    return CohortRequest(rules, mentees, mentors, capacities, pins, bans)


def brute_force_best(request: CohortRequest) -> float:
    """The greatest total fit over every assignment that keeps the pins, bans, capacities and rules."""
    model = FitModel(request.rules, request.mentees, request.mentors)
    e = model.evaluate(slice(None))
    pins = {model.mentee_index[a]: model.mentor_index[b] for a, b in request.pins}
    bans = {(model.mentee_index[a], model.mentor_index[b]) for a, b in request.bans}
    seats = [request.capacities.get(p.id, 1) for p in model.mentors]
    options = [
        [pins[i]] if i in pins else [None, *(j for j in range(len(seats)) if e.acceptable[i, j] and (i, j) not in bans)]
        for i in range(len(model.mentees))
    ]
    best = -1.0
    for choice in itertools.product(*options):
        taken = Counter(j for j in choice if j is not None)
        if all(taken[j] <= seats[j] for j in taken):
            best = max(best, sum(float(e.fit[i, j]) for i, j in enumerate(choice) if j is not None))
    return best


def assert_request_honoured(request: CohortRequest, result: CohortResult) -> None:
    model = FitModel(request.rules, request.mentees, request.mentors)
    pairs = {(x.mentee_id, x.mentor_id) for x in result.matches}
    assert set(request.pins) <= pairs
    assert not set(request.bans) & pairs
    taken = Counter(x.mentor_id for x in result.matches)
    assert all(taken[b] <= request.capacities.get(b, 1) for b in taken)
    assert len({x.mentee_id for x in result.matches}) == len(result.matches)
    for match in result.matches:
        violations = {v.code for v in model.explain(match.mentee_id, match.mentor_id).violations}
        # Only a pin may sit below the program's fit floor; no pair breaks a hard rule.
        assert violations <= ({"rule.below_min_fit"} if match.pinned else set())
    assert {x.mentee_id for x in result.unmatched} | {x.mentee_id for x in result.matches} == {
        p.id for p in request.mentees
    }
    assert math.isclose(result.total_fit, sum(x.fit for x in result.matches))


# --- the optimum -----------------------------------------------------------------------------


@PROPERTY
@given(requests())
def test_optimal_total_equals_the_brute_force_optimum_with_capacities_pins_and_bans(request: CohortRequest) -> None:
    result = run_cohort(request)

    assert math.isclose(result.total_fit, brute_force_best(request), abs_tol=1e-9)
    assert_request_honoured(request, result)


@st.composite
def graphs(draw: st.DrawFn) -> tuple[CandidateGraph, np.ndarray]:
    n, m = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    edges = draw(st.dictionaries(st.tuples(st.integers(0, n - 1), st.integers(0, m - 1)), st.integers(0, 20)))
    seats = np.array(draw(st.lists(st.integers(0, 3), min_size=m, max_size=m)), dtype=np.int64)
    pairs = sorted(edges, key=lambda p: (p[0], -edges[p], p[1]))
    return (
        CandidateGraph(
            n,
            m,
            np.array([p[0] for p in pairs], dtype=np.int64),
            np.array([p[1] for p in pairs], dtype=np.int64),
            np.array([float(edges[p]) for p in pairs]),
        ),
        seats,
    )


def graph_best(graph: CandidateGraph, seats: np.ndarray) -> float:
    fit = dict(zip(zip(graph.mentee.tolist(), graph.mentor.tolist(), strict=True), graph.fit.tolist(), strict=True))
    options = [[None, *(j for (a, j) in fit if a == i)] for i in range(graph.n_mentees)]
    best = 0.0
    for choice in itertools.product(*options):
        taken = Counter(j for j in choice if j is not None)
        if all(taken[j] <= seats[j] for j in taken):
            best = max(best, sum(fit[(i, j)] for i, j in enumerate(choice) if j is not None))
    return best


def graph_total(graph: CandidateGraph, seats: np.ndarray, assigned: np.ndarray) -> float:
    fit = dict(zip(zip(graph.mentee.tolist(), graph.mentor.tolist(), strict=True), graph.fit.tolist(), strict=True))
    taken = Counter(int(j) for j in assigned if j >= 0)
    assert all(taken[j] <= seats[j] for j in taken)
    return sum(fit[(i, int(j))] for i, j in enumerate(assigned) if j >= 0)


@pytest.mark.parametrize("dense", [True, False], ids=["dense", "sparse"])
@PROPERTY
@given(case=graphs())
def test_both_solvers_reach_the_brute_force_optimum(dense: bool, case: tuple[CandidateGraph, np.ndarray]) -> None:
    graph, seats = case

    assigned = optimal_assignment(graph, seats, dense=dense)

    assert math.isclose(graph_total(graph, seats, assigned), graph_best(graph, seats))


@PROPERTY
@given(case=graphs())
def test_baselines_never_beat_the_optimum(case: tuple[CandidateGraph, np.ndarray]) -> None:
    graph, seats = case
    best = graph_total(graph, seats, optimal_assignment(graph, seats))

    assert graph_total(graph, seats, greedy_assignment(graph, seats)) <= best + 1e-9
    assert graph_total(graph, seats, random_assignment(graph, seats, seed=7)) <= best + 1e-9


@PROPERTY
@given(requests(), st.sampled_from(Method))
def test_every_method_keeps_pins_bans_capacities_and_hard_rules(request: CohortRequest, method: Method) -> None:
    assert_request_honoured(request, run_cohort(replace(request, method=method)))


@PROPERTY
@given(requests(), st.data())
def test_stable_matching_on_peoples_own_rankings_keeps_them_too(request: CohortRequest, data: st.DataObject) -> None:
    mentee_ids, mentor_ids = [p.id for p in request.mentees], [p.id for p in request.mentors]
    some = st.sampled_from
    mentee_rankings = {a: data.draw(st.permutations(mentor_ids)) for a in data.draw(st.sets(some(mentee_ids)))}
    mentor_rankings = {b: data.draw(st.permutations(mentee_ids)) for b in data.draw(st.sets(some(mentor_ids)))}
    request = replace(request, method=Method.STABLE, mentee_rankings=mentee_rankings, mentor_rankings=mentor_rankings)

    assert_request_honoured(request, run_cohort(request))


@PROPERTY
@given(requests(max_mentees=8, max_mentors=4))
def test_the_optimizer_scores_pairs_exactly_as_their_explanation(request: CohortRequest) -> None:
    model = FitModel(request.rules, request.mentees, request.mentors)
    whole = model.evaluate(slice(None))

    for a in request.mentees:
        for b in request.mentors:
            pair = model.explain(a.id, b.id)
            i, j = model.mentee_index[a.id], model.mentor_index[b.id]
            assert pair.fit == whole.fit[i, j]
            assert pair.acceptable == whole.acceptable[i, j]
            assert math.isclose(sum(r.points for r in pair.reasons), pair.fit)


# --- language, a hard rule --------------------------------------------------------------------

FRENCH_ONLY = st.builds(
    lambda n: [
        Participant(f"e{i}", languages=frozenset({"fr"}), preferred_language="fr", seniority=1) for i in range(n)
    ],
    st.integers(1, 6),
)


@PROPERTY
@given(FRENCH_ONLY, st.lists(st.sampled_from(SPEAKERS), min_size=1, max_size=5), st.sampled_from(Method))
def test_a_french_only_mentee_never_gets_a_mentor_without_french_when_the_program_requires_it(
    mentees: list[Participant], speakers: list[tuple[set[str], str]], method: Method
) -> None:
    mentors = [
        Participant(f"r{j}", languages=frozenset(langs), preferred_language=pref, seniority=4)
        for j, (langs, pref) in enumerate(speakers)
    ]
    rules = ProgramRules(language_rule=LanguageRule.PREFERRED)
    request = CohortRequest(rules, mentees, mentors, {m.id: 3 for m in mentors}, method=method)

    result = run_cohort(request)

    speaks = {m.id: m.languages for m in mentors}
    assert all("fr" in speaks[x.mentor_id] for x in result.matches)
    french_seats = 3 * sum("fr" in m.languages for m in mentors)
    assert len(result.matches) == min(len(mentees), french_seats)


def test_a_french_only_mentee_stays_unmatched_rather_than_get_an_english_only_mentor() -> None:
    mentee = Participant("e0", languages=frozenset({"fr"}), preferred_language="fr", seniority=1)
    mentor = Participant("r0", languages=frozenset({"en"}), preferred_language="en", seniority=3)

    result = run_cohort(CohortRequest(ProgramRules(language_rule=LanguageRule.PREFERRED), [mentee], [mentor]))

    assert result.matches == ()
    [alone] = result.unmatched
    assert alone.cause.code == "cohort.unmatched_no_acceptable_mentor"
    assert alone.cause.params == {"excluded": 1, "mentors": 1}
    assert alone.main_rule is not None
    assert (alone.main_rule.code, alone.main_rule.params) == ("rule.lacks_preferred_language", {"language": "fr"})


# --- examples -------------------------------------------------------------------------------


def person(
    pid: str,
    seniority: int,
    noc: str = "21231",
    *,
    goals: frozenset[str] = frozenset(),
    sector: str = "",
    reporting_line: frozenset[str] = frozenset(),
) -> Participant:
    return Participant(
        pid,
        noc=noc,
        sector=sector,
        goals=goals,
        languages=frozenset({"en"}),
        seniority=seniority,
        reporting_line=reporting_line,
    )


def test_optimal_beats_greedy_where_the_best_pair_blocks_two_good_ones() -> None:
    # Greedy gives e0 its best mentor r0; the optimum sends e0 to r1 so that e1 can have r0.
    rules = ProgramRules(weights=Weights(occupation=10, sector=0, goals=0, language=0, proximity=0, seniority=0))
    mentees = [person("e0", 1, "21231"), person("e1", 1, "21232")]
    mentors = [person("r0", 3, "21231"), person("r1", 3, "21221")]
    mentees[1] = replace(mentees[1], reporting_line=frozenset({"r1"}))  # e1 can only have r0

    optimal = run_cohort(CohortRequest(rules, mentees, mentors))
    greedy = run_cohort(CohortRequest(rules, mentees, mentors, method=Method.GREEDY))

    assert {(x.mentee_id, x.mentor_id) for x in optimal.matches} == {("e0", "r1"), ("e1", "r0")}
    assert [(x.mentee_id, x.mentor_id) for x in greedy.matches] == [("e0", "r0")]
    assert optimal.total_fit > greedy.total_fit


def test_a_mentor_takes_up_to_their_capacity() -> None:
    mentees = [person(f"e{i}", 1) for i in range(5)]
    mentors = [person("r0", 3), person("r1", 3)]

    result = run_cohort(CohortRequest(ProgramRules(), mentees, mentors, {"r0": 3, "r1": 1}))

    assert Counter(x.mentor_id for x in result.matches) == {"r0": 3, "r1": 1}
    assert [x.cause.code for x in result.unmatched] == ["cohort.unmatched_seats_taken"]
    assert result.seats_left == {"r0": 0, "r1": 0}


def test_a_pin_is_kept_even_when_another_pair_would_fit_better() -> None:
    mentees = [person("e0", 1, "21231")]
    mentors = [person("r0", 3, "21231"), person("r1", 3, "41401")]

    result = run_cohort(CohortRequest(ProgramRules(), mentees, mentors, pins=[("e0", "r1")]))

    [match] = result.matches
    assert (match.mentor_id, match.pinned) == ("r1", True)


def test_a_ban_is_honoured_even_for_the_best_pair() -> None:
    mentees = [person("e0", 1, "21231")]
    mentors = [person("r0", 3, "21231"), person("r1", 3, "41401")]

    result = run_cohort(CohortRequest(ProgramRules(), mentees, mentors, bans=[("e0", "r0")]))

    assert [x.mentor_id for x in result.matches] == ["r1"]


def test_only_bans_leave_a_mentee_unmatched_names_the_ban() -> None:
    result = run_cohort(CohortRequest(ProgramRules(), [person("e0", 1)], [person("r0", 3)], bans=[("e0", "r0")]))

    [alone] = result.unmatched
    assert alone.main_rule is not None
    assert alone.main_rule.code == "rule.banned"


def test_matches_carry_their_reasons_most_points_first() -> None:
    mentee = person("e0", 1, "21231", goals=frozenset({"leadership"}), sector="statcan")
    mentor = person("r0", 3, "21232", goals=frozenset({"leadership", "networking"}), sector="statcan")

    [match] = run_cohort(CohortRequest(ProgramRules(), [mentee], [mentor])).matches

    codes = [r.code for r in match.reasons]
    assert codes[0] == "fit.shared_goal"  # 25 points, the most
    assert {"fit.noc_minor_group", "fit.same_sector", "fit.seniority_traditional"} <= set(codes)
    assert [r.points for r in match.reasons] == sorted((r.points for r in match.reasons), reverse=True)


def test_large_cohorts_keep_each_mentees_best_candidates_and_say_so() -> None:
    mentees = [person(f"e{i}", 1) for i in range(30)]
    mentors = [person(f"r{j}", 3) for j in range(20)]

    result = run_cohort(CohortRequest(ProgramRules(), mentees, mentors, candidates_per_mentee=5))

    assert result.candidates_per_mentee == 5
    assert len(result.matches) == 20


def test_stable_method_follows_the_peoples_own_rankings() -> None:
    mentees = [person("e0", 1), person("e1", 1)]
    mentors = [person("r0", 3), person("r1", 3)]
    request = CohortRequest(
        ProgramRules(),
        mentees,
        mentors,
        method=Method.STABLE,
        mentee_rankings={"e0": ["r1", "r0"], "e1": ["r1", "r0"]},
        mentor_rankings={"r1": ["e1", "e0"]},
    )

    result = run_cohort(request)

    assert {(x.mentee_id, x.mentor_id) for x in result.matches} == {("e0", "r0"), ("e1", "r1")}


def test_stable_method_never_pairs_someone_left_off_a_ranking() -> None:
    request = CohortRequest(
        ProgramRules(),
        [person("e0", 1)],
        [person("r0", 3), person("r1", 3)],
        method=Method.STABLE,
        mentor_rankings={"r0": [], "r1": []},
    )

    assert run_cohort(request).matches == ()


def test_the_random_baseline_is_repeatable_with_its_seed() -> None:
    mentees = [person(f"e{i}", 1) for i in range(10)]
    mentors = [person(f"r{j}", 3) for j in range(4)]
    request = CohortRequest(ProgramRules(), mentees, mentors, method=Method.RANDOM, seed=3)

    assert run_cohort(request) == run_cohort(request)


# --- refused requests -----------------------------------------------------------------------


def refused(request: CohortRequest) -> Mapping[str, Sequence[tuple[str, Mapping[str, object]]]]:
    with pytest.raises(InvalidInput) as caught:
        run_cohort(request)
    out: dict[str, list[tuple[str, Mapping[str, object]]]] = {}
    for e in caught.value.errors:
        out.setdefault(e.field, []).append((e.code, dict(e.params)))
    return out


def test_a_pin_breaking_a_hard_rule_is_refused_with_the_rule() -> None:
    mentee = person("e0", 1, reporting_line=frozenset({"r0"}))

    errors = refused(CohortRequest(ProgramRules(), [mentee], [person("r0", 3)], pins=[("e0", "r0")]))

    assert errors == {"pins[0]": [("rule.reporting_line", {})]}


def test_pins_beyond_a_mentors_capacity_are_refused() -> None:
    mentees = [person("e0", 1), person("e1", 1)]
    request = CohortRequest(ProgramRules(), mentees, [person("r0", 3)], pins=[("e0", "r0"), ("e1", "r0")])

    assert refused(request) == {"pins[1]": [("cohort.pins_over_capacity", {"person": "r0", "seats": 1})]}


def test_a_pinned_and_banned_pair_and_a_mentee_pinned_twice_are_refused() -> None:
    request = CohortRequest(
        ProgramRules(),
        [person("e0", 1)],
        [person("r0", 3), person("r1", 3)],
        {"r0": 2},
        pins=[("e0", "r0"), ("e0", "r1")],
        bans=[("e0", "r0")],
    )

    assert refused(request) == {
        "pins[0]": [("cohort.pin_banned", {})],
        "pins[1]": [("cohort.pinned_twice", {"person": "e0"})],
    }


def test_every_bad_field_is_reported_at_once() -> None:
    request = CohortRequest(
        ProgramRules(weights=Weights(culture=5.0), min_seniority_gap=-1),
        [person("e0", 1), person("e0", 1)],
        [person("r0", 3)],
        {"r0": 0, "nobody": 1},
        pins=[("ghost", "r0")],
        bans=[("e0", "phantom")],
        candidates_per_mentee=0,
        mentee_rankings={"e0": ["r0"]},
    )

    assert refused(request) == {
        "rules.weights.culture": [("rules.culture_not_allowed", {})],
        "rules.min_seniority_gap": [("rules.seniority_gap_range", {"max": 10})],
        "mentees[1]": [("cohort.listed_twice", {"person": "e0"})],
        "capacities.r0": [("cohort.capacity_range", {"max": 10})],
        "capacities.nobody": [("cohort.unknown_mentor", {"person": "nobody"})],
        "pins[0]": [("cohort.unknown_mentee", {"person": "ghost"})],
        "bans[0]": [("cohort.unknown_mentor", {"person": "phantom"})],
        "candidates_per_mentee": [("cohort.candidates_range", {"max": 1000})],
        "mentee_rankings": [("cohort.rankings_need_stable", {})],
    }


def test_an_empty_side_is_refused() -> None:
    assert refused(CohortRequest(ProgramRules(), [], [person("r0", 3)])) == {"mentees": [("cohort.empty_side", {})]}
