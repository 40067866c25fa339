"""Opportunities' use cases: each loads, decides with the domain rules, and saves with its
events in one unit of work."""

from __future__ import annotations

import unicodedata
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pymongo.errors import DuplicateKeyError

from opportunities import convert, metrics
from opportunities.domain import browse, model
from opportunities.domain.model import (
    ACCEPTED,
    CANCELLED,
    COMPLETED,
    DECLINED,
    OFFERED,
    OPEN,
    OUTSTANDING,
    REMOVED,
    RESCINDED,
    SUBMITTED,
    WITHDRAWN,
    Facts,
)
from opportunities.domain.posting import (
    DetailsStep,
    PosterStep,
    RequirementsStep,
    check_details,
    check_poster,
    check_requirements,
    parse_date,
    to_document,
    vocabulary,
)
from opportunities.store import Application, Draft, Engagement, Offer, Opportunity, Share
from tandem.opportunities.v1 import events_pb2
from tandem_kit.errors import Conflict, FieldCollector, FieldError, InvalidInput, NotFound, Refused
from tandem_kit.events import utcnow
from tandem_kit.storage import Store, UnitOfWork

# Deadlines are calendar dates; a day ends at midnight in the National Capital Region.
CAPITAL = ZoneInfo("America/Toronto")
PAGE_SIZE_MAX = 100


def today() -> date:
    return datetime.now(CAPITAL).date()


def _new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Lists:
    """How to recognise a department and a skill: other services own those lists."""

    is_department: Callable[[str], bool]
    is_skill: Callable[[str], bool]


# --- posting --------------------------------------------------------------------------------------


def _step(name: str, check: Callable[[], Any], errors: list[FieldError]) -> Any:
    """Run one step's check, collecting its field errors under the step's name."""
    try:
        return check()
    except InvalidInput as exc:
        errors.extend(FieldError(f"{name}.{e.field}", e.code, e.params) for e in exc.errors)
        return None


def check_steps(
    lists: Lists, poster: Mapping[str, Any], details: Mapping[str, Any], requirements: Mapping[str, Any]
) -> tuple[PosterStep, DetailsStep, RequirementsStep]:
    errors: list[FieldError] = []
    p = _step("poster", lambda: check_poster(**poster, is_department=lists.is_department), errors)
    d = _step("details", lambda: check_details(**details, today=today()), errors)
    r = _step("requirements", lambda: check_requirements(**requirements, is_skill=lists.is_skill), errors)
    if errors:
        raise InvalidInput(errors)
    return p, d, r


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def keywords(*texts: str) -> list[str]:
    words = {w.strip(".,;:!?()[]«»\"'’") for t in texts for w in fold(t).split()}
    # One-letter words carry no meaning, but a lone digit often does ("Survey analysis 2").
    return sorted(w for w in words if len(w) >= 2 or w.isdigit())[:500]


def _create(uow: UnitOfWork, poster_id: str, p: PosterStep, d: DetailsStep, r: RequirementsStep) -> Opportunity:
    details = to_document(d)
    requirements = to_document(r)
    opp = uow.insert(
        Opportunity(
            id=_new_id(),
            poster_id=poster_id,
            poster=to_document(p),
            details=details,
            requirements=requirements,
            title_en=d.title_en,
            title_fr=d.title_fr,
            type=d.type,
            host_role=d.host_role,
            program_area=d.program_area,
            department=p.department,
            limited_to_department=d.limited_to_department,
            application_deadline=details["application_deadline"],
            province=r.province,
            virtual=r.virtual,
            languages=sorted(r.languages),
            skill_ids=r.skill_ids,
            keywords=keywords(d.title_en, d.title_fr, d.description_en, d.description_fr),
            openings=d.openings,
            slots_free=d.openings,
            state=OPEN,
            posted_at=utcnow(),
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
            type=opp.type,
            host_role=opp.host_role,
            department=opp.department,
            limited_to_department=opp.limited_to_department,
            requirements=convert.requirements_message(requirements),
            application_deadline=opp.application_deadline,
            classification=d.classification,
            program_area=d.program_area,
        ),
    )
    return opp


