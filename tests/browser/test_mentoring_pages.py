"""Mentoring matches, connector introductions and recommendations on the web, over plain HTTP as a
browser without scripts would use them, against a real stack (gateway and web). A coordinator
(with TOTP) runs and publishes a cohort through the gateway; the mentee and the mentor each see
why they were matched in their page's language and answer once (a second, different answer is
refused with the gateway's reason); someone else gets a not-found page. A cohort's mentee finds
the cohort from her matches and ranks its mentors (numbers given twice or nobody ranked are
refused beside the fields), in English and in French, then clears it. A connector reads the
newcomer's résumé and declines, the next connector accepts. A member sees the opportunities
recommended to them with the reasons, or what to do when there are none."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tandem_dev.people import enroll_totp, join, operator_grant
from tandem_dev.samples import opportunity_body
from tandem_dev.testing import Member, StackFactory, TestStack, eventually
from tandem_kit.config import SERVICES
from tests.browser.kit import WebClient as Browser
from tests.browser.kit import field_error
from tests.e2e.test_cohort_matching import levels, mentoring_profile, named_cohort, wait_run

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("mentoring-pages")]

PROGRAM = "web-mentoring"


@pytest.fixture(scope="module")
def stack(module_stack_factory: StackFactory) -> TestStack:
    # Every service (cohort runs are matching's jobs). Plain HTTP on 127.0.0.1: the session
    # cookie is sent back without the Secure flag.
    return module_stack_factory(SERVICES, edge=True, env={"WEB_COOKIE_SECURE": "false"})


@pytest.fixture(scope="module")
def client(stack: TestStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.gateway_url, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def coordinator(stack: TestStack, client: httpx.Client) -> dict[str, str]:
    """The headers of a coordinator of PROGRAM (signed in with TOTP), once the program is defined."""
    cora = join(client, stack.stack.mail_dir, "cora.ordinator@tbs-sct.gc.ca", "Cora Ordinator")
    operator_grant(stack.stack, cora.email, "coordinator", PROGRAM)
    headers = {"Authorization": f"Bearer {enroll_totp(client, cora).access_token}", "Accept-Language": "en"}
    # The default rules: a shared language, a mentor at least one level more senior.
    name = {"en": "Ottawa mentoring", "fr": "Mentorat d’Ottawa"}
    r = client.put(f"/v1/programs/{PROGRAM}", headers=headers, json={"name": name})
    assert r.status_code == 200, r.text
    return headers


def shown(r: httpx.Response) -> str:
    """The page's words, as read: tags out, entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", r.text)))


def explained(web: Browser, path: str, lang: str, reasons: list[dict[str, Any]]) -> tuple[httpx.Response, str]:
    """A page in `lang` that gives each of matching's reasons in that language, and its words."""
    r = web.get(f"/{lang}{path}")
    page = shown(r)
    assert r.status_code == 200 and f'<html lang="{lang}">' in r.text, page
    for reason in reasons:
        assert reason["text"][lang] in page, (reason, page)
    return r, page


def published_match(
    client: httpx.Client, coordinator: dict[str, str], mentee: Member, mentor: Member, *unmatched: Member
) -> str:
    """A cohort of these two (and of mentors the rules keep from the mentee), run and published:
    the id of their proposed match."""
    mentors = [{"user_id": m.user_id} for m in (mentor, *unmatched)]
    defined = named_cohort(client, coordinator, PROGRAM, [{"user_id": mentee.user_id}], mentors)
    r = client.post(f"/v1/cohorts/{defined['id']}/runs", headers=coordinator, json={"method": "optimal"})
    assert r.status_code == 202, r.text
    result = wait_run(coordinator, client, r.json()["id"])
    assert [(p["mentee_id"], p["mentor_id"]) for p in result["pairs"]] == [(mentee.user_id, mentor.user_id)], result
    r = client.post(f"/v1/cohort-runs/{result['id']}/publish", headers=coordinator)
    assert r.status_code == 200, r.text
    (match,) = eventually(lambda: mentee.get("/v1/me/matches").json()["matches"], what="the published match")
    return str(match["id"])


