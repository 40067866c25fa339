"""Notifications' worker: turns events into in-app notices and emails, and sends the emails."""

from __future__ import annotations

from typing import TypeVar

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

OpportunityEvent = TypeVar(
    "OpportunityEvent",
    opp_events.OpportunityShared,
    opp_events.ApplicationSubmitted,
    opp_events.OfferMade,
    opp_events.OfferAccepted,
)
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
        return self._notify(event, "on_opportunity_shared", event.payload.candidate_id, "opportunity_shared")

    @on_event("opportunities", "application.submitted", opp_events.ApplicationSubmitted)
    def on_application_submitted(self, event: Envelope[opp_events.ApplicationSubmitted]) -> bool:
        return self._notify(event, "on_application_submitted", event.payload.poster_id, "application_received")

    @on_event("opportunities", "offer.made", opp_events.OfferMade)
    def on_offer_made(self, event: Envelope[opp_events.OfferMade]) -> bool:
        return self._notify(
            event, "on_offer_made", event.payload.applicant_id, "offer_made", offer_id=event.payload.offer_id
        )

    @on_event("opportunities", "offer.accepted", opp_events.OfferAccepted)
    def on_offer_accepted(self, event: Envelope[opp_events.OfferAccepted]) -> bool:
        return self._notify(event, "on_offer_accepted", event.payload.poster_id, "offer_accepted")

    def _notify(self, event: Envelope[OpportunityEvent], handler: str, user_id: str, kind: str, **extra: str) -> bool:
        """A notice about an opportunity, titled in the recipient's language."""
        e = event.payload
        return handlers.notify(
            self.store,
            TEMPLATES,
            MAIL,
            event,
            handler=f"notifications.{handler}",
            user_id=user_id,
            kind=kind,
            params={"opportunity_id": e.opportunity_id, "title_en": e.title_en, "title_fr": e.title_fr, **extra},
        )

    @timer(interval=0.5)
    def send_emails(self) -> None:
        handlers.send_due_emails(self.store, MAIL)
