"""A program's fit between a mentee and a mentor: the criteria, the hard rules, the explanation,
and the catalogue every reason is rendered from."""

from __future__ import annotations

from pathlib import Path

import pytest

from matching.domain import cohort, connector, fit
from matching.domain.fit import (
    LanguageRule,
    Location,
    MentoringType,
    NocSimilarity,
    Participant,
    ProgramRules,
    Weights,
    assess,
)
from tandem_kit.errors import FieldCollector
from tandem_kit.i18n import Catalog

ONLY = {name: 0.0 for name in ("occupation", "sector", "goals", "language", "culture", "proximity", "seniority")}


def only(criterion: str, **rules: object) -> ProgramRules:
    """A program weighing one criterion at 100 points."""
    return ProgramRules(weights=Weights(**{**ONLY, criterion: 100.0}), **rules)


def mentee(**kw: object) -> Participant:
    fields: dict[str, object] = {"languages": frozenset({"en"}), "seniority": 1, **kw}
    return Participant("mentee", **fields)


def mentor(**kw: object) -> Participant:
    fields: dict[str, object] = {"languages": frozenset({"en"}), "seniority": 3, **kw}
    return Participant("mentor", **fields)


# --- occupation along the NOC hierarchy -----------------------------------------------------


@pytest.mark.parametrize(
    ("other", "code", "points"),
    [
        ("21231", "fit.noc_unit_group", 100.0),
        ("21232", "fit.noc_minor_group", 75.0),
        ("21211", "fit.noc_sub_major_group", 50.0),
        ("21100", "fit.noc_major_group", 35.0),
        ("20012", "fit.noc_broad_category", 15.0),
    ],
)
def test_occupation_fit_grows_with_each_noc_level_shared(other: str, code: str, points: float) -> None:
    pair = assess(only("occupation"), mentee(noc="21231"), mentor(noc=other))

    assert pair.fit == points
    assert [(r.code, r.points) for r in pair.reasons] == [(code, points)]
    assert pair.reasons[0].params["noc"] == "21231"[: {100: 5, 75: 4, 50: 3, 35: 2, 15: 1}[int(points)]]


def test_different_broad_categories_or_unknown_codes_share_no_occupation_fit() -> None:
    rules = only("occupation")

    assert assess(rules, mentee(noc="21231"), mentor(noc="41401")).fit == 0
    assert assess(rules, mentee(noc=""), mentor(noc="")).fit == 0


def test_a_malformed_noc_code_is_a_bug_not_a_mismatch() -> None:
    with pytest.raises(ValueError, match="NOC"):
        mentor(noc="2123")


# --- goals, sector, proximity ---------------------------------------------------------------


def test_goals_score_the_share_of_the_mentees_goals_the_mentor_helps_with() -> None:
    pair = assess(
        only("goals"),
        mentee(goals=frozenset({"leadership", "networking"})),
        mentor(goals=frozenset({"leadership", "policy-writing"})),
    )

    assert pair.fit == 50.0
    assert [(r.code, r.params) for r in pair.reasons] == [("fit.shared_goal", {"goal": "leadership"})]


def test_proximity_falls_with_distance_when_both_have_coordinates() -> None:
    ottawa, toronto = Location("Ottawa", "ON", 45.42, -75.70), Location("Toronto", "ON", 43.65, -79.38)

    pair = assess(only("proximity", proximity_radius_km=500.0), mentee(location=ottawa), mentor(location=toronto))

    assert 25 < pair.fit < 35  # about 350 km of 500
    assert pair.reasons[0].code == "fit.distance"
    assert 340 <= int(pair.reasons[0].params["km"]) <= 360


def test_without_coordinates_proximity_is_the_same_city_or_the_same_province() -> None:
    rules = only("proximity")
    here = Location("Gatineau", "QC")

    same_city = assess(rules, mentee(location=here), mentor(location=Location("gatineau", "qc")))
    same_province = assess(rules, mentee(location=here), mentor(location=Location("Montréal", "QC")))
    elsewhere = assess(rules, mentee(location=here), mentor(location=Location("Ottawa", "ON")))

    assert (same_city.fit, same_city.reasons[0].code) == (100.0, "fit.same_city")
    assert (same_province.fit, same_province.reasons[0].code) == (50.0, "fit.same_province")
    assert elsewhere.fit == 0


def test_same_city_name_in_another_province_is_not_the_same_city() -> None:
    pair = assess(
        only("proximity"), mentee(location=Location("London", "ON")), mentor(location=Location("London", "NB"))
    )

    assert pair.fit == 0


