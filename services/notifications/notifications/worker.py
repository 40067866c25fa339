"""Notifications' worker: turns events into in-app notices and emails, and sends the emails."""

from __future__ import annotations

from nameko.timer import timer

from notifications import handlers
from notifications.config import MailConfig
from notifications.domain.templates import Templates
from notifications.store import DOCUMENTS
from tandem.identity.v1 import events_pb2 as identity_events
from tandem.opportunities.v1 import events_pb2 as opp_events
from tandem_kit.events import Envelope
from tandem_kit.messaging import ServiceStore, WorkerMetrics, on_event
from tandem_kit.storage import Store

TEMPLATES = Templates.load()
MAIL = MailConfig.from_env()


class NotificationsWorker:
    name = "notifications"

    store: Store = ServiceStore(DOCUMENTS)
    metrics = WorkerMetrics()

    @on_event("identity", "user.registered", identity_events.UserRegistered)
    def on_user_registered(self, event: Envelope[identity_events.UserRegistered]) -> bool:
        return handlers.welcome(self.store, TEMPLATES, MAIL, event)

    @on_event("opportunities", "opportunity.shared", opp_events.OpportunityShared)
    def on_opportunity_shared(self, event: Envelope[opp_events.OpportunityShared]) -> bool:
        e = event.payload
        return handlers.notify(
            self.store,
            TEMPLATES,
            MAIL,
            event,
            handler="notifications.on_opportunity_shared",
            user_id=e.candidate_id,
            kind="opportunity_shared",
            params={"opportunity_id": e.opportunity_id, "title_en": e.title_en, "title_fr": e.title_fr},
        )

    @on_event("opportunities", "application.submitted", opp_events.ApplicationSubmitted)
    def on_application_submitted(self, event: Envelope[opp_events.ApplicationSubmitted]) -> bool:
        e = event.payload
        return handlers.notify(
            self.store,
            TEMPLATES,
            MAIL,
            event,
            handler="notifications.on_application_submitted",
            user_id=e.poster_id,
            kind="application_received",
            params={"opportunity_id": e.opportunity_id, "title_en": e.title_en, "title_fr": e.title_fr},
        )

    @on_event("opportunities", "offer.made", opp_events.OfferMade)
    def on_offer_made(self, event: Envelope[opp_events.OfferMade]) -> bool:
        e = event.payload
        return handlers.notify(
            self.store,
            TEMPLATES,
            MAIL,
            event,
            handler="notifications.on_offer_made",
            user_id=e.applicant_id,
            kind="offer_made",
            params={
                "opportunity_id": e.opportunity_id,
                "offer_id": e.offer_id,
                "title_en": e.title_en,
                "title_fr": e.title_fr,
            },
        )

    @on_event("opportunities", "offer.accepted", opp_events.OfferAccepted)
    def on_offer_accepted(self, event: Envelope[opp_events.OfferAccepted]) -> bool:
        e = event.payload
        return handlers.notify(
            self.store,
            TEMPLATES,
            MAIL,
            event,
            handler="notifications.on_offer_accepted",
            user_id=e.poster_id,
            kind="offer_accepted",
            params={"opportunity_id": e.opportunity_id, "title_en": e.title_en, "title_fr": e.title_fr},
        )

    @timer(interval=0.5)
    def send_emails(self) -> None:
        handlers.send_due_emails(self.store, MAIL)