def post(
    store: Store,
    lists: Lists,
    *,
    poster_id: str,
    poster: Mapping[str, Any],
    details: Mapping[str, Any],
    requirements: Mapping[str, Any],
) -> Opportunity:
    p, d, r = check_steps(lists, poster, details, requirements)
    opp = store.run(lambda uow: _create(uow, poster_id, p, d, r))
    metrics.OPPORTUNITIES_POSTED.inc()
    return opp


def save_draft(
    store: Store, lists: Lists, *, poster_id: str, draft_id: str, step: str, data: Mapping[str, Any]
) -> Draft:
    """Check one step and keep it in the poster's draft (a new one when `draft_id` is empty)."""
    errors: list[FieldError] = []
    checks: dict[str, Callable[[], Any]] = {
        "poster": lambda: check_poster(**data, is_department=lists.is_department),
        "details": lambda: check_details(**data, today=today()),
        "requirements": lambda: check_requirements(**data, is_skill=lists.is_skill),
    }
    checked = _step(step, checks[step], errors)
    if errors:
        raise InvalidInput(errors)
    document = to_document(checked)

    def work(uow: UnitOfWork) -> Draft:
        if draft_id:
            draft = _own_draft(uow, draft_id, poster_id)
        else:
            draft = uow.insert(Draft(id=_new_id(), poster_id=poster_id, updated_at=utcnow()))
        uow.update_one(Draft, {"_id": draft.id}, {"$set": {step: document, "updated_at": utcnow()}})
        updated = uow.find_one(Draft, {"_id": draft.id})
        assert updated is not None
        return updated

    return store.run(work)


def _own_draft(uow: UnitOfWork, draft_id: str, poster_id: str) -> Draft:
    draft = uow.find_one(Draft, {"_id": draft_id})
    if draft is None or draft.poster_id != poster_id:
        raise NotFound("draft.not_found")  # someone else's draft does not exist for you
    return draft


def get_draft(draft_id: str, poster_id: str) -> Draft:
    draft = Draft.objects(id=draft_id).first()
    if draft is None or draft.poster_id != poster_id:
        raise NotFound("draft.not_found")
    return draft


def steps_done(draft: Draft) -> list[str]:
    return [step for step in ("poster", "details", "requirements") if getattr(draft, step)]


def publish_draft(store: Store, lists: Lists, *, draft_id: str, poster_id: str) -> Opportunity:
    draft = get_draft(draft_id, poster_id)
    missing = [s for s in ("poster", "details", "requirements") if s not in steps_done(draft)]
    if missing:
        raise InvalidInput([FieldError(step, "draft.step_missing") for step in missing])
    requirements = dict(draft.requirements)
    requirements["schedule"] = {
        day: {"start": slot["start"], "duration": f"{slot['minutes'] // 60:02d}:{slot['minutes'] % 60:02d}"}
        for day, slot in requirements.get("schedule", {}).items()
    }
    details = {k: ("" if v is None else v) for k, v in draft.details.items()}
    # Checked again: a date that was in the future when saved may have passed since.
    p, d, r = check_steps(lists, dict(draft.poster), details, requirements)

    def work(uow: UnitOfWork) -> Opportunity:
        if uow.collection(Draft).delete_one({"_id": draft_id}, session=uow.session).deleted_count != 1:
            raise Conflict("draft.already_published")
        return _create(uow, poster_id, p, d, r)

    opp = store.run(work)
    metrics.OPPORTUNITIES_POSTED.inc()
    return opp


# --- reading --------------------------------------------------------------------------------------


def facts(opp: Opportunity) -> Facts:
    return Facts(
        opp.state, opp.poster_id, opp.department, opp.limited_to_department, parse_date(opp.application_deadline)
    )


def get(opportunity_id: str) -> Opportunity:
    opp = Opportunity.objects(id=opportunity_id).first()
    if opp is None:
        raise NotFound("opportunity.not_found")
    return opp


def cannot_apply_reason(opp: Opportunity, viewer_id: str, viewer_department: str) -> str:
    return model.cannot_apply_reason(
        facts(opp), applicant_id=viewer_id, applicant_department=viewer_department, today=today()
    )


@dataclass(frozen=True)
class Search:
    query: str = ""
    types: Sequence[str] = ()
    host_role: str = ""
    program_areas: Sequence[str] = ()
    province: str = ""
    virtual_only: bool = False
    language: str = ""
    department: str = ""
    state: str = ""
    sort: str = ""
    best_fit_ids: Sequence[str] = ()  # matching's ranking for the viewer, best first
    poster_id: str = ""
    page_size: int = 20
    page_token: str = ""


