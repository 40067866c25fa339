"""Ranking and recommendations from the api's in-memory index, kept fresh from the store the
worker fills: real RabbitMQ, SecantusDB, matching's api and worker, and profiles' api for the
skills taxonomy."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator

import grpc
import httpx
import pytest
from google.rpc import error_details_pb2
from gridfs import GridFSBucket

from tandem.common.v1 import common_pb2
from tandem.matching.v1 import matching_pb2 as pb
from tandem.matching.v1 import matching_pb2_grpc as pb_grpc
from tandem.opportunities.v1 import events_pb2 as opportunity_events
from tandem.opportunities.v1 import opportunities_pb2
from tandem.profiles.v1 import events_pb2 as profile_events
from tandem.profiles.v1 import profiles_pb2
from tandem_dev.testing import StackFactory, TestStack, eventually, status_detail

pytestmark = pytest.mark.interface

LABELS = {
    "data-analysis": ("Data Analysis", "Analyse de données"),
    "statistics": ("Statistics", "Statistique"),
    "python": ("Python", "Python"),
    "java": ("Java", "Java"),
}


@pytest.fixture(scope="module")
def stack(module_stack_factory: StackFactory) -> TestStack:
    # profiles' api serves the skills taxonomy (related skills) that matching loads.
    return module_stack_factory(("profiles", "matching"))


@pytest.fixture
def matching(stack: TestStack) -> Iterator[pb_grpc.MatchingServiceStub]:
    with stack.grpc_channel("matching") as channel:
        yield pb_grpc.MatchingServiceStub(channel)


def _id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _profile(
    stack: TestStack,
    user_id: str,
    skills: list[str],
    *,
    version: int = 1,
    department_code: str = "",
    security_clearance: str = "",
    max_engagements: int = 0,
    opt_ins: dict[str, list[str]] | None = None,
    french: str = "",
    noc: str = "",
) -> str:
    details = profiles_pb2.ProfileDetails()
    if french:
        details.official_languages.french.oral_proficiency = french
    if noc:
        details.occupation.code = noc
    return stack.publish(
        "profiles",
        "profile.updated",
        profile_events.ProfileUpdated(
            user_id=user_id,
            display_name=f"Person {user_id}",
            skills=[
                profiles_pb2.Skill(id=s, label=common_pb2.LocalizedText(en=LABELS[s][0], fr=LABELS[s][1]))
                for s in skills
            ],
            version=version,
            details=details,
            private=profiles_pb2.PrivateProfile(
                opt_ins=[profiles_pb2.OptIn(opportunity_type=k, roles=v) for k, v in (opt_ins or {}).items()],
                security_clearance=security_clearance,
                availability=profiles_pb2.Availability(max_engagements=max_engagements),
            ),
            department_code=department_code,
        ),
    )


def _posted(
    stack: TestStack, opportunity_id: str, skill_ids: list[str], *, poster_id: str = "poster", **kw: object
) -> str:
    requirements = opportunities_pb2.Requirements(virtual=True)
    if "security_level" in kw:
        requirements.security_level = str(kw.pop("security_level"))
    if "french" in kw:
        requirements.french.oral_proficiency = str(kw.pop("french"))
    return stack.publish(
        "opportunities",
        "opportunity.posted",
        opportunity_events.OpportunityPosted(
            opportunity_id=opportunity_id,
            poster_id=poster_id,
            title_en=f"Work {opportunity_id}",
            title_fr=f"Travail {opportunity_id}",
            skill_ids=skill_ids,
            openings=1,
            requirements=requirements,
            **kw,  # type: ignore[arg-type]
        ),
    )


def _ranking(matching: pb_grpc.MatchingServiceStub, opportunity_id: str) -> pb.RankCandidatesResponse | None:
    try:
        return matching.RankCandidates(pb.RankCandidatesRequest(opportunity_id=opportunity_id))
    except grpc.RpcError as error:
        if error.code() == grpc.StatusCode.NOT_FOUND:
            return None
        raise


def _ids(response: pb.RankCandidatesResponse | None) -> list[str]:
    return [c.user_id for c in response.candidates] if response else []


def _recommended(matching: pb_grpc.MatchingServiceStub, user_id: str) -> list[str]:
    try:
        resp = matching.RecommendOpportunities(pb.RecommendOpportunitiesRequest(user_id=user_id))
    except grpc.RpcError as error:
        if error.code() == grpc.StatusCode.NOT_FOUND:
            return []
        raise
    return [o.opportunity_id for o in resp.opportunities]


def test_an_updated_profile_shows_in_the_ranking(stack: TestStack, matching: pb_grpc.MatchingServiceStub) -> None:
    person, opportunity = _id("amira"), _id("wants-python")
    _posted(stack, opportunity, ["python"])
    _profile(stack, person, ["java"], version=1)
    eventually(lambda: _ranking(matching, opportunity), what="the opportunity in the index")
    assert person not in _ids(_ranking(matching, opportunity))

    _profile(stack, person, ["java", "python"], version=2)

    eventually(lambda: person in _ids(_ranking(matching, opportunity)), what="the new skill ranked")
    _profile(stack, person, ["java"], version=3)
    eventually(lambda: person not in _ids(_ranking(matching, opportunity)), what="the skill removed")


def test_related_skills_come_from_the_profiles_taxonomy(
    stack: TestStack, matching: pb_grpc.MatchingServiceStub
) -> None:
    person, opportunity = _id("stat"), _id("wants-analysis")
    _profile(stack, person, ["statistics"])
    _posted(stack, opportunity, ["data-analysis"])

    ranking = eventually(lambda: _ranking(matching, opportunity), what="the opportunity")
    ranking = eventually(lambda: (r := _ranking(matching, opportunity)) and r.candidates and r, what="a related match")

    [candidate] = ranking.candidates
    assert candidate.user_id == person
    [reason] = candidate.reasons
    assert (reason.code, reason.text.en) == (
        "found_by_related_skill",
        "found by related skill: Statistics, close to Data Analysis",
    )


def test_department_security_and_capacity_rule_people_out_and_say_which_ruled_out_most(
    stack: TestStack, matching: pb_grpc.MatchingServiceStub
) -> None:
    opportunity, other = _id("dept-only"), _id("elsewhere")
    ours, theirs, uncleared, busy = (_id(p) for p in ("ours", "theirs", "uncleared", "busy"))
    _profile(stack, ours, ["python"], department_code="statcan", security_clearance="secret")
    _profile(stack, theirs, ["python"], department_code="tbs-sct", security_clearance="secret")
    _profile(stack, uncleared, ["python"], department_code="statcan")
    _profile(stack, busy, ["python"], department_code="statcan", security_clearance="secret", max_engagements=1)
    stack.publish(
        "opportunities",
        "engagement.started",
        opportunity_events.EngagementStarted(
            engagement_id=_id("e"), opportunity_id=other, poster_id=_id("host"), participant_id=busy, type="assignment"
        ),
    )
    _posted(
        stack, opportunity, ["python"], department="statcan", limited_to_department=True, security_level="reliability"
    )

    def settled() -> pb.RankCandidatesResponse | None:
        r = _ranking(matching, opportunity)
        counts = {e.code: e.count for e in r.exclusions} if r else {}
        return r if counts.get("capacity") == 1 and counts.get("security") == 1 else None

    ranking = eventually(settled, what="every person weighed")

    assert _ids(ranking) == [ours]
    counts = {e.code: e.count for e in ranking.exclusions}
    assert counts["capacity"] == 1 and counts["security"] == 1
    assert counts["department"] >= 1  # every other test's people too: they have no department code
    assert ranking.ruled_out_most.code == max(counts, key=lambda c: counts[c])
    security = next(e for e in ranking.exclusions if e.code == "security")
    assert security.text.fr == "1 personnes n’ont pas la cote de sécurité exigée."


def test_a_member_is_recommended_open_opportunities_with_the_same_reasons(
    stack: TestStack, matching: pb_grpc.MatchingServiceStub
) -> None:
    member = _id("member")
    fits, also, french_only, cancelled = (_id(o) for o in ("fits", "also", "french", "cancelled"))
    _profile(stack, member, ["python", "data-analysis"], opt_ins={"micro_mission": ["participant"]}, french="A")
    for o, skills in ((fits, ["python", "data-analysis"]), (also, ["python", "java"]), (cancelled, ["python"])):
        _posted(stack, o, skills, type="micro_mission", host_role="offering")
    _posted(stack, french_only, ["python"], type="micro_mission", host_role="offering", french="C")
    mentoring, own = _id("mentoring"), _id("own")
    _posted(stack, mentoring, ["python"], type="mentoring", host_role="offering")  # not opted in as a mentee
    _posted(stack, own, ["python"], poster_id=member)
    # The module's other tests post opportunities too: these are the ones this test is about.
    mine = {fits, also, cancelled, french_only, mentoring, own}

    def recommended() -> set[str]:
        return set(_recommended(matching, member)) & mine

    eventually(lambda: recommended() == {fits, also, cancelled}, what="the recommendations")
    resp = matching.RecommendOpportunities(pb.RecommendOpportunitiesRequest(user_id=member, limit=100))
    scores = {o.opportunity_id: o.score for o in resp.opportunities}
    assert (scores[fits], scores[also]) == (1.0, 0.5)
    [best] = [o for o in resp.opportunities if o.opportunity_id == fits]
    assert best.title.fr == f"Travail {fits}"
    assert [r.text.en for r in best.reasons] == ["found by skill: Python", "found by skill: Data Analysis"]

    stack.publish(
        "opportunities",
        "opportunity.cancelled",
        opportunity_events.OpportunityStateChanged(opportunity_id=cancelled, poster_id="poster", state="cancelled"),
    )
    eventually(lambda: recommended() == {fits, also}, what="the cancelled one gone")


def test_recommendations_for_someone_matching_has_not_heard_of_are_not_found(
    matching: pb_grpc.MatchingServiceStub,
) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        matching.RecommendOpportunities(
            pb.RecommendOpportunitiesRequest(user_id="nobody-yet"), metadata=(("accept-language", "fr"),)
        )

    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    assert status_detail(raised.value, error_details_pb2.ErrorInfo).reason == "member.not_known_yet"


# --- starting from a snapshot ---------------------------------------------------------------------


def _loaded_from(stack: TestStack) -> str:
    """Where the running matching-api loaded its index from, as its metrics say."""
    text = httpx.get(f"http://127.0.0.1:{stack.stack.ports.api_metrics['matching']}/metrics", timeout=5).text
    [source] = re.findall(r'^tandem_matching_index_load_seconds\{source="(\w+)"\}', text, re.MULTILINE)
    return source


def test_a_restarted_api_starts_from_the_snapshot_and_catches_up_with_what_changed_since(
    stack_factory: StackFactory,
) -> None:
    stack = stack_factory(("profiles", "matching"), env={"MATCHING_INDEX_SNAPSHOT_SECONDS": "1"})
    db = stack.database("matching")
    opportunity, kept, dropped, late = "wants-java", "kept", "dropped", "late"
    _posted(stack, opportunity, ["java"])
    _profile(stack, kept, ["java"])
    _profile(stack, dropped, ["java"])
    with stack.grpc_channel("matching") as channel:
        matching = pb_grpc.MatchingServiceStub(channel)
        eventually(lambda: _ids(_ranking(matching, opportunity)) == [dropped, kept], what="both ranked")
        counter = db.sequences.find_one({"_id": "changes"})["value"]
        eventually(
            lambda: db.index_snapshots.files.find_one({"metadata.seq": {"$gte": counter}}), what="a snapshot of both"
        )
    assert _loaded_from(stack) == "store"

    stack.stack.stop_proc("matching-api")
    _profile(stack, dropped, ["python"], version=2)  # while no api runs: the worker still records both
    _profile(stack, late, ["java"])
    eventually(lambda: db.sequences.find_one({"_id": "changes"})["value"] >= counter + 2, what="the worker's writes")
    stack.stack.restart("matching-api")

    assert _loaded_from(stack) == "snapshot"
    with stack.grpc_channel("matching") as channel:
        assert _ids(_ranking(pb_grpc.MatchingServiceStub(channel), opportunity)) == [kept, late]


def test_an_unreadable_snapshot_is_passed_over_for_the_store(stack_factory: StackFactory) -> None:
    stack = stack_factory(("profiles", "matching"), env={"MATCHING_INDEX_SNAPSHOT_SECONDS": "0"})
    db = stack.database("matching")
    _posted(stack, "wants-java", ["java"])
    _profile(stack, "ada", ["java"])
    eventually(lambda: db.candidates.find_one({"_id": "ada"}), what="the worker's write")
    GridFSBucket(db, "index_snapshots").upload_from_stream(
        "candidates-1", io.BytesIO(b"not a snapshot"), metadata={"format": 1, "seq": 1, "people": 1}
    )

    stack.stack.restart("matching-api")

    assert _loaded_from(stack) == "store"
    with stack.grpc_channel("matching") as channel:
        assert _ids(_ranking(pb_grpc.MatchingServiceStub(channel), "wants-java")) == ["ada"]
