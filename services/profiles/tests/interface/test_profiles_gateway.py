"""The public API's profile routes: the gateway application (routes, checks, size limit, problems)
in process, in front of the real profiles api and worker (real RabbitMQ, real SecantusDB). Only
sign-in is stood in for: tokens are signed with the test stack's own key (which the profiles api is
told to trust) and the gateway's session check is skipped, so these tests do not depend on
identity. tests/e2e/test_profiles.py runs the same journeys with real accounts.

What it shows: a profile created and edited with every field; skills picked by autocomplete in
French and English; "java" suggests Java, with JavaScript only a completion after it; opt-ins and
self-identification invisible to another member; bad input refused by field, changing nothing."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from fastapi.testclient import TestClient

from tandem.identity.v1 import events_pb2 as identity_events
from tandem_dev.net import free_port
from tandem_dev.testing import StackFactory, TestStack, eventually
from tandem_gateway.app import create_app
from tandem_gateway.auth import Principal
from tandem_gateway.config import GatewayConfig
from tandem_kit.config import SERVICES

pytestmark = [pytest.mark.interface, pytest.mark.xdist_group("profiles-gateway")]

COORDINATOR_ROLE = "coordinator:mentoring"


class TokenIsTheUser:
    """Stands in for the gateway's session check: the token's subject and roles, as signed by the
    test stack's key (the profiles api verifies the signature itself)."""

    async def verify(self, token: str) -> Principal:
        claims = jwt.decode(token, options={"verify_signature": False})
        return Principal(claims["sub"], tuple(claims["roles"]))


@pytest.fixture(scope="module")
def stack(module_stack_factory: StackFactory) -> TestStack:
    return module_stack_factory(("profiles",))


@pytest.fixture(scope="module")
def gateway(stack: TestStack) -> Iterator[TestClient]:
    addresses = {s: f"127.0.0.1:{free_port()}" for s in SERVICES}
    addresses["profiles"] = f"127.0.0.1:{stack.stack.ports.grpc['profiles']}"
    with TestClient(create_app(GatewayConfig(addresses=addresses, grpc_timeout_seconds=5))) as client:
        client.app.state.verifier = TokenIsTheUser()  # type: ignore[attr-defined]
        yield client


class Person:
    def __init__(self, stack: TestStack, gateway: TestClient, language: str = "en", *, coordinator: bool = False):
        self.user_id = f"u{uuid.uuid4().hex[:10]}"
        stack.publish(
            "identity",
            "user.registered",
            identity_events.UserRegistered(
                user_id=self.user_id, display_name="Amira Haddad", department="Statistics Canada", language=language
            ),
        )
        roles = ("member", COORDINATOR_ROLE) if coordinator else ("member",)
        token = stack.access_token(self.user_id, roles=roles, lifetime=3600)
        self.headers = {"Authorization": f"Bearer {token}", "Accept-Language": language}
        self.gateway = gateway
        eventually(lambda: self.get("/v1/me/profile").status_code == 200, what="the profile")

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.gateway.get(path, headers=self.headers, **kw)

    def put(self, path: str, body: Any) -> httpx.Response:
        return self.gateway.put(path, headers=self.headers, json=body)

    def post(self, path: str, body: Any) -> httpx.Response:
        return self.gateway.post(path, headers=self.headers, json=body)

    def profile(self) -> dict[str, Any]:
        r = self.get("/v1/me/profile")
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body


