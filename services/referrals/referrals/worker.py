"""Referrals' worker: records each shared opportunity as a referral."""

from __future__ import annotations

from referrals import handlers
from referrals.store import DOCUMENTS
from tandem.opportunities.v1 import events_pb2 as opp_events
from tandem_kit.events import Envelope
from tandem_kit.messaging import ServiceStore, WorkerMetrics, on_event
from tandem_kit.storage import Store


class ReferralsWorker:
    name = "referrals"

    store: Store = ServiceStore(DOCUMENTS)
    metrics = WorkerMetrics()

    @on_event("opportunities", "opportunity.shared", opp_events.OpportunityShared)
    def on_opportunity_shared(self, event: Envelope[opp_events.OpportunityShared]) -> bool:
        return handlers.record_share(self.store, event)
