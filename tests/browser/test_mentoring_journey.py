"""Mentoring as people use it in a browser, once in English and once in French: the mentee opens
her proposed match from the navigation, reads why, and accepts; ranks her cohort's mentors (and is
told what is wrong when she gives a number twice); the mentor declines the match and, as a
connector, opens the newcomer's introduction from his notice, reads the résumé and declines; the
mentee finds the opportunity recommended to her and browses by best fit. Every page is checked
with axe-core (WCAG 2.1 AA) at desktop and mobile widths, nothing may load from outside the site,
and the pages are kept as screenshots."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser

from tandem_dev.samples import opportunity_body
from tandem_dev.testing import Member, TestStack
from tests.browser import test_mentoring_pages as pages
from tests.browser.kit import Visitor, launch
from tests.e2e.test_cohort_matching import mentoring_profile

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser-mentoring-journey")]

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "email": "Email address",
        "password": "Password",
        "sign_in": "Sign in",
        "my_tandem": "My Tandem",
        "my_matches": "My mentoring matches",
        "why_matched": "Why you were matched",
        "accept_match": "Accept the match",
        "match_accepted": "You accepted the match. It becomes active once you have both accepted.",
        "you_accepted": "You accepted this match.",
        "rank": "Rank the mentors of Spring",
        "save_ranking": "Save my ranking",
        "ranking_saved": "Your ranking is saved. The cohort’s next stable matching run follows it.",
        "rank_taken": "{name}: Give each number to one person only.",
        "decline_match": "Decline the match",
        "match_declined": "You declined the match. The coordinators can propose someone else to each of you.",
        "open_offer": "Open: A newcomer is proposed to you: {name}",
        "resume": "Résumé of {name}",
        "decline_offer": "Decline the introduction",
        "offer_declined": "You declined the introduction. The newcomer is offered to the next connector who fits.",
        "recommended": "Recommended for you",
        "why_found": "Why it was found for you:",
        "reason": "found by skill: Data Analysis",
        "opportunities": "Opportunities",
        "sort": "Sort by",
        "best_fit": "Best fit for me",
        "search": "Search",
        "why_fits": "Why it fits you: found by skill: Data Analysis",
    },
    "fr": {
        "email": "Adresse courriel",
        "password": "Mot de passe",
        "sign_in": "Se connecter",
        "my_tandem": "Mon Tandem",
        "my_matches": "Mes jumelages de mentorat",
        "why_matched": "Pourquoi ce jumelage",
        "accept_match": "Accepter le jumelage",
        "match_accepted": "Vous avez accepté le jumelage. Il deviendra actif quand vous l’aurez tous deux accepté.",
        "you_accepted": "Vous avez accepté ce jumelage.",
        "rank": "Classer les mentors de la cohorte Printemps",
        "save_ranking": "Enregistrer mon classement",
        "ranking_saved": (
            "Votre classement est enregistré. Le prochain jumelage stable de la cohorte en tiendra compte."
        ),
        "rank_taken": "{name} : Donnez chaque numéro à une seule personne.",
        "decline_match": "Refuser le jumelage",
        "match_declined": (
            "Vous avez refusé le jumelage. L’équipe de coordination pourra proposer quelqu’un d’autre à chacun de vous."
        ),
        "open_offer": "Ouvrir : Une personne nouvellement arrivée vous est proposée : {name}",
        "resume": "Curriculum vitæ de {name}",
        "decline_offer": "Refuser la présentation",
        "offer_declined": (
            "Vous avez refusé la présentation. Nous proposons la personne nouvellement arrivée au prochain "
            "connecteur qui convient."
        ),
        "recommended": "Recommandations pour vous",
        "why_found": "Pourquoi elle a été trouvée pour vous :",
        "reason": "trouvé par compétence : Analyse de données",
        "opportunities": "Possibilités",
        "sort": "Trier par",
        "best_fit": "Meilleure correspondance pour moi",
        "search": "Rechercher",
        "why_fits": "Pourquoi elle vous convient : trouvé par compétence : Analyse de données",
    },
}

# Each run has its own people and opportunity (both runs share one stack): the mentee, her mentor
# (also a connector, and the opportunity's poster), and a mentor too junior to be matched with
# her, whom she may still rank.
PEOPLE = {
    "en": ("Maya Mentee", "Omar Mentor", "Jules Junior"),
    "fr": ("Maëlle Mentorée", "Olivier Mentor", "Justine Junior"),
}
TITLES = {
    "en": ("Survey analysis for the census", "Analyse d’enquête pour le recensement"),
    "fr": ("Tourism survey analysis", "Analyse de l’enquête sur le tourisme"),
}


@dataclass(frozen=True)
class Cast:
    mentee: Member
    mentor: Member
    junior: Member
    match_id: str
    title: str


# The stack (every service), the gateway client and the program's coordinator: those of the
# mentoring pages' tests.
stack, client, coordinator = pages.stack, pages.client, pages.coordinator


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launch()


def cast(stack: TestStack, client: httpx.Client, coordinator: dict[str, str], lang: str) -> Cast:
    """Through the gateway: the three, a published match of the mentee and her mentor, the
    mentee offered to the mentor as a connector, and an opportunity that fits the mentee."""
    names = PEOPLE[lang]
    mentee, mentor, junior = (
        Member.sign_up(stack, client, f"{role}.{lang}@statcan.gc.ca", name, lang, "statcan")
        for role, name in zip(("mentee", "mentor", "junior"), names, strict=True)
    )
    mentoring_profile(mentee, "mentee", english="E", french="C", classification="EC-02")
    mentoring_profile(mentor, "mentor", english="C", french="E", classification="EC-05")
    mentoring_profile(junior, "mentor", english="C", french="E", classification="EC-02")
    r = mentee.put(
        "/v1/me/profile",
        {
            "skill_ids": ["data-analysis"],
            "opt_ins": {"mentoring": ["mentee"], "micro_mission": ["participant"]},
            "availability": {"hours_per_week": 4, "max_engagements": 2},
        },
    )
    assert r.status_code == 200, r.text
    match_id = pages.published_match(client, coordinator, mentee, mentor, junior)
    r = client.post(
        f"/v1/programs/{pages.PROGRAM}/connector-offers",
        headers=coordinator,
        json={"newcomer_id": mentee.user_id, "connector_ids": [mentor.user_id]},
    )
    assert r.status_code == 201 and r.json()["connector_id"] == mentor.user_id, r.text
    title_en, title_fr = TITLES[lang]
    body = opportunity_body(
        title_en=title_en,
        title_fr=title_fr,
        skill_ids=["data-analysis"],
        department="statcan",
        name=names[1],
        email=mentor.email,
    )
    r = mentor.post("/v1/opportunities", body)
    assert r.status_code == 201, r.text
    return Cast(mentee, mentor, junior, match_id, title_en if lang == "en" else title_fr)


def sign_in(v: Visitor, member: Member) -> None:
    t = TEXTS[v.lang]
    v.go("/sign-in")
    v.fill(t["email"], member.email)
    v.fill(t["password"], Member.PASSWORD)
    v.press(t["sign_in"])
    assert member.name in v.page.locator(".tandem-session-bar").inner_text()


def here(v: Visitor) -> str:
    """The address of the page shown, without the language."""
    return urlsplit(v.page.url).path.removeprefix(f"/{v.lang}")


def accept_match(v: Visitor, c: Cast) -> None:
    """From the navigation to the proposed match, why, and the mentee's yes."""
    t = TEXTS[v.lang]
    v.page.get_by_role("button", name=t["my_tandem"], exact=True).click()
    v.follow(t["my_matches"])
    v.check("my mentoring matches", screenshot=True)
    v.follow(c.mentor.name)
    assert here(v) == f"/matches/{c.match_id}"
    assert t["why_matched"] in v.text(), v.text()
    v.check("match", screenshot=True)
    v.press(t["accept_match"])
    shown = v.text()
    assert t["match_accepted"] in shown and t["you_accepted"] in shown, shown
    assert v.page.get_by_role("button", name=t["accept_match"]).count() == 0
    v.check("match, accepted")