# --- language -------------------------------------------------------------------------------

FRENCH_ONLY = {"languages": frozenset({"fr"}), "preferred_language": "fr"}
BILINGUAL_PREFERS_FRENCH = {"languages": frozenset({"en", "fr"}), "preferred_language": "fr"}


def test_when_the_program_requires_it_a_francophone_mentee_needs_a_french_speaking_mentor() -> None:
    rules = ProgramRules(language_rule=LanguageRule.PREFERRED)

    english_only = assess(rules, mentee(**BILINGUAL_PREFERS_FRENCH), mentor(languages=frozenset({"en"})))
    bilingual = assess(rules, mentee(**BILINGUAL_PREFERS_FRENCH), mentor(languages=frozenset({"en", "fr"})))

    assert not english_only.acceptable
    assert [(v.code, v.params) for v in english_only.violations] == [
        ("rule.lacks_preferred_language", {"language": "fr"})
    ]
    assert bilingual.acceptable


def test_a_program_without_the_rule_only_needs_a_shared_language() -> None:
    rules = ProgramRules(language_rule=LanguageRule.SHARED)

    prefers_french = assess(rules, mentee(**BILINGUAL_PREFERS_FRENCH), mentor(languages=frozenset({"en"})))
    no_common_language = assess(rules, mentee(**FRENCH_ONLY), mentor(languages=frozenset({"en"})))

    assert prefers_french.acceptable
    assert [r.code for r in prefers_french.reasons if r.code.endswith("language")] == ["fit.shared_language"]
    assert [v.code for v in no_common_language.violations] == ["rule.no_shared_language"]


def test_language_scores_more_for_the_mentees_preferred_language() -> None:
    rules = only("language", language_rule=LanguageRule.NONE)
    prefers_french = mentee(**BILINGUAL_PREFERS_FRENCH)

    assert assess(rules, prefers_french, mentor(languages=frozenset({"fr"}))).fit == 100.0
    assert assess(rules, prefers_french, mentor(languages=frozenset({"en"}))).fit == 50.0
    assert assess(rules, mentee(**FRENCH_ONLY), mentor(languages=frozenset({"en"}))).fit == 0.0


# --- cultural background --------------------------------------------------------------------


def test_cultural_background_counts_only_where_the_program_allows_it() -> None:
    a, b = mentee(cultural_backgrounds=frozenset({"metis"})), mentor(cultural_backgrounds=frozenset({"metis"}))
    weights = Weights(**{**ONLY, "culture": 10.0, "seniority": 10.0})

    allowed = assess(ProgramRules(weights=weights, allow_cultural_background=True), a, b)
    not_allowed = assess(ProgramRules(weights=weights, allow_cultural_background=False), a, b)

    assert ("fit.shared_cultural_background", {"background": "metis"}) in [(r.code, r.params) for r in allowed.reasons]
    assert all(r.code != "fit.shared_cultural_background" for r in not_allowed.reasons)
    assert allowed.fit == not_allowed.fit + 10.0


def test_a_culture_weight_without_the_programs_permission_is_refused() -> None:
    errors = FieldCollector()

    ProgramRules(weights=Weights(culture=5.0)).check(errors)

    assert [(e.field, e.code) for e in errors.errors] == [("rules.weights.culture", "rules.culture_not_allowed")]


# --- mentoring type and seniority -----------------------------------------------------------


def test_traditional_mentoring_needs_a_more_senior_mentor() -> None:
    rules = ProgramRules(mentoring_type=MentoringType.TRADITIONAL, min_seniority_gap=1)

    assert assess(rules, mentee(seniority=2), mentor(seniority=4)).acceptable
    junior = assess(rules, mentee(seniority=4), mentor(seniority=2))
    assert [(v.code, v.params) for v in junior.violations] == [("rule.mentor_not_senior_enough", {"levels": 1})]


def test_reverse_mentoring_turns_seniority_around() -> None:
    rules = ProgramRules(mentoring_type=MentoringType.REVERSE, min_seniority_gap=1)

    executive_mentored_by_analyst = assess(rules, mentee(seniority=6), mentor(seniority=2))
    analyst_mentored_by_executive = assess(rules, mentee(seniority=2), mentor(seniority=6))

    assert executive_mentored_by_analyst.acceptable
    assert ("fit.seniority_reverse", {"levels": 4}) in [
        (r.code, r.params) for r in executive_mentored_by_analyst.reasons
    ]
    assert [v.code for v in analyst_mentored_by_executive.violations] == ["rule.mentor_not_junior_enough"]


