"""Skill suggestions for the autocomplete box, on the real taxonomy: what each kind of hit is, and
the order they come in."""

from __future__ import annotations

import pytest

from profiles.domain.taxonomy import Skill, Suggestion, Taxonomy, fold


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return Taxonomy.load()


def hits(suggestions: list[Suggestion]) -> list[tuple[str, str]]:
    return [(s.skill.id, s.match) for s in suggestions]


def test_java_is_the_match_for_java_and_javascript_only_a_completion_after_it(taxonomy: Taxonomy) -> None:
    suggestions = taxonomy.suggest("java", "en")

    assert hits(suggestions) == [("java", "exact"), ("javascript", "prefix")]
    assert [s.skill.id for s in suggestions if s.match in ("exact", "alias")] == ["java"]


def test_javascript_is_not_found_by_a_typo_of_java(taxonomy: Taxonomy) -> None:
    assert "javascript" not in [s.skill.id for s in taxonomy.suggest("jaav", "en") if s.match == "fuzzy"]


def test_an_alias_names_its_skill(taxonomy: Taxonomy) -> None:
    assert hits(taxonomy.suggest("JS", "en"))[0] == ("javascript", "alias")
    assert hits(taxonomy.suggest("rh", "fr"))[0] == ("human-resources", "alias")
    assert hits(taxonomy.suggest("ATIP", "en"))[0] == ("access-to-information", "alias")


def test_an_exact_name_comes_before_longer_names_that_start_with_it(taxonomy: Taxonomy) -> None:
    ids = [s.skill.id for s in taxonomy.suggest("python", "en")]

    assert ids[0] == "python"


def test_a_french_query_is_answered_with_french_names_first(taxonomy: Taxonomy) -> None:
    french = taxonomy.suggest("gestion de pro", "fr", limit=5)

    assert [s.matched_name for s in french[:3]] == ["Gestion de projet", "Gestion de produits", "Gestion de programme"]
    assert all(s.match == "prefix" for s in french[:3])


def test_an_english_query_finds_skills_by_their_french_names_after_english_ones(taxonomy: Taxonomy) -> None:
    suggestions = taxonomy.suggest("dotation", "en")

    assert hits(suggestions) == [("staffing", "exact")]
    assert suggestions[0].matched_name == "Dotation"


def test_the_same_skill_is_suggested_once_with_its_best_match(taxonomy: Taxonomy) -> None:
    ids = [s.skill.id for s in taxonomy.suggest("data", "en", limit=50)]

    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(("query", "lang"), [("evaluation de programmes", "fr"), ("ÉVALUATION DE PROG", "en")])
def test_search_ignores_accents_and_case(taxonomy: Taxonomy, query: str, lang: str) -> None:
    assert taxonomy.suggest(query, lang)[0].skill.id == "program-evaluation"


def test_a_word_inside_a_name_is_found(taxonomy: Taxonomy) -> None:
    assert hits(taxonomy.suggest("reliability", "en")) == [("site-reliability-engineering", "word")]


@pytest.mark.parametrize(
    ("typo", "skill_id"), [("pyhton", "python"), ("statistcs", "statistics"), ("leadrship", "leadership")]
)
def test_a_typo_finds_the_skill_as_a_fuzzy_hit(taxonomy: Taxonomy, typo: str, skill_id: str) -> None:
    assert hits(taxonomy.suggest(typo, "en"))[0] == (skill_id, "fuzzy")


def test_short_queries_are_not_matched_fuzzily(taxonomy: Taxonomy) -> None:
    assert [s for s in taxonomy.suggest("jvaa"[:3], "en") if s.match == "fuzzy"] == []


@pytest.mark.parametrize("query", ["", "   ", "zzqx"])
def test_nothing_is_suggested_for_blank_or_unknown_text(taxonomy: Taxonomy, query: str) -> None:
    assert taxonomy.suggest(query, "en") == []


def test_suggestions_stop_at_the_limit(taxonomy: Taxonomy) -> None:
    assert len(taxonomy.suggest("a", "en", limit=3)) == 3


def test_a_tiny_taxonomy_ranks_exact_then_alias_then_prefix_then_word() -> None:
    taxonomy = Taxonomy(
        [
            Skill("ml-kit", "ML Kit", "ML Kit"),
            Skill("markup", "Markup ML", "Balisage ML"),
            Skill("machine-learning", "Machine Learning", "Apprentissage automatique", ("ml",)),
            Skill("ml", "ML", "ML"),
        ]
    )

    assert hits(taxonomy.suggest("ml", "en")) == [
        ("ml", "exact"),
        ("machine-learning", "alias"),
        ("ml-kit", "prefix"),
        ("markup", "word"),
    ]


def test_fold_removes_accents_case_and_extra_spaces() -> None:
    assert fold(" Élaboration   de Politiques ") == "elaboration de politiques"


def test_find_by_name_knows_labels_and_aliases_in_both_languages(taxonomy: Taxonomy) -> None:
    assert [taxonomy.find_by_name(n).id for n in ("Infonuagique", "cloud computing", "k8s")] == [  # type: ignore[union-attr]
        "cloud-computing",
        "cloud-computing",
        "kubernetes",
    ]
    assert taxonomy.find_by_name("Basket weaving") is None


def test_related_skills_are_skills(taxonomy: Taxonomy) -> None:
    assert [s.id for s in taxonomy.related("java")][:2] == ["spring-framework", "kotlin"]
