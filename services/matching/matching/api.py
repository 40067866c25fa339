"""Matching's gRPC api."""

from __future__ import annotations

from pathlib import Path

import grpc

from matching import handlers
from matching.cohort_api import cohort_servicer
from matching.config import IndexConfig
from matching.domain.board import Recommended
from matching.domain.ranking import Ranked, Reason, SkillGraph
from matching.live import LiveIndex
from matching.snapshots import Snapshots
from matching.store import DOCUMENTS
from tandem.common.v1 import common_pb2
from tandem.matching.v1 import matching_pb2 as pb
from tandem.matching.v1 import matching_pb2_grpc as pb_grpc
from tandem.profiles.v1 import profiles_pb2, profiles_pb2_grpc
from tandem_kit.config import ServiceConfig, service_address
from tandem_kit.grpc_server import ApiServer, Servicer
from tandem_kit.i18n import Catalog
from tandem_kit.storage import Store

CATALOG = Catalog.load(Path(__file__).with_name("messages.yaml"))


def reason_messages(reasons: tuple[Reason, ...]) -> list[pb.Reason]:
    return [
        pb.Reason(
            code=reason.code,
            params=dict(reason.params),
            text=common_pb2.LocalizedText(
                **{lang: CATALOG.render(reason.code, lang, reason.values(lang)) for lang in ("en", "fr")}
            ),
        )
        for reason in reasons
    ]


def candidate_message(r: Ranked) -> pb.Candidate:
    return pb.Candidate(
        user_id=r.user_id, display_name=r.display_name, score=r.score, reasons=reason_messages(r.reasons)
    )


def recommendation_message(r: Recommended) -> pb.Recommendation:
    return pb.Recommendation(
        opportunity_id=r.opportunity_id,
        title=common_pb2.LocalizedText(en=r.title.get("en", ""), fr=r.title.get("fr", "")),
        type=r.type,
        score=r.score,
        reasons=reason_messages(r.reasons),
    )


def exclusion_message(code: str, count: int) -> pb.Exclusion:
    text = {lang: CATALOG.render(f"ruled_out.{code}", lang, {"count": count}) for lang in ("en", "fr")}
    return pb.Exclusion(code=code, count=count, text=common_pb2.LocalizedText(**text))


class MatchingApi(pb_grpc.MatchingServiceServicer):
    def __init__(self, live: LiveIndex):
        self.live = live

    def RankCandidates(
        self, request: pb.RankCandidatesRequest, context: grpc.ServicerContext
    ) -> pb.RankCandidatesResponse:
        ranking = handlers.rank_candidates(self.live, request.opportunity_id, request.limit)
        exclusions = [exclusion_message(code, n) for code, n in ranking.exclusions.most_common()]
        response = pb.RankCandidatesResponse(
            opportunity_id=request.opportunity_id,
            candidates=[candidate_message(r) for r in ranking.candidates],
            exclusions=exclusions,
        )
        if exclusions:
            response.ruled_out_most.CopyFrom(exclusions[0])
        return response

    def RecommendOpportunities(
        self, request: pb.RecommendOpportunitiesRequest, context: grpc.ServicerContext
    ) -> pb.RecommendOpportunitiesResponse:
        found = handlers.recommend_opportunities(self.live, request.user_id, request.limit)
        return pb.RecommendOpportunitiesResponse(
            user_id=request.user_id, opportunities=[recommendation_message(r) for r in found]
        )


def profiles_taxonomy(address: str | None = None) -> SkillGraph:
    """The skills taxonomy, from profiles (which owns it)."""
    with grpc.insecure_channel(address or service_address("profiles")) as channel:
        found = profiles_pb2_grpc.ProfilesServiceStub(channel).ListSkills(profiles_pb2.ListSkillsRequest(), timeout=10)
    return SkillGraph.build(
        (d.skill.id, d.skill.label.en, d.skill.label.fr, list(d.aliases), [r.id for r in d.related])
        for d in found.skills
    )


def build_server(config: ServiceConfig) -> ApiServer:
    store = Store.open(config, DOCUMENTS)  # opens the connection that the handlers' mongoengine reads use
    # The ranking index: loaded (from a snapshot when there is one) before the server says it is
    # serving, then kept fresh.
    settings = IndexConfig.from_env()
    live = LiveIndex(
        store.db,
        taxonomy=profiles_taxonomy,
        poll_interval=settings.poll_seconds,
        snapshots=Snapshots(store.db),
        # Held while one snapshot is written; a replica that dies mid-write frees it in 5 minutes.
        snapshot_lease=store.lease("index-snapshot", ttl=300),
        snapshot_every=settings.snapshot_seconds,
    )
    live.load()
    live.start()
    return ApiServer(
        config,
        CATALOG,
        [
            Servicer(
                pb_grpc.add_MatchingServiceServicer_to_server,
                MatchingApi(live),
                pb.DESCRIPTOR.services_by_name["MatchingService"],
            ),
            cohort_servicer(store),  # mentor matching for programs (cohort_api.py)
        ],
    )
