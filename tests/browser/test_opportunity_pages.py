"""The marketplace's pages over plain HTTP, as a browser without scripts would use them, against a
real stack (gateway and web): post in three steps with a wrong field at each step (shown beside
the field and in the error summary, in English and in French, and nothing kept), find it by
browsing and filtering, apply, see the applicant and the candidate with the reasons, offer,
accept, complete. Every form is sent with the CSRF token read from the page."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tandem_dev.testing import Member, StackFactory, TestStack, eventually
from tests.browser.kit import WebClient as Browser
from tests.browser.kit import field_error

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("opportunity-pages")]


@pytest.fixture(scope="module")
def stack(module_stack_factory: StackFactory) -> TestStack:
    # Plain HTTP on 127.0.0.1: the session cookie is sent back without the Secure flag.
    return module_stack_factory(
        ("identity", "profiles", "opportunities", "matching", "notifications", "referrals"),
        edge=True,
        env={"WEB_COOKIE_SECURE": "false"},
    )


def mine(member: Member) -> list[dict[str, Any]]:
    r = member.get("/v1/opportunities", params={"mine": "true"})
    assert r.status_code == 200, r.text
    return list(r.json()["opportunities"])


@pytest.fixture(scope="module")
def people(stack: TestStack) -> dict[str, Member]:
    client = httpx.Client(base_url=stack.gateway_url, timeout=30)
    poster = Member.sign_up(stack, client, "paula.poster@statcan.gc.ca", "Paula Poster", "fr", "statcan")
    carl = Member.sign_up(stack, client, "carl.candidate@statcan.gc.ca", "Carl Candidate", "en", "statcan")
    eventually(lambda: carl.get("/v1/me/profile").status_code == 200, what="Carl's profile")
    r = carl.put(
        "/v1/me/profile",
        {
            "title": "Data analyst",
            "skill_ids": ["data-analysis", "python"],
            "opt_ins": {"micro_mission": ["participant"]},
            "official_languages": {
                "english": {"written_comprehension": "C", "written_expression": "C", "oral_proficiency": "C"},
                "french": {"written_comprehension": "B", "written_expression": "B", "oral_proficiency": "B"},
            },
            "security_clearance": "reliability",
        },
    )
    assert r.status_code == 200, r.text
    return {"poster": poster, "carl": carl}


def test_post_find_apply_offer_accept_complete(stack: TestStack, people: dict[str, Member]) -> None:
    poster, carl = people["poster"], people["carl"]
    paula = Browser(stack)
    paula.sign_in(poster.email, "fr")
    today = date.today()

    # Step 1: a wrong email, in English then in French; nothing is kept.
    r = paula.get("/en/post")
    assert r.status_code == 200 and 'current-step="1"' in r.text and 'total-steps="3"' in r.text
    assert 'value="Paula Poster"' in r.text  # filled in from the account
    step1 = {
        "poster.name": "Paula Poster",
        "poster.email": "not an email",
        "poster.department": "statcan",
        "poster.phone": "",
        "poster.agrees_to_guide": "yes",
        "poster.agrees_to_feedback": "yes",
    }
    r = paula.post("/en/post", step1)
    assert r.status_code == 422
    assert field_error(r.text, "poster-email") == "Enter an email address in the form name@example.gc.ca."
    assert 'value="Paula Poster"' in r.text  # what was typed stays
    r = paula.post("/fr/post", step1)
    assert r.status_code == 422 and '<html lang="fr">' in r.text
    assert field_error(r.text, "poster-email") == "Entrez une adresse courriel sous la forme nom@exemple.gc.ca."
    r = paula.post("/fr/post", {**step1, "poster.email": poster.email}, follow=False)
    assert r.status_code == 303, r.text[:2000]
    step2_path = r.headers["location"]
    draft_id = step2_path.split("/")[3]
    assert step2_path == f"/fr/post/{draft_id}/details"

    # Step 2: the application deadline after the ideal start.
    r = paula.get(step2_path)
    assert r.status_code == 200 and 'current-step="2"' in r.text
    step2 = {
        "details.title_en": "Survey analysis for the census",
        "details.title_fr": "Analyse d’enquête pour le recensement",
        "details.description_en": "Six weeks with our team.\n\nYou will clean and analyse survey data.",
        "details.description_fr": "Six semaines avec notre équipe.\n\nVous nettoierez et analyserez des données.",
        "details.type": "micro_mission",
        "details.host_role": "offering",
        "details.program_area": "science",
        "details.classification": "EC-05",
        "details.openings": "1",
        "details.application_deadline": (today + timedelta(days=30)).isoformat(),
        "details.ideal_start": (today + timedelta(days=20)).isoformat(),
        "details.ideal_completion": (today + timedelta(days=70)).isoformat(),
    }
    r = paula.post(f"/fr/post/{draft_id}/details", step2)
    assert r.status_code == 422
    assert field_error(r.text, "details-application_deadline") == (
        "La date limite de candidature doit être au plus tard la date de début idéale."
    )
    r = paula.post(f"/en/post/{draft_id}/details", step2)
    assert field_error(r.text, "details-application_deadline") == (
        "The application deadline must be on or before the ideal start date."
    )
    assert paula.client.get("/fr/post/" + draft_id + "/details").text.count("Survey analysis for the census") == 0
    step2["details.application_deadline"] = (today + timedelta(days=14)).isoformat()
    r = paula.post(f"/en/post/{draft_id}/details", step2, follow=False)
    assert r.status_code == 303 and r.headers["location"] == f"/en/post/{draft_id}/requirements", r.text[:2000]

    # Step 3: skills found without scripts (the plain form), and zero hours.
    r = paula.get(f"/en/post/{draft_id}/requirements")
    assert 'current-step="3"' in r.text
    r = paula.post(
        f"/en/post/{draft_id}/requirements",
        [("skill_q", "data analysis"), ("action", "find_skills"), ("requirements.hours", "0")],
    )
    assert r.status_code == 200 and "data-analysis" in r.text and "Data Analysis" in r.text
    fragment = paula.get("/fr/post/skills", skill_q="analyse de donn")  # what htmx asks for as one types
    assert fragment.status_code == 200 and "data-analysis" in fragment.text and "<html" not in fragment.text
    step3 = [
        ("requirements.skill_ids", "data-analysis"),
        ("requirements.hours", "0"),
        ("requirements.per", "week"),
        ("requirements.time_zone", "America/Toronto"),
        ("requirements.schedule.tuesday.start", "09:30"),
        ("requirements.schedule.tuesday.duration", "02:00"),
        ("requirements.virtual", "yes"),
        ("requirements.city", "Ottawa"),
        ("requirements.province", "ON"),
        ("requirements.security_level", "reliability"),
        ("requirements.english.oral_proficiency", "B"),
        ("requirements.french.written_comprehension", "B"),
        ("action", "publish"),
    ]
    r = paula.post(f"/en/post/{draft_id}/requirements", step3)
    assert r.status_code == 422
    assert field_error(r.text, "requirements-hours") == "Enter a number of hours greater than 0 and at most 168."
    assert "Data Analysis" in r.text  # the chosen skill stays chosen, with its label
    r = paula.post(f"/fr/post/{draft_id}/requirements", step3)
    assert field_error(r.text, "requirements-hours") == "Entrez un nombre d’heures supérieur à 0 et d’au plus 168."
    assert mine(poster) == []  # nothing published while a step is wrong
    step3[1] = ("requirements.hours", "4")
    r = paula.post(f"/fr/post/{draft_id}/requirements", step3, follow=False)
    assert r.status_code == 303, r.text[:3000]
    oid = r.headers["location"].rsplit("/", 1)[1]
    [posted] = mine(poster)
    assert posted["id"] == oid
    assert posted["requirements"]["english"]["oral_proficiency"] == "B"
    assert posted["requirements"]["schedule"]["tuesday"] == {"start": "09:30", "duration": "02:00"}
    r = paula.get(f"/fr/opportunities/{oid}")
    assert "Analyse d’enquête pour le recensement" in r.text and "Votre possibilité" in r.text
    assert "Fiabilité" in r.text and "mardi" in r.text

    # Found by words and filters, in both languages, each result linking to its page.
    cris = Browser(stack)
    cris.sign_in(carl.email, "en")
    r = cris.get("/en/opportunities", q="survey", type="micro_mission", program_area="science", virtual="true")
    assert r.status_code == 200 and f'href="/en/opportunities/{oid}"' in r.text
    assert "1 opportunity found." in r.text
    r = cris.get("/fr/opportunities", q="recensement", language="fr", department="statcan", sort="deadline")
    assert f'href="/fr/opportunities/{oid}"' in r.text
    r = cris.get("/en/opportunities", q="survey", type="mentoring")
    assert "No opportunity matches your search" in r.text and f"/en/opportunities/{oid}" not in r.text
    assert 'href="/en/opportunities?q=survey"' in r.text  # the same search without the filter

    # Carl applies with a message.
    r = cris.get(f"/en/opportunities/{oid}")
    assert "Survey analysis for the census" in r.text and 'name="message"' in r.text
    r = cris.post(f"/en/opportunities/{oid}/apply", {"message": "I analyse surveys every day."})
    assert r.status_code == 200 and "You applied on" in r.text and "Submitted" in r.text
    r = cris.post(f"/en/opportunities/{oid}/apply", {"message": "Again."})
    assert r.status_code == 409 and "You have already applied to this opportunity." in r.text

    # The poster sees the applicant with the profile, and the candidate with the reasons.
    r = paula.get(f"/fr/opportunities/{oid}/applicants")
    assert r.status_code == 200 and "Carl Candidate" in r.text and "I analyse surveys every day." in r.text
    assert "Data analyst" in r.text

    def ranked() -> str:
        page = paula.get(f"/en/opportunities/{oid}/candidates").text
        return page if "Carl Candidate" in page else ""

    try:
        page = eventually(ranked, what="Carl among the candidates")
    except TimeoutError:
        raise AssertionError(re.sub(r"<[^>]+>", " ", paula.get(f"/en/opportunities/{oid}/candidates").text)) from None
    assert "found by skill: Data Analysis" in page
    r = paula.post(f"/en/opportunities/{oid}/share", {"candidate_id": carl.user_id})
    assert r.status_code == 200 and "The opportunity is shared." in r.text
    r = paula.post(f"/en/opportunities/{oid}/share", {"candidate_id": carl.user_id})
    assert r.status_code == 409 and "You have already shared this opportunity with this person." in r.text

    # An offer; a second one would go past the single opening: the gateway refuses, the page says why.
    r = paula.post(f"/fr/opportunities/{oid}/offers", {"applicant_id": carl.user_id})
    assert r.status_code == 200 and "Votre offre est faite." in r.text, r.text[:3000]
    r = paula.post(f"/en/opportunities/{oid}/offers", {"applicant_id": carl.user_id})
    assert r.status_code == 409 and "This could not be done" in r.text

    # Carl finds the offer, a decline needs a reason from the list, and he accepts.
    r = cris.get("/en/my/applications")
    offer_id = re.search(r'href="/en/offers/([0-9a-f]+)"', r.text)
    assert offer_id, r.text[:3000]
    r = cris.get(f"/fr/offers/{offer_id.group(1)}")
    assert r.status_code == 200 and "En attente de votre réponse" in r.text
    r = cris.post(f"/fr/offers/{offer_id.group(1)}/decline", {"reason": ""})
    assert r.status_code == 422 and field_error(r.text, "reason")
    r = cris.post(f"/en/offers/{offer_id.group(1)}/accept", {})
    assert r.status_code == 200 and "You accepted the offer." in r.text and "State: Accepted" in r.text
    r = cris.get("/en/my/applications")
    assert "Offer accepted" in r.text

    # The poster completes it; it shows as completed in both languages.
    r = paula.get("/en/my/opportunities")
    assert "State: Open" in r.text and f"/en/opportunities/{oid}/applicants" in r.text
    r = paula.post(f"/en/opportunities/{oid}/complete", {"back": "/en/my/opportunities"})
    shown = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r.text))
    assert r.status_code == 200 and "The opportunity is complete." in shown and "State: Completed" in shown, shown
    assert "État : Terminée" in paula.get("/fr/my/opportunities").text


def test_pages_need_sign_in_and_forms_need_their_token(stack: TestStack, people: dict[str, Member]) -> None:
    anonymous = Browser(stack)
    r = anonymous.get("/fr/my/opportunities")
    assert r.status_code == 303 and r.headers["location"].startswith("/fr/sign-in?next=")
    visitor = Browser(stack)
    visitor.sign_in(people["carl"].email)
    r = visitor.client.post("/en/post", data={"poster.name": "No token"})
    assert r.status_code == 403 and "This form expired" in r.text
