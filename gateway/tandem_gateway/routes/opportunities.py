"""Opportunities (the Career Marketplace's lifecycle) and their candidates (matching).

Posting takes three steps, as a whole (`POST /v1/opportunities`) or one at a time in a draft
(`/v1/drafts`). Shapes and sizes are checked here; every rule is the opportunities service's.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import grpc
from fastapi import APIRouter, Query, Request, Response
from google.protobuf.json_format import MessageToDict
from pydantic import BaseModel, Field

from tandem.identity.v1 import identity_pb2
from tandem.matching.v1 import matching_pb2
from tandem.opportunities.v1 import opportunities_pb2 as opp_pb2
from tandem.profiles.v1 import profiles_pb2
from tandem_gateway.auth import Principal
from tandem_gateway.problems import ApiError, request_language
from tandem_gateway.routes.common import Member, PathId, access, call_options, services, timestamp
from tandem_gateway.schemas import Body, SkillId

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1")

# Roles that read marketplace analytics: admins and program staff.
ANALYTICS_ROLES = frozenset({"admin", "coordinator", "departmental_lead"})

Code = Annotated[str, Field(max_length=40)]
IsoDate = Annotated[str, Field(max_length=10, description="YYYY-MM-DD; empty when not given")]
HhMm = Annotated[str, Field(max_length=5, description="HH:MM")]
Level = Annotated[str, Field(max_length=1, description="A, B, C, E or X; empty when not required")]

# sort=best_fit lists the opportunities matching ranks for the member first: the most it ranks at
# once. Its answer is awaited at most BEST_FIT_WAIT_SECONDS (it answers in tens of milliseconds):
# a list newest first beats no list.
BEST_FIT_RANKED = 100
BEST_FIT_WAIT_SECONDS = 2.0


# --- bodies ---------------------------------------------------------------------------------------


class PosterIn(Body):
    name: str = Field(max_length=100)
    email: str = Field(max_length=254)
    department: Code
    phone: str = Field(default="", max_length=30)
    agrees_to_guide: bool = False
    agrees_to_feedback: bool = False


class DetailsIn(Body):
    title_en: str = Field(max_length=200)
    title_fr: str = Field(max_length=200)
    description_en: str = Field(max_length=10_000)
    description_fr: str = Field(max_length=10_000)
    type: Code
    host_role: Code
    program_area: Code
    classification: str = Field(default="", max_length=10)
    openings: int = Field(default=1, ge=-1000, le=1000)
    ideal_start: IsoDate
    ideal_completion: IsoDate = ""
    application_deadline: IsoDate
    limited_to_department: bool = False


class DaySlotIn(Body):
    start: HhMm
    duration: HhMm


class LanguageLevelsIn(Body):
    written_comprehension: Level = ""
    written_expression: Level = ""
    oral_proficiency: Level = ""


class RequirementsIn(Body):
    skill_ids: list[SkillId] = Field(max_length=30)
    hours: float = Field(ge=-10_000, le=10_000)
    per: Code
    time_zone: str = Field(default="", max_length=64)
    schedule: dict[Code, DaySlotIn] = Field(default_factory=dict, max_length=7)
    virtual: bool = False
    city: str = Field(default="", max_length=100)
    province: str = Field(default="", max_length=2)
    security_level: Code = ""
    english: LanguageLevelsIn | None = None
    french: LanguageLevelsIn | None = None


class OpportunityIn(Body):
    poster: PosterIn
    details: DetailsIn
    requirements: RequirementsIn


class DraftOut(BaseModel):
    id: str
    poster: dict[str, Any]
    details: dict[str, Any]
    requirements: dict[str, Any]
    steps_done: list[str]


class ReasonOut(BaseModel):
    code: str
    params: dict[str, str]
    text: str = Field(description="The reason in the request's language.")


class FitOut(BaseModel):
    score: float = Field(description="0 to 1, as the matching service scores it.")
    reasons: list[ReasonOut]


class OpportunityOut(BaseModel):
    id: str
    poster_id: str
    title_en: str
    title_fr: str
    description_en: str
    description_fr: str
    skill_ids: list[str]
    openings: int
    state: str
    applicant_count: int
    accepted_count: int
    outstanding_offer_count: int
    poster: dict[str, Any]
    details: dict[str, Any]
    requirements: dict[str, Any]
    posted_at: datetime
    filled_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    can_apply: bool
    cannot_apply_reason: str
    fit: FitOut | None = Field(
        default=None,
        description="With sort=best_fit: how well it fits you and why; null when matching did not rank it for you.",
    )


class OpportunityPageOut(BaseModel):
    opportunities: list[OpportunityOut]
    total: int
    next_page_token: str


class CandidateOut(BaseModel):
    user_id: str
    display_name: str
    score: float
    reasons: list[ReasonOut]


class ExclusionOut(BaseModel):
    code: str
    count: int
    text: str = Field(description="In the request's language.")


class CandidatesOut(BaseModel):
    opportunity_id: str
    candidates: list[CandidateOut]
    exclusions: list[ExclusionOut] = Field(description="How many people each requirement ruled out.")
    ruled_out_most: ExclusionOut | None = Field(description="The requirement to relax when the list is empty.")


class RecommendationOut(BaseModel):
    opportunity_id: str
    title: str = Field(description="In the request's language.")
    type: str
    score: float
    reasons: list[ReasonOut]


class RecommendationsOut(BaseModel):
    opportunities: list[RecommendationOut] = Field(description="Open opportunities that fit you, best first.")


class ShareIn(Body):
    candidate_id: PathId


class ShareOut(BaseModel):
    share_id: str


class ApplyIn(Body):
    message: str = Field(default="", max_length=2_000)


class ApplicantProfile(BaseModel):
    display_name: str
    title: str
    department: str
    skills: list[str]


class ApplicationOut(BaseModel):
    id: str
    opportunity_id: str
    applicant_id: str
    message: str
    state: str
    offer_id: str
    decline_reason: str
    submitted_at: datetime
    profile: ApplicantProfile | None = None


class ApplicationsOut(BaseModel):
    applications: list[ApplicationOut]


class OfferIn(Body):
    applicant_id: PathId


class DeclineIn(Body):
    reason: Code


class OfferOut(BaseModel):
    id: str
    opportunity_id: str
    applicant_id: str
    state: str
    decline_reason: str
    made_at: datetime


class OffersOut(BaseModel):
    offers: list[OfferOut]


class AnalyticsRowOut(BaseModel):
    key: str
    posted: int
    filled: int
    completed: int
    cancelled: int
    mean_days_to_fill: float
    mean_days_to_complete: float


class CountOut(BaseModel):
    key: str
    count: int


class AnalyticsOut(BaseModel):
    rows: list[AnalyticsRowOut]
    total: AnalyticsRowOut
    decline_reasons: list[CountOut]
    top_skills: list[CountOut]


# --- conversions ----------------------------------------------------------------------------------


def _plain(message: Any) -> dict[str, Any]:
    return MessageToDict(message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)


def _reasons(reasons: Iterable[matching_pb2.Reason], lang: str) -> list[ReasonOut]:
    return [ReasonOut(code=r.code, params=dict(r.params), text=getattr(r.text, lang)) for r in reasons]


def _opportunity(o: opp_pb2.Opportunity, fit: FitOut | None = None) -> OpportunityOut:
    return OpportunityOut(
        id=o.id,
        poster_id=o.poster_id,
        title_en=o.title_en,
        title_fr=o.title_fr,
        description_en=o.description_en,
        description_fr=o.description_fr,
        skill_ids=list(o.skill_ids),
        openings=o.openings,
        state=o.state,
        applicant_count=o.applicant_count,
        accepted_count=o.accepted_count,
        outstanding_offer_count=o.outstanding_offer_count,
        poster=_plain(o.poster),
        details=_plain(o.details),
        requirements=_plain(o.requirements),
        posted_at=o.posted_at.ToDatetime(tzinfo=UTC),
        filled_at=timestamp(o.filled_at, o.HasField("filled_at")),
        completed_at=timestamp(o.completed_at, o.HasField("completed_at")),
        cancelled_at=timestamp(o.cancelled_at, o.HasField("cancelled_at")),
        can_apply=o.can_apply,
        cannot_apply_reason=o.cannot_apply_reason,
        fit=fit,
    )


def _poster(p: PosterIn) -> opp_pb2.PosterInfo:
    return opp_pb2.PosterInfo(**p.model_dump())


def _details(d: DetailsIn) -> opp_pb2.Details:
    return opp_pb2.Details(**d.model_dump())


def _requirements(r: RequirementsIn) -> opp_pb2.Requirements:
    message = opp_pb2.Requirements(
        skill_ids=r.skill_ids,
        hours=r.hours,
        per=r.per,
        time_zone=r.time_zone,
        virtual=r.virtual,
        city=r.city,
        province=r.province,
        security_level=r.security_level,
        schedule={day: opp_pb2.DaySlot(start=s.start, duration=s.duration) for day, s in r.schedule.items()},
    )
    if r.english is not None:
        message.english.CopyFrom(opp_pb2.LanguageLevels(**r.english.model_dump()))
    if r.french is not None:
        message.french.CopyFrom(opp_pb2.LanguageLevels(**r.french.model_dump()))
    return message


def _draft(d: opp_pb2.Draft) -> DraftOut:
    return DraftOut(
        id=d.id,
        poster=_plain(d.poster),
        details=_plain(d.details),
        requirements=_plain(d.requirements),
        steps_done=list(d.steps_done),
    )


def _application(a: opp_pb2.Application, profile: ApplicantProfile | None = None) -> ApplicationOut:
    return ApplicationOut(
        id=a.id,
        opportunity_id=a.opportunity_id,
        applicant_id=a.applicant_id,
        message=a.message,
        state=a.state,
        offer_id=a.offer_id,
        decline_reason=a.decline_reason,
        submitted_at=a.submitted_at.ToDatetime(tzinfo=UTC),
        profile=profile,
    )


def _offer(o: opp_pb2.Offer) -> OfferOut:
    return OfferOut(
        id=o.id,
        opportunity_id=o.opportunity_id,
        applicant_id=o.applicant_id,
        state=o.state,
        decline_reason=o.decline_reason,
        made_at=o.made_at.ToDatetime(tzinfo=UTC),
    )


async def _department(request: Request, user: Principal) -> str:
    account = await services(request).identity.GetAccount(
        identity_pb2.GetAccountRequest(user_id=user.user_id), **call_options(request)
    )
    return account.department


async def _own_opportunity(request: Request, opportunity_id: str, user: Principal) -> opp_pb2.Opportunity:
    opp = await services(request).opportunities.GetOpportunity(
        opp_pb2.GetOpportunityRequest(id=opportunity_id), **call_options(request)
    )
    if opp.poster_id != user.user_id:
        raise ApiError(403, "auth.forbidden")
    return opp


# --- posting --------------------------------------------------------------------------------------


@router.post(
    "/opportunities",
    status_code=201,
    response_model=OpportunityOut,
    tags=["opportunities"],
    openapi_extra=access("member"),
)
async def post_opportunity(body: OpportunityIn, user: Member, request: Request) -> OpportunityOut:
    """Post in one call, all three steps at once. Field errors name the step: `details.title_fr`."""
    return _opportunity(
        await services(request).opportunities.PostOpportunity(
            opp_pb2.PostOpportunityRequest(
                poster_id=user.user_id,
                poster=_poster(body.poster),
                details=_details(body.details),
                requirements=_requirements(body.requirements),
            ),
            **call_options(request),
        )
    )


@router.post(
    "/drafts", status_code=201, response_model=DraftOut, tags=["opportunities"], openapi_extra=access("member")
)
async def start_draft(body: PosterIn, user: Member, request: Request) -> DraftOut:
    """Step 1, the poster: starts a draft."""
    return _draft(
        await services(request).opportunities.SaveDraft(
            opp_pb2.SaveDraftRequest(poster_id=user.user_id, poster=_poster(body)), **call_options(request)
        )
    )


@router.get("/drafts/{draft_id}", response_model=DraftOut, tags=["opportunities"], openapi_extra=access("poster"))
async def get_draft(draft_id: PathId, user: Member, request: Request) -> DraftOut:
    return _draft(
        await services(request).opportunities.GetDraft(
            opp_pb2.GetDraftRequest(draft_id=draft_id, poster_id=user.user_id), **call_options(request)
        )
    )


@router.put(
    "/drafts/{draft_id}/poster", response_model=DraftOut, tags=["opportunities"], openapi_extra=access("poster")
)
async def save_poster(draft_id: PathId, body: PosterIn, user: Member, request: Request) -> DraftOut:
    return _draft(
        await services(request).opportunities.SaveDraft(
            opp_pb2.SaveDraftRequest(draft_id=draft_id, poster_id=user.user_id, poster=_poster(body)),
            **call_options(request),
        )
    )


@router.put(
    "/drafts/{draft_id}/details", response_model=DraftOut, tags=["opportunities"], openapi_extra=access("poster")
)
async def save_details(draft_id: PathId, body: DetailsIn, user: Member, request: Request) -> DraftOut:
    """Step 2, the details."""
    return _draft(
        await services(request).opportunities.SaveDraft(
            opp_pb2.SaveDraftRequest(draft_id=draft_id, poster_id=user.user_id, details=_details(body)),
            **call_options(request),
        )
    )


@router.put(
    "/drafts/{draft_id}/requirements", response_model=DraftOut, tags=["opportunities"], openapi_extra=access("poster")
)
async def save_requirements(draft_id: PathId, body: RequirementsIn, user: Member, request: Request) -> DraftOut:
    """Step 3, the requirements."""
    return _draft(
        await services(request).opportunities.SaveDraft(
            opp_pb2.SaveDraftRequest(draft_id=draft_id, poster_id=user.user_id, requirements=_requirements(body)),
            **call_options(request),
        )
    )


@router.post(
    "/drafts/{draft_id}/publish",
    status_code=201,
    response_model=OpportunityOut,
    tags=["opportunities"],
    openapi_extra=access("poster"),
)
async def publish_draft(draft_id: PathId, user: Member, request: Request) -> OpportunityOut:
    return _opportunity(
        await services(request).opportunities.PublishDraft(
            opp_pb2.PublishDraftRequest(draft_id=draft_id, poster_id=user.user_id), **call_options(request)
        )
    )


# --- finding --------------------------------------------------------------------------------------


@router.get("/opportunities", response_model=OpportunityPageOut, tags=["opportunities"], openapi_extra=access("member"))
async def browse(
    user: Member,
    request: Request,
    q: Annotated[str, Query(max_length=200)] = "",
    type: Annotated[list[str], Query(max_length=10)] = [],  # noqa: B006 (FastAPI query lists)
    host_role: Annotated[str, Query(max_length=20)] = "",
    program_area: Annotated[list[str], Query(max_length=11)] = [],  # noqa: B006
    province: Annotated[str, Query(max_length=2)] = "",
    virtual: bool = False,
    language: Annotated[str, Query(max_length=2)] = "",
    department: Annotated[str, Query(max_length=40)] = "",
    state: Annotated[str, Query(max_length=20)] = "",
    sort: Annotated[Literal["newest", "deadline", "best_fit"], Query()] = "newest",
    mine: bool = False,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
    page_token: Annotated[str, Query(max_length=12, pattern=r"^[0-9]*$")] = "",
) -> OpportunityPageOut:
    """Browse and search. `mine=true` lists the caller's own postings, whatever their state.

    `sort=best_fit` puts first the opportunities the matching service ranks for you (the 100
    that fit best, as in `/v1/me/recommendations`), best first, each with its `fit`; the others
    follow newest first. When matching cannot rank (down, slow, or your profile has not reached
    it yet), the list is newest first, with no `fit`, rather than an error."""
    svc = services(request)
    best_fits: dict[str, matching_pb2.Recommendation] = {}
    if sort == "best_fit":
        viewer_department, best_fits = await asyncio.gather(_department(request, user), _best_fits(request, user))
    else:
        viewer_department = await _department(request, user)
    resp = await svc.opportunities.ListOpportunities(
        opp_pb2.ListOpportunitiesRequest(
            viewer_id=user.user_id,
            viewer_department=viewer_department,
            query=q,
            types=type,
            host_role=host_role,
            program_areas=program_area,
            province=province,
            virtual_only=virtual,
            language=language,
            department=department,
            state=state,
            sort=sort,
            best_fit_ids=list(best_fits),
            poster_id=user.user_id if mine else "",
            page_size=page_size,
            page_token=page_token,
        ),
        **call_options(request),
    )
    lang = request_language(request)

    def fit(opportunity_id: str) -> FitOut | None:
        found = best_fits.get(opportunity_id)
        return None if found is None else FitOut(score=found.score, reasons=_reasons(found.reasons, lang))

    return OpportunityPageOut(
        opportunities=[_opportunity(o, fit(o.id)) for o in resp.opportunities],
        total=resp.total,
        next_page_token=resp.next_page_token,
    )


async def _best_fits(request: Request, user: Principal) -> dict[str, matching_pb2.Recommendation]:
    """The open opportunities matching ranks for the member, by id, best first; none when it
    cannot say, so that best_fit falls back to newest first instead of failing the list."""
    options = call_options(request)
    options["timeout"] = min(options["timeout"], BEST_FIT_WAIT_SECONDS)
    try:
        resp = await services(request).matching.RecommendOpportunities(
            matching_pb2.RecommendOpportunitiesRequest(user_id=user.user_id, limit=BEST_FIT_RANKED), **options
        )
    except grpc.aio.AioRpcError as exc:
        # NOT_FOUND: a new member whose profile matching has not read yet; anything else is an outage.
        level = logging.INFO if exc.code() == grpc.StatusCode.NOT_FOUND else logging.WARNING
        log.log(level, "best_fit listed newest first: matching answered %s (%s)", exc.code().name, exc.details())
        return {}
    return {o.opportunity_id: o for o in resp.opportunities}


@router.get(
    "/opportunities/{opportunity_id}",
    response_model=OpportunityOut,
    tags=["opportunities"],
    openapi_extra=access("member"),
)
async def get_opportunity(opportunity_id: PathId, user: Member, request: Request) -> OpportunityOut:
    return _opportunity(
        await services(request).opportunities.GetOpportunity(
            opp_pb2.GetOpportunityRequest(
                id=opportunity_id,
                viewer_id=user.user_id,
                viewer_department=await _department(request, user),
            ),
            **call_options(request),
        )
    )


@router.get(
    "/opportunities/{opportunity_id}/candidates",
    response_model=CandidatesOut,
    tags=["matching"],
    openapi_extra=access("poster"),
)
async def candidates(
    opportunity_id: PathId,
    user: Member,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> CandidatesOut:
    await _own_opportunity(request, opportunity_id, user)
    resp = await services(request).matching.RankCandidates(
        matching_pb2.RankCandidatesRequest(opportunity_id=opportunity_id, limit=limit), **call_options(request)
    )
    lang = request_language(request)

    def exclusion(e: matching_pb2.Exclusion) -> ExclusionOut:
        return ExclusionOut(code=e.code, count=e.count, text=getattr(e.text, lang))

    return CandidatesOut(
        opportunity_id=resp.opportunity_id,
        exclusions=[exclusion(e) for e in resp.exclusions],
        ruled_out_most=exclusion(resp.ruled_out_most) if resp.HasField("ruled_out_most") else None,
        candidates=[
            CandidateOut(
                user_id=c.user_id,
                display_name=c.display_name,
                score=c.score,
                reasons=_reasons(c.reasons, lang),
            )
            for c in resp.candidates
        ],
    )


@router.get(
    "/me/recommendations",
    response_model=RecommendationsOut,
    tags=["matching"],
    openapi_extra=access("member"),
)
async def my_recommendations(
    user: Member, request: Request, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> RecommendationsOut:
    """The open opportunities that fit you best, each with why: the same filters and reasons as a
    poster's candidate list, seen from your side (your opt-ins, languages, skills...)."""
    resp = await services(request).matching.RecommendOpportunities(
        matching_pb2.RecommendOpportunitiesRequest(user_id=user.user_id, limit=limit), **call_options(request)
    )
    lang = request_language(request)
    return RecommendationsOut(
        opportunities=[
            RecommendationOut(
                opportunity_id=o.opportunity_id,
                title=getattr(o.title, lang),
                type=o.type,
                score=o.score,
                reasons=_reasons(o.reasons, lang),
            )
            for o in resp.opportunities
        ]
    )


