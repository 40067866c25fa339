"""Cohort run: a coordinator's mentees and mentors (each mentor takes 1 to k mentees), with pinned
and banned pairs, assigned to maximize total fit under the program's rules. Pure: no I/O.

- `optimal`: the exact optimum over the candidate pairs, as an assignment problem on a matrix
  whose columns are the mentors' seats (each mentor repeated once per seat it can fill). Dense
  cohorts go to scipy's `linear_sum_assignment`; large ones keep each mentee's best candidates
  and go to the sparse LAPJVsp solver (`min_weight_full_bipartite_matching`), with one private
  "stays unmatched" column per mentee so that leaving someone out is always possible.
- `stable`: both sides rank (explicit rankings, or by fit where someone gave none) and
  mentee-proposing deferred acceptance finds the stable matching best for mentees.
- `greedy` and `random`: the baselines the optimum is measured against.

Whatever the method: pins are always kept, bans always honoured, no mentor gets more mentees
than seats, and no pair breaking a hard rule is proposed. A mentee with no acceptable mentor
with a free seat stays unmatched, with the cause.

How the service uses it: a cohort run is a job; the process that takes it builds a
CohortRequest from its store and calls run_cohort, which raises InvalidInput (field-level, codes
in messages.yaml) for bad input and otherwise returns a CohortResult to save as pending. A
decline re-opens a seat: run again with the accepted pairs pinned and the declined pair banned.

CPU-heavy (seconds for thousands of people): run it in the api process or a worker pool, never
on an eventlet hub.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from matching.domain import stable
from matching.domain.fit import BLOCK_ROWS, FitModel, FloatArray, IntArray, Participant, ProgramRules, Reason
from tandem_kit.errors import FieldCollector

COHORT_MAX = 20_000  # people on each side
CAPACITY_MAX = 10
CANDIDATES_MAX = 1_000
# Up to this many mentee × mentor pairs every acceptable pair is a candidate; beyond it, each
# mentee's DEFAULT_CANDIDATES best (the optimum is then exact over those candidates).
ALL_PAIRS_MAX = 4_000_000
DEFAULT_CANDIDATES = 50
# The dense solver holds a float matrix of mentees × seats: up to this many cells.
DENSE_CELLS_MAX = 12_000_000
# Far below any difference in fit that matters (fits are sums of weights times shares).
TIE_BREAK = 1e-9
UNMATCHED = stable.UNMATCHED

# Codes a cohort result or error can carry beyond fit's, with their parameters (checked against messages.yaml).
COHORT_REASONS: Mapping[str, frozenset[str]] = {
    "rule.banned": frozenset(),
    "cohort.unmatched_seats_taken": frozenset(),
    "cohort.unmatched_no_acceptable_mentor": frozenset({"excluded", "mentors"}),
}

Pair = tuple[str, str]  # (mentee id, mentor id)


class Method(enum.StrEnum):
    OPTIMAL = "optimal"
    STABLE = "stable"
    GREEDY = "greedy"  # baseline: best remaining pair first
    RANDOM = "random"  # baseline: any acceptable mentor with a free seat


@dataclass(frozen=True)
class CohortRequest:
    rules: ProgramRules
    mentees: Sequence[Participant]
    mentors: Sequence[Participant]
    capacities: Mapping[str, int] = field(default_factory=dict)  # mentor id -> seats; 1 if absent
    pins: Sequence[Pair] = ()
    bans: Sequence[Pair] = ()
    method: Method = Method.OPTIMAL
    # How many of each mentee's best mentors are candidates; None: all, or the default beyond ALL_PAIRS_MAX.
    candidates_per_mentee: int | None = None
    # For the stable method: each person's own ranking of the other side, best first. Whoever
    # gives none ranks by fit. Anyone left off a ranking is not acceptable to its author.
    mentee_rankings: Mapping[str, Sequence[str]] = field(default_factory=dict)
    mentor_rankings: Mapping[str, Sequence[str]] = field(default_factory=dict)
    seed: int = 0  # the random baseline only


@dataclass(frozen=True)
class Match:
    mentee_id: str
    mentor_id: str
    fit: float
    score: float
    pinned: bool
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Unmatched:
    mentee_id: str
    cause: Reason  # cohort.unmatched_seats_taken or cohort.unmatched_no_acceptable_mentor
    main_rule: Reason | None  # the rule that left out the most mentors, when none was acceptable


@dataclass(frozen=True)
class CohortResult:
    method: Method
    matches: tuple[Match, ...]
    unmatched: tuple[Unmatched, ...]
    total_fit: float
    candidates_per_mentee: int | None  # None: every acceptable pair was a candidate
    seats_left: Mapping[str, int]


# --- the candidate graph --------------------------------------------------------------------


@dataclass(frozen=True)
class CandidateGraph:
    """Acceptable, unbanned pairs as edges, sorted by mentee, then best fit first, then mentor."""

    n_mentees: int
    n_mentors: int
    mentee: IntArray
    mentor: IntArray
    fit: FloatArray

    def without_mentees(self, rows: Sequence[int]) -> CandidateGraph:
        keep = ~np.isin(self.mentee, np.asarray(rows, dtype=np.int64))
        return CandidateGraph(self.n_mentees, self.n_mentors, self.mentee[keep], self.mentor[keep], self.fit[keep])


def candidate_graph(
    model: FitModel, *, per_mentee: int | None, banned: Mapping[int, Sequence[int]] | None = None
) -> CandidateGraph:
    """Every acceptable pair not banned, or only each mentee's `per_mentee` best of them."""
    banned = banned or {}
    mentees: list[IntArray] = []
    mentors: list[IntArray] = []
    fits: list[FloatArray] = []
    n_mentors = len(model.mentors)
    for start, e in model.blocks(BLOCK_ROWS):
        acceptable = e.acceptable
        for r in range(acceptable.shape[0]):
            if (banned_cols := banned.get(start + r)) is not None:
                acceptable[r, np.asarray(banned_cols, dtype=np.int64)] = False
        if per_mentee is not None and per_mentee < n_mentors:
            # Equal fits are common (discrete criteria): break ties at random, or every mentee
            # would keep the same few mentors and leave the others' seats unused.
            jitter = np.random.default_rng(start).random(e.fit.shape) * TIE_BREAK
            ranked = np.where(acceptable, e.fit + jitter, -np.inf)
            best = np.argpartition(-ranked, per_mentee - 1, axis=1)[:, :per_mentee]
            rows = np.repeat(np.arange(acceptable.shape[0]), per_mentee)
            cols = best.ravel()
            keep = acceptable[rows, cols]
            rows, cols = rows[keep], cols[keep]
        else:
            rows, cols = np.nonzero(acceptable)
        fit = e.fit[rows, cols]
        # Blocks come in mentee order, so sorting within each block sorts the whole graph.
        order = np.lexsort((cols, -fit, rows))
        mentees.append(rows[order].astype(np.int64) + start)
        mentors.append(cols[order].astype(np.int64))
        fits.append(fit[order])
    empty = np.zeros(0, dtype=np.int64)
    return CandidateGraph(
        len(model.mentees),
        n_mentors,
        np.concatenate(mentees) if mentees else empty,
        np.concatenate(mentors) if mentors else empty,
        np.concatenate(fits) if fits else np.zeros(0),
    )


