"""The code lists a profile refers to: NOC 2021 and NAICS 2022 with their hierarchy, searchable in
both languages; the occupational groups; the provinces."""

from __future__ import annotations

import pytest

from profiles.domain.codes import Code, CodeList, Text, load_groups, load_naics, load_noc, load_provinces


@pytest.fixture(scope="module")
def noc() -> CodeList:
    return load_noc()


@pytest.fixture(scope="module")
def naics() -> CodeList:
    return load_naics()


def levels(codes: CodeList, code: str) -> list[tuple[str, str]]:
    found = codes.get(code)
    assert found is not None
    return [(a.level, a.code) for a in codes.hierarchy(found)]


def test_noc_ships_every_broad_category_and_major_group_and_the_unit_groups_of_categories_0_to_5(
    noc: CodeList,
) -> None:
    by_level: dict[str, list[Code]] = {}
    for c in noc.codes.values():
        by_level.setdefault(c.level, []).append(c)

    assert len(by_level["broad_category"]) == 10
    assert len(by_level["major_group"]) == 45
    assert len([c for c in by_level["unit_group"] if c.code[0] in "012345"]) == 264
    assert all(c.title.en and c.title.fr for c in noc.codes.values())


def test_a_unit_group_knows_its_major_group_and_broad_category(noc: CodeList) -> None:
    assert levels(noc, "41101") == [("broad_category", "4"), ("major_group", "41")]


def test_naics_hierarchy_runs_from_the_sector_down(naics: CodeList) -> None:
    assert levels(naics, "911410") == [
        ("sector", "91"),
        ("subsector", "911"),
        ("industry_group", "9114"),
        ("industry", "91141"),
    ]
    assert levels(naics, "336") == [("sector", "31-33")]
    assert len([c for c in naics.codes.values() if c.level == "sector"]) == 20


def test_codes_are_searched_by_words_in_either_language(noc: CodeList) -> None:
    english = noc.search("policy researchers social", "en")
    french = noc.search("politiques sociales recherchistes", "fr")

    assert [c.code for c in english][:1] == [c.code for c in french][:1] == ["41403"]


def test_a_search_in_english_also_finds_french_titles(noc: CodeList) -> None:
    assert [c.code for c in noc.search("traducteurs", "en")] == ["51114"]


def test_codes_are_searched_by_their_start(naics: CodeList) -> None:
    assert [c.code for c in naics.search("5416", "en", limit=3)] == ["5416", "54161", "54162"]


def test_an_exact_title_comes_first(noc: CodeList) -> None:
    assert noc.search("data scientists", "en")[0].code == "21211"


def test_a_code_list_refuses_an_orphan() -> None:
    with pytest.raises(ValueError, match="without their parent"):
        CodeList("test", [Code("test", "41101", "unit_group", Text("x", "y"), "41")])


def test_groups_have_sane_level_ranges_and_both_names() -> None:
    groups = load_groups().groups

    assert {g.code for g in groups} >= {"AS", "EC", "PM", "CR", "IT", "FI", "EX"}
    assert all(0 <= g.min_level <= g.max_level <= 9 and g.name.en and g.name.fr for g in groups)


def test_every_province_and_territory_is_listed_by_its_code() -> None:
    provinces = load_provinces()

    assert len(provinces) == 13
    assert provinces["ON"] == Text("Ontario", "Ontario")
    assert provinces["QC"].fr == "Québec"
