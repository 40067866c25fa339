"""Language negotiation and the bilingual message catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest

from tandem_kit.i18n import KIT_CATALOG, Catalog, CatalogError, negotiate, request_language


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("fr", "fr"),
        ("FR", "fr"),
        ("en", "en"),
        ("fr-CA", "fr"),
        ("fr-CA,fr;q=0.9,en;q=0.8", "fr"),
        ("en-CA,fr;q=0.9", "en"),
        ("en;q=0.5, fr;q=0.8", "fr"),
        ("fr ; q=0.5 , en;q=0.4", "fr"),
        ("de-DE,de;q=0.9,fr;q=0.1", "fr"),
        ("de", "en"),
        ("*", "en"),
        ("en;q=0.5,fr;q=0.5", "en"),
        ("fr;q=0.5,en;q=0.5", "fr"),
        ("fr;q=abc,en;q=0.1", "en"),
        ("garbage!!", "en"),
        (";;;,,,", "en"),
    ],
)
def test_negotiate_picks_the_best_supported_language(accept_language: str | None, expected: str) -> None:
    assert negotiate(accept_language) == expected


def test_language_refused_with_q_zero_is_not_chosen() -> None:
    assert negotiate("fr;q=0") == "en"


def test_three_letter_language_starting_with_fr_is_not_french() -> None:
    assert negotiate("frr, en;q=0.5") == "en"


def write(tmp_path: Path, text: str, name: str = "messages.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_catalog_renders_each_language_with_its_placeholders(tmp_path: Path) -> None:
    catalog = Catalog.load(write(tmp_path, 'too_long:\n  en: "At most {max}."\n  fr: "Au plus {max}."\n'))

    assert catalog.render("too_long", "en", {"max": 5}) == "At most 5."
    assert catalog.render("too_long", "fr", {"max": 5}) == "Au plus 5."
    assert catalog.both("too_long", {"max": 5}) == {"en": "At most 5.", "fr": "Au plus 5."}


def test_catalog_load_refuses_a_message_lacking_french(tmp_path: Path) -> None:
    path = write(tmp_path, 'ok:\n  en: "Fine"\n  fr: "Bien"\nhalf_done:\n  en: "Only English"\n')

    with pytest.raises(CatalogError, match=r"message 'half_done' lacks fr"):
        Catalog.load(path)


def test_catalog_load_refuses_an_empty_translation(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"message 'blank' lacks en"):
        Catalog.load(write(tmp_path, 'blank:\n  en: ""\n  fr: "Vide"\n'))


def test_catalog_load_refuses_a_message_that_is_a_bare_string(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="greeting"):
        Catalog.load(write(tmp_path, "greeting: Hello\n"))


def test_later_catalogue_overrides_earlier_one(tmp_path: Path) -> None:
    kit = write(tmp_path, 'x:\n  en: "kit"\n  fr: "kit-fr"\n', "kit.yaml")
    own = write(tmp_path, 'x:\n  en: "own"\n  fr: "own-fr"\n', "own.yaml")

    assert Catalog.load(kit, own).render("x", "en") == "own"


def test_unknown_code_is_refused() -> None:
    with pytest.raises(CatalogError, match=r"no message 'no\.such\.code'"):
        KIT_CATALOG.render("no.such.code", "en")


def test_unsupported_language_falls_back_to_the_request_language() -> None:
    token = request_language.set("fr")
    try:
        assert KIT_CATALOG.render("field.required", "de") == KIT_CATALOG.render("field.required", "fr")
        assert KIT_CATALOG.render("field.required", None) == "Entrez une valeur."
    finally:
        request_language.reset(token)


def test_request_language_is_english_by_default() -> None:
    assert KIT_CATALOG.render("field.required") == "Enter a value."


def test_catalog_load_refuses_a_message_given_twice(tmp_path: Path) -> None:
    text = 'dup:\n  en: "One"\n  fr: "Un"\ndup:\n  en: "Two"\n  fr: "Deux"\n'
    with pytest.raises(CatalogError, match="'dup' is given twice"):
        Catalog.load(write(tmp_path, text))