# --- solvers on indices: each returns every mentee's mentor, or UNMATCHED ------------------------


def optimal_assignment(graph: CandidateGraph, seats: IntArray, *, dense: bool | None = None) -> IntArray:
    """The assignment of greatest total fit: exact over the graph's edges. The dense solver is
    used when the mentees × seats matrix is small enough, unless `dense` says which."""
    assigned = np.full(graph.n_mentees, UNMATCHED, dtype=np.int64)
    keep = seats[graph.mentor] > 0
    if not keep.any():
        return assigned
    rows, row = np.unique(graph.mentee[keep], return_inverse=True)
    cols, col = np.unique(graph.mentor[keep], return_inverse=True)
    fit = graph.fit[keep]
    # No mentor needs more seats than it has candidates.
    col_seats = np.minimum(seats[cols], np.bincount(col, minlength=len(cols)))
    slot_owner = np.repeat(np.arange(len(cols)), col_seats)
    n_slots = len(slot_owner)
    if dense is None:
        dense = len(rows) * n_slots <= DENSE_CELLS_MAX
    if dense:
        # Fits are never negative, so a non-candidate cell of value 0 adds nothing: assignments
        # to such cells are dropped, and what is left is an optimal matching.
        value = np.zeros((len(rows), len(cols)))
        value[row, col] = fit
        candidate = np.zeros((len(rows), len(cols)), dtype=bool)
        candidate[row, col] = True
        r, c = linear_sum_assignment(value[:, slot_owner], maximize=True)
        ok = candidate[r, slot_owner[c]]
        assigned[rows[r[ok]]] = cols[slot_owner[c[ok]]]
        return assigned
    # Sparse: every mentee gets its own "unmatched" column, so a full matching always exists.
    # With cost (top - fit) on a seat and top on the unmatched column, any full matching costs
    # (mentees × top - its total fit): the cheapest has the greatest fit. Any constant top will
    # do; this one keeps every cost above 0, which a sparse matrix would read as no edge.
    top = float(fit.max()) + 1.0
    per_edge = col_seats[col]
    first_slot = np.cumsum(col_seats) - col_seats
    offset = np.arange(per_edge.sum()) - np.repeat(np.cumsum(per_edge) - per_edge, per_edge)
    edge_rows = np.concatenate([np.repeat(row, per_edge), np.arange(len(rows))])
    edge_cols = np.concatenate([np.repeat(first_slot[col], per_edge) + offset, n_slots + np.arange(len(rows))])
    costs = np.concatenate([np.repeat(top - fit, per_edge), np.full(len(rows), top)])
    matrix = csr_matrix((costs, (edge_rows, edge_cols)), shape=(len(rows), n_slots + len(rows)))
    r, c = min_weight_full_bipartite_matching(matrix)
    real = c < n_slots
    assigned[rows[r[real]]] = cols[slot_owner[c[real]]]
    return assigned


