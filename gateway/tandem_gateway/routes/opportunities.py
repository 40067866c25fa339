"""Opportunities, applications and offers (opportunities), and their candidates (matching)."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, Query, Request

from tandem.matching.v1 import matching_pb2
from tandem.opportunities.v1 import opportunities_pb2 as opp_pb2
from tandem_gateway import schemas as s
from tandem_gateway.auth import Principal
from tandem_gateway.problems import ApiError, request_language
from tandem_gateway.routes.common import Member, PathId, access, call_options, services, timestamp

router = APIRouter(prefix="/v1")


def _opportunity(o: opp_pb2.Opportunity) -> s.OpportunityOut:
    return s.OpportunityOut(
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
        application_deadline=timestamp(o.application_deadline, o.HasField("application_deadline")),
        posted_at=o.posted_at.ToDatetime(tzinfo=UTC),
    )


async def _own_opportunity(request: Request, opportunity_id: str, user: Principal) -> opp_pb2.Opportunity:
    opp = await services(request).opportunities.GetOpportunity(
        opp_pb2.GetOpportunityRequest(id=opportunity_id), **call_options(request)
    )
    if opp.poster_id != user.user_id:
        raise ApiError(403, "auth.forbidden")
    return opp


# --- opportunities --------------------------------------------------------------------------------


@router.post(
    "/opportunities",
    status_code=201,
    response_model=s.OpportunityOut,
    tags=["opportunities"],
    openapi_extra=access("member"),
)
async def post_opportunity(body: s.OpportunityIn, user: Member, request: Request) -> s.OpportunityOut:
    req = opp_pb2.PostOpportunityRequest(
        poster_id=user.user_id,
        title_en=body.title_en,
        title_fr=body.title_fr,
        description_en=body.description_en,
        description_fr=body.description_fr,
        skill_ids=body.skill_ids,
        openings=body.openings,
    )
    if body.application_deadline is not None:
        deadline = body.application_deadline
        if deadline.tzinfo is None:
            deadline = deadline.replace(tzinfo=UTC)
        req.application_deadline.FromDatetime(deadline)
    return _opportunity(await services(request).opportunities.PostOpportunity(req, **call_options(request)))


@router.get(
    "/opportunities/{opportunity_id}",
    response_model=s.OpportunityOut,
    tags=["opportunities"],
    openapi_extra=access("member"),
)
async def get_opportunity(opportunity_id: PathId, user: Member, request: Request) -> s.OpportunityOut:
    return _opportunity(
        await services(request).opportunities.GetOpportunity(
            opp_pb2.GetOpportunityRequest(id=opportunity_id), **call_options(request)
        )
    )


@router.get(
    "/opportunities/{opportunity_id}/candidates",
    response_model=s.CandidatesOut,
    tags=["matching"],
    openapi_extra=access("poster"),
)
async def candidates(
    opportunity_id: PathId,
    user: Member,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> s.CandidatesOut:
    await _own_opportunity(request, opportunity_id, user)
    resp = await services(request).matching.RankCandidates(
        matching_pb2.RankCandidatesRequest(opportunity_id=opportunity_id, limit=limit), **call_options(request)
    )
    lang = request_language(request)
    return s.CandidatesOut(
        opportunity_id=resp.opportunity_id,
        candidates=[
            s.CandidateOut(
                user_id=c.user_id,
                display_name=c.display_name,
                score=c.score,
                reasons=[
                    s.ReasonOut(code=r.code, params=dict(r.params), text=getattr(r.text, lang)) for r in c.reasons
                ],
            )
            for c in resp.candidates
        ],
    )


@router.post(
    "/opportunities/{opportunity_id}/shares",
    status_code=201,
    response_model=s.ShareOut,
    tags=["opportunities"],
    openapi_extra=access("poster"),
)
async def share(opportunity_id: PathId, body: s.ShareIn, user: Member, request: Request) -> s.ShareOut:
    resp = await services(request).opportunities.ShareOpportunity(
        opp_pb2.ShareOpportunityRequest(
            opportunity_id=opportunity_id,
            poster_id=user.user_id,
            candidate_id=body.candidate_id,
        ),
        **call_options(request),
    )
    return s.ShareOut(share_id=resp.share_id)


@router.post(
    "/opportunities/{opportunity_id}/applications",
    status_code=201,
    response_model=s.ApplicationOut,
    tags=["opportunities"],
    openapi_extra=access("member"),
)
async def apply(opportunity_id: PathId, body: s.ApplyIn, user: Member, request: Request) -> s.ApplicationOut:
    a = await services(request).opportunities.Apply(
        opp_pb2.ApplyRequest(
            opportunity_id=opportunity_id,
            applicant_id=user.user_id,
            message=body.message,
        ),
        **call_options(request),
    )
    return s.ApplicationOut(id=a.id, opportunity_id=a.opportunity_id, applicant_id=a.applicant_id, state=a.state)


def _offer(o: opp_pb2.Offer) -> s.OfferOut:
    return s.OfferOut(id=o.id, opportunity_id=o.opportunity_id, applicant_id=o.applicant_id, state=o.state)


@router.post(
    "/opportunities/{opportunity_id}/offers",
    status_code=201,
    response_model=s.OfferOut,
    tags=["opportunities"],
    openapi_extra=access("poster"),
)
async def make_offer(opportunity_id: PathId, body: s.OfferIn, user: Member, request: Request) -> s.OfferOut:
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
    "/offers/{offer_id}/accept", response_model=s.OfferOut, tags=["opportunities"], openapi_extra=access("member")
)
async def accept_offer(offer_id: PathId, user: Member, request: Request) -> s.OfferOut:
    return _offer(
        await services(request).opportunities.AcceptOffer(
            opp_pb2.AcceptOfferRequest(offer_id=offer_id, applicant_id=user.user_id), **call_options(request)
        )
    )
