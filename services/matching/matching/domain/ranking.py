"""Candidate ranking for an opportunity, and the reverse: the opportunities that fit a member.
Pure: takes the read model's facts, returns verdicts with the reasons behind them.

This module is the definition. `domain/index.py` computes the same thing vectorized over a whole
population, and a property test holds the two equal; explanations always come from here.

Hard filters, in this order (a person is counted against the first one they fail, so an empty
list can say which requirement ruled out the most people): the right opt-in; department-only;
mentoring paused; capacity (engaged in as many opportunities as they take at once); language
levels; security clearance; location when the work cannot be done virtually; overlap of working
hours with the opportunity's schedule and time zone; and at least one of the skills asked for.

The score is a weighted mean, over the criteria that apply to the opportunity, of:
- skills, through the taxonomy: a required skill held exactly, under another name (a custom skill
  whose name is one of the canonical skill's names or aliases), or only through a related skill;
- occupation along the NOC 2021 hierarchy, and industry along NAICS (opportunities carry no code,
  so the poster's own occupation and industry stand for the work's);
- classification (group and level);
- location proximity (same city, same province) when the work is not virtual;
- availability: the hours a week the person has free against the hours the work asks.

Skills match by canonical id only, never by substring: Java never finds JavaScript.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from matching.domain.fit import NOC_REASONS, NocSimilarity

# Second-language levels in order; E (exempt) meets any requirement, X meets none.
LEVEL_ORDER = {"X": 0, "A": 1, "B": 2, "C": 3, "E": 4}
LANGUAGE_SKILLS = ("written_comprehension", "written_expression", "oral_proficiency")
LANGUAGES = ("en", "fr")
# Opportunities' security levels, in order; a person who declared nothing holds "none".
SECURITY_ORDER = {"": 0, "none": 0, "reliability": 1, "secret": 2, "top_secret": 3}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WORKING_DAYS = WEEKDAYS[:5]
DAY_START, DAY_END = 9 * 60, 17 * 60  # working hours when a person or an opportunity gives none
WEEK_MINUTES = 7 * 24 * 60
WEEKS_PER_MONTH = 52 / 12
WORKING_DAYS_PER_WEEK = 5

# Applied in this order; a candidate is counted against the first filter that rules them out.
FILTERS = (
    "opt_in",
    "department",
    "paused",
    "capacity",
    "language",
    "security",
    "location",
    "schedule",
    "skills",
)
# Score criteria, in the order they are summed (the index sums in the same order, so both give
# the same floating-point score).
CRITERIA = ("skills", "occupation", "industry", "classification", "location", "availability")

NAICS_REASONS = {
    6: "industry.national_industry",
    5: "industry.industry",
    4: "industry.industry_group",
    3: "industry.subsector",
    2: "industry.sector",
}


def fold(text: str) -> str:
    """Lower case without accents, spaces collapsed: how names are compared."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


