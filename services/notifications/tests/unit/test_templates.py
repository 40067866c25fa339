"""Rendering notices from their bilingual templates, and the email around them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from notifications.domain.templates import DigestItem, TemplateError, Templates, format_when

BASE_URL = "https://tandem.example.gc.ca/"
CATEGORIES = {"account": {"en": "Account", "fr": "Compte"}, "security": {"mandatory": True, "en": "S", "fr": "S"}}

# Every kind of notice the issue asks for, by the name its template has.
REQUIRED_KINDS = {
    "email_confirmation",
    "password_reset",
    "opportunity_shared",
    "application_received",
    "offer_made",
    "offer_accepted",
    "offer_declined",
    "removed_from_opportunity",
    "opportunity_completed",
    "feedback_requested",
    "match_proposed",
    "match_accepted",
    "match_declined",
    "connector_offered",
    "connector_introduction",
    "referral_request",
    "reminder_due_soon",
    "reminder_overdue",
    "reminder_escalated",
    "meeting_invitation",
}


@pytest.fixture(scope="module")
def templates() -> Templates:
    return Templates.load()


def test_every_kind_of_notice_the_programs_need_has_a_template(templates: Templates) -> None:
    assert set(templates.templates) >= REQUIRED_KINDS


def test_every_template_renders_in_both_languages_from_its_declared_fields(templates: Templates) -> None:
    for kind, template in templates.templates.items():
        params = {name: f"<{name}>" for name in template.fields}
        english = templates.render(kind, "en", params, BASE_URL)
        french = templates.render(kind, "fr", params, BASE_URL)

        assert english.subject != french.subject, kind
        assert "/en" in english.link and "/fr" in french.link, kind
        assert template.event, f"{kind} does not say which event produces it"


def test_a_missing_field_is_named(templates: Templates) -> None:
    with pytest.raises(TemplateError, match=r"'offer_made' needs the values \['offer_id'\]"):
        templates.render("offer_made", "en", {"title": "T"}, BASE_URL)


def test_french_notice_has_the_french_subject_link_and_words_around_it(templates: Templates) -> None:
    rendered = templates.render(
        "offer_made", "fr", {"title": "Analyste", "offer_id": "off-1", "name": "Jean Tremblay"}, BASE_URL
    )

    assert rendered.subject == "Vous avez reçu une offre : Analyste"
    assert rendered.link == "https://tandem.example.gc.ca/fr/offers/off-1"
    assert (
        rendered.body
        == "La personne qui a publié « Analyste » vous a fait une offre. Acceptez-la ou refusez-la dans Tandem."
    )
    assert rendered.text.startswith("Bonjour Jean Tremblay,\n\nLa personne qui a publié « Analyste »")
    assert "Répondre à l’offre : https://tandem.example.gc.ca/fr/offers/off-1\n" in rendered.text
    assert '<html lang="fr">' in rendered.html
    assert "L’équipe Tandem" in rendered.html and "L’équipe Tandem" in rendered.text


def test_optional_notice_shows_the_unsubscribe_link_and_why(templates: Templates) -> None:
    rendered = templates.render(
        "application_received", "en", {"title": "T", "opportunity_id": "o"}, BASE_URL, unsubscribe_url="https://u/x"
    )

    assert not rendered.mandatory
    assert "Stop these emails: https://u/x" in rendered.text
    assert '<a href="https://u/x"' in rendered.html
    assert "“Applications” notices are on" in rendered.text


def test_security_notice_never_shows_an_unsubscribe_link(templates: Templates) -> None:
    rendered = templates.render(
        "password_reset", "fr", {"token": "t", "expires_in_minutes": 30}, BASE_URL, unsubscribe_url="https://u/x"
    )

    assert rendered.mandatory and rendered.category == "security"
    assert "https://u/x" not in rendered.text + rendered.html
    assert "Ceci est un avis de sécurité" in rendered.text
    assert rendered.link == "https://tandem.example.gc.ca/fr/account/reset-password?token=t"
    assert templates.template("password_reset").sensitive
    assert templates.template("password_reset").channels == ("email",)


def test_values_are_escaped_in_html_only(templates: Templates) -> None:
    title = '<script>alert("x")</script> & co'
    rendered = templates.render(
        "opportunity_shared", "en", {"title": title, "opportunity_id": '"><img src=x>'}, BASE_URL
    )

    assert "<script>" not in rendered.html and "<img" not in rendered.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co" in rendered.html
    assert 'href="https://tandem.example.gc.ca/en/opportunities/&#34;&gt;&lt;img src=x&gt;"' in rendered.html
    # The plain text part is not HTML: it keeps the title as typed.
    assert title in rendered.text


def test_a_digest_lists_each_notice(templates: Templates) -> None:
    items = [DigestItem("First", "One", "https://l/1"), DigestItem("Second", "Two", "https://l/2")]
    rendered = templates.render(
        "daily_digest", "en", {"count": 2, "date": "May 1, 2027"}, BASE_URL, unsubscribe_url="https://u", items=items
    )

    assert rendered.subject == "Your Tandem notices for May 1, 2027"
    assert "- First\n  One\n  https://l/1\n" in rendered.text and "- Second" in rendered.text
    assert '<a href="https://l/2"' in rendered.html
    assert "you chose one email a day" in rendered.text


def test_subject_is_one_line_even_when_a_value_has_a_line_break(templates: Templates) -> None:
    rendered = templates.render("offer_made", "en", {"title": "Data analyst\r\nBcc: x@y", "offer_id": "o"}, BASE_URL)

    assert "\n" not in rendered.subject and "\r" not in rendered.subject


def test_unsupported_language_falls_back_to_english(templates: Templates) -> None:
    rendered = templates.render("welcome", "de", {"name": "N", "username": "u"}, BASE_URL)

    assert rendered.subject == "Welcome to Tandem, N"
    assert rendered.link == "https://tandem.example.gc.ca/en/"


def _raw(**overrides: Any) -> dict[str, Any]:
    return {"en": {"subject": "Hi", "body": "Welcome"}, "fr": {"subject": "Salut", "body": "Bienvenue"}, **overrides}


def test_template_lacking_french_is_refused() -> None:
    with pytest.raises(TemplateError, match="template 'welcome' lacks a fr subject or body"):
        Templates({"welcome": {"en": {"subject": "Hi", "body": "Welcome"}}}, CATEGORIES)


@pytest.mark.parametrize("french", [{"subject": "Salut"}, {"subject": "", "body": "Bienvenue"}, "Salut"])
def test_template_with_an_incomplete_french_part_is_refused(french: Any) -> None:
    with pytest.raises(TemplateError, match="lacks a fr subject or body"):
        Templates({"welcome": _raw(fr=french)}, CATEGORIES)


def test_template_using_a_value_it_does_not_declare_is_refused() -> None:
    raw = _raw(fields=["title"], en={"subject": "Hi {title}", "body": "{secret}"}, fr={"subject": "S", "body": "B"})

    with pytest.raises(TemplateError, match=r"uses \['secret'\] without listing them"):
        Templates({"hello": raw}, CATEGORIES)


def test_template_in_an_unknown_category_or_channel_is_refused() -> None:
    with pytest.raises(TemplateError, match="category 'gossip'"):
        Templates({"hello": _raw(category="gossip")}, CATEGORIES)
    with pytest.raises(TemplateError, match="channels"):
        Templates({"hello": _raw(channels=["pigeon"])}, CATEGORIES)


def test_template_without_metadata_gets_the_defaults() -> None:
    # How a template written before categories existed still works.
    templates = Templates({"hello": _raw()}, CATEGORIES)
    template = templates.template("hello")

    assert (template.category, template.channels, template.sensitive) == ("account", ("in_app", "email"), False)
    assert templates.render("hello", "fr", {}, "http://web").link == "http://web/fr/"


def test_dates_are_written_as_each_language_writes_them() -> None:
    moment = datetime(2027, 1, 31, 22, 0, tzinfo=UTC)

    assert format_when(moment, "en", "America/Toronto", with_time=False) == "January 31, 2027"
    assert format_when(moment, "fr", "America/Toronto", with_time=False) == "31 janvier 2027"
    assert format_when(moment, "fr", "America/Toronto", with_time=True) == "dimanche 31 janvier 2027, 17 h 00 HNE"
