"""Ranking candidates for an opportunity: skills through the taxonomy (by canonical id only,
never by substring), weighted criteria, and a reason for every criterion that counted."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from matching.domain import ranking
from matching.domain.ranking import (
    CandidateFacts,
    CandidateRecord,
    Reason,
    Requirements,
    SkillGraph,
    Weights,
    alias_skills,
    evaluate,
    rank,
)
from tandem_kit.i18n import Catalog

AT = datetime(2026, 1, 15, 15, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[4]
CATALOG = Catalog.load(Path(ranking.__file__).resolve().parents[1] / "messages.yaml")
LABELS = {
    "java": {"en": "Java", "fr": "Java"},
    "javascript": {"en": "JavaScript", "fr": "JavaScript"},
    "data-analysis": {"en": "Data Analysis", "fr": "Analyse de données"},
    "statistics": {"en": "Statistics", "fr": "Statistique"},
    "python": {"en": "Python", "fr": "Python"},
    "sql": {"en": "SQL", "fr": "SQL"},
}
GRAPH = SkillGraph.build(
    [
        ("java", "Java", "Java", ["java se"], ["kotlin"]),
        ("javascript", "JavaScript", "JavaScript", ["js", "ecmascript"], ["typescript"]),
        ("data-analysis", "Data Analysis", "Analyse de données", ["data analytics"], ["statistics", "sql"]),
        ("statistics", "Statistics", "Statistique", [], []),
        ("python", "Python", "Python", [], ["data-analysis"]),
        ("sql", "SQL", "SQL", [], []),
    ]
)
SKILLS_ONLY = Weights(skills=1.0, occupation=0, industry=0, classification=0, location=0, availability=0)


def candidate(user_id: str, *skills: str, name: str | None = None, **facts: object) -> CandidateRecord:
    return CandidateRecord(
        user_id,
        name or user_id.title(),
        {s: LABELS[s] for s in skills},
        CandidateFacts(**facts),  # type: ignore[arg-type]
    )


def ranked(req: Requirements, people: list[CandidateRecord], **kw: object) -> list[ranking.Ranked]:
    return rank(req, people, graph=GRAPH, at=AT, **kw)[0]  # type: ignore[arg-type]


def wants(*skills: str, **kw: object) -> Requirements:
    return Requirements(skill_ids=skills, **kw)  # type: ignore[arg-type]


def texts(reasons: tuple[Reason, ...], lang: str = "en") -> list[str]:
    return [CATALOG.render(r.code, lang, r.values(lang)) for r in reasons]


# --- skills ---------------------------------------------------------------------------------------


def test_skill_matches_by_id_never_by_substring() -> None:
    result = ranked(wants("java"), [candidate("ada", "javascript"), candidate("bob", "java")])

    assert [r.user_id for r in result] == ["bob"]


def test_java_never_finds_javascript_in_the_real_taxonomy() -> None:
    """The taxonomy profiles ships: Java and JavaScript are neither aliases nor related, and
    nothing that finds one finds the other."""
    rows = yaml.safe_load((ROOT / "services/profiles/profiles/data/skills.yaml").read_text(encoding="utf-8"))
    graph = SkillGraph.build((r["id"], r["en"], r["fr"], r.get("aliases", []), r.get("related", [])) for r in rows)
    scripter = CandidateRecord("s", "S", {"javascript": LABELS["javascript"]}, aliases=alias_skills({"c": "js"}, graph))
    javanese = CandidateRecord("j", "J", {"java": LABELS["java"]})

    java = rank(wants("java"), [scripter, javanese], graph=graph, at=AT)[0]
    script = rank(wants("javascript"), [scripter, javanese], graph=graph, at=AT)[0]

    assert [r.user_id for r in java] == ["j"]
    assert [r.user_id for r in script] == ["s"]
    assert "javascript" not in graph.related.get("java", ()) and graph.resolve("java") == "java"


def test_a_skill_is_found_exactly_then_by_alias_then_through_a_related_skill() -> None:
    people = [
        candidate("exact", "data-analysis"),
        # Typed "Data analytics" before the taxonomy had that alias: a custom skill.
        CandidateRecord("alias", "Alias", {}, aliases=alias_skills({"custom-1": "Data analytics"}, GRAPH)),
        candidate("related", "statistics"),
        candidate("none", "java"),
    ]

    result = ranked(wants("data-analysis"), people, weights=SKILLS_ONLY)

    assert [(r.user_id, r.score) for r in result] == [("exact", 1.0), ("alias", 0.8), ("related", 0.4)]
    assert [texts(r.reasons) for r in result] == [
        ["found by skill: Data Analysis"],
        ["found by skill: Data Analysis (as “Data analytics”)"],
        ["found by related skill: Statistics, close to Data Analysis"],
    ]


def test_related_skills_go_both_ways() -> None:
    # python lists data-analysis as related; data-analysis does not list python.
    (found,) = ranked(wants("data-analysis"), [candidate("py", "python")], weights=SKILLS_ONLY)

    assert found.reasons[0].params == {"skill_id": "data-analysis", "related_id": "python"}


def test_the_skill_score_is_the_mean_share_of_the_required_skills() -> None:
    result = ranked(
        wants("python", "sql", "data-analysis", "java"),
        [
            candidate("one", "python"),
            candidate("three", "python", "sql", "data-analysis"),
            candidate("two", "sql", "java", "javascript"),
        ],
        weights=SKILLS_ONLY,
    )

    # "one" also finds data-analysis through python (related): (1 + 0.4) / 4.
    assert [(r.user_id, r.score) for r in result] == [("three", 0.75), ("two", 0.6), ("one", 0.35)]


def test_candidate_without_a_required_skill_is_left_out() -> None:
    assert ranked(wants("sql"), [candidate("ada", "java")]) == []


def test_poster_is_excluded() -> None:
    result = ranked(wants("python"), [candidate("poster", "python"), candidate("ada", "python")], exclude=["poster"])

    assert [r.user_id for r in result] == ["ada"]


def test_equal_scores_are_ordered_by_name_then_id() -> None:
    result = ranked(
        wants("python"),
        [
            candidate("u3", "python", name="Zoé"),
            candidate("u2", "python", name="Ana"),
            candidate("u1", "python", name="Ana"),
        ],
    )

    assert [r.user_id for r in result] == ["u1", "u2", "u3"]


def test_repeated_required_skill_counts_once() -> None:
    (only,) = ranked(wants("python", "python", "sql"), [candidate("ada", "python")], weights=SKILLS_ONLY)

    assert only.score == 0.5


def test_result_stops_at_the_limit_keeping_the_best() -> None:
    people = [candidate("best", "python", "sql")] + [candidate(f"c{i}", "python") for i in range(5)]

    result = ranked(wants("python", "sql"), people, limit=3)

    assert len(result) == 3
    assert result[0].user_id == "best"


def test_no_required_skills_ranks_no_one() -> None:
    assert ranked(wants(), [candidate("ada", "python")]) == []


# --- the other criteria ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("theirs", "share", "reason"),
    [
        ("41401", 1.0, "same occupation (NOC 41401)"),
        ("41409", 0.75, "same NOC minor group 4140"),
        ("41490", 0.5, "same NOC sub-major group 414"),
        ("41100", 0.35, "same NOC major group 41"),
        ("42100", 0.15, "same NOC broad occupational category 4"),
        ("21211", 0.0, None),
        ("", 0.0, None),
    ],
)
def test_occupation_counts_along_the_noc_hierarchy(theirs: str, share: float, reason: str | None) -> None:
    w = Weights(skills=1.0, occupation=1.0, industry=0, classification=0, location=0, availability=0)
    verdict = evaluate(wants("python", noc="41401"), candidate("ada", "python", noc=theirs), weights=w, at=AT)

    assert verdict.score == pytest.approx((1.0 + share) / 2)
    assert texts(verdict.reasons)[1:] == ([reason] if reason else [])


@pytest.mark.parametrize(
    ("theirs", "share", "reason"),
    [
        ("911910", 1.0, "same industry (NAICS 911910)"),
        ("911920", 0.6, "same NAICS industry group 9119"),
        ("541511", 0.0, None),
        ("91", 0.2, "same NAICS sector 91"),
    ],
)
def test_industry_counts_along_naics(theirs: str, share: float, reason: str | None) -> None:
    w = Weights(skills=1.0, occupation=0, industry=1.0, classification=0, location=0, availability=0)
    verdict = evaluate(wants("python", naics="911910"), candidate("ada", "python", naics=theirs), weights=w, at=AT)

    assert verdict.score == pytest.approx((1.0 + share) / 2)
    assert texts(verdict.reasons)[1:] == ([reason] if reason else [])


@pytest.mark.parametrize(
    ("group", "level", "share", "reason"),
    [
        ("EC", 5, 1.0, "same classification: EC-05"),
        ("EC", 4, 0.6, "EC-04, one level from EC-05"),
        ("EC", 7, 0.3, "same occupational group: EC"),
        ("AS", 5, 0.0, None),
    ],
)
def test_classification_counts_by_group_and_level(group: str, level: int, share: float, reason: str | None) -> None:
    w = Weights(skills=1.0, occupation=0, industry=0, classification=1.0, location=0, availability=0)
    person = candidate("ada", "python", classification_group=group, classification_level=level)
    verdict = evaluate(wants("python", classification="EC-05"), person, weights=w, at=AT)

    assert verdict.score == pytest.approx((1.0 + share) / 2)
    assert texts(verdict.reasons)[1:] == ([reason] if reason else [])


def test_proximity_counts_only_when_the_work_is_in_a_place() -> None:
    w = Weights(skills=1.0, occupation=0, industry=0, classification=0, location=1.0, availability=0)
    in_place = wants("python", virtual=False, province="QC", city="Gatineau")
    same_city = evaluate(in_place, candidate("a", "python", province="QC", city="gatineau"), weights=w, at=AT)
    same_province = evaluate(in_place, candidate("b", "python", province="QC", city="Montréal"), weights=w, at=AT)
    virtual = evaluate(wants("python", province="QC", city="Gatineau"), candidate("c", "python"), weights=w, at=AT)

    assert (same_city.score, same_province.score, virtual.score) == (1.0, 0.75, 1.0)
    assert texts(same_city.reasons)[1:] == ["in gatineau, where the work is"]
    assert texts(same_province.reasons, "fr")[1:] == ["dans la même province : QC"]


def test_availability_is_the_hours_free_against_the_hours_asked() -> None:
    w = Weights(skills=1.0, occupation=0, industry=0, classification=0, location=0, availability=1.0)
    two_a_day = wants("python", hours=2.0, per="day")  # ten hours a week

    assert evaluate(two_a_day, candidate("a", "python", hours_per_week=5), weights=w, at=AT).score == 0.75
    assert evaluate(two_a_day, candidate("b", "python", hours_per_week=20), weights=w, at=AT).score == 1.0
    assert evaluate(two_a_day, candidate("c", "python"), weights=w, at=AT).score == 0.5
    verdict = evaluate(two_a_day, candidate("a", "python", hours_per_week=5), weights=w, at=AT)
    assert texts(verdict.reasons)[1:] == ["5 h a week free (10 h asked)"]


def test_a_criterion_the_opportunity_says_nothing_of_does_not_count() -> None:
    # No NOC, industry, classification, place or hours: the score is the skills' alone.
    assert evaluate(wants("python", "sql"), candidate("a", "python", noc="41401"), at=AT).score == 0.5


def test_weights_are_configurable_and_checked() -> None:
    heavy = Weights(skills=1.0, occupation=3.0, industry=0, classification=0, location=0, availability=0)
    verdict = evaluate(wants("python", "sql", noc="41401"), candidate("a", "python", noc="41401"), weights=heavy, at=AT)

    assert verdict.score == pytest.approx((0.5 + 3.0) / 4)
    with pytest.raises(ValueError, match="exactly"):
        Weights(exact=0.5, alias=0.8)
    with pytest.raises(ValueError, match="skills"):
        Weights(skills=0.0)
    with pytest.raises(ValueError, match="negative"):
        Weights(location=-1.0)


def test_each_candidate_carries_a_breakdown_in_both_languages() -> None:
    req = wants(
        "data-analysis",
        noc="41401",
        languages={"fr": {"oral_proficiency": "B"}},
        time_zone="America/Toronto",
    )
    person = candidate(
        "ada", "data-analysis", noc="41401", languages={"fr": {"oral_proficiency": "C"}}, time_zone="America/Toronto"
    )

    verdict = evaluate(req, person, graph=GRAPH, at=AT)

    assert texts(verdict.reasons) == [
        "found by skill: Data Analysis",
        "same occupation (NOC 41401)",
        "working hours cover 100% of the schedule",
        "French C",
    ]
    assert texts(verdict.reasons, "fr") == [
        "trouvé par compétence : Analyse de données",
        "même profession (CNP 41401)",
        "les heures de travail couvrent 100 % de l’horaire",
        "français C",
    ]


def test_every_reason_and_exclusion_code_has_both_languages() -> None:
    codes = {
        "found_by_skill",
        "found_by_alias",
        "found_by_related_skill",
        *ranking.NAICS_REASONS.values(),
        "classification.same",
        "classification.one_level_apart",
        "classification.same_group",
        "location.same_city",
        "location.same_province",
        "availability.hours",
        "availability.schedule",
        "language.level",
        *(f"ruled_out.{f}" for f in ranking.FILTERS),
    }
    for code in codes:
        assert set(CATALOG.messages[code]) == {"en", "fr"}, code
