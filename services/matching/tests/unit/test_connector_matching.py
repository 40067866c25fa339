"""Connector matching: similar education and experience first, never past a connector's yearly
cap, and a decline passes the newcomer to the next best connector."""

from __future__ import annotations

from matching.domain.connector import Connector, ConnectorRules, Education, Newcomer, next_connector, rank_connectors

RULES = ConnectorRules()
NEWCOMER = Newcomer(
    "eric",
    Education.BACHELOR,
    fields_of_study=frozenset({"political-science"}),
    noc="11202",  # advertising, marketing and public relations
    years_experience=6,
    languages=frozenset({"en", "fr"}),
)


def connector(cid: str, **kw: object) -> Connector:
    fields: dict[str, object] = {
        "education": Education.BACHELOR,
        "fields_of_study": frozenset({"political-science"}),
        "noc": "11202",
        "years_experience": 8.0,
        "languages": frozenset({"en"}),
        **kw,
    }
    return Connector(cid, **fields)


def test_the_connector_with_the_closest_education_and_experience_comes_first() -> None:
    connectors = [
        connector("far-field", fields_of_study=frozenset({"nursing"}), noc="31301"),
        connector("jonathan"),
        connector("doctor", education=Education.DOCTORATE, years_experience=30.0),
    ]

    ranked = rank_connectors(RULES, NEWCOMER, connectors)

    assert [m.connector_id for m in ranked] == ["jonathan", "doctor", "far-field"]
    best = ranked[0]
    assert {r.code for r in best.reasons} == {
        "fit.noc_unit_group",
        "fit.field_of_study",
        "fit.education_level",
        "fit.experience_years",
    }
    assert 0 < best.score <= 1


def test_a_decline_passes_the_newcomer_to_the_next_best_connector() -> None:
    connectors = [connector("first"), connector("second", years_experience=12.0), connector("third", noc="41401")]

    offers = []
    declined: list[str] = []
    while (match := next_connector(RULES, NEWCOMER, connectors, declined)) is not None:
        offers.append(match.connector_id)
        declined.append(match.connector_id)  # each one declines after reading the résumé

    assert offers == ["first", "second", "third"]


def test_a_connector_at_their_yearly_cap_is_not_offered_anyone() -> None:
    connectors = [connector("busy", yearly_cap=2, connectees_this_year=2), connector("free", noc="41401")]

    match = next_connector(RULES, NEWCOMER, connectors, declined=[])

    assert match is not None
    assert match.connector_id == "free"


def test_no_connector_left_gives_none() -> None:
    assert next_connector(RULES, NEWCOMER, [connector("only")], declined=["only"]) is None


def test_a_connector_without_a_shared_language_is_not_offered_when_the_program_requires_one() -> None:
    francophone = Newcomer("ana", Education.MASTER, languages=frozenset({"fr"}))
    connectors = [connector("anglophone")]

    assert rank_connectors(RULES, francophone, connectors) == []
    assert [
        m.connector_id for m in rank_connectors(ConnectorRules(require_shared_language=False), francophone, connectors)
    ] == ["anglophone"]


def test_equal_connectors_are_offered_in_a_stable_order() -> None:
    connectors = [connector("b"), connector("a"), connector("c")]

    assert [m.connector_id for m in rank_connectors(RULES, NEWCOMER, connectors)] == ["a", "b", "c"]
