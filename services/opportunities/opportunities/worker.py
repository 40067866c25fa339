"""Opportunities' worker: relays the outbox. It consumes no events yet."""

from __future__ import annotations

from opportunities.store import DOCUMENTS
from tandem_kit.messaging import ServiceStore, WorkerMetrics


class OpportunitiesWorker:
    name = "opportunities"

    store = ServiceStore(DOCUMENTS)
    metrics = WorkerMetrics()
