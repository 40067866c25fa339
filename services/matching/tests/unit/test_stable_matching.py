"""Mentee-proposing deferred acceptance with capacities: stable (no blocking pair), within
capacities, only mutually acceptable pairs, and the best stable matching for every mentee."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from matching.domain.stable import UNMATCHED, mentee_proposing

Market = tuple[list[list[int]], list[list[int]], list[int]]


@st.composite
def markets(draw: st.DrawFn, max_mentees: int = 7, max_mentors: int = 4) -> Market:
    """Random rankings (each side lists only whom it accepts, in any order) and capacities."""
    n, m = draw(st.integers(1, max_mentees)), draw(st.integers(1, max_mentors))
    mentee_prefs = [
        draw(st.permutations(range(m)).flatmap(lambda p: st.integers(0, m).map(lambda k: list(p[:k]))))
        for _ in range(n)
    ]
    mentor_prefs = [
        draw(st.permutations(range(n)).flatmap(lambda p: st.integers(0, n).map(lambda k: list(p[:k]))))
        for _ in range(m)
    ]
    seats = draw(st.lists(st.integers(0, 3), min_size=m, max_size=m))
    return mentee_prefs, mentor_prefs, seats


def blocking_pairs(market: Market, matched: Sequence[int]) -> list[tuple[int, int]]:
    """Pairs who list each other and would both rather be together than with what they got."""
    mentee_prefs, mentor_prefs, seats = market
    held = {j: [i for i, x in enumerate(matched) if x == j] for j in range(len(mentor_prefs))}
    found = []
    for i, prefs in enumerate(mentee_prefs):
        for j in prefs:
            if i not in mentor_prefs[j] or seats[j] == 0:
                continue
            mentee_wants = matched[i] == UNMATCHED or prefs.index(j) < prefs.index(matched[i])
            mentor_wants = len(held[j]) < seats[j] or any(
                mentor_prefs[j].index(i) < mentor_prefs[j].index(other) for other in held[j]
            )
            if mentee_wants and mentor_wants and matched[i] != j:
                found.append((i, j))
    return found


def is_valid(market: Market, matched: Sequence[int]) -> bool:
    mentee_prefs, mentor_prefs, seats = market
    taken = Counter(j for j in matched if j != UNMATCHED)
    mutual = all(j == UNMATCHED or (j in mentee_prefs[i] and i in mentor_prefs[j]) for i, j in enumerate(matched))
    return mutual and all(taken[j] <= seats[j] for j in taken)


@settings(max_examples=300, deadline=None)
@given(markets())
def test_deferred_acceptance_leaves_no_blocking_pair(market: Market) -> None:
    matched = mentee_proposing(*market)

    assert is_valid(market, matched)
    assert blocking_pairs(market, matched) == []


@settings(max_examples=150, deadline=None)
@given(markets(max_mentees=5, max_mentors=3))
def test_every_mentee_does_at_least_as_well_as_in_any_stable_matching(market: Market) -> None:
    mentee_prefs = market[0]
    matched = mentee_proposing(*market)

    def rank(i: int, j: int) -> int:  # lower is better; unmatched is worst
        return mentee_prefs[i].index(j) if j != UNMATCHED else len(mentee_prefs[i])

    options = [[UNMATCHED, *prefs] for prefs in mentee_prefs]
    for other in itertools.product(*options):
        if is_valid(market, other) and not blocking_pairs(market, other):
            assert all(rank(i, matched[i]) <= rank(i, other[i]) for i in range(len(matched)))


def test_a_mentor_keeps_the_mentees_they_rank_highest() -> None:
    # Both want mentor 0, who has one seat and prefers mentee 1.
    matched = mentee_proposing([[0, 1], [0]], [[1, 0], [0]], [1, 1])

    assert matched == [1, 0]


def test_a_mentee_nobody_accepts_stays_unmatched() -> None:
    assert mentee_proposing([[0]], [[]], [2]) == [UNMATCHED]


def test_a_mentor_with_no_seat_takes_no_one() -> None:
    assert mentee_proposing([[0, 1]], [[0], [0]], [0, 1]) == [1]
