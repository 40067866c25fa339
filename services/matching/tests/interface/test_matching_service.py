"""Matching's api and worker against real RabbitMQ and SecantusDB: the read model built from
profile and opportunity events, and the ranking read from it."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import httpx
import pytest
from google.rpc import error_details_pb2
from prometheus_client.parser import text_string_to_metric_families

from tandem.common.v1 import common_pb2
from tandem.matching.v1 import matching_pb2 as pb
from tandem.matching.v1 import matching_pb2_grpc as pb_grpc
from tandem.opportunities.v1 import events_pb2 as opportunity_events
from tandem.profiles.v1 import events_pb2 as profile_events
from tandem.profiles.v1 import profiles_pb2
from tandem_dev.testing import StackFactory, TestStack, eventually, status_detail

pytestmark = pytest.mark.interface


LABELS = {
    "data-analysis": ("Data Analysis", "Analyse de données"),
    "statistics": ("Statistics", "Statistique"),
    "java": ("Java", "Java"),
    "javascript": ("JavaScript", "JavaScript"),
}


@pytest.fixture
def stack(stack_factory: StackFactory) -> TestStack:
    return stack_factory(("matching",))


@pytest.fixture
def matching(stack: TestStack) -> Iterator[pb_grpc.MatchingServiceStub]:
    with stack.grpc_channel("matching") as channel:
        yield pb_grpc.MatchingServiceStub(channel)


def _profile_updated(
    stack: TestStack,
    user_id: str,
    skills: list[str],
    *,
    version: int = 1,
    display_name: str = "",
    event_id: str | None = None,
) -> str:
    return stack.publish(
        "profiles",
        "profile.updated",
        profile_events.ProfileUpdated(
            user_id=user_id,
            display_name=display_name or f"Person {user_id}",
            skills=[
                profiles_pb2.Skill(id=s, label=common_pb2.LocalizedText(en=LABELS[s][0], fr=LABELS[s][1]))
                for s in skills
            ],
            version=version,
        ),
        event_id=event_id,
    )


def _opportunity_posted(
    stack: TestStack,
    opportunity_id: str,
    skill_ids: list[str],
    *,
    poster_id: str = "poster",
    event_id: str | None = None,
) -> str:
    return stack.publish(
        "opportunities",
        "opportunity.posted",
        opportunity_events.OpportunityPosted(
            opportunity_id=opportunity_id,
            poster_id=poster_id,
            title_en="Survey analysis",
            title_fr="Analyse d’enquête",
            skill_ids=skill_ids,
            openings=1,
        ),
        event_id=event_id,
    )


def _ranking(matching: pb_grpc.MatchingServiceStub, opportunity_id: str) -> pb.RankCandidatesResponse | None:
    """The ranking for an opportunity; None while the api's index has not heard of it (it follows
    the store a poll behind)."""
    try:
        return matching.RankCandidates(pb.RankCandidatesRequest(opportunity_id=opportunity_id))
    except grpc.RpcError as error:
        if error.code() == grpc.StatusCode.NOT_FOUND:
            return None
        raise


def _indexed(matching: pb_grpc.MatchingServiceStub, opportunity_id: str) -> bool:
    return _ranking(matching, opportunity_id) is not None


def _ranked(matching: pb_grpc.MatchingServiceStub, opportunity_id: str) -> list[pb.Candidate]:
    """The candidates for an opportunity; none while matching has not heard of it yet."""
    response = _ranking(matching, opportunity_id)
    return list(response.candidates) if response else []


def _ids(candidates: list[pb.Candidate]) -> list[str]:
    return [c.user_id for c in candidates]


def _applied(stack: TestStack, handler: str, event_id: str) -> bool:
    """The worker has committed `handler`'s work for this event (its inbox record)."""
    return stack.database("matching").inbox.find_one({"_id": f"matching.{handler}:{event_id}"}) is not None


