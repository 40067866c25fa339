"""Recommendations through the real gateway: a signed-in member sees the open opportunities that
fit them, each with why in their language; one open only to another department, one asking for a
clearance they do not hold, and one that was cancelled are not offered. The poster's candidate
list applies the same filters from the other side. Browsing by best fit follows the same ranking:
the opportunity that fits best comes first even when it is the oldest, and with matching down the
list is newest first rather than an error."""

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


def _member(client: httpx.Client, stack: TestStack, email: str, name: str) -> Person:
    """A francophone member matching can recommend micro-missions to: Data Analysis and Python,
    French C, reliability clearance, 4 free hours a week."""
    member = join(client, stack.stack.mail_dir, email, name, "fr")
    eventually(lambda: client.get("/v1/me/profile", headers=member.headers).status_code == 200, what="a profile")
    r = client.put(
        "/v1/me/profile",
        headers=member.headers,
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
    return member


def _poster(client: httpx.Client, stack: TestStack, email: str, name: str) -> Person:
    return join(client, stack.stack.mail_dir, email, name, "en", department="statcan")


def _post(
    client: httpx.Client, poster: Person, title: str, skill_ids: tuple[str, ...] = ("data-analysis",), **changes: Any
) -> str:
    body = opportunity_body(title_en=title, title_fr=f"{title} (fr)", skill_ids=list(skill_ids), department="statcan")
    body["details"]["limited_to_department"] = changes.pop("limited_to_department", False)
    body["requirements"].update(changes)
    r = client.post("/v1/opportunities", headers=poster.headers, json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_a_member_sees_the_opportunities_that_fit_them_with_reasons(stack: TestStack) -> None:
    client = httpx.Client(base_url=stack.gateway_url, timeout=20)
    amira = _member(client, stack, "amira.haddad@tbs-sct.gc.ca", "Amira Haddad")
    jean = _poster(client, stack, "jean.tremblay@statcan.gc.ca", "Jean Tremblay")

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


def test_best_fit_puts_the_best_fitting_opportunity_first_even_when_older(stack: TestStack) -> None:
    """As matching scores the fit, not by counting skills in common: the one sharing the most
    skills asks for more than she has, and one she lacks the clearance for is not ranked."""
    client = httpx.Client(base_url=stack.gateway_url, timeout=20)
    nadia = _member(client, stack, "nadia.roy@tbs-sct.gc.ca", "Nadia Roy")
    luc = _poster(client, stack, "luc.gagnon@statcan.gc.ca", "Luc Gagnon")
    # Oldest first, each titled with a word no other test uses, to list only these. Skills in
    # common: 1, 4 asked of which 2 held, none, 2; matching: 1.0, 0.5, not ranked, not ranked.
    fits_best = _post(client, luc, "Kestrel survey analysis")
    fits_less = _post(client, luc, "Kestrel platform", ("data-analysis", "python", "translation", "event-planning"))
    coaching = _post(client, luc, "Kestrel coaching", ("coaching",))
    secret = _post(client, luc, "Kestrel secret analysis", ("data-analysis", "python"), security_level="secret")

    def listed(lang: str, q: str = "kestrel") -> tuple[list[str], int, list[dict[str, Any] | None]]:
        """Every page, two at a time: ids, the total, and each one's fit."""
        ids, fits, token, total = [], [], "", 0
        while True:
            r = client.get(
                "/v1/opportunities",
                params={"sort": "best_fit", "q": q, "page_size": 2, "page_token": token},
                headers={**nadia.headers, "Accept-Language": lang},
            )
            assert r.status_code == 200, r.text
            page = r.json()
            ids += [o["id"] for o in page["opportunities"]]
            fits += [o["fit"] for o in page["opportunities"]]
            token, total = page["next_page_token"], page["total"]
            if not token:
                return ids, total, fits

    # Matching learns of the opportunities and of her profile through events.
    eventually(lambda: listed("fr")[0][:2] == [fits_best, fits_less], what="best fit from matching's ranking")
    for lang, reason in (("fr", "trouvé par compétence : Analyse de données"), ("en", "found by skill: Data Analysis")):
        ids, total, fits = listed(lang)
        assert (ids, total) == ([fits_best, fits_less, secret, coaching], 4)  # the unranked newest first
        assert fits[0] and fits[1] and fits[0]["score"] > fits[1]["score"] > 0 and fits[2:] == [None, None]
        assert fits[0]["reasons"][0]["text"] == reason
    newest = client.get("/v1/opportunities", params={"q": "kestrel"}, headers=nadia.headers).json()
    assert [(o["id"], o["fit"]) for o in newest["opportunities"]] == [
        (secret, None),
        (coaching, None),
        (fits_less, None),
        (fits_best, None),
    ]
    assert listed("en", q="kestrel analysis")[:2] == ([fits_best, secret], 2)  # filters still hold

    stack.stack.stop_proc("matching-api")
    try:
        assert listed("fr") == ([secret, coaching, fits_less, fits_best], 4, [None] * 4)
    finally:
        stack.stack.restart("matching-api")
