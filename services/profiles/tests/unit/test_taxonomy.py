"""Skill suggestions for the autocomplete box, from the real seed taxonomy."""

from __future__ import annotations

import pytest

from profiles.domain.taxonomy import Skill, Taxonomy, fold


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return Taxonomy.load()


def ids(skills: list[Skill]) -> list[str]:
    return [s.id for s in skills]


def test_exact_label_comes_before_labels_starting_with_it(taxonomy: Taxonomy) -> None:
    assert ids(taxonomy.suggest("java", "en")) == ["java", "javascript"]


def test_exact_alias_beats_a_shorter_label_starting_with_the_query() -> None:
    taxonomy = Taxonomy(
        [
            Skill("mlops", "MLOps", "MLOps"),
            Skill("machine-learning", "Machine Learning", "Apprentissage automatique", ("ml",)),
        ]
    )

    assert ids(taxonomy.suggest("ml", "en")) == ["machine-learning", "mlops"]


def test_exact_alias_comes_first(taxonomy: Taxonomy) -> None:
    assert ids(taxonomy.suggest("JS", "en")) == ["javascript"]
    assert ids(taxonomy.suggest("rh", "fr")) == ["human-resources"]


def test_french_request_ranks_by_french_labels(taxonomy: Taxonomy) -> None:
    french = taxonomy.suggest("gestion", "fr")

    assert ids(french)[:2] == ["project-management", "financial-management"]
    assert [s.label("fr") for s in french[:2]] == ["Gestion de projet", "Gestion financière"]


def test_exact_french_label_comes_first_in_french(taxonomy: Taxonomy) -> None:
    assert ids(taxonomy.suggest("dotation", "fr")) == ["staffing"]


def test_label_in_the_other_language_is_found_after_own_language_matches(taxonomy: Taxonomy) -> None:
    # "analyse" starts no English word, but starts the French labels.
    assert ids(taxonomy.suggest("analyse", "en")) == ["data-analysis", "policy-analysis"]


@pytest.mark.parametrize(("query", "lang"), [("eval", "fr"), ("éval", "fr"), ("EVAL", "en"), ("évaluation", "en")])
def test_search_ignores_accents_and_case(taxonomy: Taxonomy, query: str, lang: str) -> None:
    assert ids(taxonomy.suggest(query, lang)) == ["program-evaluation"]


def test_word_inside_a_label_is_found(taxonomy: Taxonomy) -> None:
    assert "excel" in ids(taxonomy.suggest("excel", "en"))


@pytest.mark.parametrize("query", ["", "   ", "zzz"])
def test_nothing_is_suggested_for_blank_or_unknown_text(taxonomy: Taxonomy, query: str) -> None:
    assert taxonomy.suggest(query, "en") == []


def test_suggestions_stop_at_the_limit(taxonomy: Taxonomy) -> None:
    assert len(taxonomy.suggest("a", "en", limit=3)) == 3


def test_fold_removes_accents_and_case() -> None:
    assert fold(" Élaboration de Politiques ") == "elaboration de politiques"


def test_seed_taxonomy_has_unique_ids_and_both_labels(taxonomy: Taxonomy) -> None:
    assert len(taxonomy.skills) >= 50
    for skill in taxonomy.skills.values():
        assert skill.en.strip() and skill.fr.strip(), skill


def test_unknown_lists_ids_not_in_the_taxonomy(taxonomy: Taxonomy) -> None:
    assert taxonomy.unknown(["python", "cobol", "java", "fortran"]) == ["cobol", "fortran"]