def test_a_match_shows_why_and_takes_one_answer_from_each_side(
    stack: TestStack, client: httpx.Client, coordinator: dict[str, str]
) -> None:
    mia = Member.sign_up(stack, client, "mia.mentee@statcan.gc.ca", "Mia Mentee", "en", "statcan")
    marc = Member.sign_up(stack, client, "marc.mentor@statcan.gc.ca", "Marc Mentor", "fr", "statcan")
    olga = Member.sign_up(stack, client, "olga.outsider@tbs-sct.gc.ca", "Olga Outsider", "en", "tbs-sct")
    mentoring_profile(mia, "mentee", english="E", french="", classification="EC-02")
    mentoring_profile(marc, "mentor", english="C", french="E", classification="EC-05", max_mentees=2)
    match_id = published_match(client, coordinator, mia, marc)
    reasons = mia.get(f"/v1/matches/{match_id}").json()["reasons"]
    assert reasons, "a computed match comes with its reasons"

    # An email's link opened signed out leads to sign-in and back.
    r = Browser(stack).get(f"/fr/matches/{match_id}")
    assert r.status_code == 303 and r.headers["location"] == f"/fr/sign-in?next=%2Ffr%2Fmatches%2F{match_id}"

    mia_web = Browser(stack)
    mia_web.sign_in(mia.email, "en")
    home = mia_web.get("/en/")
    assert 'href="/en/matches"' in home.text and 'href="/en/recommendations"' in home.text
    r = mia_web.get("/en/matches")
    page = shown(r)
    assert r.status_code == 200 and f'href="/en/matches/{match_id}"' in r.text
    assert "Proposed matches (1)" in page and "Marc Mentor Waiting for your answer Your mentor" in page
    assert "Program: Ottawa mentoring." in page

    # Why they were matched, in each page's language, and the two buttons.
    for lang, program, intro in (
        ("en", "Ottawa mentoring", "propose Marc Mentor as your mentor"),
        ("fr", "Mentorat d’Ottawa", "vous propose Marc Mentor comme mentor"),
    ):
        r, page = explained(mia_web, f"/matches/{match_id}", lang, reasons)
        assert program in page and intro in page
        assert f'action="/{lang}/matches/{match_id}/accept"' in r.text
        assert f'action="/{lang}/matches/{match_id}/decline"' in r.text

    # Mia accepts: the match waits for Marc, and the buttons are gone.
    r = mia_web.post(f"/en/matches/{match_id}/accept", {})
    page = shown(r)
    assert r.status_code == 200 and "You accepted the match. It becomes active once you have both accepted." in page
    assert "You accepted this match. Marc Mentor has not answered yet." in page and "/accept" not in r.text
    assert mia.get(f"/v1/matches/{match_id}").json()["mentee_answer"] == "accepted"

    # A second, different answer is refused, with the gateway's reason in the page's language.
    for lang, reason in (
        ("fr", "Vous avez déjà répondu, ou le jumelage a déjà été tranché."),
        ("en", "You already answered, or the match was decided."),
    ):
        r = mia_web.post(f"/{lang}/matches/{match_id}/decline", {})
        assert r.status_code == 409 and f'<html lang="{lang}">' in r.text and reason in shown(r)
    assert mia.get(f"/v1/matches/{match_id}").json()["state"] == "proposed"

    # Marc accepts in French: the match is active.
    marc_web = Browser(stack)
    marc_web.sign_in(marc.email, "fr")
    r = marc_web.get(f"/fr/matches/{match_id}")
    assert "vous propose d’être le mentor de Mia Mentee." in shown(r)
    assert "Mia Mentee a accepté ce jumelage." in shown(r)
    r = marc_web.post(f"/fr/matches/{match_id}/accept", {})
    page = shown(r)
    assert r.status_code == 200 and "Vous avez accepté le jumelage." in page and "Jumelage actif" in page
    assert "Vous avez tous deux accepté. Communiquez avec Mia Mentee" in page
    assert mia.get(f"/v1/matches/{match_id}").json()["state"] == "active"
    assert "Active matches (1)" in shown(mia_web.get("/en/matches"))

    # Someone else: not found, in either language, and nothing to answer.
    olga_web = Browser(stack)
    olga_web.sign_in(olga.email, "en")
    for lang, title, reason in (
        ("en", "We could not find that page", "There is no such match for you."),
        ("fr", "Nous n’avons pas trouvé cette page", "Aucun jumelage de ce nom ne vous concerne."),
    ):
        r = olga_web.get(f"/{lang}/matches/{match_id}")
        assert r.status_code == 404 and title in shown(r) and reason in shown(r)
    assert olga_web.post(f"/en/matches/{match_id}/accept", {}).status_code == 404
    assert olga_web.get("/en/matches/not%20an%20id").status_code == 404
    r = olga_web.get("/en/matches")
    assert 'notice-title="No match has been proposed to you yet"' in r.text and 'href="/en/profile/edit"' in r.text
    assert 'notice-title="Aucun jumelage ne vous a encore été proposé"' in olga_web.get("/fr/matches").text