@router.post(
    "/opportunities/{opportunity_id}/shares",
    status_code=201,
    response_model=ShareOut,
    tags=["opportunities"],
    openapi_extra=access("poster"),
)
async def share(opportunity_id: PathId, body: ShareIn, user: Member, request: Request) -> ShareOut:
    resp = await services(request).opportunities.ShareOpportunity(
        opp_pb2.ShareOpportunityRequest(
            opportunity_id=opportunity_id,
            poster_id=user.user_id,
            candidate_id=body.candidate_id,
        ),
        **call_options(request),
    )
    return ShareOut(share_id=resp.share_id)


# --- applying -------------------------------------------------------------------------------------


@router.post(
    "/opportunities/{opportunity_id}/applications",
    status_code=201,
    response_model=ApplicationOut,
    tags=["opportunities"],
    openapi_extra=access("member"),
)
async def apply(opportunity_id: PathId, body: ApplyIn, user: Member, request: Request) -> ApplicationOut:
    return _application(
        await services(request).opportunities.Apply(
            opp_pb2.ApplyRequest(
                opportunity_id=opportunity_id,
                applicant_id=user.user_id,
                message=body.message,
                applicant_department=await _department(request, user),
            ),
            **call_options(request),
        )
    )


@router.get(
    "/opportunities/{opportunity_id}/applications",
    response_model=ApplicationsOut,
    tags=["opportunities"],
    openapi_extra=access("poster"),
)
async def applicants(opportunity_id: PathId, user: Member, request: Request) -> ApplicationsOut:
    """The applicants, with their profiles: the poster only."""
    svc = services(request)
    resp = await svc.opportunities.ListApplications(
        opp_pb2.ListApplicationsRequest(actor_id=user.user_id, opportunity_id=opportunity_id), **call_options(request)
    )

    async def profile(applicant_id: str) -> ApplicantProfile | None:
        try:
            p = await svc.profiles.GetProfile(
                profiles_pb2.GetProfileRequest(user_id=applicant_id), **call_options(request)
            )
        except Exception:
            return None  # a profile that can't be read right now doesn't hide the application
        lang = request_language(request)
        return ApplicantProfile(
            display_name=p.display_name,
            title=p.title,
            department=p.department,
            skills=[getattr(k.label, lang) for k in p.skills],
        )

    profiles = await asyncio.gather(*(profile(a.applicant_id) for a in resp.applications))
    return ApplicationsOut(applications=[_application(a, p) for a, p in zip(resp.applications, profiles, strict=True)])


