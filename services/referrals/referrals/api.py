"""Referrals' gRPC api."""

from __future__ import annotations

from pathlib import Path

import grpc

from referrals import handlers
from referrals.store import DOCUMENTS, Referral
from tandem.referrals.v1 import referrals_pb2 as pb
from tandem.referrals.v1 import referrals_pb2_grpc as pb_grpc
from tandem_kit.config import ServiceConfig
from tandem_kit.grpc_server import ApiServer, Servicer
from tandem_kit.i18n import Catalog
from tandem_kit.storage import Store

CATALOG = Catalog.load(Path(__file__).with_name("messages.yaml"))


def share_message(r: Referral) -> pb.Share:
    msg = pb.Share(id=r.id, opportunity_id=r.opportunity_id, referrer_id=r.referrer_id, candidate_id=r.candidate_id)
    msg.shared_at.FromDatetime(r.referred_at)
    return msg


class ReferralsApi(pb_grpc.ReferralsServiceServicer):
    def ListShares(self, request: pb.ListSharesRequest, context: grpc.ServicerContext) -> pb.ListSharesResponse:
        return pb.ListSharesResponse(shares=[share_message(r) for r in handlers.list_for(request.user_id)])


def build_server(config: ServiceConfig) -> ApiServer:
    Store.open(config, DOCUMENTS)  # opens the connection that the handlers' mongoengine reads use
    return ApiServer(
        config,
        CATALOG,
        [
            Servicer(
                pb_grpc.add_ReferralsServiceServicer_to_server,
                ReferralsApi(),
                pb.DESCRIPTOR.services_by_name["ReferralsService"],
            )
        ],
    )
