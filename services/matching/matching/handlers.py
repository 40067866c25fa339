"""Matching's use cases: keeping the read model fresh, and ranking."""

from __future__ import annotations

from matching import metrics
from matching.domain.ranking import CandidateRecord, Ranked, rank
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
            {"$set": {"poster_id": o.poster_id, "skill_ids": list(o.skill_ids), "openings": o.openings}},
            upsert=True,
        )

    return store.apply_once(event, "matching.on_opportunity_posted", work)


def rank_candidates(opportunity_id: str, limit: int) -> list[Ranked]:
    errors = FieldCollector()
    limit = limit or 20
    if not 1 <= limit <= LIMIT_MAX:
        errors.add("limit", "limit.range", max=LIMIT_MAX)
    errors.raise_if_any()
    opp = OpportunityRequirements.objects(id=opportunity_id).first()
    if opp is None:
        raise NotFound("opportunity.not_known_yet")
    with metrics.RANKING_SECONDS.time():
        docs = CandidateProfile.objects(skill_ids__in=opp.skill_ids)
        records = (CandidateRecord(d.id, d.display_name, dict(d.skill_labels)) for d in docs)
        result = rank(opp.skill_ids, records, exclude=[opp.poster_id], limit=limit)
    metrics.MATCHES_FOUND.inc(len(result))
    return result
