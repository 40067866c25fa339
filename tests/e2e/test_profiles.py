"""Profiles through the real gateway, with real accounts (registered, confirmed by email, signed
in): a profile created and edited with every field, skills picked by autocomplete in French and
English, opt-ins invisible to another member, "java" against JavaScript, and bad input refused by
field without changing anything, including a body of 10 MB."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from tandem_dev.people import Person, join
from tandem_dev.testing import StackFactory, TestStack, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("profiles-e2e")]

PROFILE: dict[str, Any] = {
    "title": "Senior policy analyst",
    "department": "Treasury Board of Canada Secretariat",
    "classification": "EC-05",
    "location": {"city": "Ottawa", "province": "ON", "time_zone": "America/Toronto"},
    "official_languages": {
        "english": {"written_comprehension": "C", "written_expression": "C", "oral_proficiency": "C"},
        "french": {"written_comprehension": "B", "written_expression": "B", "oral_proficiency": "B"},
    },
    "other_languages": ["Arabic"],
    "education": [{"institution": "University of Ottawa", "credential": "MA", "field_of_study": "Economics"}],
    "work_experience": [{"title": "Policy analyst", "organization": "ESDC", "start": "2012-09", "end": "2018-03"}],
    "occupation_code": "41401",
    "industry_code": "911910",
    "career_goals": "Lead a policy team.",
    "interests": ["Open data"],
    "skill_ids": ["policy-analysis"],
    "opt_ins": {"mentoring": ["mentor"], "job_swap": ["seeker"], "micro_mission": ["participant", "host"]},
    "mentoring": {"types": ["reverse"], "max_mentees": 2, "availability_hours_per_month": 4},
    "self_identification": {"employment_equity_groups": ["women"]},
}


@pytest.fixture(scope="module")
def stack(module_stack_factory: StackFactory) -> TestStack:
    return module_stack_factory(
        ("identity", "profiles", "opportunities", "matching", "notifications", "referrals"), edge=True
    )


@pytest.fixture(scope="module")
def client(stack: TestStack) -> httpx.Client:
    return httpx.Client(base_url=stack.gateway_url, timeout=20)


def _member(stack: TestStack, client: httpx.Client, email: str, name: str, language: str) -> Person:
    person = join(client, stack.stack.mail_dir, email, name, language)
    eventually(lambda: client.get("/v1/me/profile", headers=person.headers).status_code == 200, what="the profile")
    return person


def test_a_profile_is_made_with_autocompleted_skills_and_its_opt_ins_stay_private(
    stack: TestStack, client: httpx.Client
) -> None:
    amira = _member(stack, client, "amira.haddad@tbs-sct.gc.ca", "Amira Haddad", "en")
    jean = _member(stack, client, "jean.tremblay@statcan.gc.ca", "Jean Tremblay", "fr")

    # Every field, then an edit.
    r = client.put("/v1/me/profile", headers=amira.headers, json=PROFILE)
    assert r.status_code == 200, r.text
    assert r.json()["completeness"]["percent"] == 100
    r = client.put("/v1/me/profile", headers=amira.headers, json={"title": "Policy manager", "classification": "EC-06"})
    assert (r.json()["title"], r.json()["classification"]["code"], r.json()["opt_ins"]["job_swap"]) == (
        "Policy manager",
        "EC-06",
        ["seeker"],
    )

    # Skills picked from suggestions, in French and in English.
    french = client.get("/v1/skills", params={"q": "analyse de donn"}, headers=jean.headers).json()
    english = client.get("/v1/skills", params={"q": "stat"}, headers=amira.headers).json()
    assert (french[0]["id"], french[0]["label"]["fr"]) == ("data-analysis", "Analyse de données")
    assert english[0]["id"] == "statistics"
    r = client.put("/v1/me/profile", headers=jean.headers, json={"skill_ids": [french[0]["id"], english[0]["id"]]})
    assert [s["id"] for s in r.json()["skills"]] == ["data-analysis", "statistics"]

    # "java" names Java; JavaScript is only a completion after it.
    java = client.get("/v1/skills", params={"q": "java"}).json()
    assert [(s["id"], s["match"]) for s in java] == [("java", "exact"), ("javascript", "prefix")]

    # Jean sees Amira's profile, but none of her opt-ins or self-identification.
    seen = client.get(f"/v1/profiles/{amira.user_id}", headers=jean.headers)
    assert seen.status_code == 200, seen.text
    assert seen.json()["title"] == "Policy manager"
    assert not {"opt_ins", "mentoring", "self_identification", "completeness"} & set(seen.json())
    assert "seeker" not in seen.text and "women" not in seen.text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"occupation_code": "99999"}, "occupation_code"),
        ({"official_languages": {"french": {"oral_proficiency": "Z"}}}, "official_languages.french.oral_proficiency"),
        ({"mentoring": {"max_mentees": -1}}, "mentoring.max_mentees"),
        ({"career_goals": "x" * 900_000}, "career_goals"),
    ],
)
def test_bad_input_is_refused_by_field_and_changes_nothing(
    stack: TestStack, client: httpx.Client, change: dict[str, Any], field: str
) -> None:
    marc = _member(stack, client, f"marc.gagnon.{uuid.uuid4().hex[:8]}@canada.ca", "Marc Gagnon", "fr")
    before = client.put("/v1/me/profile", headers=marc.headers, json=PROFILE).json()

    r = client.put("/v1/me/profile", headers=marc.headers, json={**change, "title": "Not saved"})

    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == [field]
    assert client.get("/v1/me/profile", headers=marc.headers).json() == before


def test_a_ten_megabyte_field_is_refused_and_changes_nothing(stack: TestStack, client: httpx.Client) -> None:
    priya = _member(stack, client, "priya.singh@ssc-spc.gc.ca", "Priya Singh", "en")
    before = client.get("/v1/me/profile", headers=priya.headers).json()

    r = client.put(
        "/v1/me/profile",
        content=json.dumps({"career_goals": "x" * 10_000_000}),
        headers={**priya.headers, "content-type": "application/json"},
    )

    assert r.status_code == 413 and r.json()["code"] == "request.too_large"
    assert client.get("/v1/me/profile", headers=priya.headers).json() == before
