"""How well a mentor fits a mentee, under one program's rules. Pure: no I/O.

A program weighs criteria (occupation along the NOC hierarchy, sector, career goals, language,
cultural background where allowed, proximity, seniority for its mentoring type) and sets hard
rules (language, seniority direction, no mentor in the mentee's reporting line, no repeat of a
past pair, a floor on fit). A pair breaking any hard rule is not acceptable, whatever its fit.

Scoring is vectorized with numpy over blocks of mentees × all mentors, so a cohort of thousands
is scored in about a second; the explanation of one pair comes from the same computation, so the
reasons always agree with the fit the optimizer used. Explanations are reason codes with
parameters (ids and numbers, never text): the service renders them from messages.yaml in the
reader's language, mapping ids (goals, sectors, languages) to their labels.

CPU-heavy: the service must call this from the api process or a worker pool, never on an
eventlet hub.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields

import numpy as np
from numpy.typing import NDArray

from tandem_kit.errors import FieldCollector

NOC_DIGITS = 5
WEIGHT_MAX = 100.0
SENIORITY_GAP_MAX = 10
RADIUS_KM_MAX = 5_000.0
EARTH_RADIUS_KM = 6_371.0
# Rows of mentees scored at once: big enough for numpy to pay off, small enough to stay in cache.
BLOCK_ROWS = 256

_NOC = re.compile(r"^\d{5}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]


class MentoringType(enum.StrEnum):
    TRADITIONAL = "traditional"  # senior mentors junior
    REVERSE = "reverse"  # junior mentors senior (digital skills, new perspectives)
    PEER = "peer"  # functional area to functional area, about the same level


class LanguageRule(enum.StrEnum):
    NONE = "none"  # language only scores
    SHARED = "shared"  # mentor and mentee share at least one language
    PREFERRED = "preferred"  # the mentor speaks the mentee's preferred language (francophones get French)


@dataclass(frozen=True)
class Weights:
    """Points each criterion is worth when it fits perfectly."""

    occupation: float = 30.0
    sector: float = 10.0
    goals: float = 25.0
    language: float = 10.0
    culture: float = 0.0
    proximity: float = 10.0
    seniority: float = 15.0

    def total(self) -> float:
        return sum(getattr(self, f.name) for f in fields(self))


@dataclass(frozen=True)
class NocSimilarity:
    """Share of the occupation points for codes that agree down to each level of NOC 2021."""

    unit_group: float = 1.0  # all 5 digits
    minor_group: float = 0.75  # 4 digits
    sub_major_group: float = 0.5  # 3 digits
    major_group: float = 0.35  # 2 digits
    broad_category: float = 0.15  # 1st digit

    def by_shared_digits(self) -> FloatArray:
        return np.array(
            [0.0, self.broad_category, self.major_group, self.sub_major_group, self.minor_group, self.unit_group]
        )


@dataclass(frozen=True)
class ProgramRules:
    """One mentoring program's weights and rules."""

    weights: Weights = field(default_factory=Weights)
    noc_similarity: NocSimilarity = field(default_factory=NocSimilarity)
    language_rule: LanguageRule = LanguageRule.SHARED
    # Cultural background is sensitive: it counts only where the program says so.
    allow_cultural_background: bool = False
    mentoring_type: MentoringType = MentoringType.TRADITIONAL
    # Traditional: the mentor is at least this many levels above; reverse: below.
    min_seniority_gap: int = 1
    # Peer: at most this many levels apart.
    max_peer_gap: int = 1
    # The gap that scores best (traditional and reverse; peers score best at 0).
    ideal_seniority_gap: int = 2
    # Proximity falls linearly to 0 at this distance when both have coordinates.
    proximity_radius_km: float = 500.0
    # Without coordinates: share of the proximity points for the same city, or the same province.
    same_city_proximity: float = 1.0
    same_province_proximity: float = 0.5
    exclude_reporting_line: bool = True
    exclude_past_pairs: bool = True
    # Pairs fitting less than this are not proposed (a coordinator may still pin one).
    min_fit: float = 0.0

    def check(self, errors: FieldCollector, prefix: str = "rules") -> None:
        """Adds a field error for each setting out of range."""
        weights_in_range = True
        for f in fields(self.weights):
            if not 0.0 <= getattr(self.weights, f.name) <= WEIGHT_MAX:
                weights_in_range = False
                errors.add(f"{prefix}.weights.{f.name}", "rules.weight_range", max=WEIGHT_MAX)
        if weights_in_range and self.weights.total() <= 0:
            errors.add(f"{prefix}.weights", "rules.weights_all_zero")
        if self.weights.culture > 0 and not self.allow_cultural_background:
            errors.add(f"{prefix}.weights.culture", "rules.culture_not_allowed")
        levels = list(self.noc_similarity.by_shared_digits()[1:])
        if any(not 0.0 <= s <= 1.0 for s in levels) or levels != sorted(levels):
            errors.add(f"{prefix}.noc_similarity", "rules.noc_similarity_order")
        for name in ("min_seniority_gap", "max_peer_gap", "ideal_seniority_gap"):
            if not 0 <= getattr(self, name) <= SENIORITY_GAP_MAX:
                errors.add(f"{prefix}.{name}", "rules.seniority_gap_range", max=SENIORITY_GAP_MAX)
        if not 0.0 < self.proximity_radius_km <= RADIUS_KM_MAX:
            errors.add(f"{prefix}.proximity_radius_km", "rules.radius_range", max=RADIUS_KM_MAX)
        for name in ("same_city_proximity", "same_province_proximity"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                errors.add(f"{prefix}.{name}", "rules.share_range")
        if not 0.0 <= self.min_fit <= self.weights.total():
            errors.add(f"{prefix}.min_fit", "rules.min_fit_range", max=self.weights.total())


@dataclass(frozen=True)
class Location:
    city: str = ""
    province: str = ""
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class Participant:
    """A mentee or a mentor as the fit model sees them (built by the service from its read model)."""

    id: str
    noc: str = ""  # NOC 2021 unit group, 5 digits; "" when unknown
    sector: str = ""  # department or industry
    # A mentee's career goals; the goals a mentor offers to help with.
    goals: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()  # ISO 639 codes: "en", "fr", ...
    preferred_language: str = ""  # the language they want to be mentored in; "" when any
    cultural_backgrounds: frozenset[str] = frozenset()  # self-identified, never inferred
    location: Location = field(default_factory=Location)
    seniority: int = 0  # a program-wide scale, e.g. 1 student … 6 executive
    reporting_line: frozenset[str] = frozenset()  # everyone above them in their chain of command
    past_partners: frozenset[str] = frozenset()  # people they were paired with before

    def __post_init__(self) -> None:
        # The read model holds profiles that were validated on entry: a bad value here is a bug.
        if self.noc and not _NOC.match(self.noc):
            raise ValueError(f"participant {self.id}: NOC code {self.noc!r} is not 5 digits")
        if any(not _LANGUAGE.match(lang) for lang in self.languages):
            raise ValueError(f"participant {self.id}: malformed language in {sorted(self.languages)}")
        if self.preferred_language and self.preferred_language not in self.languages:
            raise ValueError(f"participant {self.id}: prefers {self.preferred_language!r} but does not speak it")


@dataclass(frozen=True)
class Reason:
    """One line of an explanation: a message code, its parameters (ids and numbers, rendered by
    the service in the reader's language) and the points it brought."""

    code: str
    params: Mapping[str, str | int | float] = field(default_factory=dict)
    points: float = 0.0


@dataclass(frozen=True)
class PairFit:
    mentee_id: str
    mentor_id: str
    fit: float
    score: float  # fit as a share of the most a pair can score under these rules, 0..1
    acceptable: bool
    reasons: tuple[Reason, ...]  # what made the fit, most points first
    violations: tuple[Reason, ...]  # the hard rules the pair breaks; empty when acceptable


# Every code an explanation can carry, with its parameters: a unit test checks messages.yaml.
FIT_REASONS: Mapping[str, frozenset[str]] = {
    "fit.noc_unit_group": frozenset({"noc"}),
    "fit.noc_minor_group": frozenset({"noc"}),
    "fit.noc_sub_major_group": frozenset({"noc"}),
    "fit.noc_major_group": frozenset({"noc"}),
    "fit.noc_broad_category": frozenset({"noc"}),
    "fit.same_sector": frozenset({"sector"}),
    "fit.shared_goal": frozenset({"goal"}),
    "fit.speaks_preferred_language": frozenset({"language"}),
    "fit.shared_language": frozenset({"language"}),
    "fit.shared_cultural_background": frozenset({"background"}),
    "fit.distance": frozenset({"km"}),
    "fit.same_city": frozenset({"city"}),
    "fit.same_province": frozenset({"province"}),
    "fit.seniority_traditional": frozenset({"levels"}),
    "fit.seniority_reverse": frozenset({"levels"}),
    "fit.seniority_peer": frozenset({"levels"}),
}
RULE_REASONS: Mapping[str, frozenset[str]] = {
    "rule.same_person": frozenset(),
    "rule.no_shared_language": frozenset(),
    "rule.lacks_preferred_language": frozenset({"language"}),
    "rule.mentor_not_senior_enough": frozenset({"levels"}),
    "rule.mentor_not_junior_enough": frozenset({"levels"}),
    "rule.peers_too_far_apart": frozenset({"levels"}),
    "rule.reporting_line": frozenset(),
    "rule.past_pair": frozenset(),
    "rule.below_min_fit": frozenset({"min_fit"}),
}
# The reason for codes agreeing on this many leading digits.
NOC_REASONS = {
    5: "fit.noc_unit_group",
    4: "fit.noc_minor_group",
    3: "fit.noc_sub_major_group",
    2: "fit.noc_major_group",
    1: "fit.noc_broad_category",
}


# --- encoding -------------------------------------------------------------------------------


def noc_prefixes(codes: Sequence[str], unknown: int) -> IntArray:
    """Row d holds each code's first d+1 digits as a number; `unknown` where there is no code.
    Give mentees and mentors different `unknown` values so two unknowns never agree."""
    out = np.full((NOC_DIGITS, len(codes)), unknown, dtype=np.int64)
    for i, code in enumerate(codes):
        if code:
            for d in range(NOC_DIGITS):
                out[d, i] = int(code[: d + 1])
    return out


def shared_noc_digits(a: IntArray, b: IntArray) -> NDArray[np.int8]:
    """How many leading NOC digits agree (0..5), for every pair of columns of `a` and of `b`
    (both from noc_prefixes): 5 is the same unit group, 4 the same minor group, 1 only the same
    broad category."""
    level = np.zeros((a.shape[1], b.shape[1]), dtype=np.int8)
    for d in range(NOC_DIGITS):
        level += a[d][:, None] == b[d][None, :]
    return level


def _vocabulary(*groups: Sequence[frozenset[str]]) -> dict[str, int]:
    words = sorted({w for group in groups for items in group for w in items})
    return {w: i for i, w in enumerate(words)}


def _indicator(sets: Sequence[frozenset[str]], vocabulary: Mapping[str, int]) -> NDArray[np.float32]:
    out = np.zeros((len(sets), len(vocabulary)), dtype=np.float32)
    for i, items in enumerate(sets):
        for w in items:
            out[i, vocabulary[w]] = 1.0
    return out


def _codes(values: Sequence[str], vocabulary: Mapping[str, int], unknown: int) -> IntArray:
    return np.array([vocabulary[v] if v else unknown for v in values], dtype=np.int64)


@dataclass(frozen=True)
class _Side:
    """One side of the cohort as arrays, on vocabularies shared with the other side."""

    person: IntArray
    noc: IntArray
    sector: IntArray
    goals: NDArray[np.float32]
    goal_count: FloatArray
    languages: IntArray  # bit mask
    preferred: IntArray  # bit mask of the preferred language, 0 when any
    culture: NDArray[np.float32]
    position: FloatArray  # (n, 3) points on the unit sphere; nan when unknown
    city: IntArray
    province: IntArray
    seniority: IntArray


@dataclass(frozen=True)
class _Vocabularies:
    person: Mapping[str, int]
    sector: Mapping[str, int]
    goal: Mapping[str, int]
    language: Mapping[str, int]
    culture: Mapping[str, int]
    city: Mapping[str, int]
    province: Mapping[str, int]

    @classmethod
    def of(cls, people: Sequence[Participant]) -> _Vocabularies:
        languages = _vocabulary([p.languages for p in people])
        if len(languages) > 62:
            raise ValueError("more than 62 distinct languages in one cohort")
        return cls(
            person={pid: i for i, pid in enumerate(dict.fromkeys(p.id for p in people))},
            sector=_vocabulary([frozenset({p.sector}) - {""} for p in people]),
            goal=_vocabulary([p.goals for p in people]),
            language=languages,
            culture=_vocabulary([p.cultural_backgrounds for p in people]),
            city=_vocabulary([frozenset({_place(p.location)}) - {""} for p in people]),
            province=_vocabulary([frozenset({p.location.province.upper()}) - {""} for p in people]),
        )


def _place(location: Location) -> str:
    # A city is only the same city within the same province (London ON is not London UK).
    return f"{location.province.upper()}/{location.city.casefold()}" if location.city else ""


def _encode(people: Sequence[Participant], v: _Vocabularies, unknown: int) -> _Side:
    def mask(langs: frozenset[str]) -> int:
        return sum(1 << v.language[lang] for lang in langs)

    coords = [
        (p.location.latitude, p.location.longitude)
        if p.location.latitude is not None and p.location.longitude is not None
        else (math.nan, math.nan)
        for p in people
    ]
    goals = _indicator([p.goals for p in people], v.goal)
    return _Side(
        person=np.array([v.person[p.id] for p in people], dtype=np.int64),
        noc=noc_prefixes([p.noc for p in people], unknown),
        sector=_codes([p.sector for p in people], v.sector, unknown),
        goals=goals,
        goal_count=goals.sum(axis=1, dtype=np.float64),
        languages=np.array([mask(p.languages) for p in people], dtype=np.int64),
        preferred=np.array(
            [mask(frozenset({p.preferred_language})) if p.preferred_language else 0 for p in people], dtype=np.int64
        ),
        culture=_indicator([p.cultural_backgrounds for p in people], v.culture),
        position=unit_vectors(np.array([c[0] for c in coords]), np.array([c[1] for c in coords])),
        city=_codes([_place(p.location) for p in people], v.city, unknown),
        province=_codes([p.location.province.upper() for p in people], v.province, unknown),
        seniority=np.array([p.seniority for p in people], dtype=np.int64),
    )


def unit_vectors(latitude: FloatArray, longitude: FloatArray) -> FloatArray:
    """Points on the unit sphere for latitudes and longitudes in degrees, one row each."""
    lat, lon = np.radians(latitude), np.radians(longitude)
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=1)