@router.get("/me/applications", response_model=ApplicationsOut, tags=["opportunities"], openapi_extra=access("member"))
async def my_applications(user: Member, request: Request) -> ApplicationsOut:
    resp = await services(request).opportunities.ListApplications(
        opp_pb2.ListApplicationsRequest(actor_id=user.user_id), **call_options(request)
    )
    return ApplicationsOut(applications=[_application(a) for a in resp.applications])


@router.post(
    "/applications/{application_id}/withdraw",
    response_model=ApplicationOut,
    tags=["opportunities"],
    openapi_extra=access("member"),
)
async def withdraw(application_id: PathId, user: Member, request: Request) -> ApplicationOut:
    return _application(
        await services(request).opportunities.WithdrawApplication(
            opp_pb2.ApplicationActionRequest(application_id=application_id, actor_id=user.user_id),
            **call_options(request),
        )
    )


# --- offers ---------------------------------------------------------------------------------------


@router.post(
    "/opportunities/{opportunity_id}/offers",
    status_code=201,
    response_model=OfferOut,
    tags=["opportunities"],
    openapi_extra=access("poster"),
)
async def make_offer(opportunity_id: PathId, body: OfferIn, user: Member, request: Request) -> OfferOut:
    return _offer(
        await services(request).opportunities.MakeOffer(
            opp_pb2.MakeOfferRequest(
                opportunity_id=opportunity_id,
                poster_id=user.user_id,
                applicant_id=body.applicant_id,
            ),
            **call_options(request),
        )
    )