def _check_search(s: Search) -> tuple[int, int, list[str]]:
    errors = FieldCollector()
    vocab = vocabulary()
    if len(s.query) > 200:
        errors.add("query", "field.too_long", max=200)
    for name, values, known in (
        ("types", s.types, vocab["opportunity_types"]),
        ("program_areas", s.program_areas, vocab["program_areas"]),
    ):
        if any(v not in known for v in values):
            errors.add(name, "choice.unknown")
    if s.host_role and s.host_role not in vocab["host_roles"]:
        errors.add("host_role", "choice.unknown")
    if s.province and s.province not in vocab["provinces"]:
        errors.add("province", "choice.unknown")
    if s.language and s.language not in ("en", "fr"):
        errors.add("language", "choice.unknown")
    if s.state and s.state not in (OPEN, CANCELLED, COMPLETED):
        errors.add("state", "choice.unknown")
    if s.sort and s.sort not in ("newest", "deadline", "best_fit"):
        errors.add("sort", "choice.unknown")
    best_fit_ids = browse.check_best_fit_ids(s.best_fit_ids, errors)
    size = s.page_size or 20
    if not 1 <= size <= PAGE_SIZE_MAX:
        errors.add("page_size", "page.size_range", max=PAGE_SIZE_MAX)
    offset = 0
    if s.page_token:
        if not s.page_token.isdigit() or len(s.page_token) > 9:
            errors.add("page_token", "page.token_invalid")
        else:
            offset = int(s.page_token)
    errors.raise_if_any()
    return size, offset, best_fit_ids


def search(s: Search) -> tuple[list[Opportunity], int, str]:
    size, offset, best_fit_ids = _check_search(s)
    q: dict[str, Any] = {"state": s.state or OPEN}
    words = keywords(s.query)
    if words:
        q["keywords"] = {"$all": words}
    if s.types:
        q["type"] = {"$in": list(s.types)}
    if s.host_role:
        q["host_role"] = s.host_role
    if s.program_areas:
        q["program_area"] = {"$in": list(s.program_areas)}
    if s.province:
        q["province"] = s.province
    if s.virtual_only:
        q["virtual"] = True
    if s.language:
        q["languages"] = s.language
    if s.department:
        q["department"] = s.department
    if s.poster_id:
        q["poster_id"] = s.poster_id
    query = Opportunity.objects(__raw__=q)
    total = query.count()
    if s.sort == "best_fit":
        page = _best_fit_page(q, best_fit_ids, offset, size)
    else:
        order = ("application_deadline", "-posted_at") if s.sort == "deadline" else ("-posted_at",)
        page = list(query.order_by(*order).skip(offset).limit(size))
    next_token = str(offset + size) if offset + size < total else ""
    return page, total, next_token


def _best_fit_page(q: dict[str, Any], best_fit_ids: list[str], offset: int, size: int) -> list[Opportunity]:
    """The ranked opportunities that pass the filters `q`, in rank order, then the others newest
    first. Each query is bounded by the ranking or the page, whatever the number of opportunities."""
    ranked: list[str] = []
    if best_fit_ids:
        passing = set(Opportunity.objects(__raw__={**q, "_id": {"$in": best_fit_ids}}).scalar("id"))
        ranked = [i for i in best_fit_ids if i in passing]
    plan = browse.best_fit_page(ranked, offset, size)
    page: list[Opportunity] = []
    if plan.ranked:
        found = {o.id: o for o in Opportunity.objects(__raw__={**q, "_id": {"$in": plan.ranked}})}
        page = [found[i] for i in plan.ranked if i in found]  # one may have closed in between
    if plan.rest_limit:
        rest = Opportunity.objects(__raw__={**q, "_id": {"$nin": ranked}}).order_by("-posted_at")
        page += list(rest.skip(plan.rest_offset).limit(plan.rest_limit))
    return page


# --- sharing and applying -------------------------------------------------------------------------


def _load(uow: UnitOfWork, opportunity_id: str) -> Opportunity:
    opp = uow.find_one(Opportunity, {"_id": opportunity_id})
    if opp is None:
        raise NotFound("opportunity.not_found")
    return opp