def greedy_assignment(graph: CandidateGraph, seats: IntArray) -> IntArray:
    assigned = np.full(graph.n_mentees, UNMATCHED, dtype=np.int64)
    left = seats.copy()
    wanted = min(len(np.unique(graph.mentee)), int(left.sum()))
    done = 0
    for e in np.lexsort((graph.mentor, graph.mentee, -graph.fit)):
        if done == wanted:
            break
        i, j = graph.mentee[e], graph.mentor[e]
        if assigned[i] == UNMATCHED and left[j] > 0:
            assigned[i] = j
            left[j] -= 1
            done += 1
    return assigned


def random_assignment(graph: CandidateGraph, seats: IntArray, seed: int) -> IntArray:
    rng = np.random.default_rng(seed)
    assigned = np.full(graph.n_mentees, UNMATCHED, dtype=np.int64)
    left = seats.copy()
    bounds = np.searchsorted(graph.mentee, np.arange(graph.n_mentees + 1))
    for i in rng.permutation(graph.n_mentees):
        options = graph.mentor[bounds[i] : bounds[i + 1]]
        options = options[left[options] > 0]
        if len(options):
            j = options[rng.integers(len(options))]
            assigned[i] = j
            left[j] -= 1
    return assigned


# --- the run --------------------------------------------------------------------------------


def run_cohort(request: CohortRequest) -> CohortResult:
    """Validates the request (InvalidInput listing every problem) and assigns the cohort."""
    _check_request(request)
    model = FitModel(request.rules, request.mentees, request.mentors)
    _check_pins(request, model)
    mentee_row, mentor_row = model.mentee_index, model.mentor_index
    seats = np.array([request.capacities.get(m.id, 1) for m in model.mentors], dtype=np.int64)
    pinned = {mentee_row[a]: mentor_row[b] for a, b in request.pins}
    for j in pinned.values():
        seats[j] -= 1
    banned: dict[int, list[int]] = {}
    for a, b in request.bans:
        banned.setdefault(mentee_row[a], []).append(mentor_row[b])

    per_mentee = request.candidates_per_mentee
    if per_mentee is None and len(model.mentees) * len(model.mentors) > ALL_PAIRS_MAX:
        per_mentee = DEFAULT_CANDIDATES
    graph = candidate_graph(model, per_mentee=per_mentee, banned=banned).without_mentees(list(pinned))

    if request.method is Method.OPTIMAL:
        assigned = optimal_assignment(graph, seats)
    elif request.method is Method.STABLE:
        assigned = _stable_assignment(request, model, graph, seats, banned, set(pinned))
    elif request.method is Method.GREEDY:
        assigned = greedy_assignment(graph, seats)
    else:
        assigned = random_assignment(graph, seats, request.seed)
    for i, j in pinned.items():
        assigned[i] = j
    return _result(request, model, graph, assigned, pinned, per_mentee, banned)


