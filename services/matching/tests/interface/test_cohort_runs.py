"""Mentor matching for programs, against real RabbitMQ and SecantusDB: the mentoring read model
built from profile.updated, cohort runs taken from their work queue by a cohort worker process
(`matching-jobs`), the result published, each party's answer, and a re-run filling a declined
slot. A cohort worker killed with SIGKILL in the middle of a run leaves it to be taken again,
and the run completes once."""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import httpx
import numpy as np
import pytest
from google.rpc import error_details_pb2
from prometheus_client.parser import text_string_to_metric_families

from tandem.common.v1 import common_pb2
from tandem.matching.v1 import cohorts_pb2 as pb
from tandem.matching.v1 import cohorts_pb2_grpc as pb_grpc
from tandem.profiles.v1 import events_pb2 as profile_events
from tandem.profiles.v1 import profiles_pb2
from tandem_dev.testing import StackFactory, TestStack, eventually, status_detail

pytestmark = pytest.mark.interface

ADMIN = pb.Actor(user_id="admin-1", roles=["admin"])


@pytest.fixture(scope="module")
def stack(module_stack_factory: StackFactory) -> TestStack:
    return module_stack_factory(("matching",))


@pytest.fixture(scope="module")
def cohorts(stack: TestStack) -> Iterator[pb_grpc.CohortServiceStub]:
    with stack.grpc_channel("matching") as channel:
        yield pb_grpc.CohortServiceStub(channel)


def _levels(level: str) -> profiles_pb2.LanguageLevels:
    return profiles_pb2.LanguageLevels(written_comprehension=level, written_expression=level, oral_proficiency=level)


def person(
    stack: TestStack,
    user_id: str,
    *,
    role: str,
    english: str = "C",
    french: str = "",
    noc: str = "21231",
    level: int = 3,
    interests: tuple[str, ...] = ("leadership",),
    max_mentees: int = 0,
    paused: bool = False,
    connector_meetings: int = 0,
) -> str:
    """A person's profile.updated, as profiles publishes it; returns the user id."""
    stack.publish(
        "profiles",
        "profile.updated",
        profile_events.ProfileUpdated(
            user_id=user_id,
            display_name=f"Person {user_id}",
            department="tbs-sct",
            version=1,
            details=profiles_pb2.ProfileDetails(
                classification=profiles_pb2.Classification(code=f"EC-0{level}", group="EC", level=level),
                location=profiles_pb2.Location(city="Ottawa", province="ON"),
                official_languages=profiles_pb2.OfficialLanguages(english=_levels(english), french=_levels(french)),
                occupation=profiles_pb2.ClassifiedCode(system="noc2021", code=noc),
                interests=list(interests),
            ),
            private=profiles_pb2.PrivateProfile(
                opt_ins=[profiles_pb2.OptIn(opportunity_type="mentoring", roles=[role])],
                mentoring=profiles_pb2.MentoringPreferences(
                    max_mentees=max_mentees, paused=paused, connector_meetings_per_year=connector_meetings
                ),
            ),
        ),
    )
    return user_id


def known(stack: TestStack, *user_ids: str) -> None:
    profiles = stack.database("matching")["mentoring_profiles"]
    eventually(lambda: profiles.count_documents({"_id": {"$in": list(user_ids)}}) == len(user_ids), what="profiles")


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def program(
    cohorts: pb_grpc.CohortServiceStub, rules: pb.ProgramRules | None = None, *, actor: pb.Actor = ADMIN
) -> str:
    program_id = uid("prog")
    cohorts.DefineProgram(
        pb.DefineProgramRequest(
            actor=actor,
            program_id=program_id,
            name=common_pb2.LocalizedText(en="Mentoring 2026", fr="Mentorat 2026"),
            rules=rules or pb.ProgramRules(),
        )
    )
    return program_id