def rank_mentors(v: Visitor, c: Cast) -> None:
    """The junior mentor first, her own mentor second; then one number twice, refused."""
    t = TEXTS[v.lang]
    v.go("/matches")
    v.follow(t["rank"])
    v.check("ranking", screenshot=True)
    v.choose(c.junior.name, "1")
    v.choose(c.mentor.name, "2")
    v.press(t["save_ranking"])
    assert t["ranking_saved"] in v.text(), v.text()
    ranking = c.mentee.get(f"/v1{here(v).removesuffix('/ranking')}/my-ranking").json()
    assert ranking["ranked_user_ids"] == [c.junior.user_id, c.mentor.user_id], ranking
    v.check("ranking, saved")
    v.choose(c.mentor.name, "1")
    v.choose(c.junior.name, "1")
    v.press(t["save_ranking"])
    # The summary names each field by its label, and links to it.
    for name in (c.mentor.name, c.junior.name):
        assert v.page.get_by_role("link", name=t["rank_taken"].format(name=name)).count() == 1
    v.check("ranking with errors", screenshot=True)


def decline_match_and_introduction(v: Visitor, c: Cast) -> None:
    """The mentor says no to the match, then opens the introduction from his notice, reads the
    newcomer's résumé and says no to it too."""
    t = TEXTS[v.lang]
    v.go(f"/matches/{c.match_id}")
    v.check("match, mentor's view")
    v.press(t["decline_match"])
    assert t["match_declined"] in v.text(), v.text()
    v.check("match, declined")
    subject = t["open_offer"].format(name=c.mentee.name)
    v.until("/notifications", lambda _: v.page.get_by_role("link", name=subject).count() > 0, what=subject)
    v.check("notifications, introduction", screenshot=True)
    v.follow(subject)
    assert here(v).startswith("/connector-offers/")
    assert t["resume"].format(name=c.mentee.name) in v.text() and "Ottawa" in v.text(), v.text()
    v.check("connector introduction", screenshot=True)
    v.press(t["decline_offer"])
    assert t["offer_declined"] in v.text() and here(v) == "/", v.text()
    v.check("home, introduction declined")