@router.post(
    "/opportunities/{opportunity_id}/applicants/{applicant_id}/remove",
    response_model=ApplicationOut,
    tags=["opportunities"],
    openapi_extra=access("poster"),
)
async def remove_applicant(
    opportunity_id: PathId, applicant_id: PathId, user: Member, request: Request
) -> ApplicationOut:
    return _application(
        await services(request).opportunities.RemoveApplicant(
            opp_pb2.RemoveApplicantRequest(
                opportunity_id=opportunity_id,
                poster_id=user.user_id,
                applicant_id=applicant_id,
            ),
            **call_options(request),
        )
    )


@router.get("/me/offers", response_model=OffersOut, tags=["opportunities"], openapi_extra=access("member"))
async def my_offers(user: Member, request: Request) -> OffersOut:
    resp = await services(request).opportunities.ListOffers(
        opp_pb2.ListOffersRequest(applicant_id=user.user_id), **call_options(request)
    )
    return OffersOut(offers=[_offer(o) for o in resp.offers])


@router.post(
    "/offers/{offer_id}/accept", response_model=OfferOut, tags=["opportunities"], openapi_extra=access("member")
)
async def accept_offer(offer_id: PathId, user: Member, request: Request) -> OfferOut:
    return _offer(
        await services(request).opportunities.AcceptOffer(
            opp_pb2.AcceptOfferRequest(offer_id=offer_id, applicant_id=user.user_id), **call_options(request)
        )
    )


