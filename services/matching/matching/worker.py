"""Matching's worker: keeps the read model of profiles and opportunities fresh from events."""

from __future__ import annotations

from matching import cohorts, handlers
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

    @on_event("profiles", "profile.updated", profile_events.ProfileUpdated)
    def on_profile_updated_for_mentoring(self, event: Envelope[profile_events.ProfileUpdated]) -> bool:
        return cohorts.record_mentoring_profile(self.store, event)

    @on_event("opportunities", "opportunity.posted", opportunity_events.OpportunityPosted)
    def on_opportunity_posted(self, event: Envelope[opportunity_events.OpportunityPosted]) -> bool:
        return handlers.record_opportunity(self.store, event)

    # Recommendations offer open opportunities only; engagements count against capacity.
    @on_event("opportunities", "opportunity.cancelled", opportunity_events.OpportunityStateChanged)
    def on_opportunity_cancelled(self, event: Envelope[opportunity_events.OpportunityStateChanged]) -> bool:
        return handlers.record_opportunity_state(self.store, event, "on_opportunity_cancelled")

    @on_event("opportunities", "opportunity.reopened", opportunity_events.OpportunityStateChanged)
    def on_opportunity_reopened(self, event: Envelope[opportunity_events.OpportunityStateChanged]) -> bool:
        return handlers.record_opportunity_state(self.store, event, "on_opportunity_reopened")

    @on_event("opportunities", "opportunity.completed", opportunity_events.OpportunityStateChanged)
    def on_opportunity_completed(self, event: Envelope[opportunity_events.OpportunityStateChanged]) -> bool:
        return handlers.record_opportunity_state(self.store, event, "on_opportunity_completed")

    @on_event("opportunities", "engagement.started", opportunity_events.EngagementStarted)
    def on_engagement_started(self, event: Envelope[opportunity_events.EngagementStarted]) -> bool:
        return handlers.record_engagement(self.store, event)