EVERY_FIELD: dict[str, Any] = {
    "title": "Senior policy analyst",
    "department": "Treasury Board of Canada Secretariat",
    "classification": "EC-05",
    "location": {"city": "Ottawa", "province": "ON", "time_zone": "America/Toronto"},
    "official_languages": {
        "english": {"written_comprehension": "C", "written_expression": "C", "oral_proficiency": "C"},
        "french": {"written_comprehension": "B", "written_expression": "B", "oral_proficiency": "E"},
    },
    "other_languages": ["Arabic", "Spanish"],
    "education": [
        {
            "institution": "University of Ottawa",
            "credential": "MA",
            "field_of_study": "Economics",
            "start_year": 2010,
            "end_year": 2012,
        }
    ],
    "work_experience": [
        {
            "title": "Policy analyst",
            "organization": "Employment and Social Development Canada",
            "start": "2012-09",
            "end": "2018-03",
            "description": "Labour market policy.",
        }
    ],
    "occupation_code": "41401",
    "industry_code": "911910",
    "career_goals": "Lead a policy team within five years.",
    "interests": ["Open data", "Mentoring newcomers"],
    "skill_ids": ["policy-analysis", "data-analysis"],
    "opt_ins": {
        "micro_mission": ["participant", "host"],
        "assignment": ["participant"],
        "deployment": ["participant"],
        "job_swap": ["seeker"],
        "job_rotation": ["participant"],
        "mentoring": ["mentee", "mentor"],
        "job_shadowing": ["host"],
        "skill_sharing": ["participant", "host"],
        "peer_coaching": ["participant"],
        "job_sharing": ["participant"],
    },
    "mentoring": {
        "types": ["traditional", "reverse", "peer_to_peer", "wisdom_transition"],
        "max_mentees": 2,
        "connector_meetings_per_year": 2,
        "availability_hours_per_month": 4,
        "paused": False,
    },
    "self_identification": {
        "cultural_background": "Lebanese Canadian",
        "employment_equity_groups": ["women", "visible_minorities"],
    },
}


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_a_profile_is_created_and_edited_with_every_field(stack: TestStack, gateway: TestClient) -> None:
    amira = Person(stack, gateway)

    created = amira.put("/v1/me/profile", EVERY_FIELD)

    assert created.status_code == 200, created.text
    body = created.json()
    for field in ("title", "department", "other_languages", "education", "work_experience", "career_goals"):
        assert body[field] == EVERY_FIELD[field], field
    assert body["official_languages"] == EVERY_FIELD["official_languages"]
    assert body["location"]["province_name"] == {"en": "Ontario", "fr": "Ontario"}
    assert body["classification"]["code"] == "EC-05"
    assert body["occupation"]["title"]["en"] == "Economists and economic policy researchers and analysts"
    assert [h["code"] for h in body["occupation"]["hierarchy"]] == ["4", "41", "414", "4140"]
    assert [h["code"] for h in body["industry"]["hierarchy"]] == ["91", "911", "9119", "91191"]
    assert body["opt_ins"] == EVERY_FIELD["opt_ins"]
    assert body["mentoring"] == EVERY_FIELD["mentoring"]
    assert body["self_identification"] == EVERY_FIELD["self_identification"]
    assert body["completeness"] == {"percent": 100, "missing": []}

    edited = amira.put(
        "/v1/me/profile",
        {"title": "Manager, policy", "classification": "EC-07", "occupation_code": "", "mentoring": {"paused": True}},
    )

    assert edited.status_code == 200, edited.text
    after = edited.json()
    assert (after["title"], after["classification"]["code"], after["occupation"]) == ("Manager, policy", "EC-07", None)
    assert after["mentoring"]["paused"] is True and after["mentoring"]["max_mentees"] == 0
    assert after["education"] == EVERY_FIELD["education"]  # left alone
    assert after["version"] == body["version"] + 1
    assert after["completeness"]["missing"] == [{"section": "occupation", "label": "Occupation (NOC)"}]


def test_skills_are_picked_by_autocomplete_in_french_and_in_english(stack: TestStack, gateway: TestClient) -> None:
    jean = Person(stack, gateway, "fr")

    french = jean.get("/v1/skills", params={"q": "gestion de pro"}).json()
    english = gateway.get("/v1/skills", params={"q": "statis", "lang": "en"}).json()
    picked = [french[0]["id"], english[0]["id"]]
    saved = jean.put("/v1/me/profile", {"skill_ids": picked})

    assert (french[0]["label"]["fr"], french[0]["match"]) == ("Gestion de projet", "prefix")
    assert (english[0]["label"]["en"], english[0]["match"]) == ("Statistics", "prefix")
    assert [s["id"] for s in saved.json()["skills"]] == ["project-management", "statistics"]
    assert jean.get("/v1/profiles/" + jean.user_id).json()["skills"][0]["label"]["fr"] == "Gestion de projet"


def test_java_suggests_java_and_javascript_is_only_a_completion(gateway: TestClient) -> None:
    suggestions = gateway.get("/v1/skills", params={"q": "java"}).json()

    assert [(s["id"], s["match"]) for s in suggestions] == [("java", "exact"), ("javascript", "prefix")]
    assert [s["id"] for s in suggestions if s["match"] in ("exact", "alias")] == ["java"]


def test_opt_ins_and_self_identification_are_invisible_to_another_member(stack: TestStack, gateway: TestClient) -> None:
    amira, jean = Person(stack, gateway), Person(stack, gateway, "fr")
    assert amira.put("/v1/me/profile", EVERY_FIELD).status_code == 200

    seen = jean.get(f"/v1/profiles/{amira.user_id}")

    assert seen.status_code == 200, seen.text
    assert seen.json()["title"] == "Senior policy analyst"
    assert _keys(seen.json()) & {"opt_ins", "mentoring", "self_identification", "completeness"} == set()
    for private in ("seeker", "wisdom_transition", "visible_minorities", "Lebanese Canadian"):
        assert private not in seen.text
    # Not even the owner sees them on the public address: that is how others see it.
    assert "opt_ins" not in amira.get(f"/v1/profiles/{amira.user_id}").json()
    assert amira.profile()["opt_ins"]["job_swap"] == ["seeker"]


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"occupation_code": "99999"}, "occupation_code", "occupation.unknown"),
        (
            {"official_languages": {"english": {"oral_proficiency": "Z"}}},
            "official_languages.english.oral_proficiency",
            "language.level",
        ),
        ({"mentoring": {"max_mentees": -1}}, "mentoring.max_mentees", "field.number_range"),
        ({"career_goals": "x" * 900_000}, "career_goals", "field.too_long"),  # under the body limit
        ({"opt_ins": {"space_walk": ["participant"]}}, "opt_ins.space_walk", "opt_in.unknown_type"),
    ],
)
def test_bad_input_gets_a_field_specific_error_and_changes_nothing(
    stack: TestStack, gateway: TestClient, change: dict[str, Any], field: str, code: str
) -> None:
    amira = Person(stack, gateway, "fr")
    before = amira.put("/v1/me/profile", EVERY_FIELD).json()

    r = amira.put("/v1/me/profile", {**change, "title": "Should not be saved"})

    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [(field, code)]
    assert r.json()["errors"][0]["message"]  # in French: the caller's language
    assert amira.profile() == before


