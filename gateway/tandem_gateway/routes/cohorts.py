"""Mentor matching for programs and connector matching (matching's CohortService).

Coordinators define a program (its weights and rules) and cohorts, run the matching (a job: the
run answers at once as `queued`, then `GET /v1/cohort-runs/{id}` shows its progress and result),
and publish; members rank the other side of their cohorts (for stable runs), see their proposed
matches and accept or decline. The routes declare
`coordinator|admin` or `member`; matching itself checks that a coordinator holds the role for
*this* program, and that a match, introduction or cohort ranking is the caller's own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, Field

from tandem.common.v1 import common_pb2
from tandem.matching.v1 import cohorts_pb2 as pb
from tandem.matching.v1 import cohorts_pb2_grpc as pb_grpc
from tandem_gateway.auth import Principal
from tandem_gateway.routes.common import Member, PathId, access, call_options, services
from tandem_gateway.schemas import Body, Id, LocalizedText

router = APIRouter(prefix="/v1")

COORDINATOR = access("coordinator|admin")
MEMBER = access("member")

ProgramId = Annotated[
    str,
    Path(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$", description="The coordinators' role scope."),
]
Weight = Annotated[float, Field(allow_inf_nan=False, description="0 to 100")]
Share = Annotated[float, Field(allow_inf_nan=False, description="0 to 1")]
Levels = Annotated[int, Field(ge=-1000, le=1000, description="0 to 10")]
Name = Annotated[str, Field(max_length=200)]


def _stub(request: Request) -> pb_grpc.CohortServiceStub:
    return pb_grpc.CohortServiceStub(services(request).channels["matching"])


def _actor(user: Principal) -> pb.Actor:
    return pb.Actor(user_id=user.user_id, roles=list(user.roles))


def _when(ts: Timestamp, message: Message, name: str) -> datetime | None:
    return ts.ToDatetime(tzinfo=UTC) if message.HasField(name) else None


# --- bodies ---------------------------------------------------------------------------------------


class NameIn(Body):
    en: Name
    fr: Name


class WeightsIn(Body):
    occupation: Weight | None = None
    sector: Weight | None = None
    goals: Weight | None = None
    language: Weight | None = None
    culture: Weight | None = None
    proximity: Weight | None = None
    seniority: Weight | None = None


class NocSimilarityIn(Body):
    unit_group: Share | None = None
    minor_group: Share | None = None
    sub_major_group: Share | None = None
    major_group: Share | None = None
    broad_category: Share | None = None


class RulesIn(Body):
    """Every rule is optional: what is left out takes its default (shown in the answer)."""

    weights: WeightsIn = Field(default_factory=WeightsIn)
    noc_similarity: NocSimilarityIn = Field(default_factory=NocSimilarityIn)
    language_rule: str | None = Field(default=None, max_length=20, description="none, shared or preferred")
    allow_cultural_background: bool | None = None
    mentoring_type: str | None = Field(default=None, max_length=20, description="traditional, reverse or peer")
    min_seniority_gap: Levels | None = None
    max_peer_gap: Levels | None = None
    ideal_seniority_gap: Levels | None = None
    proximity_radius_km: float | None = Field(default=None, allow_inf_nan=False)
    same_city_proximity: Share | None = None
    same_province_proximity: Share | None = None
    exclude_reporting_line: bool | None = None
    exclude_past_pairs: bool | None = None
    min_fit: float | None = Field(default=None, allow_inf_nan=False)


class ProgramIn(Body):
    name: NameIn
    rules: RulesIn = Field(default_factory=RulesIn)


class MemberIn(Body):
    user_id: Id
    capacity: int = Field(default=0, ge=0, le=1000, description="Mentors: 1 to 10; 0: their own preference.")
    reporting_line: list[Id] = Field(default_factory=list, max_length=50)
    ranking: list[Id] = Field(
        default_factory=list,
        max_length=1_000,
        description="Their ranking of the other side, best first, as collected on paper (stable runs).",
    )


class PairIn(Body):
    mentee_id: Id
    mentor_id: Id


class CohortIn(Body):
    name: NameIn
    mentees: list[MemberIn] = Field(default_factory=list, max_length=20_000)
    mentors: list[MemberIn] = Field(default_factory=list, max_length=20_000)
    mentees_from_opt_ins: bool = Field(default=False, description="Add everyone opted in as a mentee.")
    mentors_from_opt_ins: bool = Field(default=False, description="Add every mentor opted in and not paused.")
    department: str = Field(default="", max_length=64, description="Only draw opt-ins from this department.")
    pins: list[PairIn] = Field(default_factory=list, max_length=1_000)
    bans: list[PairIn] = Field(default_factory=list, max_length=1_000)


class RunIn(Body):
    method: str = Field(default="optimal", max_length=20, description="optimal or stable")


class RankingIn(Body):
    ranked_user_ids: list[Id] = Field(
        max_length=1_000,
        description="People of the cohort's other side, best first; anyone left off is not acceptable. "
        "Empty: rank by fit.",
    )


class ConnectorOfferIn(Body):
    newcomer_id: Id
    connector_ids: list[Id] = Field(default_factory=list, max_length=1_000)
    yearly_cap: int = Field(default=2, ge=0, le=1000, description="1 to 12")


# --- answers --------------------------------------------------------------------------------------


class WeightsOut(BaseModel):
    occupation: float
    sector: float
    goals: float
    language: float
    culture: float
    proximity: float
    seniority: float


class NocSimilarityOut(BaseModel):
    unit_group: float
    minor_group: float
    sub_major_group: float
    major_group: float
    broad_category: float


class RulesOut(BaseModel):
    weights: WeightsOut
    noc_similarity: NocSimilarityOut
    language_rule: str
    allow_cultural_background: bool
    mentoring_type: str
    min_seniority_gap: int
    max_peer_gap: int
    ideal_seniority_gap: int
    proximity_radius_km: float
    same_city_proximity: float
    same_province_proximity: float
    exclude_reporting_line: bool
    exclude_past_pairs: bool
    min_fit: float


class ProgramOut(BaseModel):
    id: str
    name: LocalizedText
    rules: RulesOut
    version: int
    updated_at: datetime | None


class MemberOut(BaseModel):
    user_id: str
    display_name: str
    capacity: int
    reporting_line: list[str]
    ranking: list[str]


class PairOut(BaseModel):
    mentee_id: str
    mentor_id: str


class CohortOut(BaseModel):
    id: str
    program_id: str
    name: LocalizedText
    mentees: list[MemberOut]
    mentors: list[MemberOut]
    pins: list[PairOut]
    bans: list[PairOut]
    generation: int


class ReasonOut(BaseModel):
    code: str
    params: dict[str, str]
    points: float
    text: LocalizedText


class ProposedPairOut(BaseModel):
    mentee_id: str
    mentee_name: str
    mentor_id: str
    mentor_name: str
    fit: float
    score: float
    pinned: bool
    reasons: list[ReasonOut]


class UnmatchedOut(BaseModel):
    mentee_id: str
    mentee_name: str
    cause: ReasonOut
    main_rule: ReasonOut | None


class RunErrorOut(BaseModel):
    field: str
    code: str
    text: LocalizedText


class RunOut(BaseModel):
    id: str
    cohort_id: str
    program_id: str
    method: str
    state: str = Field(description="queued, running, done, failed or published")
    stage: str = Field(description="While running: loading, solving or saving")
    attempts: int
    queued_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    published_at: datetime | None
    total_fit: float
    pairs: list[ProposedPairOut]
    unmatched: list[UnmatchedOut]
    errors: list[RunErrorOut]


class MatchOut(BaseModel):
    id: str
    cohort_id: str
    program_id: str
    program_name: LocalizedText
    mentee_id: str
    mentee_name: str
    mentor_id: str
    mentor_name: str
    state: str = Field(description="proposed, active or declined")
    mentee_answer: str
    mentor_answer: str
    score: float
    reasons: list[ReasonOut]
    proposed_at: datetime | None
    decided_at: datetime | None


class MatchesOut(BaseModel):
    matches: list[MatchOut]


class RankablePersonOut(BaseModel):
    user_id: str
    display_name: str


class RankingOut(BaseModel):
    cohort_id: str
    cohort_name: LocalizedText
    program_name: LocalizedText
    side: str = Field(description="mentee (ranks mentors) or mentor (ranks mentees)")
    others: list[RankablePersonOut]
    ranked_user_ids: list[str]
    set_by: str = Field(description="Who set the ranking: the member, or a coordinator from paper")
    set_at: datetime | None


class MyCohortOut(BaseModel):
    cohort_id: str
    cohort_name: LocalizedText
    program_name: LocalizedText
    side: str = Field(description="mentee or mentor")
    ranked: bool


class MyCohortsOut(BaseModel):
    cohorts: list[MyCohortOut]


class ConnectorOfferOut(BaseModel):
    id: str
    program_id: str
    newcomer_id: str
    newcomer_name: str
    connector_id: str
    connector_name: str
    state: str = Field(description="waiting, accepted or exhausted")
    declined_by: list[str]
    score: float
    reasons: list[ReasonOut]


def _text(t: common_pb2.LocalizedText) -> LocalizedText:
    return LocalizedText(en=t.en, fr=t.fr)


def _reason(r: pb.FitReason) -> ReasonOut:
    return ReasonOut(code=r.code, params=dict(r.params), points=r.points, text=_text(r.text))


def _program(p: pb.Program) -> ProgramOut:
    r = p.rules
    return ProgramOut(
        id=p.id,
        name=_text(p.name),
        rules=RulesOut(
            weights=WeightsOut(**{f: getattr(r.weights, f) for f in WeightsOut.model_fields}),
            noc_similarity=NocSimilarityOut(**{f: getattr(r.noc_similarity, f) for f in NocSimilarityOut.model_fields}),
            **{f: getattr(r, f) for f in RulesOut.model_fields if f not in ("weights", "noc_similarity")},
        ),
        version=p.version,
        updated_at=_when(p.updated_at, p, "updated_at"),
    )


def _cohort(c: pb.Cohort) -> CohortOut:
    def members(side: list[pb.CohortMember]) -> list[MemberOut]:
        return [
            MemberOut(
                user_id=m.user_id,
                display_name=m.display_name,
                capacity=m.capacity,
                reporting_line=list(m.reporting_line),
                ranking=list(m.ranking),
            )
            for m in side
        ]

    return CohortOut(
        id=c.id,
        program_id=c.program_id,
        name=_text(c.name),
        mentees=members(list(c.mentees)),
        mentors=members(list(c.mentors)),
        pins=[PairOut(mentee_id=p.mentee_id, mentor_id=p.mentor_id) for p in c.pins],
        bans=[PairOut(mentee_id=p.mentee_id, mentor_id=p.mentor_id) for p in c.bans],
        generation=c.generation,
    )


def _run(r: pb.CohortRun) -> RunOut:
    return RunOut(
        id=r.id,
        cohort_id=r.cohort_id,
        program_id=r.program_id,
        method=r.method,
        state=r.state,
        stage=r.stage,
        attempts=r.attempts,
        queued_at=_when(r.queued_at, r, "queued_at"),
        started_at=_when(r.started_at, r, "started_at"),
        finished_at=_when(r.finished_at, r, "finished_at"),
        published_at=_when(r.published_at, r, "published_at"),
        total_fit=r.total_fit,
        pairs=[
            ProposedPairOut(
                mentee_id=p.mentee_id,
                mentee_name=p.mentee_name,
                mentor_id=p.mentor_id,
                mentor_name=p.mentor_name,
                fit=p.fit,
                score=p.score,
                pinned=p.pinned,
                reasons=[_reason(x) for x in p.reasons],
            )
            for p in r.pairs
        ],
        unmatched=[
            UnmatchedOut(
                mentee_id=u.mentee_id,
                mentee_name=u.mentee_name,
                cause=_reason(u.cause),
                main_rule=_reason(u.main_rule) if u.HasField("main_rule") else None,
            )
            for u in r.unmatched
        ],
        errors=[RunErrorOut(field=e.field, code=e.code, text=_text(e.text)) for e in r.errors],
    )


def _match(m: pb.Match) -> MatchOut:
    return MatchOut(
        id=m.id,
        cohort_id=m.cohort_id,
        program_id=m.program_id,
        program_name=_text(m.program_name),
        mentee_id=m.mentee_id,
        mentee_name=m.mentee_name,
        mentor_id=m.mentor_id,
        mentor_name=m.mentor_name,
        state=m.state,
        mentee_answer=m.mentee_answer,
        mentor_answer=m.mentor_answer,
        score=m.score,
        reasons=[_reason(x) for x in m.reasons],
        proposed_at=_when(m.proposed_at, m, "proposed_at"),
        decided_at=_when(m.decided_at, m, "decided_at"),
    )


def _ranking(r: pb.MyRanking) -> RankingOut:
    return RankingOut(
        cohort_id=r.cohort_id,
        cohort_name=_text(r.cohort_name),
        program_name=_text(r.program_name),
        side=r.side,
        others=[RankablePersonOut(user_id=p.user_id, display_name=p.display_name) for p in r.others],
        ranked_user_ids=list(r.ranked_user_ids),
        set_by=r.set_by,
        set_at=_when(r.set_at, r, "set_at"),
    )


def _offer(o: pb.ConnectorOffer) -> ConnectorOfferOut:
    return ConnectorOfferOut(
        id=o.id,
        program_id=o.program_id,
        newcomer_id=o.newcomer_id,
        newcomer_name=o.newcomer_name,
        connector_id=o.connector_id,
        connector_name=o.connector_name,
        state=o.state,
        declined_by=list(o.declined_by),
        score=o.score,
        reasons=[_reason(x) for x in o.reasons],
    )


def _rules(body: RulesIn) -> pb.ProgramRules:
    given = body.model_dump(exclude_none=True, exclude={"weights", "noc_similarity"})
    return pb.ProgramRules(
        weights=pb.Weights(**body.weights.model_dump(exclude_none=True)),
        noc_similarity=pb.NocSimilarity(**body.noc_similarity.model_dump(exclude_none=True)),
        **given,
    )


# --- coordinators -------------------------------------------------------------------------------


@router.put("/programs/{program_id}", response_model=ProgramOut, tags=["mentoring"], openapi_extra=COORDINATOR)
async def define_program(program_id: ProgramId, body: ProgramIn, user: Member, request: Request) -> ProgramOut:
    """Create a mentoring program, or replace its name and rules (its next version). Needs the
    coordinator role for this program."""
    resp = await _stub(request).DefineProgram(
        pb.DefineProgramRequest(
            actor=_actor(user),
            program_id=program_id,
            name=common_pb2.LocalizedText(en=body.name.en, fr=body.name.fr),
            rules=_rules(body.rules),
        ),
        **call_options(request),
    )
    return _program(resp)


@router.get("/programs/{program_id}", response_model=ProgramOut, tags=["mentoring"], openapi_extra=COORDINATOR)
async def get_program(program_id: ProgramId, user: Member, request: Request) -> ProgramOut:
    resp = await _stub(request).GetProgram(
        pb.GetProgramRequest(actor=_actor(user), program_id=program_id), **call_options(request)
    )
    return _program(resp)


@router.post(
    "/programs/{program_id}/cohorts",
    status_code=201,
    response_model=CohortOut,
    tags=["mentoring"],
    openapi_extra=COORDINATOR,
)
async def define_cohort(program_id: ProgramId, body: CohortIn, user: Member, request: Request) -> CohortOut:
    """A cohort of mentees and mentors (with capacities), named or drawn from people's mentoring
    opt-ins, with pairs to keep (pins) and pairs to avoid (bans)."""
    resp = await _stub(request).DefineCohort(
        pb.DefineCohortRequest(
            actor=_actor(user),
            program_id=program_id,
            name=common_pb2.LocalizedText(en=body.name.en, fr=body.name.fr),
            mentees=[pb.CohortMemberSpec(**m.model_dump()) for m in body.mentees],
            mentors=[pb.CohortMemberSpec(**m.model_dump()) for m in body.mentors],
            mentees_from_opt_ins=body.mentees_from_opt_ins,
            mentors_from_opt_ins=body.mentors_from_opt_ins,
            department=body.department,
            pins=[pb.Pair(**p.model_dump()) for p in body.pins],
            bans=[pb.Pair(**p.model_dump()) for p in body.bans],
        ),
        **call_options(request),
    )
    return _cohort(resp)


@router.get("/cohorts/{cohort_id}", response_model=CohortOut, tags=["mentoring"], openapi_extra=COORDINATOR)
async def get_cohort(cohort_id: PathId, user: Member, request: Request) -> CohortOut:
    resp = await _stub(request).GetCohort(
        pb.GetCohortRequest(actor=_actor(user), cohort_id=cohort_id), **call_options(request)
    )
    return _cohort(resp)


@router.post(
    "/cohorts/{cohort_id}/runs", status_code=202, response_model=RunOut, tags=["mentoring"], openapi_extra=COORDINATOR
)
async def start_run(cohort_id: PathId, body: RunIn, user: Member, request: Request) -> RunOut:
    """Queue a matching run of the cohort: `optimal` (the greatest total fit) or `stable` (no
    mentee and mentor would both rather have each other). Pairs already proposed or active are
    kept, declined pairs never proposed again. Follow it at `/v1/cohort-runs/{id}`."""
    resp = await _stub(request).StartRun(
        pb.StartRunRequest(actor=_actor(user), cohort_id=cohort_id, method=body.method), **call_options(request)
    )
    return _run(resp)


@router.get("/cohort-runs/{run_id}", response_model=RunOut, tags=["mentoring"], openapi_extra=COORDINATOR)
async def get_run(run_id: PathId, user: Member, request: Request) -> RunOut:
    """The run's progress and, once done, its pending result: each pair with its reasons, and
    why anyone stays unmatched."""
    resp = await _stub(request).GetRun(pb.GetRunRequest(actor=_actor(user), run_id=run_id), **call_options(request))
    return _run(resp)


@router.post("/cohort-runs/{run_id}/publish", response_model=RunOut, tags=["mentoring"], openapi_extra=COORDINATOR)
async def publish_run(run_id: PathId, user: Member, request: Request) -> RunOut:
    """Propose the run's new pairs: each mentee and mentor is told and asked to accept."""
    resp = await _stub(request).PublishRun(
        pb.PublishRunRequest(actor=_actor(user), run_id=run_id), **call_options(request)
    )
    return _run(resp)