# --- configuration --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Weights:
    """How much each criterion counts, and the shares within criteria. The defaults are the
    platform's; a caller may pass others (the score is always a mean, 0..1)."""

    skills: float = 50.0
    occupation: float = 15.0
    industry: float = 5.0
    classification: float = 10.0
    location: float = 10.0
    availability: float = 10.0
    # A required skill's share by how it is found (exact >= alias >= related).
    exact: float = 1.0
    alias: float = 0.8
    related: float = 0.4
    noc: NocSimilarity = field(default_factory=NocSimilarity)
    # NAICS share by leading digits in common: 2 the sector ... 6 the national industry.
    naics_sector: float = 0.2
    naics_subsector: float = 0.4
    naics_industry_group: float = 0.6
    naics_industry: float = 0.8
    naics_national_industry: float = 1.0
    same_classification: float = 1.0
    classification_one_level_apart: float = 0.6
    same_occupational_group: float = 0.3
    same_city: float = 1.0
    same_province: float = 0.5
    # The share of the opportunity's scheduled hours that must fall in a person's working hours.
    min_schedule_overlap: float = 0.5

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and value < 0:
                raise ValueError(f"weight {f.name} must not be negative")
        if self.skills <= 0:
            raise ValueError("skills must weigh more than 0: they decide who is a candidate")
        if not self.exact >= self.alias >= self.related:
            raise ValueError("a skill found exactly must count at least as much as by alias, and alias as related")
        if not 0.0 <= self.min_schedule_overlap <= 1.0:
            raise ValueError("min_schedule_overlap is a share from 0 to 1")

    def naics_by_digits(self) -> tuple[float, ...]:
        return (
            0.0,
            0.0,
            self.naics_sector,
            self.naics_subsector,
            self.naics_industry_group,
            self.naics_industry,
            self.naics_national_industry,
        )

    def criterion(self, name: str) -> float:
        return float(getattr(self, name))


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True)
class SkillGraph:
    """What matching knows of the taxonomy: labels, every name and alias, and related skills
    (made symmetric). Empty until the api has loaded it from profiles: then only exact matches."""

    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # folded name or alias -> canonical skill id
    names: Mapping[str, str] = field(default_factory=dict)
    related: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, skills: Iterable[tuple[str, str, str, Sequence[str], Sequence[str]]]) -> SkillGraph:
        """From (id, en, fr, aliases, related ids) entries."""
        labels: dict[str, dict[str, str]] = {}
        names: dict[str, str] = {}
        edges: dict[str, set[str]] = {}
        entries = list(skills)
        for skill_id, en, fr, aliases, _ in entries:
            labels[skill_id] = {"en": en, "fr": fr}
            for name in (en, fr, *aliases):
                names.setdefault(fold(name), skill_id)
        for skill_id, _, _, _, related in entries:
            for other in related:
                if other in labels and other != skill_id:
                    edges.setdefault(skill_id, set()).add(other)
                    edges.setdefault(other, set()).add(skill_id)
        return cls(labels, names, {k: frozenset(v) for k, v in edges.items()})

    def resolve(self, name: str) -> str | None:
        return self.names.get(fold(name))


EMPTY_GRAPH = SkillGraph()


# --- what each side brings --------------------------------------------------------------------------


@dataclass(frozen=True)
class Requirements:
    """What an opportunity asks of a candidate. Empty fields ask nothing."""

    skill_ids: tuple[str, ...] = ()
    type: str = ""
    host_role: str = ""
    # {"en": {"oral_proficiency": "B", ...}, "fr": {...}}
    languages: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    virtual: bool = True
    province: str = ""
    city: str = ""
    department: str = ""  # identity's department code
    limited_to_department: bool = False
    security_level: str = ""
    time_zone: str = ""
    # (weekday, start minute of the day, minutes), in `time_zone`
    schedule: tuple[tuple[str, int, int], ...] = ()
    hours: float = 0.0
    per: str = ""  # day | week | month
    classification: str = ""  # e.g. "EC-05"
    # The poster's occupation (NOC unit group) and industry (NAICS), standing for the work's.
    noc: str = ""
    naics: str = ""

    @property
    def hours_per_week(self) -> float:
        if self.hours <= 0:
            return 0.0
        return {
            "day": self.hours * WORKING_DAYS_PER_WEEK,
            "week": self.hours,
            "month": self.hours / WEEKS_PER_MONTH,
        }.get(self.per, 0.0)

    @property
    def classification_group_level(self) -> tuple[str, int]:
        group, _, level = self.classification.rpartition("-")
        return (group, int(level)) if group and level.isdigit() else ("", 0)


@dataclass(frozen=True)
class CandidateFacts:
    """What the filters and the score read about a person."""

    opt_ins: Mapping[str, Sequence[str]] = field(default_factory=dict)
    languages: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    province: str = ""
    city: str = ""
    paused: bool = False
    department: str = ""  # identity's department code
    security_clearance: str = ""
    time_zone: str = ""
    days: tuple[str, ...] = ()  # empty: Monday to Friday
    day_start: int = DAY_START  # minutes in their own time zone
    day_end: int = DAY_END
    hours_per_week: int = 0
    max_engagements: int = 0  # 0: no limit given
    engagements: int = 0  # opportunities they are engaged in now
    max_mentees: int = 0  # 0: no limit given
    mentoring_engagements: int = 0
    classification_group: str = ""
    classification_level: int = 0
    noc: str = ""
    naics: str = ""


