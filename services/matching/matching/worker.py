"""Matching's worker: keeps the read model of profiles and opportunities fresh from events."""

from __future__ import annotations

from matching import handlers
from matching.store import DOCUMENTS
from tandem.opportunities.v1 import events_pb2 as opportunity_events
from tandem.profiles.v1 import events_pb2 as profile_events
from tandem_kit.events import Envelope
from tandem_kit.messaging import ServiceStore, WorkerMetrics, on_event
from tandem_kit.storage import Store


class MatchingWorker:
    name = "matching"

    store: Store = ServiceStore(DOCUMENTS)
    metrics = WorkerMetrics()

    @on_event("profiles", "profile.updated", profile_events.ProfileUpdated)
    def on_profile_updated(self, event: Envelope[profile_events.ProfileUpdated]) -> bool:
        return handlers.record_profile(self.store, event)

    @on_event("opportunities", "opportunity.posted", opportunity_events.OpportunityPosted)
    def on_opportunity_posted(self, event: Envelope[opportunity_events.OpportunityPosted]) -> bool:
        return handlers.record_opportunity(self.store, event)