def share(store: Store, *, opportunity_id: str, poster_id: str, candidate_id: str) -> Share:
    if candidate_id == poster_id:
        raise Refused("share.self")

    def work(uow: UnitOfWork) -> Share:
        opp = _load(uow, opportunity_id)
        model.check_is_poster(opp.poster_id, poster_id)
        model.check_open(opp.state)
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


def apply(
    store: Store, *, opportunity_id: str, applicant_id: str, applicant_department: str, message: str
) -> Application:
    message = model.validate_message(message)

    def work(uow: UnitOfWork) -> Application:
        opp = _load(uow, opportunity_id)
        model.check_can_apply(
            facts(opp), applicant_id=applicant_id, applicant_department=applicant_department, today=today()
        )
        previous = uow.find_one(Application, {"opportunity_id": opportunity_id, "applicant_id": applicant_id})
        if previous is not None and previous.state != WITHDRAWN:
            raise Conflict("apply.already_applied")
        if previous is not None:
            # Withdrawn earlier and applying again: the same application comes back.
            uow.update_one(
                Application,
                {"_id": previous.id},
                {
                    "$set": {
                        "state": SUBMITTED,
                        "message": message,
                        "submitted_at": utcnow(),
                        "offer_id": "",
                        "decline_reason": "",
                    }
                },
            )
            application = uow.find_one(Application, {"_id": previous.id})
            assert application is not None
        else:
            application = uow.insert(
                Application(
                    id=_new_id(),
                    opportunity_id=opportunity_id,
                    applicant_id=applicant_id,
                    message=message,
                    state=SUBMITTED,
                    submitted_at=utcnow(),
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


def _close_application(uow: UnitOfWork, opp: Opportunity, application: Application, new_state: str) -> None:
    """Withdraw or remove an active application, giving back the opening an outstanding offer held."""
    model.check_application_active(application.state)
    if application.state == OFFERED:
        rescinded = uow.find_one_and_update(
            Offer,
            {"_id": application.offer_id, "state": OUTSTANDING},
            {"$set": {"state": RESCINDED, "answered_at": utcnow()}},
        )
        if rescinded is not None:
            uow.update_one(Opportunity, {"_id": opp.id}, {"$inc": {"slots_free": 1, "outstanding_count": -1}})
    uow.update_one(Application, {"_id": application.id}, {"$set": {"state": new_state}})
    uow.update_one(Opportunity, {"_id": opp.id}, {"$inc": {"applicant_count": -1}})
    uow.publish(
        "application.withdrawn" if new_state == WITHDRAWN else "applicant.removed",
        events_pb2.ApplicationClosed(
            application_id=application.id,
            opportunity_id=opp.id,
            poster_id=opp.poster_id,
            applicant_id=application.applicant_id,
            title_en=opp.title_en,
            title_fr=opp.title_fr,
        ),
    )


def withdraw(store: Store, *, application_id: str, applicant_id: str) -> Application:
    def work(uow: UnitOfWork) -> Application:
        application = uow.find_one(Application, {"_id": application_id})
        if application is None or application.applicant_id != applicant_id:
            raise NotFound("application.not_found")
        _close_application(uow, _load(uow, application.opportunity_id), application, WITHDRAWN)
        result = uow.find_one(Application, {"_id": application_id})
        assert result is not None
        return result

    return store.run(work)


def remove_applicant(store: Store, *, opportunity_id: str, poster_id: str, applicant_id: str) -> Application:
    def work(uow: UnitOfWork) -> Application:
        opp = _load(uow, opportunity_id)
        model.check_is_poster(opp.poster_id, poster_id)
        application = uow.find_one(Application, {"opportunity_id": opportunity_id, "applicant_id": applicant_id})
        if application is None:
            raise NotFound("application.not_found")
        _close_application(uow, opp, application, REMOVED)
        result = uow.find_one(Application, {"_id": application.id})
        assert result is not None
        return result

    return store.run(work)


def list_applications(*, actor_id: str, opportunity_id: str) -> list[Application]:
    """The poster sees everyone who applied to their opportunity; anyone else sees only their
    own applications."""
    if opportunity_id:
        opp = get(opportunity_id)
        model.check_is_poster(opp.poster_id, actor_id)
        return list(Application.objects(opportunity_id=opportunity_id).order_by("submitted_at"))
    return list(Application.objects(applicant_id=actor_id).order_by("-submitted_at"))


# --- offers ---------------------------------------------------------------------------------------


def make_offer(store: Store, *, opportunity_id: str, poster_id: str, applicant_id: str) -> Offer:
    def work(uow: UnitOfWork) -> Offer:
        opp = _load(uow, opportunity_id)
        model.check_is_poster(opp.poster_id, poster_id)
        model.check_open(opp.state)
        application = uow.find_one(Application, {"opportunity_id": opportunity_id, "applicant_id": applicant_id})
        if application is None or application.state in (WITHDRAWN, REMOVED):
            raise Refused("offer.not_an_applicant")
        if application.state != SUBMITTED:
            raise Conflict("offer.already_made")
        # Take an opening only if one is free; the condition and the decrement are one write.
        taken = uow.find_one_and_update(
            Opportunity,
            {"_id": opportunity_id, "slots_free": {"$gt": 0}},
            {"$inc": {"slots_free": -1, "outstanding_count": 1}},
        )
        if taken is None:
            raise Refused("offer.no_openings_left")
        offer_id = _new_id()
        # A declined or rescinded offer to the same person is replaced by the new one.
        uow.collection(Offer).delete_one(
            {"opportunity_id": opportunity_id, "applicant_id": applicant_id}, session=uow.session
        )
        offer = uow.insert(
            Offer(
                id=offer_id,
                opportunity_id=opportunity_id,
                applicant_id=applicant_id,
                poster_id=poster_id,
                state=OUTSTANDING,
                made_at=utcnow(),
            )
        )
        uow.update_one(Application, {"_id": application.id}, {"$set": {"state": OFFERED, "offer_id": offer_id}})
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


def _answerable_offer(uow: UnitOfWork, offer_id: str, applicant_id: str) -> Offer:
    offer = uow.find_one(Offer, {"_id": offer_id})
    if offer is None or offer.applicant_id != applicant_id:
        raise NotFound("offer.not_found")  # someone else's offer does not exist for you
    if offer.state != OUTSTANDING:
        raise Refused("offer.not_outstanding")
    return offer


def accept_offer(store: Store, *, offer_id: str, applicant_id: str) -> Offer:
    def work(uow: UnitOfWork) -> Offer:
        offer = _answerable_offer(uow, offer_id, applicant_id)
        accepted = uow.find_one_and_update(
            Offer, {"_id": offer_id, "state": OUTSTANDING}, {"$set": {"state": ACCEPTED, "answered_at": utcnow()}}
        )
        if accepted is None:
            raise Refused("offer.not_outstanding")
        uow.update_one(
            Application,
            {"opportunity_id": offer.opportunity_id, "applicant_id": applicant_id},
            {"$set": {"state": ACCEPTED}},
        )
        opp = uow.find_one_and_update(
            Opportunity, {"_id": offer.opportunity_id}, {"$inc": {"accepted_count": 1, "outstanding_count": -1}}
        )
        assert opp is not None
        if opp.accepted_count >= opp.openings and opp.filled_at is None:
            uow.update_one(Opportunity, {"_id": opp.id}, {"$set": {"filled_at": utcnow()}})
        engagement = uow.insert(
            Engagement(
                id=_new_id(),
                opportunity_id=opp.id,
                poster_id=opp.poster_id,
                participant_id=applicant_id,
                type=opp.type,
                state="active",
                started_at=utcnow(),
            )
        )
        uow.publish(
            "offer.accepted",
            events_pb2.OfferAccepted(
                offer_id=offer_id,
                opportunity_id=opp.id,
                poster_id=opp.poster_id,
                applicant_id=applicant_id,
                title_en=opp.title_en,
                title_fr=opp.title_fr,
            ),
        )
        uow.publish(
            "engagement.started",
            events_pb2.EngagementStarted(
                engagement_id=engagement.id,
                opportunity_id=opp.id,
                poster_id=opp.poster_id,
                participant_id=applicant_id,
                type=opp.type,
            ),
        )
        return accepted

    offer = store.run(work)
    metrics.OFFERS_ACCEPTED.inc()
    return offer


def decline_offer(store: Store, *, offer_id: str, applicant_id: str, reason: str) -> Offer:
    reason = model.validate_decline_reason(reason, set(vocabulary()["decline_reasons"]))

    def work(uow: UnitOfWork) -> Offer:
        offer = _answerable_offer(uow, offer_id, applicant_id)
        declined = uow.find_one_and_update(
            Offer,
            {"_id": offer_id, "state": OUTSTANDING},
            {"$set": {"state": DECLINED, "decline_reason": reason, "answered_at": utcnow()}},
        )
        if declined is None:
            raise Refused("offer.not_outstanding")
        uow.update_one(
            Application,
            {"opportunity_id": offer.opportunity_id, "applicant_id": applicant_id},
            {"$set": {"state": DECLINED, "decline_reason": reason}},
        )
        opp = uow.find_one_and_update(
            Opportunity, {"_id": offer.opportunity_id}, {"$inc": {"slots_free": 1, "outstanding_count": -1}}
        )
        assert opp is not None
        uow.publish(
            "offer.declined",
            events_pb2.OfferDeclined(
                offer_id=offer_id,
                opportunity_id=opp.id,
                poster_id=opp.poster_id,
                applicant_id=applicant_id,
                title_en=opp.title_en,
                title_fr=opp.title_fr,
                reason=reason,
            ),
        )
        return declined

    offer = store.run(work)
    metrics.OFFERS_DECLINED.labels(reason).inc()
    return offer


def list_offers(applicant_id: str) -> list[Offer]:
    return list(Offer.objects(applicant_id=applicant_id).order_by("-made_at"))


# --- cancel, reopen, complete ---------------------------------------------------------------------


def _state_event(
    uow: UnitOfWork, opp: Opportunity, event_type: str, state: str, participants: list[str], affected: list[str]
) -> None:
    uow.publish(
        event_type,
        events_pb2.OpportunityStateChanged(
            opportunity_id=opp.id,
            poster_id=opp.poster_id,
            title_en=opp.title_en,
            title_fr=opp.title_fr,
            state=state,
            participant_ids=participants,
            affected_applicant_ids=affected,
        ),
    )


def cancel(store: Store, *, opportunity_id: str, poster_id: str) -> Opportunity:
    def work(uow: UnitOfWork) -> Opportunity:
        opp = _load(uow, opportunity_id)
        model.check_is_poster(opp.poster_id, poster_id)
        model.check_can_cancel(opp.state, opp.accepted_count)
        active = uow.find(Application, {"opportunity_id": opportunity_id, "state": {"$in": [SUBMITTED, OFFERED]}})
        uow.collection(Offer).update_many(
            {"opportunity_id": opportunity_id, "state": OUTSTANDING},
            {"$set": {"state": RESCINDED, "answered_at": utcnow()}},
            session=uow.session,
        )
        uow.collection(Application).update_many(
            {"opportunity_id": opportunity_id, "state": OFFERED},
            {"$set": {"state": SUBMITTED, "offer_id": ""}},
            session=uow.session,
        )
        changed = uow.find_one_and_update(
            Opportunity,
            {"_id": opportunity_id, "state": OPEN},
            {
                "$set": {
                    "state": CANCELLED,
                    "cancelled_at": utcnow(),
                    "slots_free": opp.openings,
                    "outstanding_count": 0,
                }
            },
        )
        if changed is None:
            raise Refused("opportunity.not_open")
        _state_event(uow, changed, "opportunity.cancelled", CANCELLED, [], [a.applicant_id for a in active])
        return changed

    opp = store.run(work)
    metrics.OPPORTUNITIES_CANCELLED.inc()
    return opp


def reopen(store: Store, *, opportunity_id: str, poster_id: str) -> Opportunity:
    def work(uow: UnitOfWork) -> Opportunity:
        opp = _load(uow, opportunity_id)
        model.check_is_poster(opp.poster_id, poster_id)
        model.check_can_reopen(opp.state, parse_date(opp.application_deadline), today())
        changed = uow.find_one_and_update(
            Opportunity,
            {"_id": opportunity_id, "state": CANCELLED},
            {"$set": {"state": OPEN, "cancelled_at": None}},
        )
        if changed is None:
            raise Refused("reopen.not_cancelled")
        _state_event(uow, changed, "opportunity.reopened", OPEN, [], [])
        return changed

    return store.run(work)


def complete(store: Store, *, opportunity_id: str, poster_id: str) -> Opportunity:
    """Close the opportunity to new applications, count a match, and ask both sides for
    feedback (the `opportunity.completed` event names them)."""

    def work(uow: UnitOfWork) -> Opportunity:
        opp = _load(uow, opportunity_id)
        model.check_is_poster(opp.poster_id, poster_id)
        model.check_can_complete(opp.state, opp.accepted_count, opp.outstanding_count)
        now = utcnow()
        changed = uow.find_one_and_update(
            Opportunity, {"_id": opportunity_id, "state": OPEN}, {"$set": {"state": COMPLETED, "completed_at": now}}
        )
        if changed is None:
            raise Refused("opportunity.not_open")
        uow.collection(Engagement).update_many(
            {"opportunity_id": opportunity_id, "state": "active"},
            {"$set": {"state": "completed", "completed_at": now}},
            session=uow.session,
        )
        participants = [
            a.applicant_id for a in uow.find(Application, {"opportunity_id": opportunity_id, "state": ACCEPTED})
        ]
        waiting = [
            a.applicant_id for a in uow.find(Application, {"opportunity_id": opportunity_id, "state": SUBMITTED})
        ]
        _state_event(uow, changed, "opportunity.completed", COMPLETED, participants, waiting)
        return changed

    opp = store.run(work)
    metrics.OPPORTUNITIES_COMPLETED.inc()
    metrics.MATCHES_COMPLETED.inc(opp.accepted_count)
    return opp


# --- analytics ------------------------------------------------------------------------------------


@dataclass
class Row:
    key: str
    posted: int = 0
    filled: int = 0
    completed: int = 0
    cancelled: int = 0
    days_to_fill: float = 0.0
    days_to_complete: float = 0.0

    def add(self, opp: Opportunity) -> None:
        self.posted += 1
        if opp.filled_at is not None:
            self.filled += 1
            self.days_to_fill += (opp.filled_at - opp.posted_at).total_seconds() / 86_400
        if opp.state == COMPLETED and opp.completed_at is not None:
            self.completed += 1
            self.days_to_complete += (opp.completed_at - opp.posted_at).total_seconds() / 86_400
        if opp.state == CANCELLED:
            self.cancelled += 1

    @property
    def mean_days_to_fill(self) -> float:
        return self.days_to_fill / self.filled if self.filled else 0.0

    @property
    def mean_days_to_complete(self) -> float:
        return self.days_to_complete / self.completed if self.completed else 0.0


@dataclass(frozen=True)
class Report:
    rows: list[Row]
    total: Row
    decline_reasons: list[tuple[str, int]]
    top_skills: list[tuple[str, int]]


def analytics(*, since: str, until: str, group_by: str) -> Report:
    errors = FieldCollector()
    bounds: list[datetime | None] = []
    for name, raw, shift in (("since", since, 0), ("until", until, 1)):
        try:
            # `until` is inclusive: the range ends at the start of the next day.
            day = date.fromisoformat(raw) + timedelta(days=shift) if raw else None
            bounds.append(datetime.combine(day, datetime.min.time(), CAPITAL) if day else None)
        except ValueError:
            errors.add(name, "date.invalid")
    if group_by not in ("type", "department", "month"):
        errors.add("group_by", "choice.unknown")
    errors.raise_if_any()
    start, end = bounds
    q: dict[str, Any] = {}
    if start or end:
        q["posted_at"] = {}
        if start:
            q["posted_at"]["$gte"] = start
        if end:
            q["posted_at"]["$lt"] = end
    rows: dict[str, Row] = defaultdict(lambda: Row(""))
    total = Row("total")
    skills: Counter[str] = Counter()
    ids = []
    for opp in Opportunity.objects(__raw__=q):
        key = {
            "type": opp.type,
            "department": opp.department,
            "month": opp.posted_at.astimezone(CAPITAL).strftime("%Y-%m"),
        }[group_by]
        rows[key].key = key
        rows[key].add(opp)
        total.add(opp)
        skills.update(opp.skill_ids)
        ids.append(opp.id)
    reasons: Counter[str] = Counter(
        o.decline_reason for o in Offer.objects(opportunity_id__in=ids, state=DECLINED) if o.decline_reason
    )
    return Report(sorted(rows.values(), key=lambda r: r.key), total, reasons.most_common(), skills.most_common(20))
