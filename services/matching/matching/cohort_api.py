"""The gRPC CohortService: mentor matching for programs, and connector matching. Converts, calls
a use case in cohorts.py, converts back; reasons are rendered in both languages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from matching import cohorts
from matching.cohort_store import Cohort as CohortDoc
from matching.cohort_store import CohortRun, ConnectorOffer, Program
from matching.cohort_store import Match as MatchDoc
from tandem.common.v1 import common_pb2
from tandem.matching.v1 import cohorts_pb2 as pb
from tandem.matching.v1 import cohorts_pb2_grpc as pb_grpc
from tandem_kit.grpc_server import Servicer
from tandem_kit.i18n import LANGUAGES, Catalog
from tandem_kit.storage import Store

CATALOG = Catalog.load(Path(__file__).with_name("messages.yaml"))


def _ts(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(value)
    return ts


def _localized(texts: Mapping[str, str]) -> common_pb2.LocalizedText:
    return common_pb2.LocalizedText(en=texts.get("en", ""), fr=texts.get("fr", ""))


def _readable(params: Mapping[str, Any], lang: str) -> dict[str, object]:
    """Parameters as a reader reads them: a language or education code becomes its name."""
    out: dict[str, object] = dict(params)
    if (code := out.get("language")) and f"language_name.{code}" in CATALOG:
        out["language"] = CATALOG.render(f"language_name.{code}", lang)
    if (level := out.get("level")) and f"education_level.{level}" in CATALOG:
        out["level"] = CATALOG.render(f"education_level.{level}", lang)
    return out


def reason_message(reason: Mapping[str, Any] | None) -> pb.FitReason | None:
    if not reason:
        return None
    params = reason.get("params") or {}
    return pb.FitReason(
        code=reason["code"],
        params={k: str(v) for k, v in params.items()},
        points=float(reason.get("points", 0.0)),
        text=common_pb2.LocalizedText(
            **{lang: CATALOG.render(reason["code"], lang, _readable(params, lang)) for lang in LANGUAGES}
        ),
    )


def _reasons(reasons: Iterable[Mapping[str, Any]]) -> list[pb.FitReason]:
    return [m for r in reasons if (m := reason_message(r)) is not None]


def program_message(p: Program) -> pb.Program:
    rules = pb.ProgramRules()
    for name, value in p.rules.items():
        if isinstance(value, dict):
            sub = getattr(rules, name)
            for k, v in value.items():
                setattr(sub, k, v)
        else:
            setattr(rules, name, value)
    return pb.Program(
        id=p.id,
        name=_localized(p.name),
        rules=rules,
        version=p.version,
        updated_by=p.updated_by,
        updated_at=_ts(p.updated_at),
    )


def cohort_message(c: CohortDoc) -> pb.Cohort:
    def members(side: Iterable[Mapping[str, Any]], rankings: Mapping[str, Any]) -> list[pb.CohortMember]:
        return [
            pb.CohortMember(
                user_id=m["user_id"],
                display_name=m["display_name"],
                capacity=m["capacity"],
                reporting_line=m.get("reporting_line", []),
                ranking=(rankings.get(m["user_id"]) or {}).get("ranked", []),
            )
            for m in side
        ]

    return pb.Cohort(
        id=c.id,
        program_id=c.program_id,
        name=_localized(c.name),
        mentees=members(c.mentees, c.mentee_rankings),
        mentors=members(c.mentors, c.mentor_rankings),
        pins=[pb.Pair(mentee_id=a, mentor_id=b) for a, b in c.pins],
        bans=[pb.Pair(mentee_id=a, mentor_id=b) for a, b in c.bans],
        generation=c.generation,
        created_by=c.created_by,
        created_at=_ts(c.created_at),
    )


def run_message(r: CohortRun) -> pb.CohortRun:
    names = cohorts.names_of([p["mentee_id"] for p in r.pairs] + [p["mentor_id"] for p in r.pairs])
    names.update(cohorts.names_of(u["mentee_id"] for u in r.unmatched))
    return pb.CohortRun(
        id=r.id,
        cohort_id=r.cohort_id,
        program_id=r.program_id,
        method=r.method,
        state=r.state,
        stage=r.stage,
        attempts=r.attempts,
        queued_at=_ts(r.queued_at),
        started_at=_ts(r.started_at),
        finished_at=_ts(r.finished_at),
        published_at=_ts(r.published_at),
        generation=r.generation,
        total_fit=r.total_fit,
        pairs=[
            pb.ProposedPair(
                mentee_id=p["mentee_id"],
                mentee_name=names.get(p["mentee_id"], ""),
                mentor_id=p["mentor_id"],
                mentor_name=names.get(p["mentor_id"], ""),
                fit=p["fit"],
                score=p["score"],
                pinned=p["pinned"],
                reasons=_reasons(p["reasons"]),
            )
            for p in r.pairs
        ],
        unmatched=[
            pb.UnmatchedMentee(
                mentee_id=u["mentee_id"],
                mentee_name=names.get(u["mentee_id"], ""),
                cause=reason_message(u["cause"]),
                main_rule=reason_message(u.get("main_rule")),
            )
            for u in r.unmatched
        ],
        errors=[
            pb.RunError(
                field=e["field"],
                code=e["code"],
                text=common_pb2.LocalizedText(**CATALOG.both(e["code"], _readable(e.get("params") or {}, "en"))),
            )
            for e in r.errors
        ],
        solve_seconds=r.solve_seconds,
    )


def match_message(m: MatchDoc, programs: dict[str, Program] | None = None) -> pb.Match:
    programs = programs if programs is not None else {}
    if m.program_id not in programs:
        found = Program.objects(id=m.program_id).first()
        if found is not None:
            programs[m.program_id] = found
    program = programs.get(m.program_id)
    names = cohorts.names_of([m.mentee_id, m.mentor_id])
    return pb.Match(
        id=m.id,
        cohort_id=m.cohort_id,
        program_id=m.program_id,
        program_name=_localized(program.name if program else {}),
        mentee_id=m.mentee_id,
        mentee_name=names.get(m.mentee_id, ""),
        mentor_id=m.mentor_id,
        mentor_name=names.get(m.mentor_id, ""),
        state=m.state,
        mentee_answer=m.mentee_answer,
        mentor_answer=m.mentor_answer,
        fit=m.fit,
        score=m.score,
        reasons=_reasons(m.reasons),
        proposed_at=_ts(m.proposed_at),
        decided_at=_ts(m.decided_at),
        run_id=m.run_id,
    )


def ranking_message(r: cohorts.MemberRanking) -> pb.MyRanking:
    entry = r.entry
    return pb.MyRanking(
        cohort_id=r.cohort.id,
        cohort_name=_localized(r.cohort.name),
        program_name=_localized(r.program.name),
        side=r.side,
        others=[pb.RankablePerson(user_id=m["user_id"], display_name=m["display_name"]) for m in r.others],
        ranked_user_ids=entry.get("ranked", []),
        set_by=entry.get("set_by", ""),
        set_at=_ts(entry.get("set_at")),
    )


def offer_message(o: ConnectorOffer) -> pb.ConnectorOffer:
    names = cohorts.names_of([o.newcomer_id, o.connector_id])
    return pb.ConnectorOffer(
        id=o.id,
        program_id=o.program_id,
        newcomer_id=o.newcomer_id,
        newcomer_name=names.get(o.newcomer_id, ""),
        connector_id=o.connector_id,
        connector_name=names.get(o.connector_id, ""),
        state=o.state,
        declined_by=o.declined_by,
        score=o.score,
        reasons=_reasons(o.reasons),
    )


class CohortApi(pb_grpc.CohortServiceServicer):
    def __init__(self, store: Store):
        self.store = store

    def DefineProgram(self, request: pb.DefineProgramRequest, context: grpc.ServicerContext) -> pb.Program:
        return program_message(cohorts.define_program(self.store, request))

    def GetProgram(self, request: pb.GetProgramRequest, context: grpc.ServicerContext) -> pb.Program:
        return program_message(cohorts.get_program(request))

    def DefineCohort(self, request: pb.DefineCohortRequest, context: grpc.ServicerContext) -> pb.Cohort:
        return cohort_message(cohorts.define_cohort(self.store, request))

    def GetCohort(self, request: pb.GetCohortRequest, context: grpc.ServicerContext) -> pb.Cohort:
        return cohort_message(cohorts.get_cohort(request))

    def StartRun(self, request: pb.StartRunRequest, context: grpc.ServicerContext) -> pb.CohortRun:
        return run_message(cohorts.start_run(self.store, request))

    def GetRun(self, request: pb.GetRunRequest, context: grpc.ServicerContext) -> pb.CohortRun:
        return run_message(cohorts.get_run(request))

    def PublishRun(self, request: pb.PublishRunRequest, context: grpc.ServicerContext) -> pb.CohortRun:
        return run_message(cohorts.publish_run(self.store, request))

    def ListCohortMatches(
        self, request: pb.ListCohortMatchesRequest, context: grpc.ServicerContext
    ) -> pb.ListMatchesResponse:
        programs: dict[str, Program] = {}
        return pb.ListMatchesResponse(
            matches=[match_message(m, programs) for m in cohorts.list_cohort_matches(request)]
        )

    def ListMyMatches(self, request: pb.ListMyMatchesRequest, context: grpc.ServicerContext) -> pb.ListMatchesResponse:
        programs: dict[str, Program] = {}
        return pb.ListMatchesResponse(matches=[match_message(m, programs) for m in cohorts.list_my_matches(request)])

    def GetMatch(self, request: pb.GetMatchRequest, context: grpc.ServicerContext) -> pb.Match:
        return match_message(cohorts.get_match(request))

    def ReviewMatch(self, request: pb.ReviewMatchRequest, context: grpc.ServicerContext) -> pb.Match:
        return match_message(cohorts.review_match(self.store, request))

    def OfferConnector(self, request: pb.OfferConnectorRequest, context: grpc.ServicerContext) -> pb.ConnectorOffer:
        return offer_message(cohorts.offer_connector(self.store, request))

    def AnswerConnectorOffer(
        self, request: pb.AnswerConnectorOfferRequest, context: grpc.ServicerContext
    ) -> pb.ConnectorOffer:
        return offer_message(cohorts.answer_connector_offer(self.store, request))

    def GetConnectorOffer(
        self, request: pb.GetConnectorOfferRequest, context: grpc.ServicerContext
    ) -> pb.ConnectorOffer:
        return offer_message(cohorts.get_connector_offer(request))

    def GetMyRanking(self, request: pb.GetMyRankingRequest, context: grpc.ServicerContext) -> pb.MyRanking:
        return ranking_message(cohorts.get_my_ranking(request))

    def SetMyRanking(self, request: pb.SetMyRankingRequest, context: grpc.ServicerContext) -> pb.MyRanking:
        return ranking_message(cohorts.set_my_ranking(self.store, request))

    def ListMyCohorts(
        self, request: pb.ListMyCohortsRequest, context: grpc.ServicerContext
    ) -> pb.ListMyCohortsResponse:
        return pb.ListMyCohortsResponse(
            cohorts=[
                pb.MyCohort(
                    cohort_id=c.cohort_id,
                    cohort_name=_localized(c.name),
                    program_name=_localized(c.program.name),
                    side=c.side,
                    ranked=c.ranked,
                )
                for c in cohorts.list_my_cohorts(request)
            ]
        )


def cohort_servicer(store: Store) -> Servicer:
    """For matching.api.build_server."""
    return Servicer(
        pb_grpc.add_CohortServiceServicer_to_server, CohortApi(store), pb.DESCRIPTOR.services_by_name["CohortService"]
    )