def finds_recommendations(v: Visitor, c: Cast) -> None:
    """Recommended for her with the reasons, then every opportunity by best fit with why."""
    t = TEXTS[v.lang]
    v.page.get_by_role("button", name=t["my_tandem"], exact=True).click()
    v.follow(t["recommended"])
    shown = v.until("/recommendations", lambda shown: c.title in shown, what=c.title)
    assert t["why_found"] in shown and t["reason"] in shown, shown
    v.check("recommended for you", screenshot=True)
    v.follow(t["opportunities"])
    v.choose(t["sort"], t["best_fit"])
    v.press(t["search"])
    assert t["why_fits"] in v.text(), v.text()
    v.check("browse, best fit", screenshot=True)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_mentee_and_mentor_answer_rank_and_find_what_fits(
    stack: TestStack, client: httpx.Client, coordinator: dict[str, str], browser: Browser, lang: str
) -> None:
    c = cast(stack, client, coordinator, lang)
    mentee = Visitor.open(browser, stack.stack.web_url, lang)
    mentor = Visitor.open(browser, stack.stack.web_url, lang)
    try:
        sign_in(mentee, c.mentee)
        accept_match(mentee, c)
        rank_mentors(mentee, c)
        sign_in(mentor, c.mentor)
        decline_match_and_introduction(mentor, c)
        finds_recommendations(mentee, c)
    finally:
        mentee.close()
        mentor.close()
