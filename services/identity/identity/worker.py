"""Identity's worker: relays the outbox. Identity consumes no events yet."""

from __future__ import annotations

from identity.store import DOCUMENTS
from tandem_kit.messaging import ServiceStore, WorkerMetrics


class IdentityWorker:
    name = "identity"

    store = ServiceStore(DOCUMENTS)
    metrics = WorkerMetrics()
