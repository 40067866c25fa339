"""The whole marketplace as two people use it in a browser, once in English and once in French:
register, confirm by the emailed link, sign in, build a profile, post, find the candidate, apply,
offer, accept. Every page is checked with axe-core (WCAG 2.1 AA) at desktop and mobile widths,
nothing may load from outside the site, and the main pages are kept as screenshots."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import date, timedelta
from urllib.parse import urlsplit

import httpx
import pyotp
import pytest
from playwright.sync_api import Browser

from tandem_dev.mailbox import link_token
from tandem_dev.people import PASSWORD as STAFF_PASSWORD
from tandem_dev.people import Person, enroll_totp, join, operator_grant
from tandem_dev.testing import StackFactory, TestStack
from tests.browser.kit import Visitor, launch

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser-journey")]

PASSWORD = "a long enough passphrase for the browser"

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        # registering and signing in
        "register": "Register",
        "email": "Email address",
        "email_again": "Email address again",
        "name": "First and last name",
        "department": "Department or agency",
        "password": "Password",
        "password_again": "Password again",
        "terms": "I accept the terms and conditions",
        "check_email": "Check your email",
        "confirm": "Confirm my email address",
        "sign_in": "Sign in",
        "code": "Code from your authenticator app",
        "required": "Enter a value.",
        # the profile
        "my_profile": "My profile",
        "edit_profile": "Edit my profile",
        "job_title": "Job title",
        "city": "City",
        "english": "English",
        "written_comprehension": "Written comprehension",
        "written_expression": "Written expression",
        "oral_proficiency": "Oral proficiency",
        "level_c": "C",
        "find_skill_to_add": "Find a skill to add",
        "data_analysis": "Data Analysis",
        "micro_mission": "Micro-Mission",
        "take_part": "Take part",
        "save_profile": "Save my profile",
        "profile_saved": "Your profile is saved.",
        # posting
        "your_name": "Your name",
        "agree_guide": "I agree to give the selected candidates the guidance and direction the work needs",
        "agree_feedback": "I agree to complete the feedback form sent at the end of the opportunity",
        "save_continue": "Save and continue",
        "title_en": "Title in English",
        "title_fr": "Title in French",
        "description_en": "Description in English",
        "description_fr": "Description in French",
        "type": "Type of opportunity",
        "program_area": "Program area",
        "science": "Science",
        "deadline": "Application deadline",
        "ideal_start": "Ideal start date",
        "deadline_error": "The application deadline must be on or before the ideal start date.",
        "find_skill": "Find a skill",
        "hours": "Number of hours",
        "virtual": "It can be done virtually",
        "oral_english": "Oral proficiency (English)",
        "level_b": "B",
        "publish": "Publish the opportunity",
        "posted": "Your opportunity is posted.",
        # finding, applying, offering, accepting
        "candidates": "Candidates who fit",
        "reason": "found by skill: Data Analysis",
        "share": "Share the opportunity",
        "shared": "The opportunity is shared.",
        "words": "Words in the title or description",
        "search": "Search",
        "message": "Message to the poster (optional)",
        "apply": "Apply",
        "applied": "Your application is sent.",
        "applicants": "Applicants",
        "message_from": "Message from {name}",
        "offer": "Make an offer",
        "offered": "Your offer is made.",
        "answer": "Accept or decline",
        "accept": "Accept the offer",
        "accepted": "You accepted the offer.",
        "offer_accepted": "Offer accepted",
        "state_accepted": "State: Accepted",
        # notices
        "notice_shared": "An opportunity was shared with you: {title}",
        "notice_offer": "You have an offer: {title}",
        "notice_application": "New application for {title}",
        "notice_accepted": "Your offer was accepted: {title}",
        "analytics": "Marketplace analytics",
    },
    "fr": {
        "register": "S’inscrire",
        "email": "Adresse courriel",
        "email_again": "Confirmez l’adresse courriel",
        "name": "Prénom et nom",
        "department": "Ministère ou organisme",
        "password": "Mot de passe",
        "password_again": "Confirmez le mot de passe",
        "terms": "J’accepte les conditions d’utilisation",
        "check_email": "Vérifiez vos courriels",
        "confirm": "Confirmer mon adresse courriel",
        "sign_in": "Se connecter",
        "code": "Code de votre application d’authentification",
        "required": "Entrez une valeur.",
        "my_profile": "Mon profil",
        "edit_profile": "Modifier mon profil",
        "job_title": "Titre du poste",
        "city": "Ville",
        "english": "Anglais",
        "written_comprehension": "Compréhension de l’écrit",
        "written_expression": "Expression écrite",
        "oral_proficiency": "Compétence orale",
        "level_c": "C",
        "find_skill_to_add": "Trouver une compétence à ajouter",
        "data_analysis": "Analyse de données",
        "micro_mission": "Micro-mission",
        "take_part": "Participer",
        "save_profile": "Enregistrer mon profil",
        "profile_saved": "Votre profil est enregistré.",
        "your_name": "Votre nom",
        "agree_guide": (
            "J’accepte de fournir aux candidats retenus l’orientation et la direction nécessaires au travail"
        ),
        "agree_feedback": "J’accepte de remplir le formulaire de rétroaction envoyé à la fin de la possibilité",
        "save_continue": "Enregistrer et continuer",
        "title_en": "Titre en anglais",
        "title_fr": "Titre en français",
        "description_en": "Description en anglais",
        "description_fr": "Description en français",
        "type": "Type de possibilité",
        "program_area": "Secteur de programme",
        "science": "Sciences",
        "deadline": "Date limite de candidature",
        "ideal_start": "Date de début idéale",
        "deadline_error": "La date limite de candidature doit être au plus tard la date de début idéale.",
        "find_skill": "Trouver une compétence",
        "hours": "Nombre d’heures",
        "virtual": "Elle peut se faire à distance",
        "oral_english": "Compétence orale (Anglais)",
        "level_b": "B",
        "publish": "Publier la possibilité",
        "posted": "Votre possibilité est publiée.",
        "candidates": "Candidats qui conviennent",
        "reason": "trouvé par compétence : Analyse de données",
        "share": "Communiquer la possibilité",
        "shared": "La possibilité est communiquée.",
        "words": "Mots du titre ou de la description",
        "search": "Rechercher",
        "message": "Message à la personne qui a publié la possibilité (facultatif)",
        "apply": "Postuler",
        "applied": "Votre candidature est envoyée.",
        "applicants": "Candidatures",
        "message_from": "Message de {name}",
        "offer": "Faire une offre",
        "offered": "Votre offre est faite.",
        "answer": "Accepter ou refuser",
        "accept": "Accepter l’offre",
        "accepted": "Vous avez accepté l’offre.",
        "offer_accepted": "Offre acceptée",
        "state_accepted": "État : Acceptée",
        "notice_shared": "Une possibilité vous a été communiquée : {title}",
        "notice_offer": "Vous avez reçu une offre : {title}",
        "notice_application": "Nouvelle candidature pour {title}",
        "notice_accepted": "Votre offre a été acceptée : {title}",
        "analytics": "Analyses du marché des possibilités",
    },
}

# Each run has its own people and its own opportunity (both runs share one stack), each found by
# a word only its own title has.
PEOPLE = {
    "en": ("Paula Poster", "Carl Candidate"),
    "fr": ("Pauline Publie", "Camille Candidate"),
}
OPPORTUNITY = {
    "en": {
        "title_en": "Census survey analysis",
        "title_fr": "Analyse de l’enquête du recensement",
        "search": "census",
    },
    "fr": {
        "title_en": "Tourism survey analysis",
        "title_fr": "Analyse de l’enquête sur le tourisme",
        "search": "tourisme",
    },
}
DESCRIPTION_EN = "Six weeks with our team.\n\nYou will clean and analyse survey data."
DESCRIPTION_FR = "Six semaines avec notre équipe.\n\nVous nettoierez et analyserez des données d’enquête."


@pytest.fixture(scope="module")
def stack(module_stack_factory: StackFactory) -> TestStack:
    return module_stack_factory(
        ("identity", "profiles", "opportunities", "matching", "notifications", "referrals"), edge=True
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launch()


@pytest.fixture(scope="module")
def staff(stack: TestStack) -> Person:
    """A departmental lead with a second factor, made through the gateway; each run signs in with
    it in the browser."""
    client = httpx.Client(base_url=stack.gateway_url, timeout=30)
    person = join(client, stack.stack.mail_dir, "lea.lead@statcan.gc.ca", "Léa Lead", "fr", department="statcan")
    operator_grant(stack.stack, person.email, "departmental_lead", "statcan")
    return enroll_totp(client, person)


def register(v: Visitor, stack: TestStack, email: str, name: str) -> None:
    t = TEXTS[v.lang]
    v.go("/register")
    v.check("register", screenshot=True)
    # A form sent empty: every mistake named beside its field and in the summary, nothing created.
    v.press(t["register"])
    assert v.page.locator("gcds-error-summary").count() == 1
    assert t["required"] in (v.page.locator("gcds-input[name=email]").get_attribute("error-message") or "")
    v.check("register with errors", screenshot=True)
    v.fill(t["email"], email)
    v.fill(t["email_again"], email)
    v.fill(t["name"], name)
    v.field(t["department"]).select_option("statcan")
    v.fill(t["password"], PASSWORD)
    v.fill(t["password_again"], PASSWORD)
    v.tick(t["terms"])
    v.press(t["register"])
    assert v.heading() == t["check_email"], v.text()
    v.check("check your email")
    token = link_token(stack.stack.mail_dir, email, "confirm-email")
    v.go(f"/account/confirm-email?token={token}")
    v.check("confirm email")
    v.press(t["confirm"])
    assert v.heading() == t["sign_in"]
    v.check("sign in", screenshot=True)
    v.fill(t["email"], email)
    v.fill(t["password"], PASSWORD)
    v.press(t["sign_in"])
    assert name in v.page.locator(".tandem-session-bar").inner_text()


def build_profile(v: Visitor) -> None:
    """The candidate's profile: what matching needs to find them (the skill, found by typing, and
    the opt-in), and their English."""
    t = TEXTS[v.lang]
    v.go("/profile")
    assert v.heading() == t["my_profile"]
    v.check("my profile, empty")
    v.follow(t["edit_profile"])
    v.check("edit my profile", screenshot=True)
    v.fill(t["job_title"], "Data analyst")
    v.fill(t["city"], "Ottawa")
    for skill in ("written_comprehension", "written_expression", "oral_proficiency"):
        v.choose(t[skill], t["level_c"], within=t["english"])
    # The skill search suggests as one types (htmx); the suggestion is ticked to add it.
    v.type(t["find_skill_to_add"], "data anal")
    v.tick(t["data_analysis"])
    v.check("edit my profile with skill suggestions")
    v.tick(t["take_part"], within=t["micro_mission"])
    v.press(t["save_profile"])
    assert t["profile_saved"] in v.text(), v.text()
    shown = v.text()
    assert "Data analyst" in shown and t["data_analysis"] in shown, shown
    v.check("my profile", screenshot=True)


def post_opportunity(v: Visitor) -> str:
    """Three steps, with a mistake shown beside its field and in the summary, then put right;
    returns the opportunity's address (without the language)."""
    t, o = TEXTS[v.lang], OPPORTUNITY[v.lang]
    today = date.today()
    v.go("/post")
    v.check("post, step 1", screenshot=True)
    assert v.field(t["your_name"]).input_value() == PEOPLE[v.lang][0]  # from the account
    v.tick(t["agree_guide"])
    v.tick(t["agree_feedback"])
    v.press(t["save_continue"])

    v.check("post, step 2", screenshot=True)
    v.fill(t["title_en"], o["title_en"])
    v.fill(t["title_fr"], o["title_fr"])
    v.fill(t["description_en"], DESCRIPTION_EN)
    v.fill(t["description_fr"], DESCRIPTION_FR)
    v.choose(t["type"], t["micro_mission"])
    v.choose(t["program_area"], t["science"])
    v.fill(t["deadline"], (today + timedelta(days=30)).isoformat())  # after the start: wrong
    v.fill(t["ideal_start"], (today + timedelta(days=20)).isoformat())
    v.press(t["save_continue"])
    assert v.page.locator("gcds-error-summary").count() == 1
    error = v.page.locator("gcds-input[name='details.application_deadline']").get_attribute("error-message")
    assert error == t["deadline_error"], error
    assert v.field(t["title_en"]).input_value() == o["title_en"]  # what was typed stays
    v.check("post, step 2 with an error", screenshot=True)
    v.fill(t["deadline"], (today + timedelta(days=14)).isoformat())
    v.press(t["save_continue"])

    v.check("post, step 3", screenshot=True)
    v.type(t["find_skill"], "data anal")
    v.tick(t["data_analysis"])
    v.fill(t["hours"], "4")
    v.tick(t["virtual"])
    v.choose(t["oral_english"], t["level_b"])
    v.check("post, step 3 with skill suggestions")
    v.press(t["publish"])
    assert t["posted"] in v.text(), v.text()
    assert v.heading() == o[f"title_{v.lang}"]
    v.check("opportunity, poster's view", screenshot=True)
    return urlsplit(v.page.url).path.removeprefix(f"/{v.lang}")


