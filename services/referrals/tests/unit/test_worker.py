"""The referrals worker is a thin nameko service: its entrypoint hands the event and the store
to the use case and returns what the use case says."""

from __future__ import annotations

from unittest import mock

from nameko.testing.services import worker_factory

from referrals import handlers
from referrals.worker import ReferralsWorker
from tandem.opportunities.v1 import events_pb2 as opportunity_events
from tandem_kit.events import Envelope


def shared() -> Envelope[opportunity_events.OpportunityShared]:
    return Envelope.new(
        type="opportunity.shared",
        source="opportunities",
        payload=opportunity_events.OpportunityShared(
            share_id="share-1", opportunity_id="opp-1", poster_id="poster", candidate_id="candidate"
        ),
    )


def test_shared_opportunity_is_recorded_with_the_workers_store() -> None:
    worker = worker_factory(ReferralsWorker)
    event = shared()

    with mock.patch.object(handlers, "record_share", return_value=True) as record_share:
        assert worker.on_opportunity_shared(event) is True

    record_share.assert_called_once_with(worker.store, event)


def test_duplicate_delivery_is_reported_as_not_applied() -> None:
    # The event handler counts a False result as a duplicate.
    worker = worker_factory(ReferralsWorker)

    with mock.patch.object(handlers, "record_share", return_value=False):
        assert worker.on_opportunity_shared(shared()) is False


def test_given_store_replaces_the_real_one() -> None:
    store = mock.Mock(name="store")
    worker = worker_factory(ReferralsWorker, store=store)
    event = shared()

    with mock.patch.object(handlers, "record_share", return_value=True) as record_share:
        worker.on_opportunity_shared(event)

    record_share.assert_called_once_with(store, event)
