"""Opportunities' use cases: each loads, decides with the domain rules, and saves with its
events in one unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from opportunities import metrics
from opportunities.domain.model import (
    OPEN,
    check_can_apply,
    check_is_poster,
    validate_message,
    validate_posting,
)
from opportunities.store import Application, Offer, Opportunity, Share
from tandem.opportunities.v1 import events_pb2
from tandem_kit.errors import Conflict, NotFound, Refused
from tandem_kit.events import utcnow
from tandem_kit.storage import Store, UnitOfWork


def _new_id() -> str:
    return uuid.uuid4().hex


def _load(uow: UnitOfWork, opportunity_id: str) -> Opportunity:
    opp = uow.find_one(Opportunity, {"_id": opportunity_id})
    if opp is None:
        raise NotFound("opportunity.not_found")
    return opp


def post(
    store: Store,
    *,
    poster_id: str,
    title_en: str,
    title_fr: str,
    description_en: str,
    description_fr: str,
    skill_ids: Sequence[str],
    openings: int,
    application_deadline: datetime | None,
) -> Opportunity:
    now = utcnow()
    posting = validate_posting(
        title_en=title_en,
        title_fr=title_fr,
        description_en=description_en,
        description_fr=description_fr,
        skill_ids=skill_ids,
        openings=openings,
        application_deadline=application_deadline,
        now=now,
    )

    def work(uow: UnitOfWork) -> Opportunity:
        opp = uow.insert(
            Opportunity(
                id=_new_id(),
                poster_id=poster_id,
                title_en=posting.title_en,
                title_fr=posting.title_fr,
                description_en=posting.description_en,
                description_fr=posting.description_fr,
                skill_ids=posting.skill_ids,
                openings=posting.openings,
                slots_free=posting.openings,
                state=OPEN,
                application_deadline=posting.application_deadline,
                posted_at=now,
            )
        )
        uow.publish(
            "opportunity.posted",
            events_pb2.OpportunityPosted(
                opportunity_id=opp.id,
                poster_id=poster_id,
                title_en=opp.title_en,
                title_fr=opp.title_fr,
                skill_ids=opp.skill_ids,
                openings=opp.openings,
            ),
        )
        return opp

    opp = store.run(work)
    metrics.OPPORTUNITIES_POSTED.inc()
    return opp


def get(opportunity_id: str) -> Opportunity:
    opp = Opportunity.objects(id=opportunity_id).first()
    if opp is None:
        raise NotFound("opportunity.not_found")
    return opp


def share(store: Store, *, opportunity_id: str, poster_id: str, candidate_id: str) -> Share:
    if candidate_id == poster_id:
        raise Refused("share.self")

    def work(uow: UnitOfWork) -> Share:
        opp = _load(uow, opportunity_id)
        check_is_poster(opp.poster_id, poster_id)
        if uow.find_one(Share, {"opportunity_id": opportunity_id, "candidate_id": candidate_id}):
            raise Conflict("share.already_shared")
        record = uow.insert(
            Share(
                id=_new_id(),
                opportunity_id=opportunity_id,
                poster_id=poster_id,
                candidate_id=candidate_id,
                shared_at=utcnow(),
            )
        )
        uow.publish(
            "opportunity.shared",
            events_pb2.OpportunityShared(
                share_id=record.id,
                opportunity_id=opportunity_id,
                poster_id=poster_id,
                candidate_id=candidate_id,
                title_en=opp.title_en,
                title_fr=opp.title_fr,
            ),
        )
        return record

    try:
        record = store.run(work)
    except DuplicateKeyError as exc:
        raise Conflict("share.already_shared") from exc
    metrics.OPPORTUNITIES_SHARED.inc()
    return record


def apply(store: Store, *, opportunity_id: str, applicant_id: str, message: str) -> Application:
    message = validate_message(message)
    now = utcnow()

    def work(uow: UnitOfWork) -> Application:
        opp = _load(uow, opportunity_id)
        check_can_apply(
            state=opp.state,
            poster_id=opp.poster_id,
            applicant_id=applicant_id,
            deadline=opp.application_deadline,
            now=now,
        )
        if uow.find_one(Application, {"opportunity_id": opportunity_id, "applicant_id": applicant_id}):
            raise Conflict("apply.already_applied")
        application = uow.insert(
            Application(
                id=_new_id(),
                opportunity_id=opportunity_id,
                applicant_id=applicant_id,
                message=message,
                state="submitted",
                submitted_at=now,
            )
        )
        uow.update_one(Opportunity, {"_id": opportunity_id}, {"$inc": {"applicant_count": 1}})
        uow.publish(
            "application.submitted",
            events_pb2.ApplicationSubmitted(
                application_id=application.id,
                opportunity_id=opportunity_id,
                poster_id=opp.poster_id,
                applicant_id=applicant_id,
                title_en=opp.title_en,
                title_fr=opp.title_fr,
            ),
        )
        return application

    try:
        application = store.run(work)
    except DuplicateKeyError as exc:
        raise Conflict("apply.already_applied") from exc
    metrics.APPLICATIONS_SUBMITTED.inc()
    return application


def make_offer(store: Store, *, opportunity_id: str, poster_id: str, applicant_id: str) -> Offer:
    def work(uow: UnitOfWork) -> Offer:
        opp = _load(uow, opportunity_id)
        check_is_poster(opp.poster_id, poster_id)
        application = uow.find_one(Application, {"opportunity_id": opportunity_id, "applicant_id": applicant_id})
        if application is None:
            raise Refused("offer.not_an_applicant")
        if application.state != "submitted":
            raise Conflict("offer.already_made")
        # Take an opening only if one is free; the condition and the decrement are one write.
        taken = uow.find_one_and_update(
            Opportunity, {"_id": opportunity_id, "slots_free": {"$gt": 0}}, {"$inc": {"slots_free": -1}}
        )
        if taken is None:
            raise Refused("offer.no_openings_left")
        uow.update_one(Application, {"_id": application.id}, {"$set": {"state": "offered"}})
        offer = uow.insert(
            Offer(
                id=_new_id(),
                opportunity_id=opportunity_id,
                applicant_id=applicant_id,
                poster_id=poster_id,
                state="outstanding",
                made_at=utcnow(),
            )
        )
        uow.publish(
            "offer.made",
            events_pb2.OfferMade(
                offer_id=offer.id,
                opportunity_id=opportunity_id,
                poster_id=poster_id,
                applicant_id=applicant_id,
                title_en=opp.title_en,
                title_fr=opp.title_fr,
            ),
        )
        return offer

    try:
        offer = store.run(work)
    except DuplicateKeyError as exc:
        raise Conflict("offer.already_made") from exc
    metrics.OFFERS_MADE.inc()
    return offer


def accept_offer(store: Store, *, offer_id: str, applicant_id: str) -> Offer:
    def work(uow: UnitOfWork) -> Offer:
        offer = uow.find_one(Offer, {"_id": offer_id})
        if offer is None:
            raise NotFound("offer.not_found")
        if offer.applicant_id != applicant_id:
            raise NotFound("offer.not_found")  # not "not yours": don't confirm it exists
        accepted = uow.find_one_and_update(
            Offer,
            {"_id": offer_id, "state": "outstanding"},
            {"$set": {"state": "accepted", "answered_at": utcnow()}},
        )
        if accepted is None:
            raise Refused("offer.not_outstanding")
        uow.update_one(
            Application,
            {"opportunity_id": offer.opportunity_id, "applicant_id": applicant_id},
            {"$set": {"state": "accepted"}},
        )
        opp = _load(uow, offer.opportunity_id)
        uow.publish(
            "offer.accepted",
            events_pb2.OfferAccepted(
                offer_id=offer_id,
                opportunity_id=offer.opportunity_id,
                poster_id=offer.poster_id,
                applicant_id=applicant_id,
                title_en=opp.title_en,
                title_fr=opp.title_fr,
            ),
        )
        return accepted

    offer = store.run(work)
    metrics.OFFERS_ACCEPTED.inc()
    return offer