def find_and_share(v: Visitor, opportunity: str, candidate: str) -> None:
    """The poster finds the candidate among those who fit, with the reasons, and shares it."""
    t = TEXTS[v.lang]
    v.go("/my/opportunities")
    v.check("my opportunities", screenshot=True)
    v.follow(re.compile(rf"^{re.escape(t['candidates'])}"))
    assert urlsplit(v.page.url).path == f"/{v.lang}{opportunity}/candidates"
    # Matching learns of the profile and the opportunity from events: a moment later.
    v.until(f"{opportunity}/candidates", lambda shown: candidate in shown, what=candidate)
    assert t["reason"] in v.text(), v.text()
    v.check("candidates", screenshot=True)
    v.press(re.compile(rf"^{re.escape(t['share'])}\W*{re.escape(candidate)}$"))
    assert t["shared"] in v.text(), v.text()


def find_and_apply(v: Visitor) -> str:
    """The candidate searches, opens the opportunity and applies; returns its address."""
    t, o = TEXTS[v.lang], OPPORTUNITY[v.lang]
    title = o[f"title_{v.lang}"]
    v.go("/opportunities")
    v.check("browse", screenshot=True)
    v.fill(t["words"], o["search"])
    v.press(t["search"])
    v.check("browse, search results", screenshot=True)
    v.follow(title)
    assert v.heading() == title
    v.check("opportunity", screenshot=True)
    v.fill(t["message"], "I analyse survey data every day.")
    v.press(t["apply"])
    assert t["applied"] in v.text(), v.text()
    v.check("opportunity, applied")
    return urlsplit(v.page.url).path.removeprefix(f"/{v.lang}")