def test_a_ten_megabyte_field_is_refused_before_it_is_read_and_changes_nothing(
    stack: TestStack, gateway: TestClient
) -> None:
    amira = Person(stack, gateway)
    before = amira.put("/v1/me/profile", EVERY_FIELD).json()
    body = json.dumps({"career_goals": "x" * 10_000_000})

    r = gateway.put("/v1/me/profile", content=body, headers={**amira.headers, "content-type": "application/json"})

    assert r.status_code == 413
    assert r.json()["code"] == "request.too_large"
    assert amira.profile() == before


def test_messages_of_a_refusal_follow_the_callers_language(stack: TestStack, gateway: TestClient) -> None:
    jean = Person(stack, gateway, "fr")

    r = jean.put("/v1/me/profile", {"classification": "EC-12"})

    assert r.json()["errors"] == [
        {
            "field": "classification",
            "code": "classification.level",
            "message": "Les niveaux du groupe EC vont de 1 à 8.",
        }
    ]
    assert r.json()["title"] == "Certains renseignements que vous avez entrés doivent être corrigés."


def test_a_custom_skill_is_added_used_and_merged_by_a_coordinator(stack: TestStack, gateway: TestClient) -> None:
    amira, coordinator = Person(stack, gateway), Person(stack, gateway, coordinator=True)
    label = f"Quilting {uuid.uuid4().hex[:6]}"
    custom = amira.post("/v1/skills", {"label": label}).json()
    assert custom["custom"] is True
    assert amira.put("/v1/me/profile", {"skill_ids": [custom["id"], "python"]}).status_code == 200

    assert amira.get("/v1/skills/custom").status_code == 403
    assert amira.post(f"/v1/skills/custom/{custom['id']}/merge", {"into_skill_id": "python"}).status_code == 403
    listed = coordinator.get("/v1/skills/custom").json()
    merged = coordinator.post(f"/v1/skills/custom/{custom['id']}/merge", {"into_skill_id": "data-analysis"})

    assert [c["profile_count"] for c in listed if c["skill"]["id"] == custom["id"]] == [1]
    assert merged.status_code == 200, merged.text
    assert merged.json() == {
        "into": {"id": "data-analysis", "label": {"en": "Data Analysis", "fr": "Analyse de données"}, "custom": False},
        "profiles_updated": 1,
    }
    assert [s["id"] for s in amira.profile()["skills"]] == ["data-analysis", "python"]


def test_code_lists_are_searched_in_both_languages_and_unknown_codes_are_not_found(gateway: TestClient) -> None:
    french = gateway.get("/v1/occupations", params={"q": "traducteurs", "lang": "fr"}).json()
    english = gateway.get("/v1/industries", params={"q": "federal police"}).json()
    missing = gateway.get("/v1/occupations/99999")

    assert [(c["code"], c["level"]) for c in french] == [("51114", "unit_group")]
    assert [c["code"] for c in english][:2] == ["911230", "91123"]
    assert missing.status_code == 404 and missing.json()["code"] == "code.not_found"
    assert {g["code"] for g in gateway.get("/v1/occupational-groups").json()} >= {"EC", "AS", "PM"}


def test_codes_come_with_their_whole_hierarchy_and_can_be_browsed_level_by_level(gateway: TestClient) -> None:
    minor = gateway.get("/v1/occupations/4110", params={"lang": "fr"}).json()
    units = gateway.get("/v1/occupations", params={"q": "analyste", "levels": "unit_group", "lang": "fr"}).json()
    wrong = gateway.get("/v1/occupations", params={"q": "analyste", "levels": "unit"})
    industry = gateway.get("/v1/industries/5416").json()

    assert [(h["level"], h["code"]) for h in minor["hierarchy"]] == [
        ("broad_category", "4"),
        ("major_group", "41"),
        ("sub_major_group", "411"),
    ]
    assert minor["hierarchy"][2]["title"]["fr"] and minor["hierarchy"][2]["title"]["en"]
    assert [c["code"] for c in minor["children"]] == ["41100", "41101"]
    assert units and all(u["level"] == "unit_group" and u["children"] == [] for u in units)
    assert {"11101", "41401"} <= {u["code"] for u in units}
    assert wrong.status_code == 422, wrong.text
    assert [(e["field"], e["code"]) for e in wrong.json()["errors"]] == [("levels", "code.level")]
    assert [c["code"] for c in industry["children"]] == ["54161", "54162", "54169"]
