"""Connector matching: a newcomer meets a connector of similar education and experience, who then
refers them to three people in the field. Pure: no I/O.

A connector takes at most `yearly_cap` connectees a year (the program asks for one or two). A
connector sees the newcomer's résumé first and may decline; the newcomer then goes to the next
best eligible connector. `next_connector` is that step: given the declines so far, the best
connector still eligible, with the reasons.

The service counts `connectees_this_year` from its store, including offers still waiting for an
answer, so that no connector is offered more newcomers than the cap.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, fields

import numpy as np

from matching.domain.fit import NOC_REASONS, NocSimilarity, Reason, noc_prefixes, shared_noc_digits
from tandem_kit.errors import FieldCollector

WEIGHT_MAX = 100.0
EXPERIENCE_RANGE_MAX = 50.0


class Education(enum.IntEnum):
    """Highest credential, in order; the service maps a foreign credential to its Canadian level."""

    SECONDARY = 1
    COLLEGE = 2  # college diploma, trade certificate
    BACHELOR = 3
    MASTER = 4
    DOCTORATE = 5


@dataclass(frozen=True)
class Newcomer:
    id: str
    education: Education
    fields_of_study: frozenset[str] = frozenset()
    noc: str = ""  # the occupation they trained and worked in, NOC 2021
    years_experience: float = 0.0
    languages: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Connector:
    id: str
    education: Education
    fields_of_study: frozenset[str] = frozenset()
    noc: str = ""
    years_experience: float = 0.0
    languages: frozenset[str] = frozenset()
    yearly_cap: int = 2
    connectees_this_year: int = 0  # including offers not yet answered


@dataclass(frozen=True)
class ConnectorWeights:
    field_of_study: float = 35.0
    occupation: float = 35.0
    education: float = 15.0
    experience: float = 15.0

    def total(self) -> float:
        return sum(getattr(self, f.name) for f in fields(self))


@dataclass(frozen=True)
class ConnectorRules:
    weights: ConnectorWeights = field(default_factory=ConnectorWeights)
    noc_similarity: NocSimilarity = field(default_factory=NocSimilarity)
    # Experience similarity falls linearly to 0 at this many years apart.
    experience_range_years: float = 15.0
    require_shared_language: bool = True

    def check(self, errors: FieldCollector, prefix: str = "rules") -> None:
        weights_in_range = True
        for f in fields(self.weights):
            if not 0.0 <= getattr(self.weights, f.name) <= WEIGHT_MAX:
                weights_in_range = False
                errors.add(f"{prefix}.weights.{f.name}", "rules.weight_range", max=WEIGHT_MAX)
        if weights_in_range and self.weights.total() <= 0:
            errors.add(f"{prefix}.weights", "rules.weights_all_zero")
        levels = list(self.noc_similarity.by_shared_digits()[1:])
        if any(not 0.0 <= s <= 1.0 for s in levels) or levels != sorted(levels):
            errors.add(f"{prefix}.noc_similarity", "rules.noc_similarity_order")
        if not 0.0 < self.experience_range_years <= EXPERIENCE_RANGE_MAX:
            errors.add(f"{prefix}.experience_range_years", "rules.experience_range", max=EXPERIENCE_RANGE_MAX)


@dataclass(frozen=True)
class ConnectorFit:
    connector_id: str
    fit: float
    score: float  # share of the most a pair can score, 0..1
    reasons: tuple[Reason, ...]  # most points first


CONNECTOR_REASONS = {
    "fit.field_of_study": frozenset({"field"}),
    "fit.education_level": frozenset({"level"}),
    "fit.experience_years": frozenset({"years"}),
}


def rank_connectors(
    rules: ConnectorRules,
    newcomer: Newcomer,
    connectors: Sequence[Connector],
    *,
    declined: Collection[str] = (),
) -> list[ConnectorFit]:
    """Every connector the newcomer may still be offered to, best first (ties by id): not one who
    declined them, not one at their yearly cap, and one sharing a language if the program says so."""
    eligible = [
        c
        for c in connectors
        if c.id not in declined
        and c.id != newcomer.id
        and c.connectees_this_year < c.yearly_cap
        and (not rules.require_shared_language or newcomer.languages & c.languages)
    ]
    if not eligible:
        return []
    w = rules.weights
    digits = shared_noc_digits(noc_prefixes([newcomer.noc], -1), noc_prefixes([c.noc for c in eligible], -2))[0]
    occupation = rules.noc_similarity.by_shared_digits()[digits]
    shared_fields = [sorted(newcomer.fields_of_study & c.fields_of_study) for c in eligible]
    field_of_study = np.array([1.0 if s else 0.0 for s in shared_fields])
    education = 1.0 - np.abs(np.array([c.education for c in eligible]) - newcomer.education) / (
        Education.DOCTORATE - Education.SECONDARY
    )
    years = np.array([c.years_experience for c in eligible])
    experience = np.clip(1.0 - np.abs(years - newcomer.years_experience) / rules.experience_range_years, 0.0, 1.0)
    points = {
        "occupation": w.occupation * occupation,
        "field_of_study": w.field_of_study * field_of_study,
        "education": w.education * education,
        "experience": w.experience * experience,
    }
    fit = sum(points.values(), np.zeros(len(eligible)))
    ranked = []
    for k, c in enumerate(eligible):
        reasons = []
        if points["occupation"][k] > 0:
            d = int(digits[k])
            reasons.append(Reason(NOC_REASONS[d], {"noc": newcomer.noc[:d]}, float(points["occupation"][k])))
        for name in shared_fields[k]:
            reasons.append(
                Reason(
                    "fit.field_of_study", {"field": name}, float(points["field_of_study"][k]) / len(shared_fields[k])
                )
            )
        if points["education"][k] > 0:
            reasons.append(
                Reason("fit.education_level", {"level": c.education.name.lower()}, float(points["education"][k]))
            )
        if points["experience"][k] > 0:
            reasons.append(
                Reason("fit.experience_years", {"years": round(c.years_experience)}, float(points["experience"][k]))
            )
        reasons.sort(key=lambda r: -r.points)
        total = w.total()
        ranked.append(ConnectorFit(c.id, float(fit[k]), float(fit[k]) / total if total else 0.0, tuple(reasons)))
    ranked.sort(key=lambda m: (-m.fit, m.connector_id))
    return ranked


def next_connector(
    rules: ConnectorRules, newcomer: Newcomer, connectors: Sequence[Connector], declined: Collection[str]
) -> ConnectorFit | None:
    """The best connector to offer the newcomer to now, given who declined so far; None when no
    one eligible is left (the coordinator recruits more connectors or waits for next year)."""
    ranked = rank_connectors(rules, newcomer, connectors, declined=declined)
    return ranked[0] if ranked else None
