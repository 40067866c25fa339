"""Staff pages over plain HTTP against a real stack (gateway and web): the marketplace's
analytics, refused to a member and shown to staff signed in with a second factor (charts as
inline SVG, each with its table and a CSV download), in both languages; and the coordinators'
page for merging skills members added."""

from __future__ import annotations

import csv
import io
import re
import time
from typing import Any

import httpx
import pyotp
import pytest

from tandem_dev.people import operator_grant
from tandem_dev.samples import opportunity_body
from tandem_dev.testing import Member, StackFactory, TestStack, eventually
from tests.browser.kit import WebClient as Browser
from tests.browser.kit import field_error

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("staff-pages")]


@pytest.fixture(scope="module")
def stack(module_stack_factory: StackFactory) -> TestStack:
    # Plain HTTP on 127.0.0.1: the session cookie is sent back without the Secure flag.
    return module_stack_factory(
        ("identity", "profiles", "opportunities", "matching", "notifications", "referrals"),
        edge=True,
        env={"WEB_COOKIE_SECURE": "false"},
    )


def staff_browser(stack: TestStack, member: Member, role: str, scope: str = "") -> Browser:
    """Grant `role`, set up TOTP through the gateway, and sign in on the web with a code."""
    operator_grant(stack.stack, member.email, role, scope)
    r = member.post("/v1/me/totp")
    assert r.status_code == 200, r.text
    totp = pyotp.TOTP(r.json()["secret"])
    r = member.post("/v1/me/totp/confirm", {"code": totp.now()})
    assert r.status_code == 200, r.text
    web = Browser(stack)
    web.get("/en/sign-in")
    # The code just used is spent; the next step's is accepted (one step of drift).
    r = web.post(
        "/en/sign-in",
        {"email": member.email, "password": Member.PASSWORD, "totp_code": totp.at(time.time() + 30), "next": ""},
    )
    assert r.status_code == 200 and "tandem-session-bar" in r.text, r.text[:2000]
    return web


@pytest.fixture(scope="module")
def people(stack: TestStack) -> dict[str, Any]:
    client = httpx.Client(base_url=stack.gateway_url, timeout=30)
    poster = Member.sign_up(stack, client, "pat.poster@statcan.gc.ca", "Pat Poster", "en", "statcan")
    lead = Member.sign_up(stack, client, "lea.lead@statcan.gc.ca", "Lea Lead", "fr", "statcan")
    admin = Member.sign_up(stack, client, "ada.lovelace@tbs-sct.gc.ca", "Ada Lovelace", "en", "tbs-sct")
    for skills, kind in ((["python", "data-analysis"], "micro_mission"), (["python"], "mentoring")):
        body = opportunity_body(
            title_en="Survey analysis",
            title_fr="Analyse d’enquête",
            skill_ids=skills,
            department="statcan",
            name="Pat Poster",
            email="pat.poster@statcan.gc.ca",
            type=kind,
        )
        r = poster.post("/v1/opportunities", body)
        assert r.status_code == 201, r.text
    return {
        "poster": poster,
        "lead": lead,
        "admin": admin,
        "lead_web": staff_browser(stack, lead, "departmental_lead", "statcan"),
        "admin_web": staff_browser(stack, admin, "admin"),
    }


def test_analytics_are_refused_to_a_member(stack: TestStack, people: dict[str, Any]) -> None:
    web = Browser(stack)
    web.sign_in(people["poster"].email)
    r = web.get("/en/staff/analytics")
    assert r.status_code == 403 and "You do not have access to this page" in r.text
    assert web.get("/fr/staff/analytics/posted.csv").status_code == 403
    assert "/en/staff/analytics" not in web.get("/en/").text  # no menu entry either
    anonymous = Browser(stack)
    r = anonymous.get("/en/staff/analytics")
    assert r.status_code == 303 and r.headers["location"].startswith("/en/sign-in")


def test_staff_see_charts_with_tables_and_csv(stack: TestStack, people: dict[str, Any]) -> None:
    web: Browser = people["lead_web"]
    r = eventually(lambda: (p := web.get("/en/staff/analytics")).status_code == 200 and "Micro-Mission" in p.text and p)
    page = r.text
    assert "/en/staff/analytics" in page  # the menu entry for staff
    charts = re.findall(r'<svg class="tandem-bar-chart" role="img" aria-labelledby="chart-([a-z-]+)-title', page)
    assert charts == ["posted", "filled", "days-to-fill", "top-skills"]
    # No offer was declined yet: that chart says so instead of drawing nothing.
    declines = page.split('id="chart-decline-reasons-heading"')[1].split("</section>")[0]
    assert "No figures for this period." in declines
    for chart in ("posted", "top-skills"):
        assert f'<table class="tandem-table" id="chart-{chart}-table">' in page
        assert f'href="/en/staff/analytics/{chart}.csv' in page
    assert "<caption>Opportunities posted, by type of opportunity</caption>" in page
    assert '<th scope="row">Micro-Mission</th><td>1</td>' in page
    assert "<script" not in page.split("</head>")[1]  # charts are drawn without scripts
    assert "Fold skills added by members" not in page  # merging is for coordinators and admins

    r = web.get("/en/staff/analytics/posted.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == ["Code", "Type of opportunity", "Posted (number)"]
    assert ["micro_mission", "Micro-Mission", "1"] in rows and ["mentoring", "Mentoring", "1"] in rows
    r = web.get("/en/staff/analytics/top-skills.csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[1] == ["python", "Python", "2"]
    r = web.get("/en/staff/analytics/opportunities.csv", group_by="department")  # the gateway's own export
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0][:3] == ["department", "posted", "filled"] and rows[1][:2] == ["statcan", "2"]
    assert web.get("/en/staff/analytics/nothing.csv").status_code == 404

    # In French, by department; a wrong date is named beside its field.
    r = web.get("/fr/staff/analytics", group_by="department")
    assert r.status_code == 200 and "Possibilités publiées, par ministère" in r.text and "Statistique Canada" in r.text
    r = web.get("/fr/staff/analytics", since="2026-13-45")
    assert r.status_code == 422 and "année-mois-jour" in field_error(r.text, "since")
    r = web.get("/fr/staff/analytics/posted.csv")
    assert "Type de possibilité" in r.content.decode("utf-8-sig").splitlines()[0]


def test_an_admin_merges_a_skill_members_added(stack: TestStack, people: dict[str, Any]) -> None:
    poster: Member = people["poster"]
    r = poster.post("/v1/skills", {"label": "Pandas dataframes"})
    assert r.status_code == 200, r.text
    custom = r.json()["id"]
    eventually(lambda: poster.get("/v1/me/profile").status_code == 200, what="Pat's profile")
    assert poster.put("/v1/me/profile", {"skill_ids": [custom]}).status_code == 200

    lead: Browser = people["lead_web"]
    assert lead.get("/en/staff/skills").status_code == 403

    web: Browser = people["admin_web"]
    r = web.get("/en/staff/skills")
    assert r.status_code == 200 and "Pandas dataframes" in r.text
    r = web.post(f"/en/staff/skills/{custom}/merge", {f"into.{custom}": "no-such-skill"})
    assert r.status_code in (404, 422) and field_error(r.text, f"into-{custom}")
    r = web.post(f"/en/staff/skills/{custom}/merge", {f"into.{custom}": "python"})
    assert r.status_code == 200 and "The skill is merged." in r.text and "Pandas dataframes" not in r.text
    assert [k["id"] for k in poster.get("/v1/me/profile").json()["skills"]] == ["python"]
