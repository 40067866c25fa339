"""Stable matching where both sides rank: mentee-proposing deferred acceptance with mentor
capacities (the hospitals/residents algorithm of Gale and Shapley, as Roth's residency match
runs it). Pure: works on indices, so any caller can build the rankings.

The result has no blocking pair: no mentee and mentor who list each other and would both rather
be together than with what they got (a mentor with a free seat takes anyone they list). Among
stable matchings it is the best one for every mentee. CPU-bound: keep it off an eventlet hub.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

UNMATCHED = -1


def mentee_proposing(
    mentee_prefs: Sequence[Sequence[int]],
    mentor_prefs: Sequence[Sequence[int]],
    seats: Sequence[int],
) -> list[int]:
    """Each mentee's mentor (an index into mentor_prefs), or UNMATCHED.

    mentee_prefs[i] lists the mentors mentee i accepts, best first; mentor_prefs[j] likewise the
    mentees mentor j accepts; seats[j] is how many mentees mentor j takes. A pair matches only
    if each lists the other.
    """
    rank = [{mentee: r for r, mentee in enumerate(prefs)} for prefs in mentor_prefs]
    # Each mentor's held mentees as a heap of (-rank, mentee): the worst held is on top.
    held: list[list[tuple[int, int]]] = [[] for _ in mentor_prefs]
    next_choice = [0] * len(mentee_prefs)
    matched = [UNMATCHED] * len(mentee_prefs)
    free = list(range(len(mentee_prefs) - 1, -1, -1))  # a stack: mentee 0 proposes first
    while free:
        mentee = free.pop()
        prefs = mentee_prefs[mentee]
        while next_choice[mentee] < len(prefs):
            mentor = prefs[next_choice[mentee]]
            next_choice[mentee] += 1
            r = rank[mentor].get(mentee)
            if r is None or seats[mentor] <= 0:
                continue  # the mentor does not accept this mentee, or takes nobody
            if len(held[mentor]) < seats[mentor]:
                heapq.heappush(held[mentor], (-r, mentee))
                matched[mentee] = mentor
                break
            worst_rank, worst = held[mentor][0]
            if r < -worst_rank:
                heapq.heapreplace(held[mentor], (-r, mentee))
                matched[mentee] = mentor
                matched[worst] = UNMATCHED
                free.append(worst)
                break
    return matched