def _events_consumed(stack: TestStack, handler: str, outcome: str) -> float:
    text = httpx.get(f"http://127.0.0.1:{stack.stack.ports.worker_metrics['matching']}/metrics", timeout=5).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "tandem_events_consumed_total"
        and sample.labels.get("handler") == f"matching.{handler}"
        and sample.labels.get("outcome") == outcome
    )


def _refusal(matching: pb_grpc.MatchingServiceStub, request: pb.RankCandidatesRequest) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        matching.RankCandidates(request, metadata=(("accept-language", "fr"),))
    return raised.value


def test_a_candidate_is_found_by_skill_with_the_reason_in_both_languages(
    stack: TestStack, matching: pb_grpc.MatchingServiceStub
) -> None:
    _profile_updated(stack, "amira", ["data-analysis", "java"], display_name="Amira Haddad")
    _opportunity_posted(stack, "o1", ["data-analysis", "statistics"])

    [candidate] = eventually(lambda: _ranked(matching, "o1"), what="the candidate ranked")

    assert (candidate.user_id, candidate.display_name, candidate.score) == ("amira", "Amira Haddad", 0.5)
    [reason] = candidate.reasons
    assert (reason.code, dict(reason.params)) == ("found_by_skill", {"skill_id": "data-analysis"})
    assert (reason.text.en, reason.text.fr) == (
        "found by skill: Data Analysis",
        "trouvé par compétence : Analyse de données",
    )


def test_skills_match_by_identifier_never_by_substring(stack: TestStack, matching: pb_grpc.MatchingServiceStub) -> None:
    _profile_updated(stack, "scripter", ["javascript"])
    _profile_updated(stack, "javanese", ["java"])
    _opportunity_posted(stack, "wants-java", ["java"])
    _opportunity_posted(stack, "wants-javascript", ["javascript"])

    # Both profiles are in the read model once each is found for its own skill.
    eventually(lambda: _ids(_ranked(matching, "wants-javascript")) == ["scripter"], what="the javascript profile")
    eventually(lambda: _ids(_ranked(matching, "wants-java")), what="the java profile")

    assert _ids(_ranked(matching, "wants-java")) == ["javanese"]


def test_the_poster_is_never_their_own_candidate(stack: TestStack, matching: pb_grpc.MatchingServiceStub) -> None:
    _profile_updated(stack, "poster", ["data-analysis"])
    _profile_updated(stack, "colleague", ["data-analysis"])
    _opportunity_posted(stack, "by-poster", ["data-analysis"], poster_id="poster")
    _opportunity_posted(stack, "by-someone-else", ["data-analysis"], poster_id="someone-else")

    eventually(
        lambda: sorted(_ids(_ranked(matching, "by-someone-else"))) == ["colleague", "poster"], what="both profiles"
    )
    eventually(lambda: _ranked(matching, "by-poster"), what="the poster's opportunity")

    assert _ids(_ranked(matching, "by-poster")) == ["colleague"]


def test_an_older_profile_arriving_late_does_not_overwrite_a_newer_one(
    stack: TestStack, matching: pb_grpc.MatchingServiceStub
) -> None:
    _opportunity_posted(stack, "wants-analysis", ["data-analysis"])
    wants_statistics = _opportunity_posted(stack, "wants-statistics", ["statistics"])
    _profile_updated(stack, "amira", ["data-analysis"], version=3, display_name="Amira Haddad")
    eventually(lambda: _ranked(matching, "wants-analysis"), what="version 3")
    eventually(lambda: _applied(stack, "on_opportunity_posted", wants_statistics), what="the second opportunity")
    eventually(lambda: _indexed(matching, "wants-statistics"), what="the second opportunity in the api's index")

    late = _profile_updated(stack, "amira", ["statistics"], version=2, display_name="Amira Old-Name")
    eventually(lambda: _applied(stack, "on_profile_updated", late), what="version 2 handled")

    assert [(c.user_id, c.display_name) for c in _ranked(matching, "wants-analysis")] == [("amira", "Amira Haddad")]
    assert not matching.RankCandidates(pb.RankCandidatesRequest(opportunity_id="wants-statistics")).candidates
    assert stack.database("matching").candidates.find_one({"_id": "amira"})["version"] == 3