def offer(v: Visitor, opportunity: str, candidate: str) -> None:
    t = TEXTS[v.lang]
    v.go(opportunity)
    v.follow(re.compile(rf"^{re.escape(t['applicants'])} \(1\)"))
    assert candidate in v.text(), v.text()
    v.check("applicants", screenshot=True)
    # The message is folded away under "Message from …" until opened.
    v.page.get_by_role("button", name=t["message_from"].format(name=candidate), exact=True).click()
    assert "I analyse survey data every day." in v.text(), v.text()
    v.press(re.compile(rf"^{re.escape(t['offer'])}\W*{re.escape(candidate)}$"))
    assert t["offered"] in v.text(), v.text()
    v.check("applicants, offer made")


def accept(v: Visitor) -> None:
    t = TEXTS[v.lang]
    v.go("/my/applications")
    v.check("my applications", screenshot=True)
    v.follow(re.compile(rf"^{re.escape(t['answer'])}"))
    v.check("offer", screenshot=True)
    v.press(t["accept"])
    assert t["accepted"] in v.text() and t["state_accepted"] in v.text(), v.text()
    v.check("offer, accepted")
    v.go("/my/applications")
    assert t["offer_accepted"] in v.text(), v.text()


def sees_notices(v: Visitor, *subjects: str) -> None:
    v.until("/notifications", lambda shown: all(s in shown for s in subjects), what=" and ".join(subjects))
    v.check("notifications", screenshot=True)


