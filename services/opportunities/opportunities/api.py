"""Opportunities' gRPC api: convert, call a handler, convert back."""

from __future__ import annotations

from pathlib import Path

import grpc

from opportunities import convert, handlers
from opportunities.reference import ReferenceLists
from opportunities.store import DOCUMENTS, Application, Draft, Offer, Opportunity
from tandem.opportunities.v1 import opportunities_pb2 as pb
from tandem.opportunities.v1 import opportunities_pb2_grpc as pb_grpc
from tandem_kit.config import ServiceConfig
from tandem_kit.errors import InvalidInput
from tandem_kit.grpc_server import ApiServer, Servicer
from tandem_kit.i18n import Catalog
from tandem_kit.storage import Store

CATALOG = Catalog.load(Path(__file__).with_name("messages.yaml"))


def opportunity_message(opp: Opportunity, cannot_apply: str | None = None) -> pb.Opportunity:
    msg = pb.Opportunity(
        id=opp.id,
        poster_id=opp.poster_id,
        title_en=opp.title_en,
        title_fr=opp.title_fr,
        description_en=opp.details.get("description_en", ""),
        description_fr=opp.details.get("description_fr", ""),
        skill_ids=opp.skill_ids,
        openings=opp.openings,
        state=opp.state,
        applicant_count=opp.applicant_count,
        poster=convert.poster_message(opp.poster),
        details=convert.details_message(opp.details),
        requirements=convert.requirements_message(opp.requirements),
        accepted_count=opp.accepted_count,
        outstanding_offer_count=opp.outstanding_count,
        can_apply=cannot_apply == "",
        cannot_apply_reason=cannot_apply or "",
    )
    msg.posted_at.FromDatetime(opp.posted_at)
    for name in ("filled_at", "completed_at", "cancelled_at"):
        if getattr(opp, name) is not None:
            getattr(msg, name).FromDatetime(getattr(opp, name))
    return msg


def draft_message(draft: Draft) -> pb.Draft:
    return pb.Draft(
        id=draft.id,
        poster_id=draft.poster_id,
        poster=convert.poster_message(draft.poster or {}),
        details=convert.details_message(draft.details or {}),
        requirements=convert.requirements_message(draft.requirements or {}),
        steps_done=handlers.steps_done(draft),
    )


def application_message(app: Application) -> pb.Application:
    msg = pb.Application(
        id=app.id,
        opportunity_id=app.opportunity_id,
        applicant_id=app.applicant_id,
        message=app.message,
        state=app.state,
        offer_id=app.offer_id,
        decline_reason=app.decline_reason,
    )
    msg.submitted_at.FromDatetime(app.submitted_at)
    return msg


def offer_message(offer: Offer) -> pb.Offer:
    msg = pb.Offer(
        id=offer.id,
        opportunity_id=offer.opportunity_id,
        applicant_id=offer.applicant_id,
        state=offer.state,
        decline_reason=offer.decline_reason,
        poster_id=offer.poster_id,
    )
    msg.made_at.FromDatetime(offer.made_at)
    return msg


def analytics_row(row: handlers.Row) -> pb.AnalyticsRow:
    return pb.AnalyticsRow(
        key=row.key,
        posted=row.posted,
        filled=row.filled,
        completed=row.completed,
        cancelled=row.cancelled,
        mean_days_to_fill=row.mean_days_to_fill,
        mean_days_to_complete=row.mean_days_to_complete,
    )


