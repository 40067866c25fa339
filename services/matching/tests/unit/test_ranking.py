"""Ranking candidates for an opportunity: by canonical skill id only, best match first."""

from __future__ import annotations

from pathlib import Path

import pytest

from matching.domain import ranking
from matching.domain.ranking import CandidateRecord, Reason, rank
from tandem_kit.i18n import Catalog

LABELS = {
    "java": {"en": "Java", "fr": "Java"},
    "javascript": {"en": "JavaScript", "fr": "JavaScript"},
    "data-analysis": {"en": "Data Analysis", "fr": "Analyse de données"},
    "python": {"en": "Python", "fr": "Python"},
    "sql": {"en": "SQL", "fr": "SQL"},
}


def candidate(user_id: str, *skills: str, name: str | None = None) -> CandidateRecord:
    return CandidateRecord(user_id, name or user_id.title(), {s: LABELS[s] for s in skills})


def test_skill_matches_by_id_never_by_substring() -> None:
    result = rank(["java"], [candidate("ada", "javascript"), candidate("bob", "java")])

    assert [r.user_id for r in result] == ["bob"]


def test_candidate_without_a_required_skill_is_left_out() -> None:
    assert rank(["sql"], [candidate("ada", "python")]) == []


def test_poster_is_excluded() -> None:
    result = rank(["python"], [candidate("poster", "python"), candidate("ada", "python")], exclude=["poster"])

    assert [r.user_id for r in result] == ["ada"]


def test_score_is_the_share_of_required_skills_and_orders_the_result() -> None:
    result = rank(
        ["python", "sql", "data-analysis", "java"],
        [
            candidate("one", "python"),
            candidate("three", "python", "sql", "data-analysis"),
            candidate("two", "sql", "java", "javascript"),
        ],
    )

    assert [(r.user_id, r.score) for r in result] == [("three", 0.75), ("two", 0.5), ("one", 0.25)]


def test_equal_scores_are_ordered_by_name_then_id() -> None:
    result = rank(
        ["python"],
        [
            candidate("u3", "python", name="Zoé"),
            candidate("u2", "python", name="Ana"),
            candidate("u1", "python", name="Ana"),
        ],
    )

    assert [r.user_id for r in result] == ["u1", "u2", "u3"]


def test_repeated_required_skill_counts_once() -> None:
    (only,) = rank(["python", "python", "sql"], [candidate("ada", "python")])

    assert only.score == 0.5


def test_result_stops_at_the_limit_keeping_the_best() -> None:
    candidates = [candidate("best", "python", "sql")] + [candidate(f"c{i}", "python") for i in range(5)]

    result = rank(["python", "sql"], candidates, limit=3)

    assert len(result) == 3
    assert result[0].user_id == "best"


def test_no_required_skills_ranks_no_one() -> None:
    assert rank([], [candidate("ada", "python")]) == []


def test_reasons_name_each_matched_skill_in_both_languages() -> None:
    (ranked,) = rank(["data-analysis", "sql", "java"], [candidate("ada", "sql", "data-analysis")])

    assert ranked.reasons == (
        Reason("found_by_skill", {"skill_id": "data-analysis"}, {"en": "Data Analysis", "fr": "Analyse de données"}),
        Reason("found_by_skill", {"skill_id": "sql"}, {"en": "SQL", "fr": "SQL"}),
    )


@pytest.mark.parametrize(
    ("lang", "text"),
    [("en", "found by skill: Data Analysis"), ("fr", "trouvé par compétence : Analyse de données")],
)
def test_reason_renders_with_the_skill_label_in_each_language(lang: str, text: str) -> None:
    catalog = Catalog.load(Path(ranking.__file__).resolve().parents[1] / "messages.yaml")
    (ranked,) = rank(["data-analysis"], [candidate("ada", "data-analysis")])
    (reason,) = ranked.reasons

    assert catalog.render(reason.code, lang, {"label": reason.labels[lang]}) == text