def test_a_cohort_member_ranks_the_other_side_in_either_language(
    stack: TestStack, client: httpx.Client, coordinator: dict[str, str]
) -> None:
    rita = Member.sign_up(stack, client, "rita.rank@statcan.gc.ca", "Rita Rank", "en", "statcan")
    remi = Member.sign_up(stack, client, "remi.rang@statcan.gc.ca", "Rémi Rang", "fr", "statcan")
    rosa = Member.sign_up(stack, client, "rosa.rank@tbs-sct.gc.ca", "Rosa Rank", "en", "tbs-sct")
    outsider = Member.sign_up(stack, client, "otto.rank@tbs-sct.gc.ca", "Otto Rank", "en", "tbs-sct")
    mentoring_profile(rita, "mentee", english="E", french="C", classification="EC-02")
    for mentor in (remi, rosa):
        mentoring_profile(mentor, "mentor", english="C", french="E", classification="EC-05")

    mentors = [{"user_id": remi.user_id}, {"user_id": rosa.user_id}]
    cohort_id = named_cohort(client, coordinator, PROGRAM, [{"user_id": rita.user_id}], mentors)["id"]
    form = f"/en/cohorts/{cohort_id}/ranking"
    remi_field, rosa_field = f"rank-{remi.user_id}", f"rank-{rosa.user_id}"

    # Rita finds her cohort from her matches, before any match is proposed.
    web = Browser(stack)
    web.sign_in(rita.email, "en")
    r = web.get("/en/matches")
    assert f'href="{form}"' in r.text and "Rank the mentors of Spring" in shown(r)
    assert "Not ranked yet: you are matched by fit." in shown(r)
    r = web.get(form)
    page = shown(r)
    assert r.status_code == 200 and "You have not ranked anyone yet" in page
    assert f'name="{remi_field}" label="Rémi Rang"' in r.text and f'name="{rosa_field}" label="Rosa Rank"' in r.text

    # The same number twice, or nobody ranked, is refused, in the page's language.
    for lang, taken, nobody in (
        ("en", "Give each number to one person only.", "Rank at least one person, or clear your ranking"),
        ("fr", "Donnez chaque numéro à une seule personne.", "Classez au moins une personne, ou effacez"),
    ):
        r = web.post(f"/{lang}/cohorts/{cohort_id}/ranking", {remi_field: "1", rosa_field: "1", "action": "save"})
        assert r.status_code == 422 and f'<html lang="{lang}">' in r.text
        assert field_error(r.text, remi_field) == taken and field_error(r.text, rosa_field) == taken
        r = web.post(f"/{lang}/cohorts/{cohort_id}/ranking", {remi_field: "", rosa_field: "", "action": "save"})
        assert r.status_code == 422 and nobody in shown(r)
    assert rita.get(f"/v1/cohorts/{cohort_id}/my-ranking").json()["ranked_user_ids"] == []

    # Rosa first, Rémi not acceptable: saved, and shown again as ranked.
    r = web.post(form, {remi_field: "", rosa_field: "1", "action": "save"})
    page = shown(r)
    assert r.status_code == 200 and "Your ranking is saved. The cohort’s next stable matching run follows it." in page
    assert "You saved this ranking on" in page
    assert rita.get(f"/v1/cohorts/{cohort_id}/my-ranking").json()["ranked_user_ids"] == [rosa.user_id]
    r = web.get(f"/fr/cohorts/{cohort_id}/ranking")
    page = shown(r)
    assert "Classer les mentors de la cohorte Printemps" in page and "Vous avez enregistré ce classement le" in page
    assert "Inacceptable pour moi" in page

    # Cleared in French: matched by fit again.
    r = web.post(f"/fr/cohorts/{cohort_id}/ranking", {"action": "clear"})
    assert r.status_code == 200 and "Votre classement est effacé." in shown(r)
    assert rita.get(f"/v1/cohorts/{cohort_id}/my-ranking").json()["ranked_user_ids"] == []

    # Someone outside the cohort: not found.
    other = Browser(stack)
    other.sign_in(outsider.email, "en")
    r = other.get(form)
    assert r.status_code == 404 and "There is no such cohort for you." in shown(r)
    assert "Rank the" not in shown(other.get("/en/matches"))