@router.get("/cohorts/{cohort_id}/matches", response_model=MatchesOut, tags=["mentoring"], openapi_extra=COORDINATOR)
async def cohort_matches(cohort_id: PathId, user: Member, request: Request) -> MatchesOut:
    resp = await _stub(request).ListCohortMatches(
        pb.ListCohortMatchesRequest(actor=_actor(user), cohort_id=cohort_id), **call_options(request)
    )
    return MatchesOut(matches=[_match(m) for m in resp.matches])


@router.post(
    "/programs/{program_id}/connector-offers",
    status_code=201,
    response_model=ConnectorOfferOut,
    tags=["mentoring"],
    openapi_extra=COORDINATOR,
)
async def offer_connector(
    program_id: ProgramId, body: ConnectorOfferIn, user: Member, request: Request
) -> ConnectorOfferOut:
    """Offer a newcomer to the connector of most similar education and experience who still has
    room this year; a decline passes the newcomer to the next best."""
    resp = await _stub(request).OfferConnector(
        pb.OfferConnectorRequest(
            actor=_actor(user),
            program_id=program_id,
            newcomer_id=body.newcomer_id,
            connector_ids=body.connector_ids,
            yearly_cap=body.yearly_cap,
        ),
        **call_options(request),
    )
    return _offer(resp)


