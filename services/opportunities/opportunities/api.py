"""Opportunities' gRPC api."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import grpc

from opportunities import handlers
from opportunities.store import DOCUMENTS, Application, Offer, Opportunity
from tandem.opportunities.v1 import opportunities_pb2 as pb
from tandem.opportunities.v1 import opportunities_pb2_grpc as pb_grpc
from tandem_kit.config import ServiceConfig
from tandem_kit.grpc_server import ApiServer, Servicer
from tandem_kit.i18n import Catalog
from tandem_kit.storage import Store

CATALOG = Catalog.load(Path(__file__).with_name("messages.yaml"))


def opportunity_message(opp: Opportunity) -> pb.Opportunity:
    msg = pb.Opportunity(
        id=opp.id,
        poster_id=opp.poster_id,
        title_en=opp.title_en,
        title_fr=opp.title_fr,
        description_en=opp.description_en,
        description_fr=opp.description_fr,
        skill_ids=opp.skill_ids,
        openings=opp.openings,
        state=opp.state,
        applicant_count=opp.applicant_count,
    )
    msg.posted_at.FromDatetime(opp.posted_at)
    if opp.application_deadline is not None:
        msg.application_deadline.FromDatetime(opp.application_deadline)
    return msg


def application_message(app: Application) -> pb.Application:
    return pb.Application(
        id=app.id,
        opportunity_id=app.opportunity_id,
        applicant_id=app.applicant_id,
        message=app.message,
        state=app.state,
    )


def offer_message(offer: Offer) -> pb.Offer:
    return pb.Offer(
        id=offer.id, opportunity_id=offer.opportunity_id, applicant_id=offer.applicant_id, state=offer.state
    )


class OpportunitiesApi(pb_grpc.OpportunitiesServiceServicer):
    def __init__(self, store: Store):
        self.store = store

    def PostOpportunity(self, request: pb.PostOpportunityRequest, context: grpc.ServicerContext) -> pb.Opportunity:
        deadline = (
            request.application_deadline.ToDatetime(tzinfo=UTC) if request.HasField("application_deadline") else None
        )
        opp = handlers.post(
            self.store,
            poster_id=request.poster_id,
            title_en=request.title_en,
            title_fr=request.title_fr,
            description_en=request.description_en,
            description_fr=request.description_fr,
            skill_ids=list(request.skill_ids),
            openings=request.openings,
            application_deadline=deadline,
        )
        return opportunity_message(opp)

    def GetOpportunity(self, request: pb.GetOpportunityRequest, context: grpc.ServicerContext) -> pb.Opportunity:
        return opportunity_message(handlers.get(request.id))

    def ShareOpportunity(
        self, request: pb.ShareOpportunityRequest, context: grpc.ServicerContext
    ) -> pb.ShareOpportunityResponse:
        record = handlers.share(
            self.store,
            opportunity_id=request.opportunity_id,
            poster_id=request.poster_id,
            candidate_id=request.candidate_id,
        )
        return pb.ShareOpportunityResponse(share_id=record.id)

    def Apply(self, request: pb.ApplyRequest, context: grpc.ServicerContext) -> pb.Application:
        return application_message(
            handlers.apply(
                self.store,
                opportunity_id=request.opportunity_id,
                applicant_id=request.applicant_id,
                message=request.message,
            )
        )

    def MakeOffer(self, request: pb.MakeOfferRequest, context: grpc.ServicerContext) -> pb.Offer:
        return offer_message(
            handlers.make_offer(
                self.store,
                opportunity_id=request.opportunity_id,
                poster_id=request.poster_id,
                applicant_id=request.applicant_id,
            )
        )

    def AcceptOffer(self, request: pb.AcceptOfferRequest, context: grpc.ServicerContext) -> pb.Offer:
        return offer_message(
            handlers.accept_offer(self.store, offer_id=request.offer_id, applicant_id=request.applicant_id)
        )


def build_server(config: ServiceConfig) -> ApiServer:
    store = Store.open(config, DOCUMENTS)
    return ApiServer(
        config,
        CATALOG,
        [
            Servicer(
                pb_grpc.add_OpportunitiesServiceServicer_to_server,
                OpportunitiesApi(store),
                pb.DESCRIPTOR.services_by_name["OpportunitiesService"],
            )
        ],
    )
