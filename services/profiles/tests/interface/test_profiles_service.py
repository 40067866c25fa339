"""Profiles' api and worker against real RabbitMQ and SecantusDB: a profile for every new account,
skill updates announced with their labels in both languages, and refusals that change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar

import grpc
import httpx
import pytest
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from prometheus_client.parser import text_string_to_metric_families

from tandem.identity.v1 import events_pb2 as identity_events
from tandem.profiles.v1 import profiles_pb2 as pb
from tandem.profiles.v1 import profiles_pb2_grpc as pb_grpc
from tandem_dev.testing import StackFactory, TestStack, eventually

pytestmark = pytest.mark.interface

M = TypeVar("M", bound=Message)

FRENCH = (("accept-language", "fr"),)
DATA_ANALYSIS = {"id": "data-analysis", "label": {"en": "Data Analysis", "fr": "Analyse de données"}}
PYTHON = {"id": "python", "label": {"en": "Python", "fr": "Python"}}


@pytest.fixture
def stack(stack_factory: StackFactory) -> TestStack:
    return stack_factory(("profiles",))


@pytest.fixture
def profiles(stack: TestStack) -> Iterator[pb_grpc.ProfilesServiceStub]:
    with stack.grpc_channel("profiles") as channel:
        yield pb_grpc.ProfilesServiceStub(channel)


def _user_registered(stack: TestStack, user_id: str = "amira", *, event_id: str | None = None) -> str:
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


def _profile(profiles: pb_grpc.ProfilesServiceStub, user_id: str = "amira") -> pb.Profile | None:
    try:
        profile: pb.Profile = profiles.GetProfile(pb.GetProfileRequest(user_id=user_id))
        return profile
    except grpc.RpcError as error:
        if error.code() == grpc.StatusCode.NOT_FOUND:
            return None
        raise


def _refusal(method: Any, request: Message, *, metadata: tuple[tuple[str, str], ...] = ()) -> grpc.RpcError:
    """Call `method` with `request` and return the error it must end in."""
    with pytest.raises(grpc.RpcError) as raised:
        method(request, metadata=metadata)
    return raised.value


def _detail(error: grpc.RpcError, message_type: type[M]) -> M:
    status = rpc_status.from_call(error)
    assert status is not None, "the error carries no google.rpc.Status"
    found = [d for d in status.details if d.Is(message_type.DESCRIPTOR)]
    assert len(found) == 1, f"expected one {message_type.DESCRIPTOR.name} in {status.details}"
    message = message_type()
    found[0].Unpack(message)
    return message


def _events_consumed(stack: TestStack, outcome: str) -> float:
    """How many user.registered deliveries the worker counted with this outcome."""
    text = httpx.get(f"http://127.0.0.1:{stack.stack.ports.worker_metrics['profiles']}/metrics", timeout=5).text
    wanted = {"handler": "profiles.on_user_registered", "event_type": "user.registered", "outcome": outcome}
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "tandem_events_consumed_total" and sample.labels == wanted
    )


def test_a_registered_user_gets_a_profile_and_it_is_announced(
    stack: TestStack, profiles: pb_grpc.ProfilesServiceStub
) -> None:
    updated = stack.capture("profiles", "profile.updated")

    registration = _user_registered(stack)

    profile = eventually(lambda: _profile(profiles), what="the new profile")
    assert (profile.display_name, profile.department, profile.title, profile.version) == (
        "Amira Haddad",
        "Statistics Canada",
        "",
        1,
    )
    assert list(profile.skills) == []
    [event] = updated.wait_for(1)
    assert event["payload"] == {
        "user_id": "amira",
        "display_name": "Amira Haddad",
        "department": "Statistics Canada",
        "version": "1",  # int64 travels as a JSON string
    }
    assert event["causation_id"] == registration


def test_a_skills_update_is_announced_with_bilingual_labels_and_the_next_version(
    stack: TestStack, profiles: pb_grpc.ProfilesServiceStub
) -> None:
    updated = stack.capture("profiles", "profile.updated")
    _user_registered(stack)
    eventually(lambda: _profile(profiles), what="the new profile")

    saved = profiles.UpdateProfile(
        pb.UpdateProfileRequest(
            user_id="amira", title="  Senior   analyst ", skill_ids=["data-analysis", " python ", "data-analysis"]
        )
    )

    assert (saved.title, saved.version, [s.id for s in saved.skills]) == (
        "Senior analyst",
        2,
        ["data-analysis", "python"],
    )
    assert saved == _profile(profiles)
    created, changed = updated.wait_for(2)
    assert created["payload"]["version"] == "1"
    assert changed["payload"] == {
        "user_id": "amira",
        "display_name": "Amira Haddad",
        "department": "Statistics Canada",
        "title": "Senior analyst",
        "skills": [DATA_ANALYSIS, PYTHON],
        "version": "2",
    }


def test_unknown_skill_ids_are_refused_and_change_nothing(
    stack: TestStack, profiles: pb_grpc.ProfilesServiceStub
) -> None:
    updated = stack.capture("profiles", "profile.updated")
    _user_registered(stack)
    before = eventually(lambda: _profile(profiles), what="the new profile")
    outbox_before = stack.database("profiles").outbox.count_documents({})

    error = _refusal(
        profiles.UpdateProfile,
        pb.UpdateProfileRequest(user_id="amira", title="Analyst", skill_ids=["python", "cobol", "basket-weaving"]),
        metadata=FRENCH,
    )

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    violations = _detail(error, error_details_pb2.BadRequest).field_violations
    assert [(v.field, v.reason) for v in violations] == [("skill_ids", "skills.unknown")]
    assert violations[0].localized_message.message == (
        "Choisissez des compétences dans la liste. Celles-ci n’y figurent pas : cobol, basket-weaving."
    )
    assert _profile(profiles) == before
    assert stack.database("profiles").outbox.count_documents({}) == outbox_before
    # Events leave in outbox order, so a refused update that had raised one would show up
    # between the creation and the next real update, and the next version would be 3.
    profiles.UpdateProfile(pb.UpdateProfileRequest(user_id="amira", skill_ids=["python"]))
    assert [e["payload"]["version"] for e in updated.wait_for(2)] == ["1", "2"]


def test_updating_a_profile_that_does_not_exist_is_not_found(profiles: pb_grpc.ProfilesServiceStub) -> None:
    error = _refusal(profiles.UpdateProfile, pb.UpdateProfileRequest(user_id="nobody", skill_ids=["python"]))

    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert _detail(error, error_details_pb2.ErrorInfo).reason == "profile.not_found"


def test_skill_suggestions_follow_the_callers_language(profiles: pb_grpc.ProfilesServiceStub) -> None:
    request = pb.SuggestSkillsRequest(query="gest", limit=3)

    french = profiles.SuggestSkills(request, metadata=FRENCH).skills
    english = profiles.SuggestSkills(request).skills

    # French labels start with the query, so they come first, shortest first.
    assert [s.label.fr for s in french] == ["Gestion de projet", "Gestion financière", "Gestion des risques"]
    assert [s.label.en for s in french] == ["Project Management", "Financial Management", "Risk Management"]
    # An English speaker gets the same skills through their French names, ranked by English label.
    assert [s.label.en for s in english] == ["Risk Management", "Change Management", "Project Management"]


def test_a_redelivered_registration_creates_one_profile_and_one_event(
    stack: TestStack, profiles: pb_grpc.ProfilesServiceStub
) -> None:
    updated = stack.capture("profiles", "profile.updated")

    _user_registered(stack, event_id="same-registration")
    _user_registered(stack, event_id="same-registration")

    eventually(lambda: _events_consumed(stack, "duplicate") == 1, what="the second delivery handled")
    assert _events_consumed(stack, "applied") == 1
    db = stack.database("profiles")
    assert db.profiles.count_documents({}) == 1
    assert db.inbox.count_documents({"event_id": "same-registration"}) == 1
    assert db.outbox.count_documents({"type": "profile.updated"}) == 1
    assert len(updated.wait_for(1)) == 1
    profile = _profile(profiles)
    assert profile is not None and profile.version == 1