def test_peer_mentoring_pairs_people_of_about_the_same_level() -> None:
    rules = ProgramRules(mentoring_type=MentoringType.PEER, max_peer_gap=1)

    assert assess(rules, mentee(seniority=3), mentor(seniority=4)).acceptable
    assert [v.code for v in assess(rules, mentee(seniority=3), mentor(seniority=5)).violations] == [
        "rule.peers_too_far_apart"
    ]


def test_the_ideal_seniority_gap_scores_best() -> None:
    rules = only("seniority", ideal_seniority_gap=2)

    fits = [assess(rules, mentee(seniority=1), mentor(seniority=s)).fit for s in (2, 3, 4, 5)]

    assert fits == [50.0, 100.0, 50.0, pytest.approx(100 / 3)]


# --- exclusions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mentee_line", "mentor_line"),
    [(frozenset({"mentor"}), frozenset()), (frozenset(), frozenset({"mentee"}))],
    ids=["mentor above the mentee", "mentee above the mentor"],
)
def test_no_mentor_in_the_mentees_reporting_line(mentee_line: frozenset[str], mentor_line: frozenset[str]) -> None:
    pair = assess(ProgramRules(), mentee(reporting_line=mentee_line), mentor(reporting_line=mentor_line, seniority=3))

    assert [v.code for v in pair.violations] == ["rule.reporting_line"]


def test_no_repeat_of_a_past_pair_unless_the_program_allows_it() -> None:
    a, b = mentee(past_partners=frozenset({"mentor"})), mentor()

    assert [v.code for v in assess(ProgramRules(), a, b).violations] == ["rule.past_pair"]
    assert assess(ProgramRules(exclude_past_pairs=False), a, b).acceptable


def test_a_person_cannot_mentor_themselves() -> None:
    same = Participant("amira", languages=frozenset({"en"}), seniority=3)

    assert [v.code for v in assess(ProgramRules(min_seniority_gap=0), same, same).violations] == ["rule.same_person"]


def test_a_pair_below_the_programs_minimum_fit_is_not_acceptable() -> None:
    pair = assess(ProgramRules(min_fit=90.0), mentee(), mentor())

    assert [(v.code, v.params) for v in pair.violations] == [("rule.below_min_fit", {"min_fit": 90.0})]


# --- rules and catalogue --------------------------------------------------------------------


def test_program_rules_out_of_range_are_reported_field_by_field() -> None:
    errors = FieldCollector()

    ProgramRules(
        weights=Weights(occupation=-1.0),
        noc_similarity=NocSimilarity(unit_group=0.5, minor_group=0.9),
        proximity_radius_km=0.0,
        same_city_proximity=1.5,
    ).check(errors)

    assert [(e.field, e.code) for e in errors.errors] == [
        ("rules.weights.occupation", "rules.weight_range"),
        ("rules.noc_similarity", "rules.noc_similarity_order"),
        ("rules.proximity_radius_km", "rules.radius_range"),
        ("rules.same_city_proximity", "rules.share_range"),
    ]


def test_default_rules_are_valid() -> None:
    errors = FieldCollector()

    ProgramRules().check(errors)
    connector.ConnectorRules().check(errors)

    assert errors.errors == []


CATALOG_PATH = Path(fit.__file__).resolve().parents[1] / "messages.yaml"
REASONS = {**fit.FIT_REASONS, **fit.RULE_REASONS, **cohort.COHORT_REASONS, **connector.CONNECTOR_REASONS}


@pytest.mark.parametrize("code", sorted(REASONS))
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_reason_renders_in_both_languages_with_its_parameters(code: str, lang: str) -> None:
    catalog = Catalog.load(CATALOG_PATH)

    text = catalog.render(code, lang, {name: f"<{name}>" for name in REASONS[code]})

    assert all(f"<{name}>" in text for name in REASONS[code])


def test_the_reason_list_covers_every_rule_the_model_can_break() -> None:
    model = fit.FitModel(
        ProgramRules(language_rule=LanguageRule.PREFERRED, min_fit=1.0), [mentee()], [mentor()]
    )  # every optional rule switched on

    codes = set(model.evaluate(slice(None)).breaks)
    codes |= {"rule.mentor_not_junior_enough", "rule.peers_too_far_apart", "rule.reporting_line", "rule.past_pair"}

    assert codes == set(fit.RULE_REASONS)
