"""Opportunities' api and worker against real RabbitMQ and SecantusDB: posting, applying, offers
under contention, and sharing, each announced by its event."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import grpc
import pytest
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from tandem.opportunities.v1 import opportunities_pb2 as pb
from tandem.opportunities.v1 import opportunities_pb2_grpc as pb_grpc
from tandem_dev.testing import StackFactory, TestStack, eventually

pytestmark = pytest.mark.interface

M = TypeVar("M", bound=Message)

POSTER = "poster"
TITLE_EN, TITLE_FR = "Survey analysis", "Analyse d’enquête"


@pytest.fixture
def stack(stack_factory: StackFactory) -> TestStack:
    return stack_factory(("opportunities",))


@pytest.fixture
def opportunities(stack: TestStack) -> Iterator[pb_grpc.OpportunitiesServiceStub]:
    with stack.grpc_channel("opportunities") as channel:
        yield pb_grpc.OpportunitiesServiceStub(channel)


def _post(
    opportunities: pb_grpc.OpportunitiesServiceStub, *, openings: int = 1, deadline: datetime | None = None
) -> pb.Opportunity:
    request = pb.PostOpportunityRequest(
        poster_id=POSTER,
        title_en=TITLE_EN,
        title_fr=TITLE_FR,
        description_en="Six weeks with the survey team.",
        description_fr="Six semaines avec l’équipe des enquêtes.",
        skill_ids=["data-analysis", "statistics"],
        openings=openings,
    )
    if deadline is not None:
        request.application_deadline.FromDatetime(deadline)
    opportunity: pb.Opportunity = opportunities.PostOpportunity(request)
    return opportunity


def _apply(opportunities: pb_grpc.OpportunitiesServiceStub, opportunity_id: str, applicant_id: str) -> pb.Application:
    application: pb.Application = opportunities.Apply(
        pb.ApplyRequest(opportunity_id=opportunity_id, applicant_id=applicant_id, message="I would love to.")
    )
    return application


def _refusal(method: Any, request: Message) -> grpc.RpcError:
    """Call `method` with `request` and return the error it must end in."""
    with pytest.raises(grpc.RpcError) as raised:
        method(request)
    return raised.value


def _detail(error: grpc.RpcError, message_type: type[M]) -> M:
    status = rpc_status.from_call(error)
    assert status is not None, "the error carries no google.rpc.Status"
    found = [d for d in status.details if d.Is(message_type.DESCRIPTOR)]
    assert len(found) == 1, f"expected one {message_type.DESCRIPTOR.name} in {status.details}"
    message = message_type()
    found[0].Unpack(message)
    return message


def _reason(error: grpc.RpcError) -> tuple[grpc.StatusCode, str]:
    return error.code(), _detail(error, error_details_pb2.ErrorInfo).reason


def test_a_posted_opportunity_is_announced(stack: TestStack, opportunities: pb_grpc.OpportunitiesServiceStub) -> None:
    posted = stack.capture("opportunities", "opportunity.posted")

    opportunity = _post(opportunities, openings=2)

    assert (opportunity.state, opportunity.openings, opportunity.applicant_count) == ("open", 2, 0)
    stored = opportunities.GetOpportunity(pb.GetOpportunityRequest(id=opportunity.id))
    # The store keeps milliseconds; the response to the post carried microseconds.
    assert abs(stored.posted_at.ToDatetime() - opportunity.posted_at.ToDatetime()) < timedelta(milliseconds=1)
    stored.ClearField("posted_at")
    opportunity.ClearField("posted_at")
    assert stored == opportunity
    [event] = posted.wait_for(1)
    assert event["payload"] == {
        "opportunity_id": opportunity.id,
        "poster_id": POSTER,
        "title_en": TITLE_EN,
        "title_fr": TITLE_FR,
        "skill_ids": ["data-analysis", "statistics"],
        "openings": 2,
    }


def test_an_application_is_announced_and_counted(
    stack: TestStack, opportunities: pb_grpc.OpportunitiesServiceStub
) -> None:
    submitted = stack.capture("opportunities", "application.submitted")
    opportunity = _post(opportunities)

    application = _apply(opportunities, opportunity.id, "applicant")

    assert (application.state, application.applicant_id, application.message) == (
        "submitted",
        "applicant",
        "I would love to.",
    )
    assert opportunities.GetOpportunity(pb.GetOpportunityRequest(id=opportunity.id)).applicant_count == 1
    [event] = submitted.wait_for(1)
    assert event["payload"] == {
        "application_id": application.id,
        "opportunity_id": opportunity.id,
        "poster_id": POSTER,
        "applicant_id": "applicant",
        "title_en": TITLE_EN,
        "title_fr": TITLE_FR,
    }


def test_concurrent_applications_count_each_applicant_once(
    stack: TestStack, opportunities: pb_grpc.OpportunitiesServiceStub
) -> None:
    opportunity = _post(opportunities)
    applicants = [f"applicant-{n:02}" for n in range(10)] * 2  # everyone clicks twice

    def attempt(applicant: str) -> pb.Application | grpc.RpcError:
        try:
            return _apply(opportunities, opportunity.id, applicant)
        except grpc.RpcError as error:
            return error

    with ThreadPoolExecutor(max_workers=len(applicants)) as pool:
        outcomes = list(pool.map(attempt, applicants))

    accepted = sorted(o.applicant_id for o in outcomes if isinstance(o, pb.Application))
    refused = [_reason(o) for o in outcomes if isinstance(o, grpc.RpcError)]
    assert accepted == sorted(set(applicants))
    assert refused == [(grpc.StatusCode.ALREADY_EXISTS, "apply.already_applied")] * 10
    assert opportunities.GetOpportunity(pb.GetOpportunityRequest(id=opportunity.id)).applicant_count == 10
    assert stack.database("opportunities").outbox.count_documents({"type": "application.submitted"}) == 10


def test_applying_twice_is_refused_and_counted_once(opportunities: pb_grpc.OpportunitiesServiceStub) -> None:
    opportunity = _post(opportunities)
    _apply(opportunities, opportunity.id, "applicant")

    error = _refusal(opportunities.Apply, pb.ApplyRequest(opportunity_id=opportunity.id, applicant_id="applicant"))

    assert _reason(error) == (grpc.StatusCode.ALREADY_EXISTS, "apply.already_applied")
    assert opportunities.GetOpportunity(pb.GetOpportunityRequest(id=opportunity.id)).applicant_count == 1


def test_the_poster_cannot_apply_to_their_own_opportunity(opportunities: pb_grpc.OpportunitiesServiceStub) -> None:
    opportunity = _post(opportunities)

    error = _refusal(opportunities.Apply, pb.ApplyRequest(opportunity_id=opportunity.id, applicant_id=POSTER))

    assert _reason(error) == (grpc.StatusCode.FAILED_PRECONDITION, "apply.own_opportunity")
    assert opportunities.GetOpportunity(pb.GetOpportunityRequest(id=opportunity.id)).applicant_count == 0


def test_a_deadline_in_the_past_is_refused_when_posting(opportunities: pb_grpc.OpportunitiesServiceStub) -> None:
    request = pb.PostOpportunityRequest(
        poster_id=POSTER,
        title_en=TITLE_EN,
        title_fr=TITLE_FR,
        description_en="d",
        description_fr="d",
        skill_ids=["statistics"],
        openings=1,
        application_deadline=Timestamp(seconds=int((datetime.now(UTC) - timedelta(minutes=1)).timestamp())),
    )

    error = _refusal(opportunities.PostOpportunity, request)

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    violations = _detail(error, error_details_pb2.BadRequest).field_violations
    assert [(v.field, v.reason) for v in violations] == [("application_deadline", "deadline.past")]


def test_applying_after_the_deadline_is_refused(opportunities: pb_grpc.OpportunitiesServiceStub) -> None:
    deadline = datetime.now(UTC) + timedelta(seconds=1)
    opportunity = _post(opportunities, deadline=deadline)
    _apply(opportunities, opportunity.id, "on-time")

    eventually(lambda: datetime.now(UTC) > deadline, what="the deadline to pass")
    error = _refusal(opportunities.Apply, pb.ApplyRequest(opportunity_id=opportunity.id, applicant_id="late"))

    assert _reason(error) == (grpc.StatusCode.FAILED_PRECONDITION, "apply.deadline_passed")
    assert opportunities.GetOpportunity(pb.GetOpportunityRequest(id=opportunity.id)).applicant_count == 1


def test_only_the_poster_can_make_an_offer(stack: TestStack, opportunities: pb_grpc.OpportunitiesServiceStub) -> None:
    opportunity = _post(opportunities)
    _apply(opportunities, opportunity.id, "applicant")

    error = _refusal(
        opportunities.MakeOffer,
        pb.MakeOfferRequest(opportunity_id=opportunity.id, poster_id="applicant", applicant_id="applicant"),
    )

    assert _reason(error) == (grpc.StatusCode.PERMISSION_DENIED, "opportunity.not_poster")
    assert stack.database("opportunities").offers.count_documents({}) == 0


def test_concurrent_offers_beyond_the_openings_are_refused(
    stack: TestStack, opportunities: pb_grpc.OpportunitiesServiceStub
) -> None:
    # Both offer events on one queue (a topic pattern), so their relative order is visible.
    offer_events = stack.capture("opportunities", "offer.*")
    opportunity = _post(opportunities, openings=1)
    applicants = [f"applicant-{n:02}" for n in range(20)]
    for applicant in applicants:
        _apply(opportunities, opportunity.id, applicant)
    start = threading.Barrier(len(applicants))

    def offer(applicant: str) -> pb.Offer | grpc.RpcError:
        # A channel each, so the calls really are concurrent connections.
        with stack.grpc_channel("opportunities") as channel:
            stub = pb_grpc.OpportunitiesServiceStub(channel)
            request = pb.MakeOfferRequest(opportunity_id=opportunity.id, poster_id=POSTER, applicant_id=applicant)
            grpc.channel_ready_future(channel).result(timeout=10)
            start.wait(timeout=10)
            try:
                made: pb.Offer = stub.MakeOffer(request, timeout=60)
                return made
            except grpc.RpcError as error:
                return error

    with ThreadPoolExecutor(max_workers=len(applicants)) as pool:
        outcomes = list(pool.map(offer, applicants))

    made = [o for o in outcomes if isinstance(o, pb.Offer)]
    refused = [o for o in outcomes if isinstance(o, grpc.RpcError)]
    assert len(made) == 1, f"{len(made)} offers for one opening"
    assert [_reason(e) for e in refused] == [(grpc.StatusCode.FAILED_PRECONDITION, "offer.no_openings_left")] * 19
    [winner] = made
    db = stack.database("opportunities")
    assert [(o["_id"], o["state"]) for o in db.offers.find()] == [(winner.id, "outstanding")]
    assert db.opportunities.find_one({"_id": opportunity.id})["slots_free"] == 0
    assert db.applications.count_documents({"opportunity_id": opportunity.id, "state": "offered"}) == 1
    assert db.outbox.count_documents({"type": "offer.made"}) == 1

    accepted = opportunities.AcceptOffer(pb.AcceptOfferRequest(offer_id=winner.id, applicant_id=winner.applicant_id))

    assert (accepted.id, accepted.state) == (winner.id, "accepted")
    # Events leave in outbox order: a second offer.made would arrive before offer.accepted.
    made_event, accepted_event = offer_events.wait_for(2)
    assert [made_event["type"], accepted_event["type"]] == ["offer.made", "offer.accepted"]
    expected = {
        "offer_id": winner.id,
        "opportunity_id": opportunity.id,
        "poster_id": POSTER,
        "applicant_id": winner.applicant_id,
        "title_en": TITLE_EN,
        "title_fr": TITLE_FR,
    }
    assert made_event["payload"] == accepted_event["payload"] == expected


def test_accepting_someone_elses_offer_is_not_found(
    stack: TestStack, opportunities: pb_grpc.OpportunitiesServiceStub
) -> None:
    opportunity = _post(opportunities)
    _apply(opportunities, opportunity.id, "chosen")
    _apply(opportunities, opportunity.id, "other")
    offer = opportunities.MakeOffer(
        pb.MakeOfferRequest(opportunity_id=opportunity.id, poster_id=POSTER, applicant_id="chosen")
    )

    not_theirs = _refusal(opportunities.AcceptOffer, pb.AcceptOfferRequest(offer_id=offer.id, applicant_id="other"))
    no_such = _refusal(opportunities.AcceptOffer, pb.AcceptOfferRequest(offer_id="no-such-offer", applicant_id="other"))

    assert _reason(not_theirs) == (grpc.StatusCode.NOT_FOUND, "offer.not_found")
    # Indistinguishable from an offer that does not exist: the refusal confirms nothing.
    assert rpc_status.from_call(not_theirs) == rpc_status.from_call(no_such)
    assert stack.database("opportunities").offers.find_one({"_id": offer.id})["state"] == "outstanding"


def test_a_share_is_announced(stack: TestStack, opportunities: pb_grpc.OpportunitiesServiceStub) -> None:
    shared = stack.capture("opportunities", "opportunity.shared")
    opportunity = _post(opportunities)

    share = opportunities.ShareOpportunity(
        pb.ShareOpportunityRequest(opportunity_id=opportunity.id, poster_id=POSTER, candidate_id="candidate")
    )

    [event] = shared.wait_for(1)
    assert event["payload"] == {
        "share_id": share.share_id,
        "opportunity_id": opportunity.id,
        "poster_id": POSTER,
        "candidate_id": "candidate",
        "title_en": TITLE_EN,
        "title_fr": TITLE_FR,
    }
    again = _refusal(
        opportunities.ShareOpportunity,
        pb.ShareOpportunityRequest(opportunity_id=opportunity.id, poster_id=POSTER, candidate_id="candidate"),
    )
    assert _reason(again) == (grpc.StatusCode.ALREADY_EXISTS, "share.already_shared")
