"""The in-memory index ranks exactly as the definition in ranking.py does: same people, same
order, same scores, same reasons, same exclusion counts, on random populations and updates."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.domain.index import CandidateIndex, name_key
from matching.domain.ranking import (
    CandidateFacts,
    CandidateRecord,
    Requirements,
    SkillGraph,
    Weights,
    alias_skills,
    rank,
)
from matching.snapshots import decode, encode

AT = datetime(2026, 1, 15, 15, 0, tzinfo=UTC)
GRAPH = SkillGraph.build(
    [
        ("java", "Java", "Java", ["java se"], ["kotlin"]),
        ("javascript", "JavaScript", "JavaScript", ["js"], ["typescript"]),
        ("typescript", "TypeScript", "TypeScript", ["ts"], []),
        ("kotlin", "Kotlin", "Kotlin", [], []),
        ("data-analysis", "Data Analysis", "Analyse de données", ["data analytics"], ["statistics", "sql"]),
        ("statistics", "Statistics", "Statistique", [], ["data-analysis"]),
        ("sql", "SQL", "SQL", ["structured query language"], []),
    ]
)
SKILLS = list(GRAPH.labels)
CUSTOM = {"custom-js": "JS", "custom-sq": "Structured Query Language", "custom-xx": "Basket weaving"}
TYPES = ["micro_mission", "mentoring", "job_swap"]
ROLES = ["participant", "host", "mentor", "mentee", "seeker"]
ZONES = ["", "America/Toronto", "America/Vancouver", "America/St_Johns", "America/Halifax"]
PROVINCES = ["", "ON", "QC", "BC"]
CITIES = ["", "Ottawa", "ottawa", "Gatineau", "Vancouver"]
NOCS = ["", "41401", "41400", "41100", "21211", "21232"]
NAICS = ["", "911910", "91191", "541511", "54", "31-33"]
DEPARTMENTS = ["", "tbs-sct", "statcan", "ssc-spc"]
LEVELS = ["", "A", "B", "C", "E", "X"]
NAMES = ["Ana", "Ana", "Zoé", "Élodie", "Bob", "Anabelle", "Anaïs", ""]

levels = st.fixed_dictionaries(
    {},
    optional={
        "written_comprehension": st.sampled_from(LEVELS[1:]),
        "written_expression": st.sampled_from(LEVELS[1:]),
        "oral_proficiency": st.sampled_from(LEVELS[1:]),
    },
)
languages = st.fixed_dictionaries({}, optional={"en": levels, "fr": levels})
facts = st.builds(
    CandidateFacts,
    opt_ins=st.dictionaries(st.sampled_from(TYPES), st.lists(st.sampled_from(ROLES), max_size=2), max_size=3),
    languages=languages,
    province=st.sampled_from(PROVINCES),
    city=st.sampled_from(CITIES),
    paused=st.booleans(),
    department=st.sampled_from(DEPARTMENTS),
    security_clearance=st.sampled_from(["", "none", "reliability", "secret", "top_secret"]),
    time_zone=st.sampled_from(ZONES),
    days=st.sampled_from([(), ("monday", "tuesday"), ("saturday",), ("monday", "wednesday", "friday")]),
    day_start=st.sampled_from([480, 540, 600]),
    day_end=st.sampled_from([960, 1020, 1200]),
    hours_per_week=st.integers(0, 40),
    max_engagements=st.integers(0, 3),
    engagements=st.integers(0, 3),
    max_mentees=st.integers(0, 2),
    mentoring_engagements=st.integers(0, 2),
    classification_group=st.sampled_from(["", "EC", "AS", "CS"]),
    classification_level=st.integers(1, 8),
    noc=st.sampled_from(NOCS),
    naics=st.sampled_from(NAICS),
)


@st.composite
def people(draw: st.DrawFn, size: int) -> list[tuple[CandidateRecord, dict[str, str]]]:
    out = []
    for i in range(draw(st.integers(0, size))):
        skills = draw(st.lists(st.sampled_from(SKILLS), max_size=4, unique=True))
        custom = draw(st.lists(st.sampled_from(sorted(CUSTOM)), max_size=2, unique=True))
        labels = {s: GRAPH.labels[s] for s in skills} | {c: {"en": CUSTOM[c], "fr": CUSTOM[c]} for c in custom}
        names = {c: CUSTOM[c] for c in custom}
        record = CandidateRecord(f"u{i}", draw(st.sampled_from(NAMES)), labels, draw(facts), alias_skills(names, GRAPH))
        out.append((record, names))
    return out


# Most requirements ask little, so that enough people qualify to compare orders and scores.
requirements = st.builds(
    Requirements,
    skill_ids=st.lists(st.sampled_from([*SKILLS, "unknown-skill"]), min_size=1, max_size=3).map(tuple),
    type=st.sampled_from(["", "", "", *TYPES]),
    host_role=st.sampled_from(["offering", "seeking"]),
    languages=st.one_of(st.just({}), st.just({}), languages),
    virtual=st.booleans(),
    province=st.sampled_from(PROVINCES),
    city=st.sampled_from(CITIES),
    department=st.sampled_from(DEPARTMENTS),
    limited_to_department=st.sampled_from([False, False, False, True]),
    security_level=st.sampled_from(["", "", "none", "reliability", "secret"]),
    time_zone=st.sampled_from(["", "", *ZONES]),
    schedule=st.sampled_from(
        [(), (), (("monday", 540, 120),), (("tuesday", 1200, 180), ("saturday", 600, 60)), (("sunday", 1380, 120),)]
    ),
    hours=st.sampled_from([0.0, 2.0, 7.5, 20.0]),
    per=st.sampled_from(["day", "week", "month"]),
    classification=st.sampled_from(["", "EC-05", "AS-02", "CS-03"]),
    noc=st.sampled_from(NOCS),
    naics=st.sampled_from(NAICS),
)
weights = st.sampled_from(
    [
        Weights(),
        Weights(skills=1.0, occupation=0.0, industry=0.0, classification=0.0, location=0.0, availability=0.0),
        Weights(exact=1.0, alias=1.0, related=1.0, min_schedule_overlap=0.0),
        Weights(min_schedule_overlap=1.0, related=0.0),
    ]
)


def index_of(population: list[tuple[CandidateRecord, dict[str, str]]], *, dense: bool = False) -> CandidateIndex:
    # `dense`: skills held by more than a quarter of people get dense columns, as popular skills
    # do in a big population.
    index = CandidateIndex(capacity=4, graph=GRAPH, **({"dense_min": 1, "dense_share": 4} if dense else {}))
    for record, custom in population:
        index.upsert(record, custom)
    return index


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people(25), requirements, weights, st.integers(1, 8), st.sampled_from(["", "u0", "u3"]), st.booleans())
def test_the_index_ranks_as_the_definition_does(
    population: list[tuple[CandidateRecord, dict[str, str]]],
    req: Requirements,
    w: Weights,
    limit: int,
    poster: str,
    dense: bool,
) -> None:
    expected = rank(req, [r for r, _ in population], exclude=[poster], limit=limit, graph=GRAPH, weights=w, at=AT)

    index = index_of(population, dense=dense)
    assert index.rank(req, exclude=[poster], limit=limit, weights=w, at=AT) == expected


@settings(max_examples=150, deadline=None)
@given(people(15), people(15), requirements, st.booleans())
def test_updates_replace_people_in_place(
    first: list[tuple[CandidateRecord, dict[str, str]]],
    second: list[tuple[CandidateRecord, dict[str, str]]],
    req: Requirements,
    dense: bool,
) -> None:
    index = index_of(first, dense=dense)
    for record, custom in second:  # the same ids, new facts and skills
        index.upsert(record, custom)
    latest = {r.user_id: r for r, _ in first} | {r.user_id: r for r, _ in second}

    assert index.rank(req, limit=10, at=AT) == rank(req, latest.values(), limit=10, graph=GRAPH, at=AT)


def test_a_removed_person_is_no_longer_ranked_nor_counted() -> None:
    record = CandidateRecord("ada", "Ada", {"java": GRAPH.labels["java"]})
    index = index_of([(record, {})])
    index.remove("ada")

    assert index.rank(Requirements(skill_ids=("java",)), at=AT) == ([], {})


def test_the_record_a_row_holds_is_the_one_written() -> None:
    record = CandidateRecord(
        "ada",
        "Ada",
        {"java": GRAPH.labels["java"], "custom-js": {"en": "JS", "fr": "JS"}},
        CandidateFacts(
            opt_ins={"mentoring": ["mentor"]},
            languages={"fr": {"oral_proficiency": "B"}},
            province="QC",
            city="Gatineau",
            department="statcan",
            security_clearance="secret",
            time_zone="America/Toronto",
            days=("monday",),
            hours_per_week=5,
            classification_group="EC",
            classification_level=5,
            noc="41401",
            naics="911910",
        ),
        {"javascript": "JS"},
    )
    index = index_of([(record, {"custom-js": "JS"})])

    assert index.record(index.rows["ada"]) == record


def test_a_new_taxonomy_works_out_alias_matches_again() -> None:
    index = CandidateIndex(graph=SkillGraph())
    index.upsert(CandidateRecord("ada", "Ada", {"custom-js": {"en": "JS", "fr": "JS"}}), {"custom-js": "JS"})
    assert index.rank(Requirements(skill_ids=("javascript",)), at=AT)[0] == []

    index.set_graph(GRAPH)

    [found], _ = index.rank(Requirements(skill_ids=("javascript",)), at=AT)
    assert (found.user_id, [r.code for r in found.reasons]) == ("ada", ["found_by_alias"])


@pytest.mark.parametrize(("a", "b"), [("Ana", "Anabelle"), ("", "A"), ("Zoé", "Élodie"), ("Ab", "Abc"), ("a", "b")])
def test_the_name_key_orders_as_python_orders_names(a: str, b: str) -> None:
    assert (name_key(a) < name_key(b)) == (a[:3] < b[:3]) or a[:3] == b[:3]
    assert name_key(a) <= name_key(b) if a < b else name_key(a) >= name_key(b)


def test_many_equal_scores_are_broken_by_name_then_id_without_sorting_everyone() -> None:
    population: list[tuple[CandidateRecord, dict[str, str]]] = [
        (CandidateRecord(f"u{i:05d}", f"Person {i % 997:03d}", {"java": GRAPH.labels["java"]}), {})
        for i in range(10_000)
    ]
    req = Requirements(skill_ids=("java",))

    assert index_of(population).rank(req, limit=20, at=AT) == rank(
        req, [r for r, _ in population], limit=20, graph=GRAPH, at=AT
    )


# --- snapshots: a new replica starts from one ------------------------------------------------------


def through_a_snapshot(index: CandidateIndex) -> CandidateIndex:
    return decode(encode(index.freeze()))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people(20), people(20), people(20), requirements, st.sets(st.sampled_from([f"u{i}" for i in range(20)])))
def test_an_index_thawed_from_a_snapshot_ranks_and_changes_as_the_original(
    first: list[tuple[CandidateRecord, dict[str, str]]],
    second: list[tuple[CandidateRecord, dict[str, str]]],
    third: list[tuple[CandidateRecord, dict[str, str]]],
    req: Requirements,
    removed: set[str],
) -> None:
    # Dense columns, stale list entries and removed people, as a long-running index has.
    index = index_of(first, dense=True)
    for record, custom in second:
        index.upsert(record, custom)
    for user_id in removed:
        index.remove(user_id)
    frozen = index.freeze()
    held = [index.record(row) for row in range(index.size) if index.cols.alive[row]]
    index.upsert(CandidateRecord("u0", "Late", {"java": GRAPH.labels["java"]}), {})  # after the freeze: not in it
    thawed = decode(encode(frozen))
    latest = {r.user_id: r for r, _ in first} | {r.user_id: r for r, _ in second}
    alive = [r for user_id, r in latest.items() if user_id not in removed]

    assert thawed.rank(req, limit=10, at=AT) == rank(req, alive, limit=10, graph=GRAPH, at=AT)
    assert [thawed.record(row) for row in range(thawed.size) if thawed.cols.alive[row]] == held

    for record, custom in third:  # the thawed index goes on changing like any other
        thawed.upsert(record, custom)
    latest |= {r.user_id: r for r, _ in third}
    alive = [r for user_id, r in latest.items() if user_id not in removed or user_id in {r.user_id for r, _ in third}]
    assert thawed.rank(req, limit=10, at=AT) == rank(req, alive, limit=10, graph=GRAPH, at=AT)


def test_a_snapshot_keeps_the_taxonomy_it_was_taken_with() -> None:
    index = index_of([(CandidateRecord("ada", "Ada", {"custom-js": {"en": "JS", "fr": "JS"}}), {"custom-js": "JS"})])

    thawed = through_a_snapshot(index)

    assert thawed.graph == GRAPH
    [found], _ = thawed.rank(Requirements(skill_ids=("javascript",)), at=AT)
    assert [r.code for r in found.reasons] == ["found_by_alias"]


def test_a_snapshot_of_another_format_is_refused() -> None:
    arrays = index_of([]).freeze().arrays()
    arrays["header"] = np.frombuffer(b'{"format": 999}', np.uint8)

    with pytest.raises(ValueError, match="format 999"):
        CandidateIndex.thaw(arrays)


def test_a_person_removed_then_back_with_the_same_skills_is_found_after_their_list_was_compacted() -> None:
    java = {"java": GRAPH.labels["java"]}
    index = index_of(
        [(CandidateRecord("ada", "Ada", java), {})] + [(CandidateRecord(f"u{i}", "Bo", java), {}) for i in range(100)]
    )
    index.remove("ada")
    for i in range(100):  # enough stale entries to compact Java's list, which drops Ada's
        index.upsert(CandidateRecord(f"u{i}", "Bo", {"sql": GRAPH.labels["sql"]}), {})

    index.upsert(CandidateRecord("ada", "Ada", java), {})

    assert [r.user_id for r in index.rank(Requirements(skill_ids=("java",)), at=AT)[0]] == ["ada"]
