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
    facts: CandidateFacts | None = None


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


# --- hard filters -----------------------------------------------------------------------------------

# Second-language levels in order; E (exempt) meets any requirement, X meets none.
LEVEL_ORDER = {"X": 0, "A": 1, "B": 2, "C": 3, "E": 4}
# Applied in this order; a candidate is counted against the first filter that rules them out.
FILTERS = ("opt_in", "paused", "language", "location", "skills")


@dataclass(frozen=True)
class Requirements:
    """What an opportunity asks of a candidate beyond skills. Empty fields ask nothing."""

    type: str = ""
    host_role: str = ""
    # {"en": {"oral_proficiency": "B", ...}, "fr": {...}}
    languages: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    virtual: bool = True
    province: str = ""


@dataclass(frozen=True)
class CandidateFacts:
    """What the hard filters read about a candidate."""

    opt_ins: Mapping[str, Sequence[str]] = field(default_factory=dict)
    languages: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    province: str = ""
    paused: bool = False


def wanted_role(opportunity_type: str, host_role: str) -> str:
    """The opt-in role a candidate needs: the other side of the host's role."""
    if opportunity_type == "mentoring":
        return "mentee" if host_role == "offering" else "mentor"
    if opportunity_type == "job_swap":
        return "seeker"
    if opportunity_type in ("job_rotation", "job_sharing"):
        return "participant"
    return "participant" if host_role == "offering" else "host"


def ruled_out_by(
    req: Requirements, skills_required: Sequence[str], facts: CandidateFacts, skills: Mapping[str, object]
) -> str:
    """The first filter that rules this candidate out, or "" if none does."""
    if req.type and wanted_role(req.type, req.host_role) not in facts.opt_ins.get(req.type, ()):
        return "opt_in"
    if req.type == "mentoring" and facts.paused:
        return "paused"
    for lang, levels in req.languages.items():
        theirs = facts.languages.get(lang, {})
        for skill, needed in levels.items():
            if needed and LEVEL_ORDER.get(theirs.get(skill, ""), -1) < LEVEL_ORDER.get(needed, 0):
                return "language"
    if not req.virtual and req.province and facts.province != req.province:
        return "location"
    if not any(s in skills for s in skills_required):
        return "skills"
    return ""
