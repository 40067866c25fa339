"""Rendering notices from their bilingual templates."""

from __future__ import annotations

from typing import Any

import pytest

from notifications.domain.templates import Templates

BASE_URL = "https://tandem.example.gc.ca/"


@pytest.fixture(scope="module")
def templates() -> Templates:
    return Templates.load()


def test_french_notice_has_the_french_subject_and_a_french_link(templates: Templates) -> None:
    rendered = templates.render(
        "offer_made", "fr", {"title": "Analyste", "offer_id": "off-1", "opportunity_id": "opp-1"}, BASE_URL
    )

    assert rendered.kind == "offer_made"
    assert rendered.subject == "Vous avez reçu une offre : Analyste"
    assert rendered.link == "https://tandem.example.gc.ca/fr/offers/off-1"
    assert rendered.text.startswith("La personne qui a publié « Analyste » vous a fait une offre.")
    assert rendered.text.endswith("\n\nhttps://tandem.example.gc.ca/fr/offers/off-1\n")
    assert '<html lang="fr">' in rendered.html


def test_english_notice_has_the_english_subject_and_link(templates: Templates) -> None:
    rendered = templates.render("welcome", "en", {"name": "Ada Lovelace", "username": "ada.lovelace"}, BASE_URL)

    assert rendered.subject == "Welcome to Tandem, Ada Lovelace"
    assert "ada.lovelace" in rendered.text
    assert rendered.link == "https://tandem.example.gc.ca/en/"


def test_every_template_renders_in_both_languages(templates: Templates) -> None:
    params = {"name": "N", "username": "u", "title": "T", "opportunity_id": "o", "offer_id": "f"}
    for kind in templates.raw:
        english = templates.render(kind, "en", params, BASE_URL)
        french = templates.render(kind, "fr", params, BASE_URL)

        assert english.subject != french.subject, kind
        assert "/en/" in english.link and "/fr/" in french.link, kind


def test_text_and_link_are_escaped_in_html_only(templates: Templates) -> None:
    title = '<script>alert("x")</script> & co'
    rendered = templates.render(
        "opportunity_shared", "en", {"title": title, "opportunity_id": '"><img src=x>'}, BASE_URL
    )

    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in rendered.html
    assert "<img" not in rendered.html
    assert 'href="https://tandem.example.gc.ca/en/opportunities/&quot;&gt;&lt;img src=x&gt;"' in rendered.html
    # The plain text part is not HTML: it keeps the title as typed.
    assert title in rendered.text


def test_template_lacking_french_is_refused() -> None:
    raw: dict[str, Any] = {"welcome": {"en": {"subject": "Hi", "body": "Welcome"}}}

    with pytest.raises(ValueError, match="template 'welcome' lacks a fr subject or body"):
        Templates(raw)


@pytest.mark.parametrize("french", [{"subject": "Salut"}, {"subject": "", "body": "Bienvenue"}, "Salut"])
def test_template_with_an_incomplete_french_part_is_refused(french: Any) -> None:
    raw: dict[str, Any] = {"welcome": {"en": {"subject": "Hi", "body": "Welcome"}, "fr": french}}

    with pytest.raises(ValueError, match="lacks a fr subject or body"):
        Templates(raw)


def test_template_without_a_link_points_at_the_home_page_in_its_language() -> None:
    templates = Templates({"hello": {"en": {"subject": "Hi", "body": "B"}, "fr": {"subject": "Salut", "body": "C"}}})

    assert templates.render("hello", "fr", {}, "http://web").link == "http://web/fr/"


def test_unsupported_language_falls_back_to_english_link_included(templates: Templates) -> None:
    rendered = templates.render("welcome", "de", {"name": "N", "username": "u"}, BASE_URL)

    assert rendered.subject == "Welcome to Tandem, N"
    assert rendered.link == "https://tandem.example.gc.ca/en/"


def test_subject_is_one_line_even_when_the_title_has_a_line_break(templates: Templates) -> None:
    rendered = templates.render(
        "offer_made", "en", {"title": "Data analyst\nTeam lead", "offer_id": "o", "opportunity_id": "p"}, BASE_URL
    )

    assert "\n" not in rendered.subject and "\r" not in rendered.subject