@router.post(
    "/offers/{offer_id}/decline", response_model=OfferOut, tags=["opportunities"], openapi_extra=access("member")
)
async def decline_offer(offer_id: PathId, body: DeclineIn, user: Member, request: Request) -> OfferOut:
    return _offer(
        await services(request).opportunities.DeclineOffer(
            opp_pb2.DeclineOfferRequest(offer_id=offer_id, applicant_id=user.user_id, reason=body.reason),
            **call_options(request),
        )
    )


# --- cancel, reopen, complete ---------------------------------------------------------------------


async def _change_state(request: Request, user: Principal, opportunity_id: str, action: str) -> OpportunityOut:
    call = getattr(services(request).opportunities, f"{action}Opportunity")
    return _opportunity(
        await call(
            opp_pb2.ChangeStateRequest(opportunity_id=opportunity_id, poster_id=user.user_id), **call_options(request)
        )
    )


@router.post(
    "/opportunities/{opportunity_id}/cancel",
    response_model=OpportunityOut,
    tags=["opportunities"],
    openapi_extra=access("poster"),
)
async def cancel(opportunity_id: PathId, user: Member, request: Request) -> OpportunityOut:
    return await _change_state(request, user, opportunity_id, "Cancel")


@router.post(
    "/opportunities/{opportunity_id}/reopen",
    response_model=OpportunityOut,
    tags=["opportunities"],
    openapi_extra=access("poster"),
)
async def reopen(opportunity_id: PathId, user: Member, request: Request) -> OpportunityOut:
    return await _change_state(request, user, opportunity_id, "Reopen")