def test_a_connector_reads_the_resume_and_a_decline_passes_the_newcomer_on(
    stack: TestStack, client: httpx.Client, coordinator: dict[str, str]
) -> None:
    nadia = Member.sign_up(stack, client, "nadia.haddad@tbs-sct.gc.ca", "Nadia Haddad", "en", "tbs-sct")
    carla = Member.sign_up(stack, client, "carla.connector@tbs-sct.gc.ca", "Carla Connector", "en", "tbs-sct")
    cole = Member.sign_up(stack, client, "cole.connector@statcan.gc.ca", "Cole Connector", "fr", "statcan")
    for member, credential, field in (
        (cole, "Bachelor of Arts", "History"),
        (carla, "Master of Engineering", "Civil engineering"),
    ):
        r = member.put(
            "/v1/me/profile",
            {
                "official_languages": {"english": levels("C"), "french": levels("C")},
                "education": [
                    {"institution": "Carleton University", "credential": credential, "field_of_study": field}
                ],
                "occupation_code": "21211",
                "mentoring": {"connector_meetings_per_year": 2},
            },
        )
        assert r.status_code == 200, r.text
    r = nadia.put(
        "/v1/me/profile",
        {
            "title": "Civil engineer",
            "official_languages": {"english": levels("C"), "french": levels("B")},
            "education": [
                {
                    "institution": "University of Tunis",
                    "credential": "Master of Engineering",
                    "field_of_study": "Civil engineering",
                    "start_year": 2008,
                    "end_year": 2010,
                }
            ],
            "work_experience": [
                {"title": "Site engineer", "organization": "Tunis Metro", "start": "2011-01", "end": "2023-06"}
            ],
            "occupation_code": "21211",
        },
    )
    assert r.status_code == 200, r.text

    def offered() -> dict[str, Any] | None:
        # Until matching's read model has the three profiles, the best connector is not Carla.
        r = client.post(
            f"/v1/programs/{PROGRAM}/connector-offers",
            headers=coordinator,
            json={"newcomer_id": nadia.user_id, "connector_ids": [carla.user_id, cole.user_id]},
        )
        found = r.json() if r.status_code == 201 else None
        return found if found and found["state"] == "waiting" and found["connector_id"] == carla.user_id else None

    offer = eventually(offered, what="Nadia offered to Carla")
    offer_id = offer["id"]
    assert offer["reasons"], "the offer comes with why Carla was chosen"

    # Carla reads Nadia's résumé and why she was chosen, in English and in French.
    carla_web = Browser(stack)
    carla_web.sign_in(carla.email, "en")
    for lang, title, help_text in (
        ("en", "Meet a newcomer: Nadia Haddad", "If you decline, Nadia Haddad is offered to the next connector"),
        ("fr", "Rencontre avec une personne nouvellement arrivée : Nadia Haddad", "nous proposerons Nadia Haddad"),
    ):
        _, page = explained(carla_web, f"/connector-offers/{offer_id}", lang, offer["reasons"])
        assert title in page and help_text in page
        for words in ("University of Tunis", "Master of Engineering", "Civil engineering", "Site engineer"):
            assert words in page, words
    # Cole is not asked yet.
    cole_web = Browser(stack)
    cole_web.sign_in(cole.email, "fr")
    assert cole_web.get(f"/fr/connector-offers/{offer_id}").status_code == 404

    # Carla declines: Nadia goes to Cole, and the introduction is no longer Carla's to see.
    r = carla_web.post(f"/fr/connector-offers/{offer_id}/decline", {})
    assert r.status_code == 200 and str(r.url).endswith("/fr/")
    assert "Vous avez refusé la présentation. Nous proposons la personne nouvellement arrivée" in shown(r)
    passed = client.get(f"/v1/connector-offers/{offer_id}", headers=coordinator).json()
    assert (passed["connector_id"], passed["declined_by"]) == (cole.user_id, [carla.user_id])
    r = carla_web.get(f"/en/connector-offers/{offer_id}")
    assert r.status_code == 404 and "There is no such connector introduction for you." in shown(r)

    # Cole accepts; a second answer is refused.
    r = cole_web.get(f"/fr/connector-offers/{offer_id}")
    assert r.status_code == 200 and "Curriculum vitæ de Nadia Haddad" in shown(r)
    r = cole_web.post(f"/fr/connector-offers/{offer_id}/accept", {})
    page = shown(r)
    assert r.status_code == 200 and "Vous avez accepté de rencontrer cette personne nouvellement arrivée." in page
    assert "Connecteur trouvé" in page and f"/connector-offers/{offer_id}/decline" not in r.text
    r = cole_web.post(f"/en/connector-offers/{offer_id}/decline", {})
    assert r.status_code == 409 and "You already answered, or the match was decided." in shown(r)

    # Nadia sees who agreed to meet her, with nothing to answer.
    nadia_web = Browser(stack)
    nadia_web.sign_in(nadia.email, "en")
    r = nadia_web.get(f"/en/connector-offers/{offer_id}")
    assert r.status_code == 200 and "Cole Connector agreed to meet Nadia Haddad." in shown(r)
    assert "/accept" not in r.text