@dataclass(frozen=True)
class CandidateRecord:
    user_id: str
    display_name: str
    # skill id -> {"en": label, "fr": label}
    skills: Mapping[str, Mapping[str, str]]
    facts: CandidateFacts = field(default_factory=CandidateFacts)
    # canonical skill id -> the custom skill's name that stands for it (see `alias_skills`)
    aliases: Mapping[str, str] = field(default_factory=dict)


def alias_skills(custom: Mapping[str, str], graph: SkillGraph) -> dict[str, str]:
    """Custom skills (id -> name) whose name is a canonical skill's name or alias: canonical id ->
    the name the person used. Someone who typed "JS" before the taxonomy knew it is found for
    JavaScript, by alias."""
    found: dict[str, str] = {}
    for name in custom.values():
        canonical = graph.resolve(name)
        if canonical is not None:
            found.setdefault(canonical, name)
    return found


@dataclass(frozen=True)
class Reason:
    """One line of an explanation: a message code, its language-neutral parameters (ids and
    numbers), and per language the labels the message names."""

    code: str
    params: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def values(self, lang: str) -> dict[str, str]:
        return {**self.params, **self.labels.get(lang, {})}


@dataclass(frozen=True)
class Verdict:
    ruled_out_by: str  # "" when the person qualifies
    score: float = 0.0
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True)
class Ranked:
    user_id: str
    display_name: str
    score: float
    reasons: tuple[Reason, ...]


# --- the filters --------------------------------------------------------------------------------


def wanted_role(opportunity_type: str, host_role: str) -> str:
    """The opt-in role a candidate needs: the other side of the host's role."""
    if opportunity_type == "mentoring":
        return "mentee" if host_role == "offering" else "mentor"
    if opportunity_type == "job_swap":
        return "seeker"
    if opportunity_type in ("job_rotation", "job_sharing"):
        return "participant"
    return "participant" if host_role == "offering" else "host"


def at_capacity(req: Requirements, facts: CandidateFacts) -> bool:
    """Engaged in as many opportunities as they take at once (or, for a mentor, mentoring as many
    mentees as they take)."""
    if facts.max_engagements and facts.engagements >= facts.max_engagements:
        return True
    mentoring_as_mentor = req.type == "mentoring" and wanted_role(req.type, req.host_role) == "mentor"
    return mentoring_as_mentor and bool(facts.max_mentees) and facts.mentoring_engagements >= facts.max_mentees


def meets_languages(req: Requirements, facts: CandidateFacts) -> bool:
    for lang, levels in req.languages.items():
        theirs = facts.languages.get(lang, {})
        for skill, needed in levels.items():
            if needed and LEVEL_ORDER.get(theirs.get(skill, ""), -1) < LEVEL_ORDER.get(needed, 0):
                return False
    return True


def _minutes_east(time_zone: str, at: datetime) -> int:
    """The zone's offset from UTC at `at`, in minutes (an unknown zone counts as UTC)."""
    return _offset(time_zone, at.replace(minute=0, second=0, microsecond=0))


