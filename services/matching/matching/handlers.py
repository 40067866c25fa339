"""Matching's use cases for ranking: keeping the read model fresh from events (the worker), and
answering ranking and recommendation queries from the in-memory index (the api, live.py).

Every write to the read model stamps the document with the next change sequence number, in the
same transaction, so that api replicas can follow the changes (`seq > last seen`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pymongo import ReturnDocument

from matching.domain.board import Opening, Recommended
from matching.domain.ranking import DAY_END, DAY_START, CandidateFacts, CandidateRecord, Ranked, Requirements
from matching.store import CandidateProfile, ChangeSequence, OpportunityRequirements
from tandem.opportunities.v1 import events_pb2 as opportunity_events
from tandem.profiles.v1 import events_pb2 as profile_events
from tandem_kit.errors import FieldCollector, NotFound
from tandem_kit.events import Envelope
from tandem_kit.storage import Store, UnitOfWork

if TYPE_CHECKING:
    from matching.live import LiveIndex

LIMIT_MAX = 100
CHANGES = "changes"


# --- the read model (worker) ----------------------------------------------------------------------


def next_seq(uow: UnitOfWork) -> int:
    doc = uow.collection(ChangeSequence).find_one_and_update(
        {"_id": CHANGES},
        {"$inc": {"value": 1}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
        session=uow.session,
    )
    assert doc is not None  # upserted
    return int(doc["value"])


def _minutes(hhmm: str, default: int) -> int:
    hours, _, minutes = hhmm.partition(":")
    return int(hours) * 60 + int(minutes) if hours.isdigit() and minutes.isdigit() else default


def profile_fields(p: profile_events.ProfileUpdated) -> dict[str, Any]:
    """What the read model keeps of a profile."""
    details, private = p.details, p.private
    availability = private.availability
    return {
        "display_name": p.display_name,
        "department": p.department,
        "department_code": p.department_code,
        "skill_ids": [s.id for s in p.skills],
        "skill_labels": {s.id: {"en": s.label.en, "fr": s.label.fr} for s in p.skills},
        "custom_skills": {s.id: s.label.en or s.label.fr for s in p.skills if s.custom},
        "opt_ins": {o.opportunity_type: list(o.roles) for o in private.opt_ins},
        "languages": _levels(details.official_languages),
        "province": details.location.province,
        "city": details.location.city,
        "time_zone": details.location.time_zone,
        "paused": private.mentoring.paused,
        "max_mentees": private.mentoring.max_mentees,
        "security_clearance": private.security_clearance,
        "availability": {
            "hours_per_week": availability.hours_per_week,
            "max_engagements": availability.max_engagements,
            "days": list(availability.days),
            "day_start": availability.day_start,
            "day_end": availability.day_end,
        },
        "classification_group": details.classification.group,
        "classification_level": details.classification.level,
        "noc": details.occupation.code,
        "naics": details.industry.code,
        "version": p.version,
    }


def record_profile(store: Store, event: Envelope[profile_events.ProfileUpdated]) -> bool:
    p = event.payload

    def work(uow: UnitOfWork) -> None:
        current = uow.find_one(CandidateProfile, {"_id": p.user_id})
        if current is not None and current.version >= p.version:
            return  # events may arrive out of order: an older version never wins
        uow.update_one(
            CandidateProfile,
            {"_id": p.user_id},
            {"$set": {**profile_fields(p), "seq": next_seq(uow)}},
            upsert=True,
        )

    return store.apply_once(event, "matching.on_profile_updated", work)


def record_opportunity(store: Store, event: Envelope[opportunity_events.OpportunityPosted]) -> bool:
    o = event.payload
    r = o.requirements

    def work(uow: UnitOfWork) -> None:
        uow.update_one(
            OpportunityRequirements,
            {"_id": o.opportunity_id},
            {
                "$set": {
                    "poster_id": o.poster_id,
                    "title": {"en": o.title_en, "fr": o.title_fr},
                    "skill_ids": list(o.skill_ids),
                    "openings": o.openings,
                    "type": o.type,
                    "host_role": o.host_role,
                    "languages": _levels(r),
                    # An opportunity posted before requirements existed asks for no location.
                    "virtual": r.virtual or not r.province,
                    "province": r.province,
                    "city": r.city,
                    "department": o.department,
                    "limited_to_department": o.limited_to_department,
                    "security_level": r.security_level,
                    "time_zone": r.time_zone,
                    "schedule": {day: {"start": s.start, "duration": s.duration} for day, s in r.schedule.items()},
                    "hours": r.hours,
                    "per": r.per,
                    "classification": o.classification,
                    "application_deadline": o.application_deadline,
                    "seq": next_seq(uow),
                },
                # A cancellation that overtook the posting keeps its state.
                "$setOnInsert": {"state": "open", "participant_ids": []},
            },
            upsert=True,
        )

    return store.apply_once(event, "matching.on_opportunity_posted", work)


def record_opportunity_state(
    store: Store, event: Envelope[opportunity_events.OpportunityStateChanged], handler: str
) -> bool:
    """Cancelled, reopened or completed: recommendations offer open opportunities only, and a
    completed one frees its participants' (and its poster's) capacity."""
    o = event.payload

    def work(uow: UnitOfWork) -> None:
        uow.update_one(
            OpportunityRequirements,
            {"_id": o.opportunity_id},
            {"$set": {"state": o.state, "seq": next_seq(uow)}},
            upsert=True,
        )
        if o.state != "open":
            for person in dict.fromkeys([o.poster_id, *o.participant_ids]):
                uow.update_one(
                    CandidateProfile,
                    {"_id": person, f"engaged_in.{o.opportunity_id}": {"$exists": True}},
                    {"$unset": {f"engaged_in.{o.opportunity_id}": ""}, "$set": {"seq": next_seq(uow)}},
                )

    return store.apply_once(event, f"matching.{handler}", work)


def record_engagement(store: Store, event: Envelope[opportunity_events.EngagementStarted]) -> bool:
    """The participant and the poster are each engaged in one more opportunity (capacity)."""
    e = event.payload

    def work(uow: UnitOfWork) -> None:
        for person in dict.fromkeys([e.participant_id, e.poster_id]):
            uow.update_one(
                CandidateProfile,
                {"_id": person},
                {
                    "$set": {f"engaged_in.{e.opportunity_id}": e.type, "seq": next_seq(uow)},
                    # Known only by engagements until their profile arrives: not yet a candidate.
                    "$setOnInsert": {"version": 0},
                },
                upsert=True,
            )
        uow.update_one(
            OpportunityRequirements,
            {"_id": e.opportunity_id},
            {"$addToSet": {"participant_ids": e.participant_id}, "$set": {"seq": next_seq(uow)}},
            upsert=True,
        )

    return store.apply_once(event, "matching.on_engagement_started", work)


def _levels(message: Any) -> dict[str, dict[str, str]]:
    """{"en": {...}, "fr": {...}} from a message with `english` and `french` language levels."""
    out: dict[str, dict[str, str]] = {}
    for lang, name in (("en", "english"), ("fr", "french")):
        levels = getattr(message, name)
        given = {f.name: getattr(levels, f.name) for f in levels.DESCRIPTOR.fields if getattr(levels, f.name)}
        if given:
            out[lang] = given
    return out


# --- from the read model to the domain (api) ------------------------------------------------------


def candidate_from_doc(doc: Mapping[str, Any]) -> tuple[CandidateRecord, dict[str, str]] | None:
    """A candidates document as the ranking sees it, with its custom skills' names; None while
    it is not a profile yet (known only through engagements)."""
    if not doc.get("version"):
        return None
    availability = doc.get("availability") or {}
    engaged = doc.get("engaged_in") or {}
    facts = CandidateFacts(
        opt_ins=doc.get("opt_ins") or {},
        languages=doc.get("languages") or {},
        province=doc.get("province", ""),
        city=doc.get("city", ""),
        paused=bool(doc.get("paused")),
        department=doc.get("department_code", ""),
        security_clearance=doc.get("security_clearance", ""),
        time_zone=doc.get("time_zone", ""),
        days=tuple(availability.get("days") or ()),
        day_start=_minutes(availability.get("day_start", ""), DAY_START),
        day_end=_minutes(availability.get("day_end", ""), DAY_END),
        hours_per_week=int(availability.get("hours_per_week", 0)),
        max_engagements=int(availability.get("max_engagements", 0)),
        engagements=len(engaged),
        max_mentees=int(doc.get("max_mentees", 0)),
        mentoring_engagements=sum(1 for kind in engaged.values() if kind == "mentoring"),
        classification_group=doc.get("classification_group", ""),
        classification_level=int(doc.get("classification_level", 0)),
        noc=doc.get("noc", ""),
        naics=doc.get("naics", ""),
    )
    labels = doc.get("skill_labels") or {}
    skills = {s: labels.get(s) or {"en": s, "fr": s} for s in doc.get("skill_ids") or ()}
    return CandidateRecord(doc["_id"], doc.get("display_name", ""), skills, facts), dict(doc.get("custom_skills") or {})


def opening_from_doc(doc: Mapping[str, Any]) -> Opening | None:
    """An opportunities document as recommendations see it; None until it has been posted."""
    if not doc.get("poster_id"):
        return None
    schedule = tuple(
        sorted(
            (day, _minutes(slot.get("start", ""), DAY_START), _minutes(slot.get("duration", ""), 0))
            for day, slot in (doc.get("schedule") or {}).items()
        )
    )
    requirements = Requirements(
        skill_ids=tuple(doc.get("skill_ids") or ()),
        type=doc.get("type", ""),
        host_role=doc.get("host_role", ""),
        languages=doc.get("languages") or {},
        virtual=doc.get("virtual", True),
        province=doc.get("province", ""),
        city=doc.get("city", ""),
        department=doc.get("department", ""),
        limited_to_department=bool(doc.get("limited_to_department")),
        security_level=doc.get("security_level", ""),
        time_zone=doc.get("time_zone", ""),
        schedule=schedule,
        hours=float(doc.get("hours", 0.0)),
        per=doc.get("per", ""),
        classification=doc.get("classification", ""),
    )
    title = doc.get("title") or {}
    return Opening(
        id=doc["_id"],
        poster_id=doc["poster_id"],
        title={"en": title.get("en", ""), "fr": title.get("fr", "")},
        type=doc.get("type", ""),
        requirements=requirements,
        openings=int(doc.get("openings", 0)),
        participant_ids=frozenset(doc.get("participant_ids") or ()),
        state=doc.get("state", "open"),
        application_deadline=doc.get("application_deadline", ""),
    )


# --- queries (api) --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranking:
    candidates: list[Ranked]
    # filter code -> how many people it ruled out
    exclusions: Counter[str]


def _limit(limit: int) -> int:
    errors = FieldCollector()
    limit = limit or 20
    if not 1 <= limit <= LIMIT_MAX:
        errors.add("limit", "limit.range", max=LIMIT_MAX)
    errors.raise_if_any()
    return limit


def rank_candidates(live: LiveIndex, opportunity_id: str, limit: int) -> Ranking:
    limit = _limit(limit)
    found = live.rank(opportunity_id, limit)
    if found is None:
        raise NotFound("opportunity.not_known_yet")
    candidates, exclusions = found
    return Ranking(candidates, exclusions)


def recommend_opportunities(live: LiveIndex, user_id: str, limit: int) -> list[Recommended]:
    limit = _limit(limit)
    found = live.recommend(user_id, limit)
    if found is None:
        raise NotFound("member.not_known_yet")
    return found
