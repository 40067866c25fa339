"""Opportunities' api and worker against real RabbitMQ and SecantusDB: posting, applying, offers
under contention, and sharing, each announced by its event."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any, TypeVar

import grpc
import pytest
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from tandem.opportunities.v1 import opportunities_pb2 as pb
from tandem.opportunities.v1 import opportunities_pb2_grpc as pb_grpc
from tandem_dev.testing import StackFactory, TestStack, status_detail

pytestmark = pytest.mark.interface

M = TypeVar("M", bound=Message)

POSTER = "poster"
TITLE_EN, TITLE_FR = "Survey analysis", "Analyse d’enquête"


@pytest.fixture
def stack(stack_factory: StackFactory) -> TestStack:
    # Opportunities checks departments with identity and skills with profiles.
    return stack_factory(("identity", "profiles", "opportunities"))


@pytest.fixture
def opportunities(stack: TestStack) -> Iterator[pb_grpc.OpportunitiesServiceStub]:
    with stack.grpc_channel("opportunities") as channel:
        yield pb_grpc.OpportunitiesServiceStub(channel)


def _days(n: int) -> str:
    return (date.today() + timedelta(days=n)).isoformat()


def _with(step: M, changes: dict[str, Any]) -> M:
    """A step message with some fields changed (lists replace the repeated field)."""
    for k, v in changes.items():
        if isinstance(v, list):
            field = getattr(step, k)
            del field[:]
            field.extend(v)
        else:
            setattr(step, k, v)
    return step


def poster_step(**changes: Any) -> pb.PosterInfo:
    step = pb.PosterInfo(
        name="Jean Tremblay",
        email="jean.tremblay@statcan.gc.ca",
        department="statcan",
        phone="613-555-0123",
        agrees_to_guide=True,
        agrees_to_feedback=True,
    )
    return _with(step, changes)


def details_step(**changes: Any) -> pb.Details:
    step = pb.Details(
        title_en=TITLE_EN,
        title_fr=TITLE_FR,
        description_en="Six weeks with the survey team.",
        description_fr="Six semaines avec l’équipe des enquêtes.",
        type="micro_mission",
        host_role="offering",
        program_area="science",
        openings=1,
        ideal_start=_days(30),
        ideal_completion=_days(72),
        application_deadline=_days(14),
    )
    return _with(step, changes)


def requirements_step(**changes: Any) -> pb.Requirements:
    step = pb.Requirements(
        skill_ids=["data-analysis", "statistics"],
        hours=4,
        per="week",
        virtual=True,
        city="Ottawa",
        province="ON",
        security_level="reliability",
    )
    return _with(step, changes)


def _post(
    opportunities: pb_grpc.OpportunitiesServiceStub, *, openings: int = 1, limited: bool = False
) -> pb.Opportunity:
    opportunity: pb.Opportunity = opportunities.PostOpportunity(
        pb.PostOpportunityRequest(
            poster_id=POSTER,
            poster=poster_step(),
            details=details_step(openings=openings, limited_to_department=limited),
            requirements=requirements_step(),
        )
    )
    return opportunity


def _apply(
    opportunities: pb_grpc.OpportunitiesServiceStub,
    opportunity_id: str,
    applicant_id: str,
    department: str = "statcan",
) -> pb.Application:
    application: pb.Application = opportunities.Apply(
        pb.ApplyRequest(
            opportunity_id=opportunity_id,
            applicant_id=applicant_id,
            message="I would love to.",
            applicant_department=department,
        )
    )
    return application


def _refusal(method: Any, request: Message) -> grpc.RpcError:
    """Call `method` with `request` and return the error it must end in."""
    with pytest.raises(grpc.RpcError) as raised:
        method(request)
    return raised.value


def _reason(error: grpc.RpcError) -> tuple[grpc.StatusCode, str]:
    return error.code(), status_detail(error, error_details_pb2.ErrorInfo).reason


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
    assert (stored.details.type, stored.poster.department, stored.requirements.province) == (
        "micro_mission",
        "statcan",
        "ON",
    )
    [event] = posted.wait_for(1)
    payload = event["payload"]
    assert {
        k: payload[k]
        for k in (
            "opportunity_id",
            "poster_id",
            "title_en",
            "skill_ids",
            "openings",
            "type",
            "department",
            "application_deadline",
        )
    } == {
        "opportunity_id": opportunity.id,
        "poster_id": POSTER,
        "title_en": TITLE_EN,
        "skill_ids": ["data-analysis", "statistics"],
        "openings": 2,
        "type": "micro_mission",
        "department": "statcan",
        "application_deadline": _days(14),
    }
    assert payload["requirements"]["security_level"] == "reliability"
    assert payload["program_area"] == "science"


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


def test_a_deadline_in_the_past_is_refused_when_posting(
    stack: TestStack, opportunities: pb_grpc.OpportunitiesServiceStub
) -> None:
    request = pb.PostOpportunityRequest(
        poster_id=POSTER,
        poster=poster_step(),
        details=details_step(application_deadline=_days(-1)),
        requirements=requirements_step(),
    )

    error = _refusal(opportunities.PostOpportunity, request)

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    violations = status_detail(error, error_details_pb2.BadRequest).field_violations
    assert [(v.field, v.reason) for v in violations] == [("details.application_deadline", "date.past")]
    assert stack.database("opportunities").opportunities.count_documents({}) == 0


def test_applying_after_the_deadline_is_refused(
    stack: TestStack, opportunities: pb_grpc.OpportunitiesServiceStub
) -> None:
    opportunity = _post(opportunities)
    _apply(opportunities, opportunity.id, "on-time")
    # Time passes: the deadline was yesterday.
    stack.database("opportunities").opportunities.update_one(
        {"_id": opportunity.id}, {"$set": {"application_deadline": _days(-1)}}
    )

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


# --- the three steps, and the rest of the lifecycle -----------------------------------------------


def test_a_draft_keeps_each_valid_step_and_refuses_a_bad_one_without_changing_it(
    stack: TestStack, opportunities: pb_grpc.OpportunitiesServiceStub
) -> None:
    draft = opportunities.SaveDraft(pb.SaveDraftRequest(poster_id=POSTER, poster=poster_step()))
    assert list(draft.steps_done) == ["poster"]

    bad = _refusal(
        opportunities.SaveDraft,
        pb.SaveDraftRequest(
            draft_id=draft.id,
            poster_id=POSTER,
            details=details_step(title_fr="", openings=0, ideal_completion=_days(1), type="lunch"),
        ),
    )
    violations = status_detail(bad, error_details_pb2.BadRequest).field_violations
    assert sorted((v.field, v.reason) for v in violations) == [
        ("details.ideal_completion", "completion.before_start"),
        ("details.openings", "openings.range"),
        ("details.title_fr", "field.required"),
        ("details.type", "choice.unknown"),
    ]
    assert list(opportunities.GetDraft(pb.GetDraftRequest(draft_id=draft.id, poster_id=POSTER)).steps_done) == [
        "poster"
    ]

    opportunities.SaveDraft(pb.SaveDraftRequest(draft_id=draft.id, poster_id=POSTER, details=details_step()))
    missing = _refusal(opportunities.PublishDraft, pb.PublishDraftRequest(draft_id=draft.id, poster_id=POSTER))
    assert [(v.field, v.reason) for v in status_detail(missing, error_details_pb2.BadRequest).field_violations] == [
        ("requirements", "draft.step_missing")
    ]
    unknown_skill = _refusal(
        opportunities.SaveDraft,
        pb.SaveDraftRequest(
            draft_id=draft.id,
            poster_id=POSTER,
            requirements=requirements_step(skill_ids=["no-such-skill"]),
        ),
    )
    assert _reason(unknown_skill) == (grpc.StatusCode.INVALID_ARGUMENT, "error.invalid_request")
    opportunities.SaveDraft(pb.SaveDraftRequest(draft_id=draft.id, poster_id=POSTER, requirements=requirements_step()))
    stranger = _refusal(opportunities.PublishDraft, pb.PublishDraftRequest(draft_id=draft.id, poster_id="someone"))
    assert _reason(stranger) == (grpc.StatusCode.NOT_FOUND, "draft.not_found")

    published = opportunities.PublishDraft(pb.PublishDraftRequest(draft_id=draft.id, poster_id=POSTER))

    assert (published.state, published.details.title_fr, published.poster.department) == ("open", TITLE_FR, "statcan")
    again = _refusal(opportunities.PublishDraft, pb.PublishDraftRequest(draft_id=draft.id, poster_id=POSTER))
    assert again.code() == grpc.StatusCode.NOT_FOUND
    assert stack.database("opportunities").opportunities.count_documents({}) == 1


def test_an_unknown_department_is_refused(opportunities: pb_grpc.OpportunitiesServiceStub) -> None:
    error = _refusal(
        opportunities.SaveDraft,
        pb.SaveDraftRequest(
            poster_id=POSTER,
            poster=poster_step(department="ministry-of-magic", agrees_to_feedback=False),
        ),
    )
    assert sorted((v.field, v.reason) for v in status_detail(error, error_details_pb2.BadRequest).field_violations) == [
        ("poster.agrees_to_feedback", "poster.must_agree_to_feedback"),
        ("poster.department", "department.unknown"),
    ]


def test_a_department_only_opportunity_is_visible_but_closed_to_other_departments(
    opportunities: pb_grpc.OpportunitiesServiceStub,
) -> None:
    opportunity = _post(opportunities, limited=True)

    seen = opportunities.GetOpportunity(
        pb.GetOpportunityRequest(id=opportunity.id, viewer_id="outsider", viewer_department="tbs-sct")
    )
    assert (seen.can_apply, seen.cannot_apply_reason) == (False, "apply.other_department")
    error = _refusal(
        opportunities.Apply,
        pb.ApplyRequest(opportunity_id=opportunity.id, applicant_id="outsider", applicant_department="tbs-sct"),
    )
    assert _reason(error) == (grpc.StatusCode.FAILED_PRECONDITION, "apply.other_department")
    assert _apply(opportunities, opportunity.id, "colleague", department="statcan").state == "submitted"


def test_a_declined_or_removed_offer_gives_the_opening_back(
    stack: TestStack, opportunities: pb_grpc.OpportunitiesServiceStub
) -> None:
    declined_events = stack.capture("opportunities", "offer.declined")
    opportunity = _post(opportunities, openings=1)
    for person in ("first", "second", "third"):
        _apply(opportunities, opportunity.id, person)
    offer = opportunities.MakeOffer(
        pb.MakeOfferRequest(opportunity_id=opportunity.id, poster_id=POSTER, applicant_id="first")
    )
    full = _refusal(
        opportunities.MakeOffer,
        pb.MakeOfferRequest(opportunity_id=opportunity.id, poster_id=POSTER, applicant_id="second"),
    )
    assert _reason(full) == (grpc.StatusCode.FAILED_PRECONDITION, "offer.no_openings_left")

    no_reason = _refusal(opportunities.DeclineOffer, pb.DeclineOfferRequest(offer_id=offer.id, applicant_id="first"))
    assert status_detail(no_reason, error_details_pb2.BadRequest).field_violations[0].reason == "field.required"
    declined = opportunities.DeclineOffer(
        pb.DeclineOfferRequest(offer_id=offer.id, applicant_id="first", reason="schedule_conflict")
    )
    assert (declined.state, declined.decline_reason) == ("declined", "schedule_conflict")
    assert declined_events.wait_for(1)[0]["payload"]["reason"] == "schedule_conflict"

    second = opportunities.MakeOffer(
        pb.MakeOfferRequest(opportunity_id=opportunity.id, poster_id=POSTER, applicant_id="second")
    )
    removed = opportunities.RemoveApplicant(
        pb.RemoveApplicantRequest(opportunity_id=opportunity.id, poster_id=POSTER, applicant_id="second")
    )
    assert removed.state == "removed"
    db = stack.database("opportunities")
    assert db.offers.find_one({"_id": second.id})["state"] == "rescinded"
    third = opportunities.MakeOffer(
        pb.MakeOfferRequest(opportunity_id=opportunity.id, poster_id=POSTER, applicant_id="third")
    )
    assert third.state == "outstanding"
    assert db.opportunities.find_one({"_id": opportunity.id})["slots_free"] == 0


def test_an_applicant_can_withdraw_and_only_they_can(
    stack: TestStack, opportunities: pb_grpc.OpportunitiesServiceStub
) -> None:
    opportunity = _post(opportunities)
    application = _apply(opportunities, opportunity.id, "applicant")

    other = _refusal(
        opportunities.WithdrawApplication,
        pb.ApplicationActionRequest(application_id=application.id, actor_id="someone-else"),
    )
    assert _reason(other) == (grpc.StatusCode.NOT_FOUND, "application.not_found")
    withdrawn = opportunities.WithdrawApplication(
        pb.ApplicationActionRequest(application_id=application.id, actor_id="applicant")
    )

    assert withdrawn.state == "withdrawn"
    assert opportunities.GetOpportunity(pb.GetOpportunityRequest(id=opportunity.id)).applicant_count == 0
    mine = opportunities.ListApplications(pb.ListApplicationsRequest(actor_id="applicant"))
    assert [a.state for a in mine.applications] == ["withdrawn"]
    stranger = _refusal(
        opportunities.ListApplications, pb.ListApplicationsRequest(actor_id="applicant", opportunity_id=opportunity.id)
    )
    assert _reason(stranger) == (grpc.StatusCode.PERMISSION_DENIED, "opportunity.not_poster")


def test_cancel_reopen_and_complete(stack: TestStack, opportunities: pb_grpc.OpportunitiesServiceStub) -> None:
    completed_events = stack.capture("opportunities", "opportunity.completed")
    opportunity = _post(opportunities)
    _apply(opportunities, opportunity.id, "participant")
    change = pb.ChangeStateRequest(opportunity_id=opportunity.id, poster_id=POSTER)

    nothing_to_complete = _refusal(opportunities.CompleteOpportunity, change)
    assert _reason(nothing_to_complete) == (grpc.StatusCode.FAILED_PRECONDITION, "complete.no_participant")
    assert opportunities.CancelOpportunity(change).state == "cancelled"
    closed = _refusal(opportunities.Apply, pb.ApplyRequest(opportunity_id=opportunity.id, applicant_id="late"))
    assert _reason(closed) == (grpc.StatusCode.FAILED_PRECONDITION, "apply.closed")
    assert opportunities.ReopenOpportunity(change).state == "open"

    offer = opportunities.MakeOffer(
        pb.MakeOfferRequest(opportunity_id=opportunity.id, poster_id=POSTER, applicant_id="participant")
    )
    waiting = _refusal(opportunities.CompleteOpportunity, change)
    assert _reason(waiting) == (grpc.StatusCode.FAILED_PRECONDITION, "complete.offers_outstanding")
    opportunities.AcceptOffer(pb.AcceptOfferRequest(offer_id=offer.id, applicant_id="participant"))
    not_poster = _refusal(
        opportunities.CompleteOpportunity, pb.ChangeStateRequest(opportunity_id=opportunity.id, poster_id="participant")
    )
    assert _reason(not_poster) == (grpc.StatusCode.PERMISSION_DENIED, "opportunity.not_poster")

    done = opportunities.CompleteOpportunity(change)

    assert (done.state, done.accepted_count, done.HasField("filled_at"), done.HasField("completed_at")) == (
        "completed",
        1,
        True,
        True,
    )
    event = completed_events.wait_for(1)[0]["payload"]
    assert event["participant_ids"] == ["participant"] and event["poster_id"] == POSTER
    assert stack.database("opportunities").engagements.find_one({"opportunity_id": opportunity.id})["state"] == (
        "completed"
    )
    report = opportunities.GetAnalytics(pb.GetAnalyticsRequest(group_by="type"))
    assert [(r.key, r.posted, r.filled, r.completed) for r in report.rows] == [("micro_mission", 1, 1, 1)]
    assert [(c.key, c.count) for c in report.top_skills] == [("data-analysis", 1), ("statistics", 1)]


def test_browse_filters_sorts_and_pages(opportunities: pb_grpc.OpportunitiesServiceStub) -> None:
    for n in range(3):
        opportunities.PostOpportunity(
            pb.PostOpportunityRequest(
                poster_id=POSTER,
                poster=poster_step(),
                details=details_step(title_en=f"Survey analysis {n}", application_deadline=_days(10 - n)),
                requirements=requirements_step(),
            )
        )
    opportunities.PostOpportunity(
        pb.PostOpportunityRequest(
            poster_id=POSTER,
            poster=poster_step(),
            details=details_step(title_en="Peer coaching circle", type="peer_coaching"),
            requirements=requirements_step(skill_ids=["coaching"], virtual=False, province="QC", city="Gatineau"),
        )
    )

    def titles(**query: Any) -> list[str]:
        resp = opportunities.ListOpportunities(pb.ListOpportunitiesRequest(**query))
        return [o.title_en for o in resp.opportunities]

    def best_fit_pages(ranking: list[str], **query: Any) -> tuple[list[list[str]], int]:
        """Every page of a best-fit list, two at a time, and the total."""
        pages, token = [], ""
        while True:
            resp = opportunities.ListOpportunities(
                pb.ListOpportunitiesRequest(
                    sort="best_fit", best_fit_ids=ranking, page_size=2, page_token=token, **query
                )
            )
            pages.append([o.title_en for o in resp.opportunities])
            token = resp.next_page_token
            if not token:
                return pages, resp.total

    assert titles(types=["peer_coaching"]) == ["Peer coaching circle"]
    assert titles(province="QC") == ["Peer coaching circle"]
    assert titles(query="ANALYSIS 1") == ["Survey analysis 1"]
    assert titles(sort="deadline", types=["micro_mission"]) == [f"Survey analysis {n}" for n in (2, 1, 0)]
    # Best fit: matching's ranking (the oldest first here) within the filters, then newest first.
    ids = {o.title_en: o.id for o in opportunities.ListOpportunities(pb.ListOpportunitiesRequest()).opportunities}
    ranking = [ids["Survey analysis 0"], "closed-or-unknown", ids["Peer coaching circle"]]
    oldest_first = [["Survey analysis 0", "Peer coaching circle"], ["Survey analysis 2", "Survey analysis 1"]]
    assert best_fit_pages(ranking) == (oldest_first, 4)
    assert best_fit_pages(ranking, types=["micro_mission"]) == (
        [["Survey analysis 0", "Survey analysis 2"], ["Survey analysis 1"]],
        3,
    )
    assert titles(sort="best_fit") == titles() == ["Peer coaching circle", *(f"Survey analysis {n}" for n in (2, 1, 0))]
    first = opportunities.ListOpportunities(pb.ListOpportunitiesRequest(page_size=3))
    second = opportunities.ListOpportunities(pb.ListOpportunitiesRequest(page_size=3, page_token=first.next_page_token))
    assert (first.total, len(first.opportunities), len(second.opportunities), second.next_page_token) == (4, 3, 1, "")
    bad = _refusal(
        opportunities.ListOpportunities,
        pb.ListOpportunitiesRequest(types=["lunch"], page_size=500, best_fit_ids=["ok", "not an id"]),
    )
    assert sorted(v.field for v in status_detail(bad, error_details_pb2.BadRequest).field_violations) == [
        "best_fit_ids[1]",
        "page_size",
        "types",
    ]


def test_a_request_acts_only_for_the_holder_of_its_token(
    stack: TestStack, opportunities: pb_grpc.OpportunitiesServiceStub
) -> None:
    """The service checks for itself who a request acts for: reaching its port is not enough."""
    opportunity = _post(opportunities)
    bare = pb_grpc.OpportunitiesServiceStub(stack.grpc_channel("opportunities", as_actor=False))
    request = pb.ApplyRequest(
        opportunity_id=opportunity.id, applicant_id="ana", message="Let me in.", applicant_department="statcan"
    )

    def refused(metadata: tuple[tuple[str, str], ...]) -> tuple[grpc.StatusCode, str]:
        with pytest.raises(grpc.RpcError) as raised:
            bare.Apply(request, metadata=metadata)
        return _reason(raised.value)

    assert refused(()) == (grpc.StatusCode.UNAUTHENTICATED, "auth.token_required")
    someone_else = stack.access_token("mallory")
    assert refused((("authorization", f"Bearer {someone_else}"),)) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "auth.actor_mismatch",
    )
    header, _payload, signature = stack.access_token("mallory").split(".")
    forged_payload = stack.access_token("ana").split(".")[1]
    assert refused((("authorization", f"Bearer {header}.{forged_payload}.{signature}"),)) == (
        grpc.StatusCode.UNAUTHENTICATED,
        "auth.token_invalid",
    )
    expired = stack.access_token("ana", lifetime=-60)
    assert refused((("authorization", f"Bearer {expired}"),)) == (
        grpc.StatusCode.UNAUTHENTICATED,
        "auth.token_invalid",
    )
    assert stack.database("opportunities").applications.count_documents({"opportunity_id": opportunity.id}) == 0

    # The holder of ana's token may act for ana.
    applied = bare.Apply(request, metadata=(("authorization", f"Bearer {stack.access_token('ana')}"),))
    assert applied.applicant_id == "ana"
