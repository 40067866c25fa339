"""The public API's routes. Each converts, authorizes, calls a service and converts back.

Every route declares who may call it in `x-tandem-access` (shown in the OpenAPI document):
`public`, `member` (any signed-in person) or `poster` (the person who posted the opportunity).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from google.protobuf.timestamp_pb2 import Timestamp

from tandem.common.v1 import common_pb2
from tandem.identity.v1 import identity_pb2
from tandem.matching.v1 import matching_pb2
from tandem.notifications.v1 import notifications_pb2
from tandem.opportunities.v1 import opportunities_pb2 as opp_pb2
from tandem.profiles.v1 import profiles_pb2
from tandem.referrals.v1 import referrals_pb2
from tandem_gateway import schemas as s
from tandem_gateway.auth import Principal, current_user
from tandem_gateway.clients import Services
from tandem_gateway.problems import ApiError, request_language

router = APIRouter(prefix="/v1")

Member = Annotated[Principal, Depends(current_user)]
PathId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def access(level: str) -> dict[str, Any]:
    return {"x-tandem-access": level}


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


def call_options(request: Request) -> dict[str, Any]:
    """Metadata and deadline for a service call: the caller's language travels with it."""
    return {
        "metadata": (("accept-language", request_language(request)),),
        "timeout": request.app.state.config.grpc_timeout_seconds,
    }


def _dt(ts: Timestamp, present: bool = True) -> datetime | None:
    return ts.ToDatetime(tzinfo=UTC) if present else None


def _skills(skills: Any) -> list[s.SkillOut]:
    return [s.SkillOut(id=k.id, label=s.LocalizedText(en=k.label.en, fr=k.label.fr)) for k in skills]


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
        application_deadline=_dt(o.application_deadline, o.HasField("application_deadline")),
        posted_at=o.posted_at.ToDatetime(tzinfo=UTC),
    )


async def _own_opportunity(request: Request, opportunity_id: str, user: Principal) -> opp_pb2.Opportunity:
    opp = await services(request).opportunities.GetOpportunity(
        opp_pb2.GetOpportunityRequest(id=opportunity_id), **call_options(request)
    )
    if opp.poster_id != user.user_id:
        raise ApiError(403, "auth.forbidden")
    return opp


# --- accounts -------------------------------------------------------------------------------------


@router.post(
    "/accounts", status_code=201, response_model=s.RegisterOut, tags=["accounts"], openapi_extra=access("public")
)
async def register(body: s.RegisterIn, request: Request) -> s.RegisterOut:
    resp = await services(request).identity.Register(
        identity_pb2.RegisterRequest(
            email=body.email,
            password=body.password,
            display_name=body.display_name,
            language=body.language,
            department=body.department,
        ),
        **call_options(request),
    )
    return s.RegisterOut(user_id=resp.user_id, username=resp.username)


@router.post("/auth/token", response_model=s.TokenOut, tags=["accounts"], openapi_extra=access("public"))
async def sign_in(body: s.SignInIn, request: Request) -> s.TokenOut:
    resp = await services(request).identity.SignIn(
        identity_pb2.SignInRequest(email=body.email, password=body.password), **call_options(request)
    )
    return s.TokenOut(
        access_token=resp.access_token, token_type=resp.token_type, expires_in=resp.expires_in, user_id=resp.user_id
    )


@router.get("/me", response_model=s.AccountOut, tags=["accounts"], openapi_extra=access("member"))
async def me(user: Member, request: Request) -> s.AccountOut:
    a = await services(request).identity.GetAccount(
        identity_pb2.GetAccountRequest(user_id=user.user_id), **call_options(request)
    )
    return s.AccountOut(
        user_id=a.user_id,
        email=a.email,
        username=a.username,
        display_name=a.display_name,
        language=a.language,
        department=a.department,
    )


# --- profiles -------------------------------------------------------------------------------------


def _profile(p: profiles_pb2.Profile) -> s.ProfileOut:
    return s.ProfileOut(
        user_id=p.user_id,
        display_name=p.display_name,
        department=p.department,
        title=p.title,
        skills=_skills(p.skills),
        version=p.version,
    )


