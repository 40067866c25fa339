"""Recommendations: the open opportunities that fit a member best, judged by the same filters,
score and reasons as candidate ranking (ranking.py), from the member's side. Pure.

Opportunities are few beside people (thousands, not millions), so each one that shares a skill
with the member (exactly, by alias or through a related skill) is weighed in full."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from matching.domain.ranking import (
    DEFAULT_WEIGHTS,
    EMPTY_GRAPH,
    CandidateFacts,
    CandidateRecord,
    Reason,
    Requirements,
    SkillGraph,
    Weights,
    evaluate,
)

OPEN = "open"


@dataclass(frozen=True)
class Opening:
    """An opportunity as matching holds it. `requirements` lacks the poster's occupation and
    industry, which are looked up when it is weighed (the poster may change them)."""

    id: str
    poster_id: str
    title: Mapping[str, str]
    type: str
    requirements: Requirements
    openings: int = 0
    participant_ids: frozenset[str] = frozenset()
    state: str = OPEN
    application_deadline: str = ""  # YYYY-MM-DD; "" when none

    def takes_applicants(self, today: date) -> bool:
        """Open, not yet full, and its deadline not passed."""
        if self.state != OPEN:
            return False
        if self.openings and len(self.participant_ids) >= self.openings:
            return False
        return not self.application_deadline or self.application_deadline >= today.isoformat()


@dataclass(frozen=True)
class Recommended:
    opportunity_id: str
    title: Mapping[str, str]
    type: str
    score: float
    reasons: tuple[Reason, ...] = field(default=())


def with_poster(opening: Opening, poster: CandidateFacts | None) -> Requirements:
    """The opening's requirements, with the poster's occupation and industry standing for the work's."""
    if poster is None:
        return opening.requirements
    return replace(opening.requirements, noc=poster.noc, naics=poster.naics)


class OpportunityBoard:
    def __init__(self) -> None:
        self.openings: dict[str, Opening] = {}
        self.by_skill: dict[str, set[str]] = {}

    def __len__(self) -> int:
        return len(self.openings)

    def upsert(self, opening: Opening) -> None:
        self.remove(opening.id)
        self.openings[opening.id] = opening
        for skill in opening.requirements.skill_ids:
            self.by_skill.setdefault(skill, set()).add(opening.id)

    def remove(self, opportunity_id: str) -> None:
        old = self.openings.pop(opportunity_id, None)
        if old is not None:
            for skill in old.requirements.skill_ids:
                self.by_skill.get(skill, set()).discard(opportunity_id)

    def get(self, opportunity_id: str) -> Opening | None:
        return self.openings.get(opportunity_id)

    def recommend(
        self,
        member: CandidateRecord,
        poster_facts: Callable[[str], CandidateFacts | None],
        *,
        limit: int = 20,
        graph: SkillGraph = EMPTY_GRAPH,
        weights: Weights = DEFAULT_WEIGHTS,
        at: datetime | None = None,
    ) -> list[Recommended]:
        at = at or datetime.now(UTC)
        reachable = set(member.skills) | set(member.aliases)
        for skill in list(member.skills):
            reachable |= graph.related.get(skill, frozenset())
        ids = set().union(*(self.by_skill.get(s, set()) for s in reachable)) if reachable else set()
        found = []
        for opportunity_id in sorted(ids):
            o = self.openings[opportunity_id]
            if o.poster_id == member.user_id or member.user_id in o.participant_ids:
                continue
            if not o.takes_applicants(at.date()):
                continue
            verdict = evaluate(with_poster(o, poster_facts(o.poster_id)), member, graph=graph, weights=weights, at=at)
            if not verdict.ruled_out_by:
                found.append(Recommended(o.id, o.title, o.type, verdict.score, verdict.reasons))
        found.sort(key=lambda r: (-r.score, r.title.get("en", ""), r.opportunity_id))
        return found[:limit]