@lru_cache(maxsize=4096)
def _offset(time_zone: str, hour: datetime) -> int:
    try:
        delta = hour.astimezone(ZoneInfo(time_zone)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return 0
    return int((delta or timedelta()).total_seconds() // 60)


def _week_intervals(slots: Iterable[tuple[int, int, int]], offset: int) -> list[tuple[int, int]]:
    """(day index, start minute, minutes) in a zone `offset` minutes east of UTC, as intervals in
    the UTC week [0, WEEK_MINUTES), split where they wrap."""
    out = []
    for day, start, minutes in slots:
        a = (day * 1440 + start - offset) % WEEK_MINUTES
        b = a + minutes
        if b <= WEEK_MINUTES:
            out.append((a, b))
        else:
            out.extend(((a, WEEK_MINUTES), (0, b - WEEK_MINUTES)))
    return out


@lru_cache(maxsize=65536)
def window_overlap(
    schedule: tuple[tuple[int, int, int], ...],
    schedule_offset: int,
    days: tuple[int, ...],
    day_start: int,
    day_end: int,
    offset: int,
) -> float:
    """The share of the scheduled minutes that fall inside a person's working hours."""
    wanted = _week_intervals(schedule, schedule_offset)
    total = sum(b - a for a, b in wanted)
    if total <= 0:
        return 1.0
    hours = _week_intervals(((d, day_start, day_end - day_start) for d in days), offset)
    covered = sum(max(0, min(b, d) - max(a, c)) for a, b in wanted for c, d in hours)
    return covered / total


def schedule_slots(req: Requirements) -> tuple[tuple[int, int, int], ...]:
    """The opportunity's schedule as (day index, start, minutes); working hours when it gives a
    time zone but no schedule."""
    if req.schedule:
        return tuple((WEEKDAYS.index(d), start, minutes) for d, start, minutes in req.schedule if d in WEEKDAYS)
    return tuple((i, DAY_START, DAY_END - DAY_START) for i in range(len(WORKING_DAYS)))


def day_indexes(days: Sequence[str]) -> tuple[int, ...]:
    return tuple(WEEKDAYS.index(d) for d in (days or WORKING_DAYS) if d in WEEKDAYS)


def schedule_overlap(req: Requirements, facts: CandidateFacts, at: datetime) -> float | None:
    """The share of the opportunity's hours inside the person's working hours; None when the
    opportunity says nothing of when (no schedule, no time zone). Someone who gave no time zone
    is taken to work in the opportunity's."""
    if not req.time_zone and not req.schedule:
        return None
    theirs = facts.time_zone or req.time_zone
    return window_overlap(
        schedule_slots(req),
        _minutes_east(req.time_zone, at),
        day_indexes(facts.days),
        facts.day_start,
        facts.day_end,
        _minutes_east(theirs, at),
    )


def ruled_out_by(
    req: Requirements,
    facts: CandidateFacts,
    skill_points: float,
    *,
    weights: Weights = DEFAULT_WEIGHTS,
    at: datetime | None = None,
) -> str:
    """The first filter that rules this candidate out, or "" if none does. `skill_points` is what
    their skills earn (see `skill_matches`): none at all rules them out last."""
    if req.type and wanted_role(req.type, req.host_role) not in facts.opt_ins.get(req.type, ()):
        return "opt_in"
    if req.limited_to_department and facts.department != req.department:
        return "department"
    if req.type == "mentoring" and facts.paused:
        return "paused"
    if at_capacity(req, facts):
        return "capacity"
    if not meets_languages(req, facts):
        return "language"
    if SECURITY_ORDER.get(facts.security_clearance, 0) < SECURITY_ORDER.get(req.security_level, 0):
        return "security"
    if not req.virtual and req.province and facts.province != req.province:
        return "location"
    overlap = schedule_overlap(req, facts, at or datetime.now(UTC))
    if overlap is not None and overlap < weights.min_schedule_overlap:
        return "schedule"
    if skill_points <= 0:
        return "skills"
    return ""


# --- the score ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SkillMatch:
    required: str
    how: str  # exact | alias | related
    via: str  # the candidate's skill (exact, related) or the name they used (alias)


def skill_matches(
    required: Sequence[str], skills: Mapping[str, object], aliases: Mapping[str, str], graph: SkillGraph
) -> list[SkillMatch]:
    """How each required skill is found in a person's skills, best way first; a required skill
    not found at all is left out. A related skill is the first of theirs in id order."""
    found = []
    for r in dict.fromkeys(required):
        if r in skills:
            found.append(SkillMatch(r, "exact", r))
        elif r in aliases:
            found.append(SkillMatch(r, "alias", aliases[r]))
        else:
            near = sorted(s for s in graph.related.get(r, ()) if s in skills)
            if near:
                found.append(SkillMatch(r, "related", near[0]))
    return found


def skill_score(required: Sequence[str], matches: Sequence[SkillMatch], weights: Weights) -> float:
    """The mean over required skills of the share each earns (0 when not found)."""
    share = {m.required: getattr(weights, m.how) for m in matches}
    unique = list(dict.fromkeys(required))
    total = 0.0
    for r in unique:
        total += share.get(r, 0.0)
    return total / len(unique) if unique else 0.0


def shared_noc_digits(a: str, b: str) -> int:
    if not a or not b:
        return 0
    n = 0
    for x, y in zip(a[:5], b[:5], strict=False):
        if x != y:
            break
        n += 1
    return n


def naics_digits(code: str) -> str:
    """A NAICS code's digits ("31-33", a sector given as a range, is its first two)."""
    return code.split("-")[0]


def shared_naics_digits(a: str, b: str) -> int:
    a, b = naics_digits(a), naics_digits(b)
    n = 0
    for x, y in zip(a[:6], b[:6], strict=False):
        if x != y:
            break
        n += 1
    return n


def classification_share(req: Requirements, facts: CandidateFacts, weights: Weights) -> float:
    group, level = req.classification_group_level
    if not group or facts.classification_group != group:
        return 0.0
    gap = abs(facts.classification_level - level)
    if gap == 0:
        return weights.same_classification
    if gap == 1:
        return weights.classification_one_level_apart
    return weights.same_occupational_group


def same_place(city_a: str, city_b: str) -> bool:
    return bool(city_a) and fold(city_a) == fold(city_b)


def location_share(req: Requirements, facts: CandidateFacts, weights: Weights) -> float:
    if facts.province != req.province:
        return 0.0
    return weights.same_city if same_place(req.city, facts.city) else weights.same_province


def availability_share(req: Requirements, facts: CandidateFacts) -> float:
    needed = req.hours_per_week
    if needed <= 0 or facts.hours_per_week <= 0:
        return 0.0
    return min(1.0, facts.hours_per_week / needed)


def applicable(req: Requirements, weights: Weights = DEFAULT_WEIGHTS) -> tuple[str, ...]:
    """The criteria that count for this opportunity (and weigh something)."""
    applies = {
        "skills": True,
        "occupation": bool(req.noc),
        "industry": bool(req.naics),
        "classification": bool(req.classification_group_level[0]),
        "location": not req.virtual and bool(req.province),
        "availability": req.hours_per_week > 0,
    }
    return tuple(c for c in CRITERIA if applies[c] and weights.criterion(c) > 0)


def criterion_shares(req: Requirements, facts: CandidateFacts, skills: float, weights: Weights) -> dict[str, float]:
    return {
        "skills": skills,
        "occupation": float(weights.noc.by_shared_digits()[shared_noc_digits(req.noc, facts.noc)]),
        "industry": weights.naics_by_digits()[shared_naics_digits(req.naics, facts.naics)],
        "classification": classification_share(req, facts, weights),
        "location": location_share(req, facts, weights),
        "availability": availability_share(req, facts),
    }


def combine(shares: Mapping[str, float], criteria: Sequence[str], weights: Weights) -> float:
    """The weighted mean, summed in CRITERIA order."""
    total = 0.0
    weight = 0.0
    for c in criteria:
        total += weights.criterion(c) * shares[c]
        weight += weights.criterion(c)
    return total / weight if weight else 0.0


def _skill_reason(m: SkillMatch, graph: SkillGraph, labels: Mapping[str, Mapping[str, str]]) -> Reason:
    def label(skill_id: str) -> Mapping[str, str]:
        return labels.get(skill_id) or graph.labels.get(skill_id) or {"en": skill_id, "fr": skill_id}

    wanted = label(m.required)
    if m.how == "exact":
        return Reason("found_by_skill", {"skill_id": m.required}, {lang: {"label": wanted[lang]} for lang in LANGUAGES})
    if m.how == "alias":
        return Reason(
            "found_by_alias",
            {"skill_id": m.required, "name": m.via},
            {lang: {"label": wanted[lang]} for lang in LANGUAGES},
        )
    theirs = label(m.via)
    return Reason(
        "found_by_related_skill",
        {"skill_id": m.required, "related_id": m.via},
        {lang: {"label": theirs[lang], "wanted": wanted[lang]} for lang in LANGUAGES},
    )


LANGUAGE_NAMES = {"en": {"en": "English", "fr": "anglais"}, "fr": {"en": "French", "fr": "français"}}


def explain(
    req: Requirements,
    record: CandidateRecord,
    matches: Sequence[SkillMatch],
    graph: SkillGraph,
    weights: Weights,
    at: datetime,
) -> tuple[Reason, ...]:
    """Why a qualifying candidate was found, criterion by criterion."""
    f = record.facts
    reasons = [_skill_reason(m, graph, record.skills) for m in matches]
    digits = shared_noc_digits(req.noc, f.noc)
    if req.noc and digits:
        reasons.append(Reason(NOC_REASONS[digits], {"noc": f.noc[:digits]}))
    digits = shared_naics_digits(req.naics, f.naics)
    if req.naics and digits >= 2:
        reasons.append(Reason(NAICS_REASONS[digits], {"naics": naics_digits(f.naics)[:digits]}))
    group, level = req.classification_group_level
    if group and f.classification_group == group:
        theirs = f"{group}-{f.classification_level:02d}"
        gap = abs(f.classification_level - level)
        code = {0: "classification.same", 1: "classification.one_level_apart"}.get(gap, "classification.same_group")
        reasons.append(Reason(code, {"classification": theirs, "wanted": req.classification, "group": group}))
    if "location" in applicable(req, weights):
        if same_place(req.city, f.city):
            reasons.append(Reason("location.same_city", {"city": f.city}))
        elif f.province == req.province:
            reasons.append(Reason("location.same_province", {"province": f.province}))
    if availability_share(req, f) > 0:
        reasons.append(
            Reason("availability.hours", {"hours": str(f.hours_per_week), "needed": f"{req.hours_per_week:g}"})
        )
    overlap = schedule_overlap(req, f, at)
    if overlap is not None:
        reasons.append(Reason("availability.schedule", {"percent": str(round(overlap * 100))}))
    for lang in LANGUAGES:
        asked = [s for s in LANGUAGE_SKILLS if req.languages.get(lang, {}).get(s)]
        if asked:
            theirs = "".join(f.languages.get(lang, {}).get(s, "") for s in asked)
            reasons.append(
                Reason(
                    "language.level",
                    {"language": lang, "levels": theirs},
                    {ui: {"language_name": LANGUAGE_NAMES[lang][ui]} for ui in LANGUAGES},
                )
            )
    return tuple(reasons)


def evaluate(
    req: Requirements,
    record: CandidateRecord,
    *,
    graph: SkillGraph = EMPTY_GRAPH,
    weights: Weights = DEFAULT_WEIGHTS,
    at: datetime | None = None,
) -> Verdict:
    """One person against one opportunity: the filter that rules them out, or their score and
    the reasons for it."""
    at = at or datetime.now(UTC)
    matches = skill_matches(req.skill_ids, record.skills, record.aliases, graph)
    skills = skill_score(req.skill_ids, matches, weights)
    ruled_out = ruled_out_by(req, record.facts, skills, weights=weights, at=at)
    if ruled_out:
        return Verdict(ruled_out)
    score = combine(criterion_shares(req, record.facts, skills, weights), applicable(req, weights), weights)
    return Verdict("", score, explain(req, record, matches, graph, weights, at))


def order_key(score: float, display_name: str, user_id: str) -> tuple[float, str, str]:
    """Best first; equal scores by name, then id, so the order never depends on storage."""
    return (-score, display_name, user_id)


def rank(
    req: Requirements,
    candidates: Iterable[CandidateRecord],
    *,
    exclude: Iterable[str] = (),
    limit: int = 20,
    graph: SkillGraph = EMPTY_GRAPH,
    weights: Weights = DEFAULT_WEIGHTS,
    at: datetime | None = None,
) -> tuple[list[Ranked], Counter[str]]:
    """The best `limit` candidates, and how many people each filter ruled out. Everyone is
    weighed, so an empty list can say which requirement ruled out the most."""
    at = at or datetime.now(UTC)
    excluded = set(exclude)
    exclusions: Counter[str] = Counter()
    kept = []
    for c in candidates:
        if c.user_id in excluded:
            continue
        verdict = evaluate(req, c, graph=graph, weights=weights, at=at)
        if verdict.ruled_out_by:
            exclusions[verdict.ruled_out_by] += 1
        else:
            kept.append(Ranked(c.user_id, c.display_name, verdict.score, verdict.reasons))
    kept.sort(key=lambda r: order_key(r.score, r.display_name, r.user_id))
    return kept[:limit], exclusions