def cohort(
    cohorts: pb_grpc.CohortServiceStub,
    program_id: str,
    mentees: list[str],
    mentors: list[tuple[str, int]],
    *,
    pins: tuple[tuple[str, str], ...] = (),
    bans: tuple[tuple[str, str], ...] = (),
) -> pb.Cohort:
    return cohorts.DefineCohort(
        pb.DefineCohortRequest(
            actor=ADMIN,
            program_id=program_id,
            name=common_pb2.LocalizedText(en="Spring cohort", fr="Cohorte du printemps"),
            mentees=[pb.CohortMemberSpec(user_id=m) for m in mentees],
            mentors=[pb.CohortMemberSpec(user_id=m, capacity=c) for m, c in mentors],
            pins=[pb.Pair(mentee_id=a, mentor_id=b) for a, b in pins],
            bans=[pb.Pair(mentee_id=a, mentor_id=b) for a, b in bans],
        )
    )


def finished(cohorts: pb_grpc.CohortServiceStub, run_id: str, timeout: float = 60) -> pb.CohortRun:
    def done() -> pb.CohortRun | None:
        run = cohorts.GetRun(pb.GetRunRequest(actor=ADMIN, run_id=run_id))
        return run if run.state in ("done", "failed") else None

    result: pb.CohortRun = eventually(done, timeout=timeout, what=f"run {run_id} to finish")
    return result


def run(cohorts: pb_grpc.CohortServiceStub, cohort_id: str, method: str = "") -> pb.CohortRun:
    started = cohorts.StartRun(pb.StartRunRequest(actor=ADMIN, cohort_id=cohort_id, method=method))
    assert started.state == "queued"
    return finished(cohorts, started.id)


def pairs(run: pb.CohortRun) -> set[tuple[str, str]]:
    return {(p.mentee_id, p.mentor_id) for p in run.pairs}


def as_party(user_id: str) -> pb.Actor:
    return pb.Actor(user_id=user_id, roles=["member"])


def review(cohorts: pb_grpc.CohortServiceStub, user_id: str, match_id: str, answer: str) -> pb.Match:
    return cohorts.ReviewMatch(pb.ReviewMatchRequest(actor=as_party(user_id), match_id=match_id, answer=answer))


def metric(stack: TestStack, process: str, name: str) -> float:
    port = (
        stack.stack.ports.jobs_metrics["matching"] if process == "jobs" else stack.stack.ports.api_metrics["matching"]
    )
    text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    return sum(s.value for f in text_string_to_metric_families(text) for s in f.samples if s.name == name)


# --- a run through the queue ------------------------------------------------------------------


def test_a_cohort_run_is_taken_from_the_queue_by_a_cohort_worker_and_explained_in_both_languages(
    stack: TestStack, cohorts: pb_grpc.CohortServiceStub
) -> None:
    mentees = [person(stack, uid("mentee"), role="mentee", level=2) for _ in range(3)]
    mentors = [person(stack, uid("mentor"), role="mentor", level=5, max_mentees=2) for _ in range(2)]
    known(stack, *mentees, *mentors)
    program_id = program(cohorts)
    defined = cohort(cohorts, program_id, mentees, [(mentors[0], 0), (mentors[1], 1)])
    # A mentor's capacity is their own preference unless the coordinator sets it.
    assert [m.capacity for m in defined.mentors] == [2, 1]
    runs_before = metric(stack, "jobs", "tandem_cohort_runs_total")

    result = run(cohorts, defined.id)

    assert result.state == "done", result.errors
    assert result.attempts == 1
    assert result.started_at.ToDatetime() >= result.queued_at.ToDatetime()
    assert result.finished_at.ToDatetime() >= result.started_at.ToDatetime()
    assert len(result.pairs) == 3 and not result.unmatched
    assert sum(p.mentor_id == mentors[0] for p in result.pairs) == 2
    reasons = {r.code: r for r in result.pairs[0].reasons}
    assert reasons["fit.noc_unit_group"].text.en == "same occupation (NOC 21231)"
    assert reasons["fit.noc_unit_group"].text.fr == "même profession (CNP 21231)"
    assert reasons["fit.shared_goal"].text.fr == "objectif commun : leadership"
    assert result.total_fit == pytest.approx(sum(p.fit for p in result.pairs))
    assert metric(stack, "jobs", "tandem_cohort_runs_total") == runs_before + 1