def _stable_assignment(
    request: CohortRequest,
    model: FitModel,
    graph: CandidateGraph,
    seats: IntArray,
    banned: Mapping[int, Sequence[int]],
    pinned: set[int],
) -> IntArray:
    n, m = len(model.mentees), len(model.mentors)
    # Explicit rankings, keeping only the pairs the rules and bans allow.
    explicit_mentee: dict[int, list[int]] = {}
    explicit_mentor: dict[int, list[int]] = {}
    extra = [(graph.mentee, graph.mentor, graph.fit)]
    for mentee_id, ranked in request.mentee_rankings.items():
        i = model.mentee_index[mentee_id]
        cols = np.array([model.mentor_index[x] for x in ranked], dtype=np.int64)
        e = model.evaluate(np.array([i]), cols)
        allowed = e.acceptable[0] & ~np.isin(cols, banned.get(i, []))
        explicit_mentee[i] = [] if i in pinned else cols[allowed].tolist()
        if i not in pinned:
            extra.append((np.full(int(allowed.sum()), i), cols[allowed], e.fit[0, allowed]))
    for mentor_id, ranked in request.mentor_rankings.items():
        j = model.mentor_index[mentor_id]
        rows = np.array([model.mentee_index[x] for x in ranked], dtype=np.int64)
        e = model.evaluate(rows, np.array([j]))
        usable = [int(i) not in pinned and j not in banned.get(int(i), []) for i in rows]
        allowed = e.acceptable[:, 0] & np.array(usable, dtype=bool)
        explicit_mentor[j] = rows[allowed].tolist()
        extra.append((rows[allowed], np.full(int(allowed.sum()), j), e.fit[allowed, 0]))

    # Whoever gave no ranking ranks by fit every candidate, and everyone who ranked them.
    mentee = np.concatenate([x[0] for x in extra]).astype(np.int64)
    mentor = np.concatenate([x[1] for x in extra]).astype(np.int64)
    fit = np.concatenate([x[2] for x in extra])
    _, first = np.unique(mentee * m + mentor, return_index=True)
    mentee, mentor, fit = mentee[first], mentor[first], fit[first]
    by_mentee = np.lexsort((mentor, -fit, mentee))
    by_mentor = np.lexsort((mentee, -fit, mentor))
    mentee_bounds = np.searchsorted(mentee[by_mentee], np.arange(n + 1))
    mentor_bounds = np.searchsorted(mentor[by_mentor], np.arange(m + 1))
    mentee_prefs = [
        explicit_mentee.get(i, mentor[by_mentee[mentee_bounds[i] : mentee_bounds[i + 1]]].tolist()) for i in range(n)
    ]
    mentor_prefs = [
        explicit_mentor.get(j, mentee[by_mentor[mentor_bounds[j] : mentor_bounds[j + 1]]].tolist()) for j in range(m)
    ]
    return np.array(stable.mentee_proposing(mentee_prefs, mentor_prefs, seats.tolist()), dtype=np.int64)


def _result(
    request: CohortRequest,
    model: FitModel,
    graph: CandidateGraph,
    assigned: IntArray,
    pinned: Mapping[int, int],
    per_mentee: int | None,
    banned: Mapping[int, Sequence[int]],
) -> CohortResult:
    matches = []
    for i, j in enumerate(assigned.tolist()):
        if j != UNMATCHED:
            explained = model.explain(model.mentees[i].id, model.mentors[j].id)
            matches.append(
                Match(
                    explained.mentee_id,
                    explained.mentor_id,
                    explained.fit,
                    explained.score,
                    i in pinned,
                    explained.reasons,
                )
            )
    had_candidates = set(graph.mentee.tolist())
    alone = [i for i, j in enumerate(assigned.tolist()) if j == UNMATCHED]
    unmatched = {
        i: Unmatched(model.mentees[i].id, Reason("cohort.unmatched_seats_taken"), None)
        for i in alone
        if i in had_candidates
    }
    unmatched.update(_without_acceptable_mentor(model, [i for i in alone if i not in had_candidates], banned))
    taken = np.bincount(assigned[assigned != UNMATCHED], minlength=len(model.mentors))
    return CohortResult(
        request.method,
        tuple(matches),
        tuple(unmatched[i] for i in alone),
        sum(match.fit for match in matches),
        per_mentee,
        {mentor.id: request.capacities.get(mentor.id, 1) - int(taken[j]) for j, mentor in enumerate(model.mentors)},
    )