# --- members --------------------------------------------------------------------------------------


@router.get("/me/matches", response_model=MatchesOut, tags=["mentoring"], openapi_extra=MEMBER)
async def my_matches(user: Member, request: Request) -> MatchesOut:
    """My proposed, active and declined mentoring matches, newest first."""
    resp = await _stub(request).ListMyMatches(pb.ListMyMatchesRequest(actor=_actor(user)), **call_options(request))
    return MatchesOut(matches=[_match(m) for m in resp.matches])


@router.get("/me/cohorts", response_model=MyCohortsOut, tags=["mentoring"], openapi_extra=MEMBER)
async def my_cohorts(user: Member, request: Request) -> MyCohortsOut:
    """The cohorts I am a mentee or mentor of, newest first, and whether I ranked the other side."""
    resp = await _stub(request).ListMyCohorts(pb.ListMyCohortsRequest(actor=_actor(user)), **call_options(request))
    return MyCohortsOut(
        cohorts=[
            MyCohortOut(
                cohort_id=c.cohort_id,
                cohort_name=_text(c.cohort_name),
                program_name=_text(c.program_name),
                side=c.side,
                ranked=c.ranked,
            )
            for c in resp.cohorts
        ]
    )


@router.get("/cohorts/{cohort_id}/my-ranking", response_model=RankingOut, tags=["mentoring"], openapi_extra=MEMBER)
async def my_ranking(cohort_id: PathId, user: Member, request: Request) -> RankingOut:
    """The people of my cohort's other side (mentors for a mentee, mentees for a mentor) and my
    ranking of them. A cohort I am not in does not exist for me."""
    resp = await _stub(request).GetMyRanking(
        pb.GetMyRankingRequest(actor=_actor(user), cohort_id=cohort_id), **call_options(request)
    )
    return _ranking(resp)