def test_a_french_only_mentee_is_never_paired_with_a_mentor_without_french_when_the_program_requires_it(
    stack: TestStack, cohorts: pb_grpc.CohortServiceStub
) -> None:
    francophone = person(stack, uid("fr-mentee"), role="mentee", english="", french="E", level=2)
    anglophone = person(stack, uid("en-mentor"), role="mentor", english="E", french="", level=4)
    bilingual = person(stack, uid("bi-mentor"), role="mentor", english="C", french="C", level=6, noc="41401")
    known(stack, francophone, anglophone, bilingual)
    program_id = program(cohorts, pb.ProgramRules(language_rule="preferred"))

    with_choice = run(cohorts, cohort(cohorts, program_id, [francophone], [(anglophone, 1), (bilingual, 1)]).id)
    # The anglophone fits better on every other criterion (same occupation, ideal gap), and is
    # still never proposed.
    assert pairs(with_choice) == {(francophone, bilingual)}
    (pair,) = with_choice.pairs
    assert "mentorat en français" in [r.text.fr for r in pair.reasons]

    without = run(cohorts, cohort(cohorts, program_id, [francophone], [(anglophone, 1)]).id)
    assert not without.pairs
    (alone,) = without.unmatched
    assert alone.main_rule.code == "rule.lacks_preferred_language"
    assert alone.main_rule.text.en == "The mentor does not speak French, the mentee’s language."


def test_pins_and_bans_are_honoured(stack: TestStack, cohorts: pb_grpc.CohortServiceStub) -> None:
    mentees = [person(stack, uid("mentee"), role="mentee", level=2) for _ in range(3)]
    mentors = [person(stack, uid("mentor"), role="mentor", level=4) for _ in range(3)]
    known(stack, *mentees, *mentors)
    program_id = program(cohorts)
    pin = (mentees[0], mentors[2])
    bans = tuple((mentees[1], m) for m in mentors[:2])
    defined = cohort(cohorts, program_id, mentees, [(m, 1) for m in mentors], pins=(pin,), bans=bans)

    for method in ("optimal", "stable"):
        result = run(cohorts, defined.id, method)
        found = pairs(result)
        assert pin in found
        assert not found & set(bans)
        assert [p.pinned for p in result.pairs if (p.mentee_id, p.mentor_id) == pin] == [True]
        # mentees[1] could only have mentors[2], whose one seat is pinned to mentees[0]: left
        # unmatched, saying why.
        (alone,) = result.unmatched
        assert alone.mentee_id == mentees[1] and alone.cause.code == "cohort.unmatched_seats_taken"
        assert alone.cause.text.fr == "Tous les mentors qui conviennent à ce mentoré sont déjà complets."