def _without_acceptable_mentor(
    model: FitModel, rows: Sequence[int], banned: Mapping[int, Sequence[int]]
) -> dict[int, Unmatched]:
    """Why each of these mentees had no acceptable mentor: the rule that left out the most."""
    out = {}
    for start in range(0, len(rows), BLOCK_ROWS):
        chunk = np.asarray(rows[start : start + BLOCK_ROWS], dtype=np.int64)
        e = model.evaluate(chunk)
        for r, i in enumerate(chunk.tolist()):
            counts = {code: int(broken[r].sum()) for code, broken in e.breaks.items()}
            counts["rule.banned"] = len(set(banned.get(i, [])))
            code, excluded = max(counts.items(), key=lambda kv: kv[1])
            mentee = model.mentees[i]
            main_rule = (
                (Reason(code) if code == "rule.banned" else model.rule_reason(code, mentee)) if excluded else None
            )
            cause = Reason(
                "cohort.unmatched_no_acceptable_mentor", {"excluded": excluded, "mentors": len(model.mentors)}
            )
            out[i] = Unmatched(mentee.id, cause, main_rule)
    return out


# --- validation -----------------------------------------------------------------------------


def _check_request(request: CohortRequest) -> None:
    errors = FieldCollector()
    request.rules.check(errors)
    mentee_ids: set[str] = set()
    mentor_ids: set[str] = set()
    for name, people, seen in (("mentees", request.mentees, mentee_ids), ("mentors", request.mentors, mentor_ids)):
        if not people:
            errors.add(name, "cohort.empty_side")
        elif len(people) > COHORT_MAX:
            errors.add(name, "cohort.too_many", max=COHORT_MAX)
        for k, person in enumerate(people):
            if person.id in seen:
                errors.add(f"{name}[{k}]", "cohort.listed_twice", person=person.id)
            seen.add(person.id)
    for mentor_id, seats in request.capacities.items():
        if mentor_id not in mentor_ids:
            errors.add(f"capacities.{mentor_id}", "cohort.unknown_mentor", person=mentor_id)
        elif not 1 <= seats <= CAPACITY_MAX:
            errors.add(f"capacities.{mentor_id}", "cohort.capacity_range", max=CAPACITY_MAX)
    for name, pairs in (("pins", request.pins), ("bans", request.bans)):
        for k, (mentee_id, mentor_id) in enumerate(pairs):
            if mentee_id not in mentee_ids:
                errors.add(f"{name}[{k}]", "cohort.unknown_mentee", person=mentee_id)
            if mentor_id not in mentor_ids:
                errors.add(f"{name}[{k}]", "cohort.unknown_mentor", person=mentor_id)
    per_mentee = request.candidates_per_mentee
    if per_mentee is not None and not 1 <= per_mentee <= CANDIDATES_MAX:
        errors.add("candidates_per_mentee", "cohort.candidates_range", max=CANDIDATES_MAX)
    for name, rankings, owners, ranked in (
        ("mentee_rankings", request.mentee_rankings, mentee_ids, mentor_ids),
        ("mentor_rankings", request.mentor_rankings, mentor_ids, mentee_ids),
    ):
        if rankings and request.method is not Method.STABLE:
            errors.add(name, "cohort.rankings_need_stable")
        for owner, ranking in rankings.items():
            if owner not in owners:
                errors.add(f"{name}.{owner}", "cohort.unknown_person", person=owner)
            for stranger in sorted({x for x in ranking if x not in ranked}):
                errors.add(f"{name}.{owner}", "cohort.unknown_person", person=stranger)
            if len(set(ranking)) != len(ranking):
                errors.add(f"{name}.{owner}", "cohort.ranked_twice")
    errors.raise_if_any()


def _check_pins(request: CohortRequest, model: FitModel) -> None:
    """A pin is kept whatever the optimizer thinks, so it must make sense on its own."""
    errors = FieldCollector()
    bans = set(request.bans)
    seen: set[str] = set()
    per_mentor: dict[str, int] = {}
    for k, (mentee_id, mentor_id) in enumerate(request.pins):
        where = f"pins[{k}]"
        if mentee_id in seen:
            errors.add(where, "cohort.pinned_twice", person=mentee_id)
        seen.add(mentee_id)
        per_mentor[mentor_id] = per_mentor.get(mentor_id, 0) + 1
        if per_mentor[mentor_id] > request.capacities.get(mentor_id, 1):
            errors.add(where, "cohort.pins_over_capacity", person=mentor_id, seats=request.capacities.get(mentor_id, 1))
        if (mentee_id, mentor_id) in bans:
            errors.add(where, "cohort.pin_banned")
        # A coordinator may pin a pair below the program's fit floor, never one breaking a hard rule.
        for violation in model.explain(mentee_id, mentor_id).violations:
            if violation.code != "rule.below_min_fit":
                errors.add(where, violation.code, **violation.params)
    errors.raise_if_any()
