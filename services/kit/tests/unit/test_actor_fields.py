"""Every entry of the table that says who a request acts for names a real request field, and
the kit's interceptor reads it."""

from __future__ import annotations

import importlib

import pytest

from tandem_kit.auth import ACTOR_FIELDS, actor_of


def _message(full_name: str) -> type:
    package, _, name = full_name.rpartition(".")
    service = package.split(".")[1]
    module = importlib.import_module(f"tandem.{service}.v1.{service}_pb2")
    return getattr(module, name)  # type: ignore[no-any-return]


@pytest.mark.parametrize(("message", "field"), sorted(ACTOR_FIELDS.items()))
def test_each_declared_actor_field_exists(message: str, field: str) -> None:
    cls = _message(message)
    assert field in cls.DESCRIPTOR.fields_by_name, f"{message} has no field {field}"
    assert actor_of(cls(**{field: "someone"})) == "someone"


def test_a_request_naming_nobody_needs_no_token() -> None:
    from tandem.opportunities.v1 import opportunities_pb2 as pb

    assert actor_of(pb.GetOpportunityRequest(id="o1")) == ""
    assert actor_of(pb.ApplicationActionRequest(application_id="a", actor_id="ana")) == "ana"


def test_an_actor_message_names_the_person_and_the_roles_to_check() -> None:
    from tandem.matching.v1 import cohorts_pb2 as pb
    from tandem_kit.auth import roles_claimed

    descriptor = pb.DESCRIPTOR.message_types_by_name
    with_actor = [name for name, m in descriptor.items() if "actor" in m.fields_by_name]
    assert with_actor, "cohort requests carry an actor"
    request = getattr(pb, with_actor[0])(actor=pb.Actor(user_id="ana", roles=["coordinator:p1"]))
    assert actor_of(request) == "ana"
    assert roles_claimed(request) == ("coordinator:p1",)
