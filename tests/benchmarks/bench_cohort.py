"""Cohort matching at scale: the exact optimum beside greedy and random passes, on a generated
public-service population (NOC 2021 codes, departments, official languages, cities and
provinces, career goals, seniority, reporting lines and past pairs), with a fixed seed.

    .venv/bin/python tests/benchmarks/bench_cohort.py           # both cohorts
    .venv/bin/python tests/benchmarks/bench_cohort.py --small   # only 2,000 x 1,000

Targets: 2,000 mentees x 1,000 mentors (capacities 1-3) solved to optimum in under 5 s;
10,000 x 5,000 on each mentee's 50 best candidates in under 60 s. Single process, one core busy.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TypeVar

import numpy as np

from matching.domain.cohort import (
    CohortRequest,
    CohortResult,
    Method,
    candidate_graph,
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

SEED = 20_260_101
T = TypeVar("T")

# NOC 2021 unit groups common in the federal public service, with a rough share of employees.
NOC_UNIT_GROUPS = {
    "00012": 1, "10010": 2, "10011": 2, "10019": 3, "20012": 3, "40010": 3, "40011": 3, "40012": 1,
    "40019": 3, "11100": 5, "11101": 3, "11102": 1, "11200": 4, "11201": 3, "11202": 3, "12010": 4,
    "12100": 2, "12101": 3, "13100": 8, "13110": 5, "21101": 1, "21102": 1, "21110": 2, "21211": 4,
    "21220": 3, "21221": 3, "21222": 6, "21223": 3, "21230": 3, "21231": 3, "21232": 4, "21233": 1,
    "21234": 2, "21300": 2, "21301": 1, "21310": 1, "41400": 4, "41401": 3, "41402": 2, "41403": 5,
    "41404": 3, "41405": 2, "41407": 8, "41409": 3, "51111": 1, "51112": 2, "51114": 3,
}  # fmt: skip
DEPARTMENTS = {
    "tbs-sct": 3, "statcan": 5, "esdc-edsc": 9, "ircc": 5, "ised-isde": 4, "ssc-spc": 5, "cra-arc": 12,
    "dnd-mdn": 10, "hc-sc": 4, "eccc": 4, "pspc-spac": 5, "gac-amc": 4, "dfo-mpo": 4, "rcmp-grc": 3,
}  # fmt: skip
GOALS = [
    "leadership", "executive-path", "career-transition", "management-readiness", "technical-depth",
    "data-literacy", "digital-skills", "policy-writing", "networking", "second-language",
    "public-speaking", "project-management", "work-life-balance", "stakeholder-engagement",
    "staffing-process", "innovation", "resilience", "regional-mobility",
]  # fmt: skip
# (city, province, latitude, longitude, weight)
CITIES = [
    ("Ottawa", "ON", 45.42, -75.70, 30), ("Gatineau", "QC", 45.48, -75.70, 12),
    ("Toronto", "ON", 43.65, -79.38, 8), ("Montréal", "QC", 45.50, -73.57, 10),
    ("Québec", "QC", 46.81, -71.21, 5), ("Vancouver", "BC", 49.28, -123.12, 6),
    ("Victoria", "BC", 48.43, -123.37, 3), ("Edmonton", "AB", 53.55, -113.49, 4),
    ("Calgary", "AB", 51.05, -114.07, 3), ("Winnipeg", "MB", 49.90, -97.14, 4),
    ("Regina", "SK", 50.45, -104.62, 2), ("Halifax", "NS", 44.65, -63.57, 4),
    ("Moncton", "NB", 46.09, -64.78, 3), ("St. John's", "NL", 47.56, -52.71, 2),
    ("Charlottetown", "PE", 46.24, -63.13, 1), ("Whitehorse", "YT", 60.72, -135.06, 1),
]  # fmt: skip
BACKGROUNDS = ["first-nations", "metis", "inuit", "black", "east-asian", "south-asian", "arab", "latin-american"]

PROGRAM = ProgramRules(
    weights=Weights(occupation=30, sector=10, goals=25, language=10, culture=5, proximity=10, seniority=10),
    language_rule=LanguageRule.PREFERRED,  # francophone mentees get French-speaking mentors
    allow_cultural_background=True,
    mentoring_type=MentoringType.TRADITIONAL,
)


def pick(rng: random.Random, weighted: dict[str, int]) -> str:
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


def person(rng: random.Random, pid: str, *, mentor: bool, manager_pool: Sequence[str]) -> Participant:
    city, province, lat, lon, _ = rng.choices(CITIES, weights=[c[4] for c in CITIES])[0]
    francophone_region = province in ("QC", "NB")
    r = rng.random()
    if r < (0.45 if francophone_region else 0.07):
        languages, preferred = frozenset({"fr"}), "fr"
    elif r < (0.85 if francophone_region else 0.40) + (0.1 if mentor else 0.0):
        languages = frozenset({"en", "fr"})
        preferred = "fr" if rng.random() < (0.5 if francophone_region else 0.2) else "en"
    else:
        languages, preferred = frozenset({"en"}), "en"
    has_coordinates = rng.random() < 0.9
    chain = [f"mgr-{rng.randrange(4000)}" for _ in range(rng.randint(1, 3))]
    if not mentor and manager_pool and rng.random() < 0.1:
        chain.append(rng.choice(manager_pool))  # a mentor up this mentee's line
    return Participant(
        id=pid,
        noc=pick(rng, NOC_UNIT_GROUPS),
        sector=pick(rng, DEPARTMENTS),
        goals=frozenset(rng.sample(GOALS, rng.randint(3, 6) if mentor else rng.randint(1, 3))),
        languages=languages,
        preferred_language=preferred,
        cultural_backgrounds=frozenset(rng.sample(BACKGROUNDS, 1)) if rng.random() < 0.35 else frozenset(),
        location=Location(
            city,
            province,
            lat + rng.uniform(-0.1, 0.1) if has_coordinates else None,
            lon + rng.uniform(-0.1, 0.1) if has_coordinates else None,
        ),
        seniority=rng.choices([3, 4, 5, 6], weights=[2, 4, 3, 1])[0]
        if mentor
        else rng.choices([1, 2, 3, 4], weights=[2, 4, 3, 1])[0],
        reporting_line=frozenset(chain),
    )


def population(n_mentees: int, n_mentors: int, seed: int = SEED) -> CohortRequest:
    rng = random.Random(seed)
    mentors = [person(rng, f"mentor-{j}", mentor=True, manager_pool=()) for j in range(n_mentors)]
    mentor_ids = [m.id for m in mentors]
    mentees = [person(rng, f"mentee-{i}", mentor=False, manager_pool=mentor_ids) for i in range(n_mentees)]
    # 5% of mentees were paired before with one of this cohort's mentors.
    mentees = [
        replace(m, past_partners=frozenset({rng.choice(mentor_ids)})) if rng.random() < 0.05 else m for m in mentees
    ]
    capacities = {m.id: rng.randint(1, 3) for m in mentors}
    bans = {(rng.choice(mentees).id, rng.choice(mentor_ids)) for _ in range(n_mentees // 20)}
    # Pins a coordinator would make: acceptable pairs, one per mentee, within capacity.
    model = FitModel(PROGRAM, mentees[:400], mentors)
    pins: list[tuple[str, str]] = []
    pinned_per_mentor: dict[str, int] = {}
    for mentee in rng.sample(mentees[:400], 200):
        mentor = rng.choice(mentors)
        if (
            len(pins) < n_mentees // 100
            and (mentee.id, mentor.id) not in bans
            and pinned_per_mentor.get(mentor.id, 0) < capacities[mentor.id]
            and model.explain(mentee.id, mentor.id).acceptable
        ):
            pins.append((mentee.id, mentor.id))
            pinned_per_mentor[mentor.id] = pinned_per_mentor.get(mentor.id, 0) + 1
    return CohortRequest(PROGRAM, mentees, mentors, capacities, pins, sorted(bans))


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - started


def cpu_timed(fn: Callable[[], T]) -> tuple[T, float, float]:
    """Wall and CPU seconds: on a shared machine the CPU time shows what the work itself costs."""
    cpu = time.process_time()
    out, wall = timed(fn)
    return out, wall, time.process_time() - cpu


def describe(label: str, result: CohortResult, wall: float, cpu: float, n_mentees: int) -> None:
    mean = result.total_fit / max(len(result.matches), 1)
    print(
        f"  {label:<34} total fit {result.total_fit:>11,.1f}   matched {len(result.matches):>6,}/{n_mentees:,}"
        f"   mean fit {mean:5.1f}   {wall:6.2f} s (cpu {cpu:.2f} s)"
    )


def bench(n_mentees: int, n_mentors: int, per_mentee: int | None, baselines: bool) -> None:
    request, gen_s = timed(lambda: population(n_mentees, n_mentors))
    seats = sum(request.capacities.values())
    candidates = "all acceptable pairs" if per_mentee is None else f"each mentee's {per_mentee} best candidates"
    print(f"\n{n_mentees:,} mentees x {n_mentors:,} mentors ({seats:,} seats, capacities 1-3), on {candidates}")
    print(f"  {len(request.pins)} pins, {len(request.bans)} bans; population generated in {gen_s:.1f} s")
    request = replace(request, candidates_per_mentee=per_mentee)

    # The stages of one optimal run, timed apart.
    model, model_s, _ = cpu_timed(lambda: FitModel(request.rules, request.mentees, request.mentors))
    graph, graph_s, graph_cpu = cpu_timed(lambda: candidate_graph(model, per_mentee=per_mentee))
    caps = np.array([request.capacities[m.id] for m in request.mentors], dtype=np.int64)
    _, solve_s, solve_cpu = cpu_timed(lambda: optimal_assignment(graph, caps))
    print(
        f"  stages: encode {model_s:.2f} s, score {n_mentees * n_mentors / 1e6:,.0f} M pairs -> "
        f"{len(graph.fit):,} candidate edges {graph_s:.2f} s (cpu {graph_cpu:.2f} s), "
        f"solve {solve_s:.2f} s (cpu {solve_cpu:.2f} s)"
    )

    optimal, optimal_s, optimal_cpu = cpu_timed(lambda: run_cohort(request))
    describe("optimal (whole run, with reasons)", optimal, optimal_s, optimal_cpu, n_mentees)
    if baselines:
        for method in (Method.GREEDY, Method.RANDOM, Method.STABLE):
            result, wall, cpu = cpu_timed(lambda method=method: run_cohort(replace(request, method=method)))
            label = "stable (rankings by fit)" if method is Method.STABLE else method.value
            describe(label, result, wall, cpu, n_mentees)
        # The same solver without pins or bans, for the share the optimum gains.
        greedy = greedy_assignment(graph, caps)
        opt = optimal_assignment(graph, caps)
        rand = random_assignment(graph, caps, seed=1)
        by_pair = dict(zip(zip(graph.mentee.tolist(), graph.mentor.tolist(), strict=True), graph.fit, strict=True))

        def total(assigned: np.ndarray) -> float:
            return sum(by_pair[(i, int(j))] for i, j in enumerate(assigned) if j >= 0)

        print(
            f"  without pins/bans: optimal {total(opt):,.1f}, greedy {total(greedy):,.1f} "
            f"({100 * (total(opt) / total(greedy) - 1):+.2f}% for optimal), random {total(rand):,.1f} "
            f"({100 * (total(opt) / total(rand) - 1):+.1f}%)"
        )
    if per_mentee is None:
        top, top_s, top_cpu = cpu_timed(lambda: run_cohort(replace(request, candidates_per_mentee=50)))
        describe("optimal on top-50 candidates only", top, top_s, top_cpu, n_mentees)


def main() -> None:
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--small", action="store_true", help="only the 2,000 x 1,000 cohort")
    args = parser.parse_args()
    bench(2_000, 1_000, per_mentee=None, baselines=True)
    if not args.small:
        bench(10_000, 5_000, per_mentee=50, baselines=False)


if __name__ == "__main__":
    main()