def staff_sign_in(v: Visitor, person: Person) -> None:
    """Email and password, then the code the page asks for (one step ahead: the last is spent)."""
    t = TEXTS[v.lang]
    v.go("/sign-in")
    v.fill(t["email"], person.email)
    v.fill(t["password"], STAFF_PASSWORD)
    v.press(t["sign_in"])
    v.check("sign in, code asked")
    code = pyotp.TOTP(person.totp_secret).at(time.time() + 30)
    v.fill(t["password"], STAFF_PASSWORD)
    v.fill(t["code"], code)
    v.press(t["sign_in"])
    assert "tandem-session-bar" in v.page.content(), v.text()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_two_people_through_the_marketplace(stack: TestStack, browser: Browser, staff: Person, lang: str) -> None:
    t = TEXTS[lang]
    poster_name, candidate_name = PEOPLE[lang]
    title = OPPORTUNITY[lang][f"title_{lang}"]
    poster = Visitor.open(browser, stack.stack.web_url, lang)
    candidate = Visitor.open(browser, stack.stack.web_url, lang)
    lead = Visitor.open(browser, stack.stack.web_url, lang)
    try:
        register(poster, stack, f"poster.{lang}@statcan.gc.ca", poster_name)
        register(candidate, stack, f"candidate.{lang}@statcan.gc.ca", candidate_name)
        poster.go("/")
        poster.check("home", screenshot=True)
        build_profile(candidate)

        opportunity = post_opportunity(poster)
        find_and_share(poster, opportunity, candidate_name)
        assert find_and_apply(candidate) == opportunity
        offer(poster, opportunity, candidate_name)
        accept(candidate)

        sees_notices(candidate, t["notice_shared"].format(title=title), t["notice_offer"].format(title=title))
        sees_notices(poster, t["notice_application"].format(title=title), t["notice_accepted"].format(title=title))

        staff_sign_in(lead, staff)
        lead.go("/staff/analytics")
        assert lead.heading() == t["analytics"]
        lead.check("analytics", screenshot=True)
    finally:
        poster.close()
        candidate.close()
        lead.close()