@router.post(
    "/opportunities/{opportunity_id}/complete",
    response_model=OpportunityOut,
    tags=["opportunities"],
    openapi_extra=access("poster"),
)
async def complete(opportunity_id: PathId, user: Member, request: Request) -> OpportunityOut:
    """Closes it to new applications, records a match, and asks both sides for feedback."""
    return await _change_state(request, user, opportunity_id, "Complete")


# --- analytics ------------------------------------------------------------------------------------


def _row(r: opp_pb2.AnalyticsRow) -> AnalyticsRowOut:
    return AnalyticsRowOut(
        key=r.key,
        posted=r.posted,
        filled=r.filled,
        completed=r.completed,
        cancelled=r.cancelled,
        mean_days_to_fill=round(r.mean_days_to_fill, 2),
        mean_days_to_complete=round(r.mean_days_to_complete, 2),
    )


@router.get(
    "/analytics/opportunities",
    response_model=AnalyticsOut,
    tags=["analytics"],
    openapi_extra=access("staff"),
    responses={200: {"content": {"text/csv": {}}}},
)
async def marketplace_analytics(
    user: Member,
    request: Request,
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    group_by: Literal["type", "department", "month"] = "type",
    format: Literal["json", "csv"] = "json",
) -> Any:
    """Posted, filled, completed and cancelled, with times to fill and complete, by type,
    department or month; decline reasons and the top skills asked for. `format=csv` exports."""
    if not any(role.partition(":")[0] in ANALYTICS_ROLES for role in user.roles):
        raise ApiError(403, "auth.forbidden")
    resp = await services(request).opportunities.GetAnalytics(
        opp_pb2.GetAnalyticsRequest(since=since, until=until, group_by=group_by), **call_options(request)
    )
    out = AnalyticsOut(
        rows=[_row(r) for r in resp.rows],
        total=_row(resp.total),
        decline_reasons=[CountOut(key=c.key, count=c.count) for c in resp.decline_reasons],
        top_skills=[CountOut(key=c.key, count=c.count) for c in resp.top_skills],
    )
    if format == "json":
        return out
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = list(AnalyticsRowOut.model_fields)
    writer.writerow([group_by, *columns[1:]])
    for row in [*out.rows, out.total]:
        writer.writerow([getattr(row, c) for c in columns])
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="opportunities.csv"'},
    )
