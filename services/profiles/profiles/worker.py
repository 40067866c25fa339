"""Profiles' worker: gives every new account a profile, and relays the outbox."""

from __future__ import annotations

from profiles import handlers
from profiles.domain.reference import load_reference
from profiles.store import DOCUMENTS
from tandem.identity.v1 import events_pb2 as identity_events
from tandem_kit.events import Envelope
from tandem_kit.messaging import ServiceStore, WorkerMetrics, on_event
from tandem_kit.storage import Store

REFERENCE = load_reference()


class ProfilesWorker:
    name = "profiles"

    store: Store = ServiceStore(DOCUMENTS)
    metrics = WorkerMetrics()

    @on_event("identity", "user.registered", identity_events.UserRegistered)
    def on_user_registered(self, event: Envelope[identity_events.UserRegistered]) -> bool:
        return handlers.create_profile_for(self.store, REFERENCE, event)
