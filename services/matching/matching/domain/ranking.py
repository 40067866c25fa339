"""Candidate ranking. Pure: takes the read model's records, returns ranked candidates with the
reasons each was found. Skills match by canonical id only, never by substring."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CandidateRecord:
    user_id: str
    display_name: str
    # skill id -> {"en": label, "fr": label}
    skills: Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class Reason:
    code: str
    params: Mapping[str, str]
    # The labels the reason names, in both languages, for rendering.
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Ranked:
    user_id: str
    display_name: str
    score: float
    reasons: tuple[Reason, ...]


def rank(
    required_skills: Sequence[str],
    candidates: Iterable[CandidateRecord],
    *,
    exclude: Iterable[str] = (),
    limit: int = 20,
) -> list[Ranked]:
    required = list(dict.fromkeys(required_skills))
    excluded = set(exclude)
    if not required:
        return []
    ranked = []
    for c in candidates:
        if c.user_id in excluded:
            continue
        matched = [s for s in required if s in c.skills]
        if not matched:
            continue
        reasons = tuple(Reason("found_by_skill", {"skill_id": s}, dict(c.skills[s])) for s in matched)
        ranked.append(Ranked(c.user_id, c.display_name, len(matched) / len(required), reasons))
    ranked.sort(key=lambda r: (-r.score, r.display_name, r.user_id))
    return ranked[:limit]