@router.put("/cohorts/{cohort_id}/my-ranking", response_model=RankingOut, tags=["mentoring"], openapi_extra=MEMBER)
async def set_my_ranking(cohort_id: PathId, body: RankingIn, user: Member, request: Request) -> RankingOut:
    """Rank the other side of my cohort, best first: a `stable` run never pairs me with someone I
    left off, and follows my order. An empty list clears my ranking (I am then matched by fit)."""
    resp = await _stub(request).SetMyRanking(
        pb.SetMyRankingRequest(actor=_actor(user), cohort_id=cohort_id, ranked_user_ids=body.ranked_user_ids),
        **call_options(request),
    )
    return _ranking(resp)


@router.get("/matches/{match_id}", response_model=MatchOut, tags=["mentoring"], openapi_extra=MEMBER)
async def get_match(match_id: PathId, user: Member, request: Request) -> MatchOut:
    resp = await _stub(request).GetMatch(
        pb.GetMatchRequest(actor=_actor(user), match_id=match_id), **call_options(request)
    )
    return _match(resp)


async def _review(match_id: str, answer: str, user: Principal, request: Request) -> MatchOut:
    resp = await _stub(request).ReviewMatch(
        pb.ReviewMatchRequest(actor=_actor(user), match_id=match_id, answer=answer), **call_options(request)
    )
    return _match(resp)


