"""Referrals' api and worker against real RabbitMQ and SecantusDB: every shared opportunity
becomes one referral, listed for both people and announced."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import grpc
import httpx
import pytest
from google.rpc import error_details_pb2
from prometheus_client.parser import text_string_to_metric_families

from tandem.opportunities.v1 import events_pb2 as opportunity_events
from tandem.referrals.v1 import referrals_pb2 as pb
from tandem.referrals.v1 import referrals_pb2_grpc as pb_grpc
from tandem_dev.testing import StackFactory, TestStack, eventually, status_detail

pytestmark = pytest.mark.interface


@pytest.fixture
def stack(stack_factory: StackFactory) -> TestStack:
    return stack_factory(("referrals",))


@pytest.fixture
def referrals(stack: TestStack) -> Iterator[pb_grpc.ReferralsServiceStub]:
    with stack.grpc_channel("referrals") as channel:
        yield pb_grpc.ReferralsServiceStub(channel)


def _shared(stack: TestStack, share_id: str = "share-1", *, event_id: str | None = None) -> str:
    return stack.publish(
        "opportunities",
        "opportunity.shared",
        opportunity_events.OpportunityShared(
            share_id=share_id,
            opportunity_id="o1",
            poster_id="poster",
            candidate_id="candidate",
            title_en="Survey analysis",
            title_fr="Analyse d’enquête",
        ),
        event_id=event_id,
    )


def _shares(referrals: pb_grpc.ReferralsServiceStub, user_id: str) -> list[pb.Share]:
    return list(referrals.ListShares(pb.ListSharesRequest(user_id=user_id)).shares)


def _events_consumed(stack: TestStack, outcome: str) -> float:
    text = httpx.get(f"http://127.0.0.1:{stack.stack.ports.worker_metrics['referrals']}/metrics", timeout=5).text
    wanted = {"handler": "referrals.on_opportunity_shared", "event_type": "opportunity.shared", "outcome": outcome}
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "tandem_events_consumed_total" and sample.labels == wanted
    )


def test_a_shared_opportunity_is_listed_for_both_people_and_announced(
    stack: TestStack, referrals: pb_grpc.ReferralsServiceStub
) -> None:
    recorded = stack.capture("referrals", "referral.recorded")
    published_around = datetime.now(UTC)

    event_id = _shared(stack)

    [share] = eventually(lambda: _shares(referrals, "poster"), what="the referral recorded")
    assert (share.id, share.opportunity_id, share.referrer_id, share.candidate_id) == (
        "share-1",
        "o1",
        "poster",
        "candidate",
    )
    assert abs(share.shared_at.ToDatetime(tzinfo=UTC) - published_around) < timedelta(seconds=10)
    assert _shares(referrals, "candidate") == [share]
    assert _shares(referrals, "someone-else") == []
    [event] = recorded.wait_for(1)
    assert event["payload"] == {
        "referral_id": "share-1",
        "opportunity_id": "o1",
        "referrer_id": "poster",
        "candidate_id": "candidate",
    }
    assert event["causation_id"] == event_id


def test_a_redelivered_share_is_recorded_once(stack: TestStack, referrals: pb_grpc.ReferralsServiceStub) -> None:
    recorded = stack.capture("referrals", "referral.recorded")

    _shared(stack, event_id="shared-once")
    _shared(stack, event_id="shared-once")

    eventually(lambda: _events_consumed(stack, "duplicate") == 1, what="the second delivery handled")
    assert _events_consumed(stack, "applied") == 1
    assert [s.id for s in _shares(referrals, "poster")] == ["share-1"]
    db = stack.database("referrals")
    assert db.referrals.count_documents({}) == 1
    assert db.outbox.count_documents({"type": "referral.recorded"}) == 1
    assert len(recorded.wait_for(1)) == 1


def test_listing_shares_without_saying_whose_is_invalid(referrals: pb_grpc.ReferralsServiceStub) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        referrals.ListShares(pb.ListSharesRequest(user_id=""), metadata=(("accept-language", "fr"),))

    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    violations = status_detail(raised.value, error_details_pb2.BadRequest).field_violations
    assert [(v.field, v.reason, v.localized_message.message) for v in violations] == [
        ("user_id", "user_id.required", "Indiquez de qui il faut afficher les recommandations.")
    ]