def test_a_burst_of_profile_versions_in_any_order_leaves_the_newest(
    stack: TestStack, matching: pb_grpc.MatchingServiceStub
) -> None:
    _opportunity_posted(stack, "wants-analysis", ["data-analysis"])
    # Newest first, then the rest shuffled: the worker handles several at once.
    versions = [12, 3, 9, 1, 7, 11, 2, 10, 5, 8, 4, 6]
    events = [
        _profile_updated(stack, "amira", ["data-analysis"], version=v, display_name=f"Amira v{v}") for v in versions
    ]

    eventually(
        lambda: all(_applied(stack, "on_profile_updated", e) for e in events), timeout=30, what="every version handled"
    )

    assert [c.display_name for c in eventually(lambda: _ranked(matching, "wants-analysis"))] == ["Amira v12"]
    assert stack.database("matching").candidates.find_one({"_id": "amira"})["version"] == 12


def test_a_redelivered_event_is_applied_once(stack: TestStack, matching: pb_grpc.MatchingServiceStub) -> None:
    first = _opportunity_posted(stack, "o1", ["data-analysis"], event_id="posted-once")
    _profile_updated(stack, "analyst", ["data-analysis"])
    _profile_updated(stack, "statistician", ["statistics"])
    eventually(lambda: _ids(_ranked(matching, "o1")) == ["analyst"], what="the first event applied")
    # A later event about the same opportunity, standing in for any change made after it...
    later = _opportunity_posted(stack, "o1", ["statistics"])
    eventually(lambda: _ids(_ranked(matching, "o1")) == ["statistician"], what="the later event applied")

    # ...then the first one again, as an at-least-once broker may deliver it.
    _opportunity_posted(stack, "o1", ["data-analysis"], event_id=first)

    eventually(lambda: _events_consumed(stack, "on_opportunity_posted", "duplicate") == 1, what="the duplicate")
    assert _ids(_ranked(matching, "o1")) == ["statistician"]
    inbox = stack.database("matching").inbox
    assert inbox.count_documents({"handler": "matching.on_opportunity_posted"}) == 2
    assert {d["event_id"] for d in inbox.find({"handler": "matching.on_opportunity_posted"})} == {first, later}


def test_ranking_an_opportunity_matching_has_not_heard_of_is_not_found(matching: pb_grpc.MatchingServiceStub) -> None:
    error = _refusal(matching, pb.RankCandidatesRequest(opportunity_id="unheard-of"))

    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert status_detail(error, error_details_pb2.ErrorInfo).reason == "opportunity.not_known_yet"
    assert status_detail(error, error_details_pb2.LocalizedMessage).message == (
        "Cette possibilité n’est pas encore prête pour le jumelage. Réessayez dans un instant."
    )


def test_a_limit_out_of_range_is_refused(stack: TestStack, matching: pb_grpc.MatchingServiceStub) -> None:
    _opportunity_posted(stack, "o1", ["data-analysis"])
    _profile_updated(stack, "analyst", ["data-analysis"])
    eventually(lambda: _ranked(matching, "o1"), what="a rankable opportunity")

    for limit in (-1, 101):
        error = _refusal(matching, pb.RankCandidatesRequest(opportunity_id="o1", limit=limit))

        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, limit
        violations = status_detail(error, error_details_pb2.BadRequest).field_violations
        assert [(v.field, v.reason, v.localized_message.message) for v in violations] == [
            ("limit", "limit.range", "Demandez de 1 à 100 candidats.")
        ]
    assert _ids(_ranked(matching, "o1")) == ["analyst"]  # 0 means the default, not an error