def distance_km(a: FloatArray, b: FloatArray) -> FloatArray:
    """Great-circle distance between every row of `a` and every row of `b` (unit vectors), through
    the chord length: a few products and one arcsin per pair. The dot product is spelled out
    rather than a matrix product, whose rounding depends on the block's shape: a pair must get
    the same distance whether it is scored in a block or alone for its explanation."""
    dot = sum((a[:, k, None] * b[None, :, k] for k in range(3)), np.zeros((len(a), len(b))))
    chord_squared = np.clip(2.0 - 2.0 * dot, 0.0, 4.0)
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(chord_squared) / 2))


# --- scoring --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    """Every criterion and hard rule for a block of pairs (mentees × mentors)."""

    shares: Mapping[str, FloatArray]  # criterion -> share of its points earned, 0..1
    breaks: Mapping[str, BoolArray]  # rule code -> the pairs that break it
    fit: FloatArray
    acceptable: BoolArray
    # What the explanation needs besides the shares.
    shared_noc_digits: NDArray[np.int8]
    distance_km: FloatArray
    seniority_gap: IntArray


class FitModel:
    """Scores every mentee against every mentor of a cohort under one program's rules."""

    def __init__(self, rules: ProgramRules, mentees: Sequence[Participant], mentors: Sequence[Participant]):
        self.rules = rules
        self.mentees = tuple(mentees)
        self.mentors = tuple(mentors)
        self.mentee_index = {p.id: i for i, p in enumerate(self.mentees)}
        self.mentor_index = {p.id: j for j, p in enumerate(self.mentors)}
        vocabularies = _Vocabularies.of(self.mentees + self.mentors)
        self._v = vocabularies
        self._a = _encode(self.mentees, vocabularies, unknown=-1)
        self._b = _encode(self.mentors, vocabularies, unknown=-2)
        self._excluded = self._exclusions()
        self.max_fit = rules.weights.total()

    def _exclusions(self) -> dict[str, dict[int, IntArray]]:
        """The few pairs the exclusion rules remove, by rule and mentee row: sparse, so they are
        found from each person's own lists rather than by comparing every pair."""
        found: dict[str, dict[int, set[int]]] = {}

        def mark(rule: str, mentee_row: int, mentor_row: int) -> None:
            found.setdefault(rule, {}).setdefault(mentee_row, set()).add(mentor_row)

        for rule, enabled, people_of in (
            ("rule.reporting_line", self.rules.exclude_reporting_line, lambda p: p.reporting_line),
            ("rule.past_pair", self.rules.exclude_past_pairs, lambda p: p.past_partners),
        ):
            if not enabled:
                continue
            for row, mentee in enumerate(self.mentees):
                for other in people_of(mentee):
                    if (mentor_row := self.mentor_index.get(other)) is not None:
                        mark(rule, row, mentor_row)
            for col, mentor in enumerate(self.mentors):
                for other in people_of(mentor):
                    if (mentee_row := self.mentee_index.get(other)) is not None:
                        mark(rule, mentee_row, col)
        return {
            rule: {i: np.array(sorted(js), dtype=np.int64) for i, js in by_row.items()}
            for rule, by_row in found.items()
        }

    def evaluate(self, rows: slice | IntArray, cols: slice | IntArray = slice(None)) -> Evaluation:
        """Scores mentees `rows` against mentors `cols`."""
        rules, w = self.rules, self.rules.weights
        a, b = self._a, self._b
        row_ids = np.arange(len(self.mentees))[rows]
        col_ids = np.arange(len(self.mentors))[cols]
        shape = (len(row_ids), len(col_ids))

        level = shared_noc_digits(a.noc[:, row_ids], b.noc[:, col_ids])
        occupation = rules.noc_similarity.by_shared_digits()[level]
        sector = (a.sector[row_ids, None] == b.sector[None, col_ids]).astype(np.float64)
        overlap = a.goals[row_ids] @ b.goals[col_ids].T
        goals = overlap.astype(np.float64) / np.maximum(a.goal_count[row_ids], 1.0)[:, None]

        langs_a, langs_b = a.languages[row_ids, None], b.languages[None, col_ids]
        preferred = a.preferred[row_ids, None]
        shares_language = (langs_a & langs_b) != 0
        # The mentor speaks the mentee's preferred language (any shared one if they have none).
        speaks_preferred = np.where(preferred != 0, (preferred & langs_b) != 0, shares_language)
        language = np.where(speaks_preferred, 1.0, np.where(shares_language, 0.5, 0.0))

        if rules.allow_cultural_background:
            culture = ((a.culture[row_ids] @ b.culture[col_ids].T) > 0).astype(np.float64)
        else:
            culture = np.zeros(shape)

        km = distance_km(a.position[row_ids], b.position[col_ids])
        same_city = a.city[row_ids, None] == b.city[None, col_ids]
        same_province = a.province[row_ids, None] == b.province[None, col_ids]
        by_place = np.where(
            same_city, rules.same_city_proximity, np.where(same_province, rules.same_province_proximity, 0.0)
        )
        proximity = np.where(np.isnan(km), by_place, np.clip(1.0 - km / rules.proximity_radius_km, 0.0, 1.0))

        # Positive when the pair goes the way the program's mentoring type wants.
        above = b.seniority[None, col_ids] - a.seniority[row_ids, None]
        kind = rules.mentoring_type
        gap = above if kind is MentoringType.TRADITIONAL else -above if kind is MentoringType.REVERSE else abs(above)
        ideal = 0 if kind is MentoringType.PEER else rules.ideal_seniority_gap
        seniority = 1.0 / (1.0 + np.abs(gap - ideal))

        shares = {
            "occupation": occupation,
            "sector": sector,
            "goals": goals,
            "language": language,
            "culture": culture,
            "proximity": proximity,
            "seniority": seniority,
        }
        fit = np.zeros(shape)
        for name, share in shares.items():
            weight = getattr(w, name)
            if weight:
                fit += weight * share

        breaks: dict[str, BoolArray] = {
            "rule.same_person": a.person[row_ids, None] == b.person[None, col_ids],
        }
        if rules.language_rule is LanguageRule.SHARED:
            breaks["rule.no_shared_language"] = ~shares_language
        elif rules.language_rule is LanguageRule.PREFERRED:
            breaks["rule.no_shared_language"] = ~shares_language & (preferred == 0)
            breaks["rule.lacks_preferred_language"] = ~speaks_preferred & (preferred != 0)
        if kind is MentoringType.TRADITIONAL:
            breaks["rule.mentor_not_senior_enough"] = gap < rules.min_seniority_gap
        elif kind is MentoringType.REVERSE:
            breaks["rule.mentor_not_junior_enough"] = gap < rules.min_seniority_gap
        else:
            breaks["rule.peers_too_far_apart"] = gap > rules.max_peer_gap
        for rule, by_row in self._excluded.items():
            broken = np.zeros(shape, dtype=bool)
            for r, i in enumerate(row_ids):
                excluded = by_row.get(int(i))
                if excluded is not None:
                    broken[r] = np.isin(col_ids, excluded)
            breaks[rule] = broken
        if rules.min_fit > 0:
            breaks["rule.below_min_fit"] = fit < rules.min_fit

        acceptable = np.ones(shape, dtype=bool)
        for broken in breaks.values():
            acceptable &= ~broken
        return Evaluation(shares, breaks, fit, acceptable, level, km, gap)

    def blocks(self, rows: int = BLOCK_ROWS) -> Iterator[tuple[int, Evaluation]]:
        """Every mentee against every mentor, `rows` mentees at a time, with the first row's index."""
        for start in range(0, len(self.mentees), rows):
            yield start, self.evaluate(slice(start, start + rows))

    def explain(self, mentee_id: str, mentor_id: str) -> PairFit:
        i, j = self.mentee_index[mentee_id], self.mentor_index[mentor_id]
        e = self.evaluate(np.array([i]), np.array([j]))
        fit = float(e.fit[0, 0])
        mentee, mentor = self.mentees[i], self.mentors[j]
        reasons = self._reasons(e, mentee, mentor)
        violations = tuple(self.rule_reason(code, mentee) for code, broken in e.breaks.items() if broken[0, 0])
        return PairFit(
            mentee_id,
            mentor_id,
            fit,
            fit / self.max_fit if self.max_fit else 0.0,
            not violations,
            reasons,
            violations,
        )

    def rule_reason(self, code: str, mentee: Participant) -> Reason:
        """A broken hard rule as a reason, with what the mentee needs to read it."""
        if code == "rule.lacks_preferred_language":
            return Reason(code, {"language": mentee.preferred_language})
        if code in ("rule.mentor_not_senior_enough", "rule.mentor_not_junior_enough"):
            return Reason(code, {"levels": self.rules.min_seniority_gap})
        if code == "rule.peers_too_far_apart":
            return Reason(code, {"levels": self.rules.max_peer_gap})
        if code == "rule.below_min_fit":
            return Reason(code, {"min_fit": self.rules.min_fit})
        return Reason(code)

    def _reasons(self, e: Evaluation, mentee: Participant, mentor: Participant) -> tuple[Reason, ...]:
        w = self.rules.weights
        points = {name: float(getattr(w, name) * share[0, 0]) for name, share in e.shares.items()}
        out: list[Reason] = []
        digits = int(e.shared_noc_digits[0, 0])
        if points["occupation"] > 0:
            out.append(Reason(NOC_REASONS[digits], {"noc": mentee.noc[:digits]}, points["occupation"]))
        if points["sector"] > 0:
            out.append(Reason("fit.same_sector", {"sector": mentee.sector}, points["sector"]))
        shared_goals = sorted(mentee.goals & mentor.goals)
        for goal in shared_goals:
            out.append(Reason("fit.shared_goal", {"goal": goal}, points["goals"] / len(shared_goals)))
        if points["language"] > 0:
            if mentee.preferred_language and mentee.preferred_language in mentor.languages:
                out.append(
                    Reason("fit.speaks_preferred_language", {"language": mentee.preferred_language}, points["language"])
                )
            else:
                language = sorted(mentee.languages & mentor.languages)[0]
                out.append(Reason("fit.shared_language", {"language": language}, points["language"]))
        if points["culture"] > 0:
            shared = sorted(mentee.cultural_backgrounds & mentor.cultural_backgrounds)
            for background in shared:
                out.append(
                    Reason(
                        "fit.shared_cultural_background", {"background": background}, points["culture"] / len(shared)
                    )
                )
        if points["proximity"] > 0:
            km = float(e.distance_km[0, 0])
            if not math.isnan(km):
                out.append(Reason("fit.distance", {"km": round(km)}, points["proximity"]))
            elif _place(mentee.location) and _place(mentee.location) == _place(mentor.location):
                out.append(Reason("fit.same_city", {"city": mentor.location.city}, points["proximity"]))
            else:
                out.append(Reason("fit.same_province", {"province": mentor.location.province}, points["proximity"]))
        if points["seniority"] > 0:
            code = f"fit.seniority_{self.rules.mentoring_type.value}"
            out.append(Reason(code, {"levels": int(e.seniority_gap[0, 0])}, points["seniority"]))
        out.sort(key=lambda r: -r.points)
        return tuple(out)


def assess(rules: ProgramRules, mentee: Participant, mentor: Participant) -> PairFit:
    """How well one mentor fits one mentee, with the reasons and any broken rule."""
    return FitModel(rules, [mentee], [mentor]).explain(mentee.id, mentor.id)