def test_a_decline_reopens_the_slot_and_a_rerun_fills_it_keeping_the_accepted_pair(
    stack: TestStack, cohorts: pb_grpc.CohortServiceStub
) -> None:
    mentees = [person(stack, uid("mentee"), role="mentee", level=2) for _ in range(2)]
    mentors = [person(stack, uid("mentor"), role="mentor", level=4) for _ in range(3)]
    known(stack, *mentees, *mentors)
    defined = cohort(cohorts, program(cohorts), mentees, [(m, 1) for m in mentors])
    first = run(cohorts, defined.id)
    proposed = stack.capture("matching", "match.proposed")
    accepted = stack.capture("matching", "match.accepted")

    published = cohorts.PublishRun(pb.PublishRunRequest(actor=ADMIN, run_id=first.id))
    assert published.state == "published"
    assert len(proposed.wait_for(2)) == 2
    by_mentee = {
        m.mentee_id: m
        for m in cohorts.ListCohortMatches(pb.ListCohortMatchesRequest(actor=ADMIN, cohort_id=defined.id)).matches
    }
    keep, drop = by_mentee[mentees[0]], by_mentee[mentees[1]]
    before_decline = run(cohorts, defined.id)

    # Both accept the first: it is active; the second mentee declines.
    assert review(cohorts, keep.mentee_id, keep.id, "accept").state == "proposed"
    assert review(cohorts, keep.mentor_id, keep.id, "accept").state == "active"
    assert accepted.wait_for(1)[0]["payload"]["match_id"] == keep.id
    assert review(cohorts, drop.mentee_id, drop.id, "decline").state == "declined"
    with pytest.raises(grpc.RpcError) as late:
        review(cohorts, drop.mentor_id, drop.id, "accept")
    assert late.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    # A stranger neither sees nor answers it.
    with pytest.raises(grpc.RpcError) as stranger:
        review(cohorts, mentors[2], drop.id, "accept")
    assert stranger.value.code() == grpc.StatusCode.NOT_FOUND

    # A run computed before the decline is out of date; a new one keeps the active pair and fills
    # the open slot with someone other than the mentor who was declined.
    with pytest.raises(grpc.RpcError) as stale:
        cohorts.PublishRun(pb.PublishRunRequest(actor=ADMIN, run_id=before_decline.id))
    assert stale.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    second = run(cohorts, defined.id)
    found = pairs(second)
    assert (keep.mentee_id, keep.mentor_id) in found
    assert (drop.mentee_id, drop.mentor_id) not in found
    (refill,) = [p for p in second.pairs if p.mentee_id == drop.mentee_id]
    assert refill.mentor_id not in (keep.mentor_id, drop.mentor_id)

    cohorts.PublishRun(pb.PublishRunRequest(actor=ADMIN, run_id=second.id))
    events = proposed.wait_for(3)
    assert [e["payload"]["mentor_id"] for e in events[2:]] == [refill.mentor_id]
    mine = cohorts.ListMyMatches(pb.ListMyMatchesRequest(actor=as_party(drop.mentee_id))).matches
    assert [(m.state, m.mentor_id) for m in mine] == [("proposed", refill.mentor_id), ("declined", drop.mentor_id)]
    proposed.close()
    accepted.close()


# --- rankings by the members themselves ------------------------------------------------------------


