"""Matching's use cases: keeping the read model fresh, and ranking."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from matching import metrics
from matching.domain.ranking import (
    CandidateFacts,
    CandidateRecord,
    Ranked,
    Requirements,
    rank,
    ruled_out_by,
)
from matching.store import CandidateProfile, OpportunityRequirements
from tandem.opportunities.v1 import events_pb2 as opportunity_events
from tandem.profiles.v1 import events_pb2 as profile_events
from tandem_kit.errors import FieldCollector, NotFound
from tandem_kit.events import Envelope
from tandem_kit.storage import Store, UnitOfWork

LIMIT_MAX = 100


def record_profile(store: Store, event: Envelope[profile_events.ProfileUpdated]) -> bool:
    p = event.payload

    def work(uow: UnitOfWork) -> None:
        current = uow.find_one(CandidateProfile, {"_id": p.user_id})
        if current is not None and current.version >= p.version:
            return  # events may arrive out of order: an older version never wins
        uow.update_one(
            CandidateProfile,
            {"_id": p.user_id},
            {
                "$set": {
                    "display_name": p.display_name,
                    "department": p.department,
                    "skill_ids": [s.id for s in p.skills],
                    "skill_labels": {s.id: {"en": s.label.en, "fr": s.label.fr} for s in p.skills},
                    "opt_ins": {o.opportunity_type: list(o.roles) for o in p.private.opt_ins},
                    "languages": _levels(p.details.official_languages),
                    "province": p.details.location.province,
                    "paused": p.private.mentoring.paused,
                    "version": p.version,
                }
            },
            upsert=True,
        )

    return store.apply_once(event, "matching.on_profile_updated", work)


def record_opportunity(store: Store, event: Envelope[opportunity_events.OpportunityPosted]) -> bool:
    o = event.payload

    def work(uow: UnitOfWork) -> None:
        uow.update_one(
            OpportunityRequirements,
            {"_id": o.opportunity_id},
            {
                "$set": {
                    "poster_id": o.poster_id,
                    "skill_ids": list(o.skill_ids),
                    "openings": o.openings,
                    "type": o.type,
                    "host_role": o.host_role,
                    "languages": _levels(o.requirements),
                    # An opportunity posted before requirements existed asks for no location.
                    "virtual": o.requirements.virtual or not o.requirements.province,
                    "province": o.requirements.province,
                }
            },
            upsert=True,
        )

    return store.apply_once(event, "matching.on_opportunity_posted", work)


def _levels(message: Any) -> dict[str, dict[str, str]]:
    """{"en": {...}, "fr": {...}} from a message with `english` and `french` language levels."""
    out: dict[str, dict[str, str]] = {}
    for lang, name in (("en", "english"), ("fr", "french")):
        levels = getattr(message, name)
        given = {f.name: getattr(levels, f.name) for f in levels.DESCRIPTOR.fields if getattr(levels, f.name)}
        if given:
            out[lang] = given
    return out


@dataclass(frozen=True)
class Ranking:
    candidates: list[Ranked]
    # filter code -> how many people it ruled out
    exclusions: Counter[str]


def rank_candidates(opportunity_id: str, limit: int) -> Ranking:
    errors = FieldCollector()
    limit = limit or 20
    if not 1 <= limit <= LIMIT_MAX:
        errors.add("limit", "limit.range", max=LIMIT_MAX)
    errors.raise_if_any()
    opp = OpportunityRequirements.objects(id=opportunity_id).first()
    if opp is None:
        raise NotFound("opportunity.not_known_yet")
    requirements = Requirements(
        type=opp.type,
        host_role=opp.host_role,
        languages=dict(opp.languages),
        virtual=opp.virtual,
        province=opp.province,
    )
    with metrics.RANKING_SECONDS.time():
        exclusions: Counter[str] = Counter()
        kept = []
        # Every member is weighed, so an empty list can say which requirement ruled out the most.
        for d in CandidateProfile.objects(id__ne=opp.poster_id):
            facts = CandidateFacts(
                opt_ins=dict(d.opt_ins), languages=dict(d.languages), province=d.province, paused=d.paused
            )
            reason = ruled_out_by(requirements, opp.skill_ids, facts, d.skill_labels)
            if reason:
                exclusions[reason] += 1
            else:
                kept.append(CandidateRecord(d.id, d.display_name, dict(d.skill_labels), facts))
        result = rank(opp.skill_ids, kept, exclude=[opp.poster_id], limit=limit)
    metrics.MATCHES_FOUND.inc(len(result))
    return Ranking(result, exclusions)