@router.post("/matches/{match_id}/accept", response_model=MatchOut, tags=["mentoring"], openapi_extra=MEMBER)
async def accept_match(match_id: PathId, user: Member, request: Request) -> MatchOut:
    """Accept my proposed match; once both have accepted it is active."""
    return await _review(match_id, "accept", user, request)


@router.post("/matches/{match_id}/decline", response_model=MatchOut, tags=["mentoring"], openapi_extra=MEMBER)
async def decline_match(match_id: PathId, user: Member, request: Request) -> MatchOut:
    """Decline my proposed match; the coordinators can then match us both anew."""
    return await _review(match_id, "decline", user, request)


@router.get("/connector-offers/{offer_id}", response_model=ConnectorOfferOut, tags=["mentoring"], openapi_extra=MEMBER)
async def get_connector_offer(offer_id: PathId, user: Member, request: Request) -> ConnectorOfferOut:
    resp = await _stub(request).GetConnectorOffer(
        pb.GetConnectorOfferRequest(actor=_actor(user), offer_id=offer_id), **call_options(request)
    )
    return _offer(resp)


async def _answer_offer(offer_id: str, answer: str, user: Principal, request: Request) -> ConnectorOfferOut:
    resp = await _stub(request).AnswerConnectorOffer(
        pb.AnswerConnectorOfferRequest(actor=_actor(user), offer_id=offer_id, answer=answer),
        **call_options(request),
    )
    return _offer(resp)


@router.post(
    "/connector-offers/{offer_id}/accept", response_model=ConnectorOfferOut, tags=["mentoring"], openapi_extra=MEMBER
)
async def accept_connector_offer(offer_id: PathId, user: Member, request: Request) -> ConnectorOfferOut:
    """The connector agrees to meet the newcomer."""
    return await _answer_offer(offer_id, "accept", user, request)


@router.post(
    "/connector-offers/{offer_id}/decline", response_model=ConnectorOfferOut, tags=["mentoring"], openapi_extra=MEMBER
)
async def decline_connector_offer(offer_id: PathId, user: Member, request: Request) -> ConnectorOfferOut:
    """The connector declines after reading the résumé: the newcomer goes to the next best."""
    return await _answer_offer(offer_id, "decline", user, request)
