"""Matching's gRPC api."""

from __future__ import annotations

from pathlib import Path

import grpc

from matching import handlers
from matching.domain.ranking import Ranked
from matching.store import DOCUMENTS
from tandem.common.v1 import common_pb2
from tandem.matching.v1 import matching_pb2 as pb
from tandem.matching.v1 import matching_pb2_grpc as pb_grpc
from tandem_kit.config import ServiceConfig
from tandem_kit.grpc_server import ApiServer, Servicer
from tandem_kit.i18n import Catalog
from tandem_kit.storage import Store

CATALOG = Catalog.load(Path(__file__).with_name("messages.yaml"))


def candidate_message(r: Ranked) -> pb.Candidate:
    reasons = []
    for reason in r.reasons:
        text = {
            lang: CATALOG.render(reason.code, lang, {"label": reason.labels.get(lang, "")}) for lang in ("en", "fr")
        }
        reasons.append(pb.Reason(code=reason.code, params=dict(reason.params), text=common_pb2.LocalizedText(**text)))
    return pb.Candidate(user_id=r.user_id, display_name=r.display_name, score=r.score, reasons=reasons)


def exclusion_message(code: str, count: int) -> pb.Exclusion:
    text = {lang: CATALOG.render(f"ruled_out.{code}", lang, {"count": count}) for lang in ("en", "fr")}
    return pb.Exclusion(code=code, count=count, text=common_pb2.LocalizedText(**text))


class MatchingApi(pb_grpc.MatchingServiceServicer):
    def RankCandidates(
        self, request: pb.RankCandidatesRequest, context: grpc.ServicerContext
    ) -> pb.RankCandidatesResponse:
        ranking = handlers.rank_candidates(request.opportunity_id, request.limit)
        exclusions = [exclusion_message(code, n) for code, n in ranking.exclusions.most_common()]
        response = pb.RankCandidatesResponse(
            opportunity_id=request.opportunity_id,
            candidates=[candidate_message(r) for r in ranking.candidates],
            exclusions=exclusions,
        )
        if exclusions:
            response.ruled_out_most.CopyFrom(exclusions[0])
        return response


def build_server(config: ServiceConfig) -> ApiServer:
    Store.open(config, DOCUMENTS)  # opens the connection that the handlers' mongoengine reads use
    return ApiServer(
        config,
        CATALOG,
        [
            Servicer(
                pb_grpc.add_MatchingServiceServicer_to_server,
                MatchingApi(),
                pb.DESCRIPTOR.services_by_name["MatchingService"],
            )
        ],
    )
