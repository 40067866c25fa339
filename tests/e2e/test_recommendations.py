"""Recommendations through the real gateway: a signed-in member sees the open opportunities that
fit them, each with why in their language; one open only to another department, one asking for a
clearance they do not hold, and one that was cancelled are not offered. The poster's candidate
list applies the same filters from the other side."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tandem_dev.people import Person, join
from tandem_dev.samples import opportunity_body
from tandem_dev.testing import StackFactory, TestStack, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("recommendations-e2e")]


@pytest.fixture(scope="module")
def stack(module_stack_factory: StackFactory) -> TestStack:
    # Every service: the gateway is ready only when each one answers.
    return module_stack_factory(
        ("identity", "profiles", "opportunities", "matching", "notifications", "referrals"), edge=True
    )


def _post(client: httpx.Client, poster: Person, title: str, **changes: Any) -> str:
    body = opportunity_body(title_en=title, title_fr=f"{title} (fr)", skill_ids=["data-analysis"], department="statcan")
    body["details"]["limited_to_department"] = changes.pop("limited_to_department", False)
    body["requirements"].update(changes)
    r = client.post("/v1/opportunities", headers=poster.headers, json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_a_member_sees_the_opportunities_that_fit_them_with_reasons(stack: TestStack) -> None:
    client = httpx.Client(base_url=stack.gateway_url, timeout=20)
    amira = join(client, stack.stack.mail_dir, "amira.haddad@tbs-sct.gc.ca", "Amira Haddad", "fr")
    jean = join(
        client, stack.stack.mail_dir, "jean.tremblay@statcan.gc.ca", "Jean Tremblay", "en", department="statcan"
    )
    eventually(lambda: client.get("/v1/me/profile", headers=amira.headers).status_code == 200, what="her profile")
    r = client.put(
        "/v1/me/profile",
        headers=amira.headers,
        json={
            "skill_ids": ["data-analysis", "python"],
            "opt_ins": {"micro_mission": ["participant"]},
            "official_languages": {"french": {"oral_proficiency": "C"}},
            "security_clearance": "reliability",
            "availability": {"hours_per_week": 4, "max_engagements": 2},
        },
    )
    assert r.status_code == 200, r.text
    assert (r.json()["security_clearance"], r.json()["availability"]["hours_per_week"]) == ("reliability", 4)

    fits = _post(
        client, jean, "Survey analysis", security_level="reliability", english={}, french={"oral_proficiency": "B"}
    )
    theirs_only = _post(client, jean, "Statcan only", limited_to_department=True)
    secret = _post(client, jean, "Secret work", security_level="secret")
    cancelled = _post(client, jean, "Soon cancelled")
    mine = {fits, theirs_only, secret, cancelled}

    def recommended() -> dict[str, dict[str, Any]]:
        r = client.get("/v1/me/recommendations", headers=amira.headers)
        return (
            {o["opportunity_id"]: o for o in r.json()["opportunities"] if o["opportunity_id"] in mine}
            if (r.status_code == 200)
            else {}
        )

    found = eventually(lambda: (f := recommended()) and set(f) == {fits, cancelled} and f, what="recommendations")
    assert found[fits]["title"] == "Survey analysis (fr)"
    assert [reason["text"] for reason in found[fits]["reasons"]] == [
        "trouvé par compétence : Analyse de données",
        "4 h libres par semaine (4 h demandées)",
        "français C",
    ]
    english = client.get("/v1/me/recommendations", headers={**amira.headers, "Accept-Language": "en"}).json()
    [ours] = [o for o in english["opportunities"] if o["opportunity_id"] == fits]
    assert ours["reasons"][0]["text"] == "found by skill: Data Analysis"

    assert client.post(f"/v1/opportunities/{cancelled}/cancel", headers=jean.headers).status_code == 200
    eventually(lambda: set(recommended()) == {fits}, what="the cancelled opportunity gone")

    # The poster's side: the same filters, and what ruled people out.
    candidates = client.get(f"/v1/opportunities/{theirs_only}/candidates", headers=jean.headers).json()
    assert amira.user_id not in [c["user_id"] for c in candidates["candidates"]]
    assert {e["code"] for e in candidates["exclusions"]} >= {"department"}
    # Nobody but the member sees their recommendations: the route takes no one else's id.
    assert client.get("/v1/me/recommendations").status_code == 401