def test_a_stable_run_follows_the_members_own_rankings_over_fit(
    stack: TestStack, cohorts: pb_grpc.CohortServiceStub
) -> None:
    # Fit pairs each mentee with the mentor of their own occupation; the rankings say otherwise.
    lea = person(stack, uid("mentee"), role="mentee", level=2, noc="21231")
    sam = person(stack, uid("mentee"), role="mentee", level=2, noc="41401")
    ann = person(stack, uid("mentor"), role="mentor", level=4, noc="21231")
    rene = person(stack, uid("mentor"), role="mentor", level=4, noc="41401")
    outsider = person(stack, uid("mentor"), role="mentor", level=4)
    known(stack, lea, sam, ann, rene, outsider)
    program_id = program(cohorts)

    # A coordinator enters a paper ranking with the cohort, checked like anyone's.
    with pytest.raises(grpc.RpcError) as refused:
        cohorts.DefineCohort(
            pb.DefineCohortRequest(
                actor=ADMIN,
                program_id=program_id,
                name=common_pb2.LocalizedText(en="C", fr="C"),
                mentees=[pb.CohortMemberSpec(user_id=lea), pb.CohortMemberSpec(user_id=sam)],
                mentors=[pb.CohortMemberSpec(user_id=ann, ranking=[rene, sam, sam])],
            )
        )
    violations = {
        (v.field, v.reason) for v in status_detail(refused.value, error_details_pb2.BadRequest).field_violations
    }
    assert violations == {
        ("mentors[0].ranking[0]", "cohort.unknown_person"),
        ("mentors[0].ranking[2]", "cohort.ranked_twice"),
    }
    defined = cohorts.DefineCohort(
        pb.DefineCohortRequest(
            actor=ADMIN,
            program_id=program_id,
            name=common_pb2.LocalizedText(en="Spring cohort", fr="Cohorte du printemps"),
            mentees=[pb.CohortMemberSpec(user_id=lea), pb.CohortMemberSpec(user_id=sam)],
            mentors=[
                pb.CohortMemberSpec(user_id=ann, capacity=1, ranking=[sam, lea]),
                pb.CohortMemberSpec(user_id=rene, capacity=1),
            ],
        )
    )
    assert [list(m.ranking) for m in defined.mentors] == [[sam, lea], []]

    # Léa sees the mentors and ranks them; a bad ranking is refused field by field, in French.
    mine = cohorts.GetMyRanking(pb.GetMyRankingRequest(actor=as_party(lea), cohort_id=defined.id))
    assert (mine.side, [p.user_id for p in mine.others], list(mine.ranked_user_ids)) == ("mentee", [ann, rene], [])
    with pytest.raises(grpc.RpcError) as refused:
        bad = [sam, outsider, ann, ann]
        cohorts.SetMyRanking(
            pb.SetMyRankingRequest(actor=as_party(lea), cohort_id=defined.id, ranked_user_ids=bad),
            metadata=(("accept-language", "fr"),),
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    violations_fr = {
        v.field: (v.reason, v.localized_message.message)
        for v in status_detail(refused.value, error_details_pb2.BadRequest).field_violations
    }
    assert violations_fr == {
        "ranked_user_ids[0]": (
            "cohort.ranking_mentors_only",
            f"Person {sam} fait partie des mentorés : un mentoré ne classe que des mentors.",
        ),
        "ranked_user_ids[1]": ("cohort.unknown_person", f"{outsider} ne fait pas partie de cette cohorte."),
        "ranked_user_ids[3]": ("cohort.ranked_twice", "Classez chaque personne une seule fois."),
    }
    mine = cohorts.SetMyRanking(
        pb.SetMyRankingRequest(actor=as_party(lea), cohort_id=defined.id, ranked_user_ids=[rene, ann])
    )
    assert (list(mine.ranked_user_ids), mine.set_by) == ([rene, ann], lea) and mine.HasField("set_at")
    cohorts.SetMyRanking(pb.SetMyRankingRequest(actor=as_party(rene), cohort_id=defined.id, ranked_user_ids=[lea]))
    (listed,) = cohorts.ListMyCohorts(pb.ListMyCohortsRequest(actor=as_party(rene))).cohorts
    assert (listed.cohort_id, listed.side, listed.ranked, listed.program_name.en) == (
        defined.id,
        "mentor",
        True,
        "Mentoring 2026",
    )

    # Someone outside the cohort, even a coordinator, finds no ranking to read or set.
    for actor in (as_party(outsider), ADMIN):
        with pytest.raises(grpc.RpcError) as hidden:
            cohorts.GetMyRanking(pb.GetMyRankingRequest(actor=actor, cohort_id=defined.id))
        assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as hidden:
        cohorts.SetMyRanking(pb.SetMyRankingRequest(actor=as_party(outsider), cohort_id=defined.id))
    assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
    assert not cohorts.ListMyCohorts(pb.ListMyCohortsRequest(actor=as_party(outsider))).cohorts

    # Optimal follows fit; stable follows the rankings and says whose choice each pair was.
    optimal = run(cohorts, defined.id, "optimal")
    assert pairs(optimal) == {(lea, ann), (sam, rene)}
    stable = run(cohorts, defined.id, "stable")
    assert stable.state == "done", stable.errors
    assert pairs(stable) == {(lea, rene), (sam, ann)}
    first = {p.mentee_id: p.reasons[0] for p in stable.pairs}
    assert (first[lea].code, first[sam].code) == ("fit.ranked_by_both", "fit.ranked_by_mentor")
    assert first[lea].text.en == "chosen by both: the mentee’s choice no. 1, the mentor’s no. 1"
    assert first[sam].text.fr == "choix no 1 du mentor"

    # Léa clears her ranking: she ranks by fit again, and René alone chose her.
    cleared = cohorts.SetMyRanking(pb.SetMyRankingRequest(actor=as_party(lea), cohort_id=defined.id))
    assert (list(cleared.ranked_user_ids), cleared.set_by) == ([], "")
    # The stable run solved on her old ranking can no longer be published; a new one can.
    with pytest.raises(grpc.RpcError) as stale:
        cohorts.PublishRun(pb.PublishRunRequest(actor=ADMIN, run_id=stable.id), metadata=(("accept-language", "fr"),))
    assert stale.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert status_detail(stale.value, error_details_pb2.ErrorInfo).reason == "run.rankings_changed"
    assert status_detail(stale.value, error_details_pb2.LocalizedMessage).message.startswith(
        "Des membres ont modifié leur classement"
    )
    again = run(cohorts, defined.id, "stable")
    assert [r.code for p in again.pairs for r in p.reasons if r.code == "fit.ranked_by_both"] == []
    assert cohorts.PublishRun(pb.PublishRunRequest(actor=ADMIN, run_id=again.id)).state == "published"
    # Once the cohort has moved on (that publish), the optimal run from before is out of date too.
    with pytest.raises(grpc.RpcError) as outdated:
        cohorts.PublishRun(pb.PublishRunRequest(actor=ADMIN, run_id=optimal.id))
    assert status_detail(outdated.value, error_details_pb2.ErrorInfo).reason == "run.outdated"


# --- refusals -----------------------------------------------------------------------------------


def test_program_rules_are_checked_field_by_field_in_the_callers_language(
    cohorts: pb_grpc.CohortServiceStub,
) -> None:
    rules = pb.ProgramRules(
        weights=pb.Weights(goals=140, culture=5),
        language_rule="french-first",
        proximity_radius_km=0,
    )
    with pytest.raises(grpc.RpcError) as refused:
        cohorts.DefineProgram(
            pb.DefineProgramRequest(actor=ADMIN, program_id="Bad Id!", name=common_pb2.LocalizedText(en="x", fr="")),
            metadata=(("accept-language", "fr"),),
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as refused:
        cohorts.DefineProgram(
            pb.DefineProgramRequest(
                actor=ADMIN, program_id=uid("prog"), name=common_pb2.LocalizedText(en="x", fr=""), rules=rules
            ),
            metadata=(("accept-language", "fr"),),
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    violations = {v.field: v for v in status_detail(refused.value, error_details_pb2.BadRequest).field_violations}
    assert set(violations) == {
        "name.fr",
        "rules.language_rule",
        "rules.weights.goals",
        "rules.weights.culture",
        "rules.proximity_radius_km",
    }
    assert violations["rules.weights.goals"].localized_message.message == "Entrez un poids de 0 à 100.0."
    assert violations["rules.language_rule"].reason == "rules.unknown_choice"


def test_only_the_programs_coordinators_define_and_run_it(stack: TestStack, cohorts: pb_grpc.CohortServiceStub) -> None:
    program_id = uid("prog")
    own = pb.Actor(user_id="cora", roles=[f"coordinator:{program_id}"])
    other = pb.Actor(user_id="otto", roles=["coordinator:another-program"])
    with pytest.raises(grpc.RpcError) as refused:
        program(cohorts, actor=other)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    cohorts.DefineProgram(
        pb.DefineProgramRequest(actor=own, program_id=program_id, name=common_pb2.LocalizedText(en="P", fr="P"))
    )
    with pytest.raises(grpc.RpcError) as refused:
        cohorts.GetProgram(pb.GetProgramRequest(actor=other, program_id=program_id))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    got = cohorts.GetProgram(pb.GetProgramRequest(actor=own, program_id=program_id))
    assert got.rules.weights.occupation == 30 and got.rules.language_rule == "shared"


def test_a_cohort_names_only_people_who_opted_in_and_are_not_paused(
    stack: TestStack, cohorts: pb_grpc.CohortServiceStub
) -> None:
    mentee = person(stack, uid("mentee"), role="mentee")
    paused = person(stack, uid("mentor"), role="mentor", paused=True)
    wrong_role = person(stack, uid("mentor"), role="mentee")
    known(stack, mentee, paused, wrong_role)
    with pytest.raises(grpc.RpcError) as refused:
        cohorts.DefineCohort(
            pb.DefineCohortRequest(
                actor=ADMIN,
                program_id=program(cohorts),
                name=common_pb2.LocalizedText(en="C", fr="C"),
                mentees=[pb.CohortMemberSpec(user_id=mentee), pb.CohortMemberSpec(user_id="nobody-known")],
                mentors=[pb.CohortMemberSpec(user_id=paused), pb.CohortMemberSpec(user_id=wrong_role, capacity=11)],
            )
        )
    violations = {
        (v.field, v.reason) for v in status_detail(refused.value, error_details_pb2.BadRequest).field_violations
    }
    assert violations == {
        ("mentees[1].user_id", "cohort.person_unknown"),
        ("mentors[0].user_id", "cohort.paused"),
        ("mentors[1].user_id", "cohort.not_opted_in_mentor"),
        ("mentors[1].capacity", "cohort.capacity_range"),
    }


# --- connector matching -------------------------------------------------------------------------


def test_a_declining_connector_passes_the_newcomer_to_the_next_best_until_none_is_left(
    stack: TestStack, cohorts: pb_grpc.CohortServiceStub
) -> None:
    newcomer = person(stack, uid("newcomer"), role="mentee", noc="21211")
    close = person(stack, uid("connector"), role="mentor", noc="21211", connector_meetings=2)
    far = person(stack, uid("connector"), role="mentor", noc="41401", connector_meetings=1)
    known(stack, newcomer, close, far)
    program_id = program(cohorts)

    offer = cohorts.OfferConnector(
        pb.OfferConnectorRequest(actor=ADMIN, program_id=program_id, newcomer_id=newcomer, connector_ids=[close, far])
    )
    assert (offer.state, offer.connector_id) == ("waiting", close)
    assert offer.reasons[0].text.en == "same occupation (NOC 21211)"
    # Only the connector it waits on answers it.
    with pytest.raises(grpc.RpcError) as refused:
        cohorts.AnswerConnectorOffer(
            pb.AnswerConnectorOfferRequest(actor=as_party(far), offer_id=offer.id, answer="decline")
        )
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND

    passed = cohorts.AnswerConnectorOffer(
        pb.AnswerConnectorOfferRequest(actor=as_party(close), offer_id=offer.id, answer="decline")
    )
    assert (passed.state, passed.connector_id, list(passed.declined_by)) == ("waiting", far, [close])
    last = cohorts.AnswerConnectorOffer(
        pb.AnswerConnectorOfferRequest(actor=as_party(far), offer_id=offer.id, answer="decline")
    )
    assert (last.state, last.connector_id) == ("exhausted", "")

    # The far connector takes one newcomer a year: once one accepted, the next goes elsewhere.
    second = cohorts.OfferConnector(
        pb.OfferConnectorRequest(actor=ADMIN, program_id=program_id, newcomer_id=newcomer, connector_ids=[far])
    )
    cohorts.AnswerConnectorOffer(
        pb.AnswerConnectorOfferRequest(actor=as_party(far), offer_id=second.id, answer="accept")
    )
    third = cohorts.OfferConnector(
        pb.OfferConnectorRequest(actor=ADMIN, program_id=program_id, newcomer_id=newcomer, connector_ids=[far])
    )
    assert third.state == "exhausted"


# --- crash safety -------------------------------------------------------------------------------


def _seed_big_cohort(stack: TestStack, mentees: int, mentors: int) -> tuple[list[str], list[str]]:
    """The mentoring read model of a big cohort, written directly as the worker would from as
    many profile.updated events (thousands of events would only slow the test down)."""
    rng = np.random.default_rng(7)
    nocs = ["21231", "21232", "21211", "41401", "41403", "13100", "11200"]
    goals = ["leadership", "data literacy", "networking", "policy writing", "management", "digital"]
    docs: list[dict[str, Any]] = []
    ids: dict[str, list[str]] = {"mentee": [], "mentor": []}
    prefix = uuid.uuid4().hex[:6]
    for role, count, levels in (("mentee", mentees, (1, 4)), ("mentor", mentors, (3, 7))):
        for k in range(count):
            user_id = f"{role}-{prefix}-{k}"
            ids[role].append(user_id)
            docs.append(
                {
                    "_id": user_id,
                    "display_name": f"{role} {k}",
                    "department": "tbs-sct",
                    "noc": str(rng.choice(nocs)),
                    "goals": sorted(set(rng.choice(goals, size=2).tolist())),
                    "languages": ["en", "fr"] if k % 3 else ["en"],
                    "preferred_language": "" if k % 3 else "en",
                    "province": str(rng.choice(["ON", "QC", "NS"])),
                    "city": "",
                    "seniority": int(rng.integers(*levels)),
                    "roles": [role],
                    "max_mentees": int(rng.integers(1, 4)) if role == "mentor" else 0,
                    "paused": False,
                    "version": 1,
                }
            )
    stack.database("matching")["mentoring_profiles"].insert_many(docs)
    return ids["mentee"], ids["mentor"]


# About a minute on a quiet machine (a 3,000-person cohort solved twice); several under load.
@pytest.mark.timeout(900)
def test_a_cohort_worker_killed_mid_run_leaves_the_run_to_be_taken_again_and_it_completes_once(
    stack: TestStack, cohorts: pb_grpc.CohortServiceStub
) -> None:
    mentees, mentors = _seed_big_cohort(stack, 2_000, 1_000)
    defined = cohorts.DefineCohort(
        pb.DefineCohortRequest(
            actor=ADMIN,
            program_id=program(cohorts),
            name=common_pb2.LocalizedText(en="Big", fr="Grande"),
            mentees=[pb.CohortMemberSpec(user_id=m) for m in mentees],
            mentors=[pb.CohortMemberSpec(user_id=m) for m in mentors],
        )
    )
    completed = stack.capture("matching", "cohort.run_completed")
    runs = stack.database("matching")["cohort_runs"]
    started = cohorts.StartRun(pb.StartRunRequest(actor=ADMIN, cohort_id=defined.id))
    # Taken by the cohort worker: loading the cohort or solving it (seconds for 3,000 people).
    taken = eventually(
        lambda: runs.find_one({"_id": started.id, "state": {"$ne": "queued"}}), what="the run to be taken", timeout=180
    )
    assert taken["state"] == "running", taken["state"]

    stack.stack.restart("matching-jobs", sig=signal.SIGKILL)

    result = finished(cohorts, started.id, timeout=180)
    assert result.state == "done"
    assert result.attempts == 2
    assert len(result.pairs) + len(result.unmatched) == 2_000
    assert len(result.pairs) > 0.9 * min(2_000, sum(m.capacity for m in defined.mentors))
    seats = {m.user_id: m.capacity for m in defined.mentors}
    taken: dict[str, int] = {}
    for p in result.pairs:
        taken[p.mentor_id] = taken.get(p.mentor_id, 0) + 1
    assert all(taken[m] <= seats[m] for m in taken)
    # Completed once: one event, and nothing more comes.
    assert len(completed.wait_for(1)) == 1
    time.sleep(1.0)  # proving nothing else arrives
    completed.wait_for(1)
    assert len(completed.events) == 1
    completed.close()


def test_a_request_cannot_claim_roles_its_token_does_not_hold(stack: TestStack) -> None:
    """The coordinator role travels in the request's actor; matching checks it against the token."""
    bare = pb_grpc.CohortServiceStub(stack.grpc_channel("matching", as_actor=False))
    request = pb.GetProgramRequest(actor=pb.Actor(user_id="ana", roles=["admin"]), program_id="any")
    member_token = stack.access_token("ana", roles=("member",))
    with pytest.raises(grpc.RpcError) as raised:
        bare.GetProgram(request, metadata=(("authorization", f"Bearer {member_token}"),))
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert status_detail(raised.value, error_details_pb2.ErrorInfo).reason == "auth.roles_mismatch"
