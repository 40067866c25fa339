"""My profile, someone's public profile, the notifications inbox and notice preferences, over
plain HTTP as a browser without scripts would use them (and with htmx's requests where the page
offers them), against a real stack (gateway and web). Every form is sent with the CSRF token read
from the page."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tandem_dev.mailbox import messages_to, text_of
from tandem_dev.testing import Member, StackFactory, TestStack, eventually
from tests.browser.kit import HTMX, field_error, options
from tests.browser.kit import WebClient as Browser

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("profile-pages")]


@pytest.fixture(scope="module")
def stack(module_stack_factory: StackFactory) -> TestStack:
    # Plain HTTP on 127.0.0.1: the session cookie is sent back without the Secure flag.
    return module_stack_factory(
        ("identity", "profiles", "opportunities", "matching", "notifications", "referrals"),
        edge=True,
        env={"WEB_COOKIE_SECURE": "false"},
    )


def profile_form(**changes: Any) -> dict[str, Any]:
    """Every field of the edit form as a browser sends it, with `changes` (keys with dots
    written with __ for dots, e.g. location__city)."""
    form: dict[str, Any] = {
        "title": "",
        "department": "",
        "classification": "",
        "location.city": "",
        "location.province": "",
        "location.time_zone": "",
        "other_languages": "",
        "occupation_code": "",
        "industry_code": "",
        "career_goals": "",
        "interests": "",
        "skill_q": "",
        "custom_skill": "",
        "occupation_q": "",
        "industry_q": "",
        "security_clearance": "",
        "mentoring.max_mentees": "",
        "mentoring.availability_hours_per_month": "",
        "mentoring.connector_meetings_per_year": "",
        "availability.hours_per_week": "",
        "availability.max_engagements": "",
        "availability.day_start": "",
        "availability.day_end": "",
        "self_identification.cultural_background": "",
    }
    for lang in ("english", "french"):
        for skill in ("written_comprehension", "written_expression", "oral_proficiency"):
            form[f"official_languages.{lang}.{skill}"] = ""
    for f in ("institution", "credential", "field_of_study", "start_year", "end_year"):
        form[f"education.0.{f}"] = ""
    for f in ("title", "organization", "start", "end", "description"):
        form[f"work_experience.0.{f}"] = ""
    form.update({k.replace("__", "."): v for k, v in changes.items()})
    return form


def wait_for_profile(person: Member) -> None:
    eventually(lambda: person.get("/v1/me/profile").status_code == 200, what=f"{person.name}'s profile")


@pytest.fixture(scope="module")
def people(stack: TestStack) -> dict[str, Member]:
    client = httpx.Client(base_url=stack.gateway_url, timeout=30)
    pia = Member.sign_up(stack, client, "pia.profile@statcan.gc.ca", "Pia Profile", "en", "statcan")
    olaf = Member.sign_up(stack, client, "olaf.other@tbs-sct.gc.ca", "Olaf Other", "fr", "tbs-sct")
    for person in (pia, olaf):
        wait_for_profile(person)
    return {"pia": pia, "olaf": olaf}


def test_a_wrong_field_is_named_beside_it_in_both_languages_and_nothing_is_saved(
    stack: TestStack, people: dict[str, Member]
) -> None:
    pia = people["pia"]
    web = Browser(stack)
    web.sign_in(pia.email)
    r = web.get("/en/profile")
    assert r.status_code == 200 and "My profile" in r.text and "% complete" in r.text
    r = web.get("/en/profile/edit")
    assert r.status_code == 200 and 'name="opt_ins.mentoring"' in r.text

    wrong = profile_form(
        title="Never saved",
        classification="ZZ-99",
        **{
            "education.0.institution": "",
            "education.0.credential": "BSc",
            "education.0.start_year": "1800",
            "availability.day_start": "25:00",
            "mentoring.types": ["traditional"],
            "opt_ins.mentoring": ["mentee"],
        },
    )
    r = web.post("/en/profile/edit", wrong)
    assert r.status_code == 422, r.text[:3000]
    assert "ZZ" in field_error(r.text, "classification")
    assert field_error(r.text, "education-0-institution") == "Enter a value."
    assert "1950" in field_error(r.text, "education-0-start_year")
    assert field_error(r.text, "availability-day_start")
    assert 'value="Never saved"' in r.text  # what was typed stays on the form
    english = field_error(r.text, "education-0-institution")

    r = web.post("/fr/profile/edit", wrong)
    assert r.status_code == 422
    assert field_error(r.text, "education-0-institution") not in ("", english)
    assert "ZZ" in field_error(r.text, "classification")

    stored = pia.get("/v1/me/profile").json()
    assert stored["title"] == "" and stored["classification"] is None and stored["opt_ins"] == {}


def test_a_good_profile_is_saved_and_shown(stack: TestStack, people: dict[str, Member]) -> None:
    pia = people["pia"]
    web = Browser(stack)
    web.sign_in(pia.email)
    web.get("/en/profile/edit")
    good = profile_form(
        title="Data scientist",
        department="Statistics Canada",
        classification="ec-05",
        career_goals="Lead a data team.",
        interests="Open data\nMentoring",
        other_languages="Spanish",
        **{
            "location.city": "Ottawa",
            "location.province": "ON",
            "location.time_zone": "America/Toronto",
            "official_languages.french.oral_proficiency": "B",
            "education.0.institution": "University of Ottawa",
            "education.0.credential": "BSc",
            "education.0.start_year": "2010",
            "education.0.end_year": "2014",
            "skill_ids": ["python"],
            "add_skill_ids": ["java"],
            "opt_ins.mentoring": ["mentee"],
            "opt_ins.micro_mission": ["participant", "host"],
            "mentoring.types": ["traditional", "reverse"],
            "mentoring.availability_hours_per_month": "4",
            "availability.days": ["monday", "tuesday"],
            "security_clearance": "secret",
            "action": "save",
        },
    )
    r = web.post("/en/profile/edit", good)
    assert r.status_code == 200, r.text[:3000]
    assert "Your profile is saved." in r.text
    assert "EC-05" in r.text and "Java" in r.text and "Python" in r.text and "University of Ottawa" in r.text
    assert "Be mentored" in r.text  # the opt-in, in the private part

    stored = pia.get("/v1/me/profile").json()
    assert stored["title"] == "Data scientist"
    assert {k["id"] for k in stored["skills"]} == {"python", "java"}
    assert stored["opt_ins"] == {"micro_mission": ["participant", "host"], "mentoring": ["mentee"]}
    assert stored["mentoring"]["types"] == ["traditional", "reverse"]
    assert stored["location"]["province"] == "ON"

    # The edit form comes back filled in, in French too.
    r = web.get("/fr/profile/edit")
    assert r.status_code == 200 and 'value="Data scientist"' in r.text and "Modifier mon profil" in r.text
    checked = {o["value"] for o in options(r.text, "opt_ins.micro_mission") if o["checked"]}
    assert checked == {"participant", "host"}

    # Another member sees the public part only.
    olaf = Browser(stack)
    olaf.sign_in(people["olaf"].email, "fr")
    r = olaf.get(f"/fr/profiles/{pia.user_id}")
    assert r.status_code == 200 and "Pia Profile" in r.text and "Data scientist" in r.text and "Java" in r.text
    assert "Préférences de mentorat" not in r.text and "mentee" not in r.text and "Secret" not in r.text
    assert olaf.get("/fr/profiles/no-such-person").status_code == 404


def test_skills_are_suggested_as_you_type_and_by_the_search_button(stack: TestStack, people: dict[str, Member]) -> None:
    pia = people["pia"]
    web = Browser(stack)
    web.sign_in(pia.email)
    before = pia.get("/v1/me/profile").json()

    # htmx: what is typed so far, answered with a fragment of choices.
    r = web.get("/en/profile/skills", headers=HTMX, skill_q="java")
    assert r.status_code == 200 and "<html" not in r.text
    found = options(r.text, "add_skill_ids")
    assert found[0]["value"] == "java" and found[0]["label"] == "Java"
    assert "javascript" in {o["value"] for o in found}
    r = web.get("/fr/profile/skills", headers=HTMX, skill_q="analyse de donn")
    assert "data-analysis" in {o["value"] for o in options(r.text, "add_skill_ids")}
    r = web.get("/en/profile/skills", headers=HTMX, skill_q="zzqxj")
    assert "No skill matches" in r.text

    # Without scripts: the search button sends the form and it comes back with the choices,
    # everything typed kept and nothing saved.
    web.get("/en/profile/edit")
    r = web.post("/en/profile/edit", profile_form(title="Typed, not saved", skill_q="java", action="search_skills"))
    assert r.status_code == 200
    assert options(r.text, "add_skill_ids")[0]["value"] == "java"
    assert 'value="Typed, not saved"' in r.text
    r = web.post("/en/profile/edit", profile_form(occupation_q="software engineer", action="search_occupations"))
    assert any(o["value"].startswith("2123") for o in options(r.text, "occupation_pick"))
    r = web.get("/en/profile/occupations", headers=HTMX, occupation_q="software")
    assert "occupation_pick" in r.text and "<html" not in r.text
    assert pia.get("/v1/me/profile").json()["version"] == before["version"]

    # A skill the list lacks: added, then kept when the profile is saved.
    r = web.post(
        "/en/profile/edit",
        profile_form(title="Data scientist", custom_skill="Survey design for Nunavut", action="add_custom_skill"),
    )
    assert r.status_code == 200 and "Skill added to the list" in r.text
    custom = [o for o in options(r.text, "skill_ids") if "Survey design for Nunavut" in o["label"]]
    assert custom and custom[0]["checked"]
    r = web.post(
        "/en/profile/edit", profile_form(title="Data scientist", skill_ids=[custom[0]["value"]], action="save")
    )
    assert "Your profile is saved." in r.text and "Survey design for Nunavut" in r.text
    r = web.post("/en/profile/edit", profile_form(custom_skill="", action="add_custom_skill"))
    assert r.status_code == 422 and field_error(r.text, "custom_skill")


def test_the_inbox_shows_notices_and_marks_them_read(stack: TestStack, people: dict[str, Member]) -> None:
    olaf = people["olaf"]
    olaf.notice("welcome")  # registering sent a welcome notice
    web = Browser(stack)
    web.sign_in(olaf.email, "fr")
    r = web.get("/fr/notifications")
    assert r.status_code == 200
    assert "Bienvenue dans Tandem, Olaf Other" in r.text and "Vous avez 1 avis non lu." in r.text
    notice = olaf.notices()[0]
    assert f"/fr/notifications/open/{notice['id']}" in r.text

    # htmx: the list comes back as a fragment with the count changed.
    r = web.post("/fr/notifications/read", {"notification_id": notice["id"]}, headers=HTMX)
    assert r.status_code == 200 and "<html" not in r.text and "Vous n’avez aucun avis non lu." in r.text
    assert olaf.notices()[0]["read"] is True

    # A plain form: all read, and back to the inbox with a message.
    web.get("/en/notifications")
    r = web.post("/en/notifications/read", {"all": "1"})
    assert "Every notice is marked as read." in r.text and "You have no unread notices." in r.text
    r = web.get(f"/en/notifications/open/{notice['id']}", to="/en/profile")
    assert r.status_code == 303 and r.headers["location"] == "/en/profile"
    r = web.get(f"/en/notifications/open/{notice['id']}", to="https://evil.example/x")
    assert r.headers["location"] == "/en/notifications"


def test_notice_preferences_and_the_unsubscribe_link(stack: TestStack, people: dict[str, Member]) -> None:
    pia = people["pia"]
    web = Browser(stack)
    web.sign_in(pia.email)
    r = web.get("/en/notifications/preferences")
    assert r.status_code == 200 and "Account security" in r.text
    offers = {o["value"]: o["checked"] for o in options(r.text, "category.offers")}
    assert offers == {"in_app": True, "email": True}

    # The form as a browser sends it: every box as it is, but email about offers turned off.
    names = re.findall(r'<gcds-checkboxes id="[^"]*" name="(category\.[a-z_]+)"', r.text)
    form: dict[str, Any] = {n: [o["value"] for o in options(r.text, n) if o["checked"]] for n in names}
    form["category.offers"] = ["in_app"]
    r = web.post("/fr/notifications/preferences", {**form, "email_frequency": "weekly"})
    assert r.status_code == 422 and field_error(r.text, "email_frequency")
    r = web.post("/en/notifications/preferences", {**form, "email_frequency": "daily"})
    assert "Your notice preferences are saved." in r.text
    prefs = pia.get("/v1/me/notification-preferences").json()
    assert prefs["email_frequency"] == "daily"
    offers_pref = next(c for c in prefs["categories"] if c["category"] == "offers")
    assert offers_pref["in_app"] and not offers_pref["email"]
    assert web.get("/en/account/notifications").headers["location"] == "/en/notifications/preferences"

    # The link at the foot of the welcome email: opening it changes nothing; the button does.
    welcome = eventually(
        lambda: [m for m in messages_to(stack.stack.mail_dir, pia.email) if "unsubscribe?token=" in text_of(m)]
    )
    link = re.search(r"/en/unsubscribe\?token=([A-Za-z0-9_.%-]+)", text_of(welcome[-1]))
    assert link
    token = httpx.URL(f"/?token={link.group(1)}").params["token"]
    anonymous = Browser(stack)
    r = anonymous.get("/en/unsubscribe", token=token)
    assert r.status_code == 200 and "Stop these emails?" in r.text
    assert next(
        c for c in pia.get("/v1/me/notification-preferences").json()["categories"] if c["category"] == "account"
    )["email"]
    r = anonymous.post("/en/unsubscribe", {"token": token})
    assert r.status_code == 200 and "You are unsubscribed" in r.text
    account = next(
        c for c in pia.get("/v1/me/notification-preferences").json()["categories"] if c["category"] == "account"
    )
    assert not account["email"]
    assert anonymous.get("/fr/unsubscribe", token="not-a-real-token-at-all").status_code in (404, 410, 422)
