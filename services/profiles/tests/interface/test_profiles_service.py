"""Profiles' api and worker against real RabbitMQ and SecantusDB: a profile for every new account,
every field saved and announced to matching with its private part, the private part never shown to
anyone else, refusals that change nothing, custom skills merged with the profiles that use them,
and the taxonomy and code lists answered in both languages."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import httpx
import pytest
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from prometheus_client.parser import text_string_to_metric_families

from tandem.identity.v1 import events_pb2 as identity_events
from tandem.profiles.v1 import profiles_pb2 as pb
from tandem.profiles.v1 import profiles_pb2_grpc as pb_grpc
from tandem_dev.testing import StackFactory, TestStack, eventually, status_detail

pytestmark = [pytest.mark.interface, pytest.mark.xdist_group("profiles-interface")]


FRENCH = (("accept-language", "fr"),)
DATA_ANALYSIS = {"id": "data-analysis", "label": {"en": "Data Analysis", "fr": "Analyse de données"}}
PYTHON = {"id": "python", "label": {"en": "Python", "fr": "Python"}}


@pytest.fixture(scope="module")
def stack(module_stack_factory: StackFactory) -> TestStack:
    return module_stack_factory(("profiles",))


@pytest.fixture(scope="module")
def profiles(stack: TestStack) -> Iterator[pb_grpc.ProfilesServiceStub]:
    with stack.grpc_channel("profiles") as channel:
        yield pb_grpc.ProfilesServiceStub(channel)


def _user_registered(stack: TestStack, user_id: str, *, event_id: str | None = None) -> str:
    return stack.publish(
        "identity",
        "user.registered",
        identity_events.UserRegistered(
            user_id=user_id,
            email=f"{user_id}@example.gc.ca",
            username=user_id,
            display_name="Amira Haddad",
            language="fr",
            department="Statistics Canada",
        ),
        event_id=event_id,
    )


def _profile(profiles: pb_grpc.ProfilesServiceStub, user_id: str, viewer_id: str = "") -> pb.Profile | None:
    try:
        profile: pb.Profile = profiles.GetProfile(pb.GetProfileRequest(user_id=user_id, viewer_id=viewer_id))
        return profile
    except grpc.RpcError as error:
        if error.code() == grpc.StatusCode.NOT_FOUND:
            return None
        raise


def _new_member(stack: TestStack, profiles: pb_grpc.ProfilesServiceStub) -> str:
    user_id = f"u{uuid.uuid4().hex[:10]}"
    _user_registered(stack, user_id)
    eventually(lambda: _profile(profiles, user_id), what="the new profile")
    return user_id


def _refusal(method: Any, request: Message, *, metadata: tuple[tuple[str, str], ...] = ()) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        method(request, metadata=metadata)
    return raised.value


def _violations(error: grpc.RpcError) -> list[tuple[str, str]]:
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    return [(v.field, v.reason) for v in status_detail(error, error_details_pb2.BadRequest).field_violations]


def _events_for(capture: Any, user_id: str, count: int) -> list[dict[str, Any]]:
    def mine() -> list[dict[str, Any]]:
        capture.wait_for(0)
        return [e for e in capture.events if e["payload"]["user_id"] == user_id]

    return list(eventually(lambda: (found := mine()) and len(found) >= count and found, what=f"{count} events"))


def _events_consumed(stack: TestStack, outcome: str) -> float:
    text = httpx.get(f"http://127.0.0.1:{stack.stack.ports.worker_metrics['profiles']}/metrics", timeout=5).text
    wanted = {"handler": "profiles.on_user_registered", "event_type": "user.registered", "outcome": outcome}
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "tandem_events_consumed_total" and sample.labels == wanted
    )


EVERY_FIELD = pb.UpdateProfileRequest(
    title="Senior policy analyst",
    department="Treasury Board of Canada Secretariat",
    classification="EC-05",
    location=pb.Location(city="Ottawa", province="ON", time_zone="America/Toronto"),
    official_languages=pb.OfficialLanguages(
        english=pb.LanguageLevels(written_comprehension="C", written_expression="C", oral_proficiency="C"),
        french=pb.LanguageLevels(written_comprehension="B", written_expression="B", oral_proficiency="B"),
    ),
    other_languages=["Arabic"],
    education=[pb.Education(institution="University of Ottawa", credential="MA", field_of_study="Economics")],
    work_experience=[pb.WorkExperience(title="Policy analyst", organization="ESDC", start="2012-09", end="2018-03")],
    occupation_code="41401",
    industry_code="911910",
    career_goals="Lead a policy team.",
    interests=["Open data"],
    skill_ids=["data-analysis", "python"],
    opt_ins=[
        pb.OptIn(opportunity_type="mentoring", roles=["mentor"]),
        pb.OptIn(opportunity_type="job_swap", roles=["seeker"]),
    ],
    mentoring=pb.MentoringPreferences(types=["traditional"], max_mentees=2, availability_hours_per_month=4),
    self_identification=pb.SelfIdentification(employment_equity_groups=["women"]),
)
EVERY_PATH = [f.name for f in pb.UpdateProfileRequest.DESCRIPTOR.fields if f.name not in ("user_id", "update_mask")]


def _update_everything(profiles: pb_grpc.ProfilesServiceStub, user_id: str) -> pb.Profile:
    request = pb.UpdateProfileRequest()
    request.CopyFrom(EVERY_FIELD)
    request.user_id = user_id
    request.update_mask.paths.extend(EVERY_PATH)
    saved: pb.Profile = profiles.UpdateProfile(request)
    return saved


def test_a_registered_user_gets_a_profile_and_it_is_announced(
    stack: TestStack, profiles: pb_grpc.ProfilesServiceStub
) -> None:
    updated = stack.capture("profiles", "profile.updated")
    user_id = f"u{uuid.uuid4().hex[:10]}"

    registration = _user_registered(stack, user_id)

    profile = eventually(lambda: _profile(profiles, user_id, user_id), what="the new profile")
    assert (profile.display_name, profile.department, profile.title, profile.version) == (
        "Amira Haddad",
        "Statistics Canada",
        "",
        1,
    )
    assert profile.completeness.percent == 8  # the department came with the account
    [event] = _events_for(updated, user_id, 1)
    assert event["payload"]["version"] == "1"  # int64 travels as a JSON string
    assert event["causation_id"] == registration


def test_every_field_is_saved_and_announced_with_the_private_part_for_matching(
    stack: TestStack, profiles: pb_grpc.ProfilesServiceStub
) -> None:
    updated = stack.capture("profiles", "profile.updated")
    user_id = _new_member(stack, profiles)

    saved = _update_everything(profiles, user_id)

    assert saved.version == 2
    assert saved.completeness.percent == 100 and list(saved.completeness.missing) == []
    assert saved.details.classification.group_name.fr == "Économique et services de sciences sociales"
    assert saved.details.location.province_name.en == "Ontario"
    assert [(h.level, h.code) for h in saved.details.occupation.hierarchy] == [
        ("broad_category", "4"),
        ("major_group", "41"),
        ("sub_major_group", "414"),
        ("minor_group", "4140"),
    ]
    assert saved.details.industry.title.en == "Other federal government public administration"
    assert saved == _profile(profiles, user_id, viewer_id=user_id)
    _, changed = _events_for(updated, user_id, 2)
    payload = changed["payload"]
    assert payload["version"] == "2"
    assert payload["skills"] == [DATA_ANALYSIS, PYTHON]
    assert payload["private"]["opt_ins"] == [
        {"opportunity_type": "job_swap", "roles": ["seeker"]},
        {"opportunity_type": "mentoring", "roles": ["mentor"]},
    ]
    assert payload["private"]["mentoring"]["max_mentees"] == 2
    assert payload["private"]["self_identification"] == {"employment_equity_groups": ["women"]}
    assert payload["details"]["occupation"]["code"] == "41401"
    assert payload["details"]["official_languages"]["french"]["oral_proficiency"] == "B"


def test_someone_else_never_gets_the_private_part(stack: TestStack, profiles: pb_grpc.ProfilesServiceStub) -> None:
    user_id = _new_member(stack, profiles)
    _update_everything(profiles, user_id)

    for viewer in ("someone-else", ""):
        seen = _profile(profiles, user_id, viewer_id=viewer)
        assert seen is not None
        assert not seen.HasField("private") and not seen.HasField("completeness")
        assert seen.details.classification.code == "EC-05"  # the public part is all there


def test_the_first_version_of_update_changes_title_and_skills_only(
    stack: TestStack, profiles: pb_grpc.ProfilesServiceStub
) -> None:
    user_id = _new_member(stack, profiles)
    _update_everything(profiles, user_id)

    saved = profiles.UpdateProfile(
        pb.UpdateProfileRequest(user_id=user_id, title="  Data   analyst ", skill_ids=["python", " sql "])
    )

    assert (saved.title, [s.id for s in saved.skills]) == ("Data analyst", ["python", "sql"])
    assert saved.details.occupation.code == "41401" and len(saved.private.opt_ins) == 2


@pytest.mark.parametrize(
    ("change", "paths", "violation"),
    [
        (
            pb.UpdateProfileRequest(occupation_code="99999"),
            ["occupation_code"],
            ("occupation_code", "occupation.unknown"),
        ),
        (
            pb.UpdateProfileRequest(
                official_languages=pb.OfficialLanguages(english=pb.LanguageLevels(oral_proficiency="D"))
            ),
            ["official_languages"],
            ("official_languages.english.oral_proficiency", "language.level"),
        ),
        (
            pb.UpdateProfileRequest(mentoring=pb.MentoringPreferences(max_mentees=-1)),
            ["mentoring"],
            ("mentoring.max_mentees", "field.number_range"),
        ),
        (pb.UpdateProfileRequest(career_goals="x" * 3_000_000), ["career_goals"], ("career_goals", "field.too_long")),
        (pb.UpdateProfileRequest(skill_ids=["python", "weaving"]), ["skill_ids"], ("skill_ids", "skills.unknown")),
    ],
)
def test_bad_input_is_refused_by_field_and_changes_nothing(
    stack: TestStack,
    profiles: pb_grpc.ProfilesServiceStub,
    change: pb.UpdateProfileRequest,
    paths: list[str],
    violation: tuple[str, str],
) -> None:
    user_id = _new_member(stack, profiles)
    before = _update_everything(profiles, user_id)
    outbox_before = stack.database("profiles").outbox.count_documents({"envelope.payload.user_id": user_id})
    request = pb.UpdateProfileRequest()
    request.CopyFrom(change)
    request.user_id = user_id
    request.update_mask.paths.extend(paths)

    error = _refusal(profiles.UpdateProfile, request, metadata=FRENCH)

    assert _violations(error) == [violation]
    assert _profile(profiles, user_id, user_id) == before
    assert stack.database("profiles").outbox.count_documents({"envelope.payload.user_id": user_id}) == outbox_before


def test_field_errors_are_in_the_callers_language(stack: TestStack, profiles: pb_grpc.ProfilesServiceStub) -> None:
    user_id = _new_member(stack, profiles)
    request = pb.UpdateProfileRequest(user_id=user_id, classification="EC-12")
    request.update_mask.paths.append("classification")

    french = status_detail(_refusal(profiles.UpdateProfile, request, metadata=FRENCH), error_details_pb2.BadRequest)
    english = status_detail(_refusal(profiles.UpdateProfile, request), error_details_pb2.BadRequest)

    assert french.field_violations[0].localized_message.message == "Les niveaux du groupe EC vont de 1 à 8."
    assert english.field_violations[0].localized_message.message == "Levels in the EC group go from 1 to 8."


def test_updating_a_profile_that_does_not_exist_is_not_found(profiles: pb_grpc.ProfilesServiceStub) -> None:
    error = _refusal(profiles.UpdateProfile, pb.UpdateProfileRequest(user_id="nobody", skill_ids=["python"]))

    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert status_detail(error, error_details_pb2.ErrorInfo).reason == "profile.not_found"


def test_a_redelivered_registration_creates_one_profile_and_one_event(
    stack: TestStack, profiles: pb_grpc.ProfilesServiceStub
) -> None:
    user_id = f"u{uuid.uuid4().hex[:10]}"
    event_id = uuid.uuid4().hex
    duplicates_before = _events_consumed(stack, "duplicate")

    _user_registered(stack, user_id, event_id=event_id)
    _user_registered(stack, user_id, event_id=event_id)

    eventually(lambda: _events_consumed(stack, "duplicate") == duplicates_before + 1, what="the second delivery")
    db = stack.database("profiles")
    assert db.profiles.count_documents({"_id": user_id}) == 1
    assert db.inbox.count_documents({"event_id": event_id}) == 1
    assert db.outbox.count_documents({"envelope.payload.user_id": user_id}) == 1


# --- custom skills --------------------------------------------------------------------------------


def test_a_custom_skill_is_added_once_and_a_taxonomy_name_gives_the_canonical_skill(
    profiles: pb_grpc.ProfilesServiceStub,
) -> None:
    label = f"Basket weaving {uuid.uuid4().hex[:6]}"

    first = profiles.AddCustomSkill(pb.AddCustomSkillRequest(user_id="a", label=label, language="en"))
    again = profiles.AddCustomSkill(pb.AddCustomSkillRequest(user_id="b", label=f"  {label.upper()} ", language="en"))
    canonical = profiles.AddCustomSkill(pb.AddCustomSkillRequest(user_id="a", label="infonuagique", language="fr"))

    assert first.custom and first.id.startswith("custom-") and first.label.en == label
    assert again.id == first.id
    assert (canonical.id, canonical.custom) == ("cloud-computing", False)


def test_merging_a_custom_skill_moves_every_profile_to_the_canonical_one(
    stack: TestStack, profiles: pb_grpc.ProfilesServiceStub
) -> None:
    updated = stack.capture("profiles", "profile.updated")
    custom = profiles.AddCustomSkill(
        pb.AddCustomSkillRequest(user_id="a", label=f"Pythonic scripting {uuid.uuid4().hex[:6]}", language="en")
    )
    both, only_custom = _new_member(stack, profiles), _new_member(stack, profiles)
    profiles.UpdateProfile(pb.UpdateProfileRequest(user_id=both, skill_ids=["python", custom.id, "sql"]))
    profiles.UpdateProfile(pb.UpdateProfileRequest(user_id=only_custom, skill_ids=[custom.id]))
    listed = profiles.ListCustomSkills(pb.ListCustomSkillsRequest())
    assert [(s.skill.id, s.profile_count) for s in listed.skills if s.skill.id == custom.id] == [(custom.id, 2)]

    merged = profiles.MergeCustomSkill(
        pb.MergeCustomSkillRequest(custom_skill_id=custom.id, into_skill_id="python", coordinator_id="coord")
    )

    assert (merged.into.id, merged.profiles_updated) == ("python", 2)
    assert [s.id for s in _profile(profiles, both).skills] == ["python", "sql"]  # type: ignore[union-attr]
    assert [s.id for s in _profile(profiles, only_custom).skills] == ["python"]  # type: ignore[union-attr]
    assert [s["id"] for s in _events_for(updated, both, 3)[-1]["payload"]["skills"]] == ["python", "sql"]
    assert _events_for(updated, only_custom, 3)[-1]["payload"]["version"] == "3"
    # Asking again changes nothing; the custom id now stands for the canonical skill.
    again = profiles.MergeCustomSkill(
        pb.MergeCustomSkillRequest(custom_skill_id=custom.id, into_skill_id="python", coordinator_id="coord")
    )
    assert again.profiles_updated == 0
    assert profiles.GetSkill(pb.GetSkillRequest(id=custom.id)).merged_into == "python"
    resaved = profiles.UpdateProfile(pb.UpdateProfileRequest(user_id=only_custom, skill_ids=[custom.id, "sql"]))
    assert [s.id for s in resaved.skills] == ["python", "sql"]


def test_a_merge_into_something_not_in_the_taxonomy_is_refused(profiles: pb_grpc.ProfilesServiceStub) -> None:
    custom = profiles.AddCustomSkill(
        pb.AddCustomSkillRequest(user_id="a", label=f"Origami {uuid.uuid4().hex[:6]}", language="en")
    )

    error = _refusal(
        profiles.MergeCustomSkill, pb.MergeCustomSkillRequest(custom_skill_id=custom.id, into_skill_id="origami")
    )
    missing = _refusal(
        profiles.MergeCustomSkill, pb.MergeCustomSkillRequest(custom_skill_id="custom-nope", into_skill_id="python")
    )

    assert _violations(error) == [("into_skill_id", "skill.not_canonical")]
    assert missing.code() == grpc.StatusCode.NOT_FOUND


# --- taxonomy and code lists ----------------------------------------------------------------------


def test_skill_suggestions_follow_the_callers_language_and_say_how_they_matched(
    profiles: pb_grpc.ProfilesServiceStub,
) -> None:
    french = profiles.SuggestSkills(pb.SuggestSkillsRequest(query="gestion de pro", limit=2), metadata=FRENCH)
    java = profiles.SuggestSkills(pb.SuggestSkillsRequest(query="java", language="en"))

    assert [(s.skill.id, s.matched_name) for s in french.suggestions] == [
        ("project-management", "Gestion de projet"),
        ("product-management", "Gestion de produits"),
    ]
    assert [(s.skill.id, s.match) for s in java.suggestions] == [("java", "exact"), ("javascript", "prefix")]


def test_a_skill_comes_with_its_aliases_and_related_skills(profiles: pb_grpc.ProfilesServiceStub) -> None:
    skill = profiles.GetSkill(pb.GetSkillRequest(id="kubernetes"))

    assert "k8s" in skill.aliases
    assert [r.id for r in skill.related] == ["containers", "cloud-computing"]
    assert _refusal(profiles.GetSkill, pb.GetSkillRequest(id="nope")).code() == grpc.StatusCode.NOT_FOUND


def test_code_lists_are_searched_in_french_and_come_with_their_hierarchy(
    profiles: pb_grpc.ProfilesServiceStub,
) -> None:
    found = profiles.SearchCodes(pb.SearchCodesRequest(system="noc2021", query="traducteurs", limit=1), metadata=FRENCH)
    industry = profiles.GetCode(pb.GetCodeRequest(system="naics2022", code="91141"))

    assert [(c.code, c.title.fr) for c in found.codes] == [
        ("51114", "Traducteurs/traductrices, terminologues et interprètes")
    ]
    assert [h.code for h in industry.hierarchy] == ["91", "911", "9114"]
    assert [c.code for c in industry.children] == ["911410"]
    assert not found.codes[0].children  # only GetCode lists children
    wrong_level = _refusal(profiles.SearchCodes, pb.SearchCodesRequest(system="noc2021", query="x", levels=["unit"]))
    assert _violations(wrong_level) == [("levels", "code.level")]
    bad = _refusal(profiles.SearchCodes, pb.SearchCodesRequest(system="isco", query="x"))
    assert _violations(bad) == [("system", "code.system")]