@router.get("/me/profile", response_model=s.ProfileOut, tags=["profiles"], openapi_extra=access("member"))
async def my_profile(user: Member, request: Request) -> s.ProfileOut:
    return _profile(
        await services(request).profiles.GetProfile(
            profiles_pb2.GetProfileRequest(user_id=user.user_id), **call_options(request)
        )
    )


@router.put("/me/profile", response_model=s.ProfileOut, tags=["profiles"], openapi_extra=access("member"))
async def update_my_profile(body: s.ProfileUpdateIn, user: Member, request: Request) -> s.ProfileOut:
    return _profile(
        await services(request).profiles.UpdateProfile(
            profiles_pb2.UpdateProfileRequest(user_id=user.user_id, title=body.title, skill_ids=body.skill_ids),
            **call_options(request),
        )
    )


@router.get("/profiles/{user_id}", response_model=s.ProfileOut, tags=["profiles"], openapi_extra=access("member"))
async def profile(user_id: PathId, user: Member, request: Request) -> s.ProfileOut:
    return _profile(
        await services(request).profiles.GetProfile(
            profiles_pb2.GetProfileRequest(user_id=user_id), **call_options(request)
        )
    )


@router.get("/skills", response_model=list[s.SkillOut], tags=["profiles"], openapi_extra=access("public"))
async def suggest_skills(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=100)],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[s.SkillOut]:
    resp = await services(request).profiles.SuggestSkills(
        profiles_pb2.SuggestSkillsRequest(query=q, language=request_language(request), limit=limit),
        **call_options(request),
    )
    return _skills(resp.skills)


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


# --- notifications and referrals ------------------------------------------------------------------


@router.get(
    "/me/notifications", response_model=s.NotificationsOut, tags=["notifications"], openapi_extra=access("member")
)
async def my_notifications(
    user: Member,
    request: Request,
    unread_only: bool = False,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
    page_token: Annotated[str, Query(max_length=12, pattern=r"^[0-9]*$")] = "",
) -> s.NotificationsOut:
    resp = await services(request).notifications.ListNotifications(
        notifications_pb2.ListNotificationsRequest(
            user_id=user.user_id,
            unread_only=unread_only,
            page=common_pb2.PageRequest(page_size=page_size, page_token=page_token),
        ),
        **call_options(request),
    )
    return s.NotificationsOut(
        notifications=[
            s.NotificationOut(
                id=n.id,
                kind=n.kind,
                subject=n.subject,
                body=n.body,
                link=n.link,
                read=n.read,
                created_at=n.created_at.ToDatetime(tzinfo=UTC),
            )
            for n in resp.notifications
        ],
        unread_count=resp.unread_count,
        next_page_token=resp.next_page_token,
    )


@router.post(
    "/me/notifications/read", response_model=s.MarkReadOut, tags=["notifications"], openapi_extra=access("member")
)
async def mark_read(body: s.MarkReadIn, user: Member, request: Request) -> s.MarkReadOut:
    resp = await services(request).notifications.MarkRead(
        notifications_pb2.MarkReadRequest(
            user_id=user.user_id,
            notification_ids=body.notification_ids,
        ),
        **call_options(request),
    )
    return s.MarkReadOut(marked=resp.marked)


@router.get("/me/referrals", response_model=s.ReferralsOut, tags=["referrals"], openapi_extra=access("member"))
async def my_referrals(user: Member, request: Request) -> s.ReferralsOut:
    resp = await services(request).referrals.ListShares(
        referrals_pb2.ListSharesRequest(user_id=user.user_id), **call_options(request)
    )
    return s.ReferralsOut(
        referrals=[
            s.ReferralOut(
                id=r.id,
                opportunity_id=r.opportunity_id,
                referrer_id=r.referrer_id,
                candidate_id=r.candidate_id,
                shared_at=r.shared_at.ToDatetime(tzinfo=UTC),
            )
            for r in resp.shares
        ]
    )