def test_recommendations_show_each_opportunity_with_why(stack: TestStack, client: httpx.Client) -> None:
    poster = Member.sign_up(stack, client, "paul.poster@statcan.gc.ca", "Paul Poster", "en", "statcan")
    rita = Member.sign_up(stack, client, "rita.reader@tbs-sct.gc.ca", "Rita Reader", "fr", "tbs-sct")
    nina = Member.sign_up(stack, client, "nina.nothing@tbs-sct.gc.ca", "Nina Nothing", "en", "tbs-sct")
    eventually(lambda: rita.get("/v1/me/profile").status_code == 200, what="Rita's profile")
    r = rita.put(
        "/v1/me/profile",
        {
            "skill_ids": ["data-analysis", "python"],
            "opt_ins": {"micro_mission": ["participant"]},
            "official_languages": {"french": {"oral_proficiency": "C"}},
            "availability": {"hours_per_week": 4, "max_engagements": 2},
        },
    )
    assert r.status_code == 200, r.text
    body = opportunity_body(
        title_en="Survey analysis for the census",
        title_fr="Analyse d’enquête pour le recensement",
        skill_ids=["data-analysis"],
        department="statcan",
        name="Paul Poster",
        email=poster.email,
    )
    r = poster.post("/v1/opportunities", body)
    assert r.status_code == 201, r.text
    oid = r.json()["id"]

    rita_web = Browser(stack)
    rita_web.sign_in(rita.email, "fr")

    def recommended() -> httpx.Response | None:
        r = rita_web.get("/fr/recommendations")
        return r if f'href="/fr/opportunities/{oid}"' in r.text else None

    r = eventually(recommended, what="the opportunity recommended to Rita")
    page = shown(r)
    assert '<html lang="fr">' in r.text and "Recommandations pour vous" in page
    assert "Analyse d’enquête pour le recensement Micro-mission Pourquoi elle a été trouvée pour vous :" in page
    assert "trouvé par compétence : Analyse de données" in page
    r = rita_web.get("/en/recommendations")
    page = shown(r)
    assert '<html lang="en">' in r.text and f'href="/en/opportunities/{oid}"' in r.text
    assert "Survey analysis for the census Micro-Mission Why it was found for you:" in page
    assert "found by skill: Data Analysis" in page
    assert 'href="/fr/recommendations"' in rita_web.get("/fr/").text
    # Browsing by best fit says the same, opportunity by opportunity.
    page = shown(rita_web.get("/fr/opportunities", sort="best_fit"))
    assert "Pourquoi elle vous convient : trouvé par compétence : Analyse de données" in page
    page = shown(rita_web.get("/en/opportunities", sort="best_fit"))
    assert "Why it fits you: found by skill: Data Analysis" in page
    assert "Why it fits you" not in shown(rita_web.get("/en/opportunities", sort="newest"))

    # Someone who chose nothing yet is told how to get recommendations.
    nina_web = Browser(stack)
    nina_web.sign_in(nina.email, "en")
    r = nina_web.get("/en/recommendations")
    assert r.status_code == 200 and 'notice-title="No open opportunity fits your profile yet"' in r.text
    assert 'href="/en/profile/edit#skills-heading"' in r.text
    r = nina_web.get("/fr/recommendations")
    assert 'notice-title="Aucune possibilité ouverte ne correspond encore à votre profil"' in r.text