class OpportunitiesApi(pb_grpc.OpportunitiesServiceServicer):
    def __init__(self, store: Store, lists: handlers.Lists):
        self.store = store
        self.lists = lists

    def PostOpportunity(self, request: pb.PostOpportunityRequest, context: grpc.ServicerContext) -> pb.Opportunity:
        opp = handlers.post(
            self.store,
            self.lists,
            poster_id=request.poster_id,
            poster=convert.scalars(request.poster),
            details=convert.scalars(request.details),
            requirements=convert.requirements_input(request.requirements),
        )
        return opportunity_message(opp)

    def SaveDraft(self, request: pb.SaveDraftRequest, context: grpc.ServicerContext) -> pb.Draft:
        step = request.WhichOneof("step")
        if step is None:
            raise InvalidInput.one("step", "field.required")
        data = (
            convert.requirements_input(request.requirements)
            if step == "requirements"
            else convert.scalars(getattr(request, step))
        )
        draft = handlers.save_draft(
            self.store, self.lists, poster_id=request.poster_id, draft_id=request.draft_id, step=step, data=data
        )
        return draft_message(draft)

    def GetDraft(self, request: pb.GetDraftRequest, context: grpc.ServicerContext) -> pb.Draft:
        return draft_message(handlers.get_draft(request.draft_id, request.poster_id))

    def PublishDraft(self, request: pb.PublishDraftRequest, context: grpc.ServicerContext) -> pb.Opportunity:
        opp = handlers.publish_draft(self.store, self.lists, draft_id=request.draft_id, poster_id=request.poster_id)
        return opportunity_message(opp)

    def GetOpportunity(self, request: pb.GetOpportunityRequest, context: grpc.ServicerContext) -> pb.Opportunity:
        opp = handlers.get(request.id)
        reason = handlers.cannot_apply_reason(opp, request.viewer_id, request.viewer_department)
        return opportunity_message(opp, reason if request.viewer_id else None)

    def ListOpportunities(
        self, request: pb.ListOpportunitiesRequest, context: grpc.ServicerContext
    ) -> pb.ListOpportunitiesResponse:
        page, total, next_token = handlers.search(
            handlers.Search(
                query=request.query,
                types=list(request.types),
                host_role=request.host_role,
                program_areas=list(request.program_areas),
                province=request.province,
                virtual_only=request.virtual_only,
                language=request.language,
                department=request.department,
                state=request.state,
                sort=request.sort,
                best_fit_ids=list(request.best_fit_ids),
                poster_id=request.poster_id,
                page_size=request.page_size,
                page_token=request.page_token,
            )
        )
        return pb.ListOpportunitiesResponse(
            opportunities=[
                opportunity_message(o, handlers.cannot_apply_reason(o, request.viewer_id, request.viewer_department))
                for o in page
            ],
            next_page_token=next_token,
            total=total,
        )

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
                applicant_department=request.applicant_department,
                message=request.message,
            )
        )

    def WithdrawApplication(
        self, request: pb.ApplicationActionRequest, context: grpc.ServicerContext
    ) -> pb.Application:
        return application_message(
            handlers.withdraw(self.store, application_id=request.application_id, applicant_id=request.actor_id)
        )

    def ListApplications(
        self, request: pb.ListApplicationsRequest, context: grpc.ServicerContext
    ) -> pb.ListApplicationsResponse:
        apps = handlers.list_applications(actor_id=request.actor_id, opportunity_id=request.opportunity_id)
        return pb.ListApplicationsResponse(applications=[application_message(a) for a in apps])

    def MakeOffer(self, request: pb.MakeOfferRequest, context: grpc.ServicerContext) -> pb.Offer:
        return offer_message(
            handlers.make_offer(
                self.store,
                opportunity_id=request.opportunity_id,
                poster_id=request.poster_id,
                applicant_id=request.applicant_id,
            )
        )

    def RemoveApplicant(self, request: pb.RemoveApplicantRequest, context: grpc.ServicerContext) -> pb.Application:
        return application_message(
            handlers.remove_applicant(
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

    def DeclineOffer(self, request: pb.DeclineOfferRequest, context: grpc.ServicerContext) -> pb.Offer:
        return offer_message(
            handlers.decline_offer(
                self.store, offer_id=request.offer_id, applicant_id=request.applicant_id, reason=request.reason
            )
        )

    def ListOffers(self, request: pb.ListOffersRequest, context: grpc.ServicerContext) -> pb.ListOffersResponse:
        return pb.ListOffersResponse(offers=[offer_message(o) for o in handlers.list_offers(request.applicant_id)])

    def CancelOpportunity(self, request: pb.ChangeStateRequest, context: grpc.ServicerContext) -> pb.Opportunity:
        return opportunity_message(
            handlers.cancel(self.store, opportunity_id=request.opportunity_id, poster_id=request.poster_id)
        )

    def ReopenOpportunity(self, request: pb.ChangeStateRequest, context: grpc.ServicerContext) -> pb.Opportunity:
        return opportunity_message(
            handlers.reopen(self.store, opportunity_id=request.opportunity_id, poster_id=request.poster_id)
        )

    def CompleteOpportunity(self, request: pb.ChangeStateRequest, context: grpc.ServicerContext) -> pb.Opportunity:
        return opportunity_message(
            handlers.complete(self.store, opportunity_id=request.opportunity_id, poster_id=request.poster_id)
        )

    def GetAnalytics(self, request: pb.GetAnalyticsRequest, context: grpc.ServicerContext) -> pb.Analytics:
        report = handlers.analytics(since=request.since, until=request.until, group_by=request.group_by or "type")
        return pb.Analytics(
            rows=[analytics_row(r) for r in report.rows],
            total=analytics_row(report.total),
            decline_reasons=[pb.Count(key=k, count=n) for k, n in report.decline_reasons],
            top_skills=[pb.Count(key=k, count=n) for k, n in report.top_skills],
        )


def build_server(config: ServiceConfig) -> ApiServer:
    store = Store.open(config, DOCUMENTS)
    reference = ReferenceLists()
    lists = handlers.Lists(is_department=reference.is_department, is_skill=reference.is_skill)
    descriptor = pb.DESCRIPTOR.services_by_name["OpportunitiesService"]
    return ApiServer(
        config,
        CATALOG,
        [Servicer(pb_grpc.add_OpportunitiesServiceServicer_to_server, OpportunitiesApi(store, lists), descriptor)],
    )
