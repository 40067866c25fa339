"""An opportunity through every state of the Career Marketplace, through the gateway: posted in
three steps, found, shared, applied to, offered, removed, declined, accepted, completed; each
step noticed by the right person. Also: racing offers and accepts, who may see what, and a
bilingual, field-specific refusal for a bad value in every field of the three steps."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tandem_dev.people import enroll_totp, join, operator_grant
from tandem_dev.samples import opportunity_body
from tandem_dev.testing import Member, StackFactory, TestStack

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("opportunity-lifecycle")]


@pytest.fixture(scope="module")
def stack(module_stack_factory: StackFactory) -> TestStack:
    return module_stack_factory(
        ("identity", "profiles", "opportunities", "matching", "notifications", "referrals"), edge=True
    )


@pytest.fixture(scope="module")
def people(stack: TestStack) -> dict[str, Member]:
    client = httpx.Client(base_url=stack.gateway_url, timeout=30)
    return {
        "poster": Member.sign_up(stack, client, "nadia.poster@statcan.gc.ca", "Nadia Poster", "fr", "statcan"),
        "ana": Member.sign_up(stack, client, "ana.applicant@statcan.gc.ca", "Ana Applicant", "en", "statcan"),
        "ben": Member.sign_up(stack, client, "ben.applicant@statcan.gc.ca", "Ben Applicant", "en", "statcan"),
        "outsider": Member.sign_up(stack, client, "olga.outsider@tbs-sct.gc.ca", "Olga Outsider", "fr", "tbs-sct"),
    }


def _body(**changes: Any) -> dict[str, Any]:
    body = opportunity_body(
        title_en="Survey analysis",
        title_fr="Analyse d’enquête",
        skill_ids=["data-analysis"],
        department="statcan",
        name="Nadia Poster",
        email="nadia.poster@statcan.gc.ca",
        openings=changes.pop("openings", 1),
    )
    for step, values in changes.items():
        body[step].update(values)
    return body


def test_an_opportunity_goes_through_every_state_with_a_notice_at_each_step(people: dict[str, Member]) -> None:
    poster, ana, ben = people["poster"], people["ana"], people["ben"]

    # Posted in three steps, kept in a draft between them.
    r = poster.post("/v1/drafts", _body()["poster"])
    assert r.status_code == 201, r.text
    draft = r.json()["id"]
    assert poster.put(f"/v1/drafts/{draft}/details", _body(openings=1)["details"]).status_code == 200
    assert poster.put(f"/v1/drafts/{draft}/requirements", _body()["requirements"]).status_code == 200
    r = poster.post(f"/v1/drafts/{draft}/publish")
    assert r.status_code == 201, r.text
    oid = r.json()["id"]

    # Found by browsing and searching.
    found = ana.get("/v1/opportunities", params={"q": "survey", "type": "micro_mission"}).json()
    assert oid in [o["id"] for o in found["opportunities"]]

    # Shared with Ana, who is told.
    assert poster.post(f"/v1/opportunities/{oid}/shares", {"candidate_id": ana.user_id}).status_code == 201
    assert ana.notice("opportunity_shared")["link"].endswith(f"/en/opportunities/{oid}")

    # Both apply; the poster is told, and sees them with their profiles.
    for person in (ana, ben):
        r = person.post(f"/v1/opportunities/{oid}/applications", {"message": f"{person.name} here."})
        assert r.status_code == 201, r.text
    poster.notice("application_received")
    listed = poster.get(f"/v1/opportunities/{oid}/applications").json()["applications"]
    assert sorted(a["profile"]["display_name"] for a in listed) == ["Ana Applicant", "Ben Applicant"]
    assert poster.get(f"/v1/opportunities/{oid}").json()["applicant_count"] == 2

    # An offer to Ben, who declines with a reason: the opening comes back.
    offer = poster.post(f"/v1/opportunities/{oid}/offers", {"applicant_id": ben.user_id}).json()
    ben.notice("offer_made")
    r = ben.post(f"/v1/offers/{offer['id']}/decline", {"reason": "schedule_conflict"})
    assert r.status_code == 200 and r.json()["state"] == "declined", r.text
    poster.notice("offer_declined")

    # An offer to Ana, accepted: the work starts.
    offer = poster.post(f"/v1/opportunities/{oid}/offers", {"applicant_id": ana.user_id})
    assert offer.status_code == 201, offer.text
    assert ana.get("/v1/me/offers").json()["offers"][0]["state"] == "outstanding"
    r = ana.post(f"/v1/offers/{offer.json()['id']}/accept")
    assert r.status_code == 200, r.text
    assert poster.notice("offer_accepted")["subject"] == "Votre offre a été acceptée : Analyse d’enquête"

    # Completed: closed to new applications, counted as a match; both sides asked for feedback.
    r = poster.post(f"/v1/opportunities/{oid}/complete")
    assert r.status_code == 200 and r.json()["state"] == "completed", r.text
    ana.notice("opportunity_completed")
    poster.notice("feedback_requested")
    late = people["outsider"].post(f"/v1/opportunities/{oid}/applications", {})
    assert late.status_code == 409 and late.json()["code"] == "apply.closed"


def test_removing_withdrawing_cancelling_and_reopening(people: dict[str, Member]) -> None:
    poster, ana, ben = people["poster"], people["ana"], people["ben"]
    oid = poster.post("/v1/opportunities", _body(openings=2)).json()["id"]
    ben.post(f"/v1/opportunities/{oid}/applications", {})
    r = poster.post(f"/v1/opportunities/{oid}/applicants/{ben.user_id}/remove")
    assert r.status_code == 200 and r.json()["state"] == "removed", r.text
    ben.notice("removed_from_opportunity")
    application = ana.post(f"/v1/opportunities/{oid}/applications", {}).json()
    assert ana.post(f"/v1/applications/{application['id']}/withdraw").json()["state"] == "withdrawn"
    poster.notice("application_withdrawn")
    outsider = people["outsider"]
    assert outsider.post(f"/v1/opportunities/{oid}/applications", {}).status_code == 201
    assert poster.post(f"/v1/opportunities/{oid}/cancel").json()["state"] == "cancelled"
    outsider.notice("opportunity_cancelled")  # whoever was still waiting is told
    assert ana.post(f"/v1/opportunities/{oid}/applications", {}).json()["code"] == "apply.closed"
    assert poster.post(f"/v1/opportunities/{oid}/reopen").json()["state"] == "open"
    assert ana.post(f"/v1/opportunities/{oid}/applications", {}).status_code == 201
    r = ana.post(f"/v1/opportunities/{oid}/cancel")
    assert r.status_code == 403


def test_twenty_racing_offers_and_accepts_leave_one_participant(stack: TestStack, people: dict[str, Member]) -> None:
    poster = people["poster"]
    client = httpx.Client(base_url=stack.gateway_url, timeout=60)
    applicants = [
        Member.sign_up(stack, client, f"racer{n}@statcan.gc.ca", f"Racer Number{chr(65 + n)}", "en", "statcan")
        for n in range(20)
    ]
    oid = poster.post("/v1/opportunities", _body(openings=1)).json()["id"]
    for a in applicants:
        assert a.post(f"/v1/opportunities/{oid}/applications", {}).status_code == 201

    def offer(a: Member) -> httpx.Response:
        return poster.post(f"/v1/opportunities/{oid}/offers", {"applicant_id": a.user_id})

    with ThreadPoolExecutor(max_workers=20) as pool:
        offers = list(pool.map(offer, applicants))
    made = [r.json() for r in offers if r.status_code == 201]
    assert len(made) == 1
    assert {r.json()["code"] for r in offers if r.status_code != 201} == {"offer.no_openings_left"}
    winner = next(a for a in applicants if a.user_id == made[0]["applicant_id"])

    # Twenty clicks on "accept" at once, and a loser trying to accept the winner's offer.
    def accept(who: Member) -> httpx.Response:
        return who.post(f"/v1/offers/{made[0]['id']}/accept")

    with ThreadPoolExecutor(max_workers=21) as pool:
        accepts = list(pool.map(accept, [winner] * 20 + [applicants[0] if applicants[0] != winner else applicants[1]]))
    assert sum(r.status_code == 200 for r in accepts) == 1
    opportunity = poster.get(f"/v1/opportunities/{oid}").json()
    assert (opportunity["accepted_count"], opportunity["outstanding_offer_count"]) == (1, 0)


def test_who_may_see_and_do_what(people: dict[str, Member]) -> None:
    poster, ana, outsider = people["poster"], people["ana"], people["outsider"]
    oid = poster.post("/v1/opportunities", _body(details={"limited_to_department": True})).json()["id"]
    assert (
        ana.post(f"/v1/opportunities/{oid}/applications", {"message": "Private note to the poster."}).status_code == 201
    )

    # Only the poster sees applicants, makes offers and completes.
    for method, path, body in (
        ("get", f"/v1/opportunities/{oid}/applications", None),
        ("get", f"/v1/opportunities/{oid}/candidates", None),
        ("post", f"/v1/opportunities/{oid}/offers", {"applicant_id": ana.user_id}),
        ("post", f"/v1/opportunities/{oid}/complete", None),
    ):
        r = outsider.get(path) if method == "get" else outsider.post(path, body)
        assert r.status_code == 403, (path, r.text)
        assert r.headers["content-type"] == "application/problem+json"

    # A department-only opportunity is visible to another department, but closed to it.
    seen = outsider.get(f"/v1/opportunities/{oid}").json()
    assert (seen["can_apply"], seen["cannot_apply_reason"]) == (False, "apply.other_department")
    r = outsider.post(f"/v1/opportunities/{oid}/applications", {})
    assert r.status_code == 409
    assert r.json()["title"].startswith("Cette possibilité est réservée au ministère")

    # A stranger never sees another person's application message.
    assert all(a["opportunity_id"] != oid for a in outsider.get("/v1/me/applications").json()["applications"])
    assert ana.get("/v1/me/applications").json()["applications"][0]["message"] == "Private note to the poster."


def test_the_analytics_are_for_staff_and_export_as_csv(stack: TestStack, people: dict[str, Member]) -> None:
    assert people["ana"].get("/v1/analytics/opportunities").status_code == 403
    assert people["poster"].post("/v1/opportunities", _body()).status_code == 201
    client = httpx.Client(base_url=stack.gateway_url, timeout=30)
    staff = join(client, stack.stack.mail_dir, "ines.analyst@tbs-sct.gc.ca", "Ines Analyst", "fr")
    operator_grant(stack.stack, staff.email, "admin")
    staff = enroll_totp(client, staff)

    r = client.get("/v1/analytics/opportunities", params={"group_by": "type"}, headers=staff.headers)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["total"]["posted"] >= 1
    assert {row["key"] for row in report["rows"]} >= {"micro_mission"}
    assert any(c["key"] == "data-analysis" for c in report["top_skills"])
    csv = client.get(
        "/v1/analytics/opportunities", params={"group_by": "month", "format": "csv"}, headers=staff.headers
    )
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert lines[0].startswith("month,posted,filled,completed,cancelled")
    assert lines[-1].startswith("total,")
    bad = client.get("/v1/analytics/opportunities", params={"since": "yesterday"}, headers=staff.headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "since"


TODAY = date.today()

# One bad value for every field of the three steps, with the code it must produce.
BAD_VALUES: list[tuple[str, str, Any, str]] = [
    ("poster", "name", "", "field.required"),
    ("poster", "email", "nadia@", "email.invalid"),
    ("poster", "department", "ministry-of-magic", "department.unknown"),
    ("poster", "phone", "call me maybe", "phone.invalid"),
    ("poster", "agrees_to_guide", False, "poster.must_agree_to_guide"),
    ("poster", "agrees_to_feedback", False, "poster.must_agree_to_feedback"),
    ("details", "title_en", "", "field.required"),
    ("details", "title_fr", "Deux\nlignes", "field.single_line"),
    ("details", "description_en", "", "field.required"),
    ("details", "description_fr", "", "field.required"),
    ("details", "type", "lunch", "choice.unknown"),
    ("details", "host_role", "watching", "choice.unknown"),
    ("details", "program_area", "", "field.required"),
    ("details", "classification", "economist", "classification.invalid"),
    ("details", "openings", 0, "openings.range"),
    ("details", "ideal_start", (TODAY - timedelta(days=1)).isoformat(), "date.past"),
    ("details", "ideal_completion", TODAY.isoformat(), "completion.before_start"),
    ("details", "application_deadline", "31/12/2027", "date.invalid"),
    ("details", "limited_to_department", "sometimes", "field.not_boolean"),
    ("requirements", "skill_ids", ["underwater-basket-weaving"], "skills.unknown"),
    ("requirements", "hours", 0, "hours.range"),
    ("requirements", "per", "fortnight", "choice.unknown"),
    ("requirements", "time_zone", "Mars/Olympus", "time_zone.unknown"),
    ("requirements", "schedule", {"monday": {"start": "25:00", "duration": "01:00"}}, "time.invalid"),
    ("requirements", "virtual", "maybe", "field.not_boolean"),
    ("requirements", "city", "x" * 101, "field.too_long"),
    ("requirements", "province", "ZZ", "choice.unknown"),
    ("requirements", "security_level", "cosmic", "choice.unknown"),
    ("requirements", "english", {"oral_proficiency": "F"}, "language_level.invalid"),
]


@pytest.mark.parametrize(("step", "field", "value", "code"), BAD_VALUES, ids=[f"{s}.{f}" for s, f, _, _ in BAD_VALUES])
def test_every_field_refuses_a_bad_value_in_both_languages(
    stack: TestStack, people: dict[str, Member], step: str, field: str, value: Any, code: str
) -> None:
    poster = people["poster"]
    before = poster.get("/v1/opportunities", params={"mine": "true", "page_size": 100}).json()["total"]
    body = _body(**{step: {field: value}})
    messages = {}
    for lang in ("en", "fr"):
        r = poster.client.post("/v1/opportunities", json=body, headers={**poster.headers, "Accept-Language": lang})
        assert r.status_code == 422, r.text
        errors = [e for e in r.json()["errors"] if e["code"] == code]
        assert errors, r.json()["errors"]
        assert errors[0]["field"].startswith(f"{step}."), errors[0]
        messages[lang] = errors[0]["message"]
    assert messages["en"] != messages["fr"]
    assert poster.get("/v1/opportunities", params={"mine": "true", "page_size": 100}).json()["total"] == before


def test_a_draft_step_with_a_bad_value_changes_nothing(people: dict[str, Member]) -> None:
    poster = people["poster"]
    draft = poster.post("/v1/drafts", _body()["poster"]).json()
    r = poster.put(f"/v1/drafts/{draft['id']}/details", _body(details={"openings": 500})["details"])
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "details.openings"
    assert poster.get(f"/v1/drafts/{draft['id']}").json()["steps_done"] == ["poster"]
