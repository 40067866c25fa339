"""Identity's worker: relays the outbox, and keeps the signing keys fresh. Identity consumes no
events."""

from __future__ import annotations

from nameko.timer import timer

from identity.config import TokenConfig
from identity.store import DOCUMENTS
from identity.tokens import KeyRing
from tandem_kit.messaging import ServiceStore, WorkerMetrics
from tandem_kit.storage import Store


class IdentityWorker:
    name = "identity"

    store: Store = ServiceStore(DOCUMENTS)
    metrics = WorkerMetrics()

    @timer(interval=3600)
    def rotate_signing_keys(self) -> None:
        """Replace the signing key once it is old, and unpublish keys whose tokens expired."""
        keys = KeyRing(TokenConfig.from_env())
        keys.rotate_if_old()
        keys.retire_expired()
