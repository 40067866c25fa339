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


def by_level(codes: CodeList) -> dict[str, list[Code]]:
    out: dict[str, list[Code]] = {}
    for c in codes.codes.values():
        out.setdefault(c.level, []).append(c)
    return out


def test_noc_ships_the_whole_classification(noc: CodeList) -> None:
    counts = {level: len(codes) for level, codes in by_level(noc).items()}

    assert counts == {
        "broad_category": 10,
        "major_group": 45,
        "sub_major_group": 89,
        "minor_group": 162,
        "unit_group": 516,
    }


@pytest.mark.parametrize("system", ["noc", "naics"])
def test_every_code_has_its_parent_and_both_titles(system: str, noc: CodeList, naics: CodeList) -> None:
    codes = {"noc": noc, "naics": naics}[system]

    for c in codes.codes.values():
        assert c.title.en.strip() and c.title.fr.strip(), c.code
        assert c.title.en == c.title.en.strip() and "  " not in c.title.en + c.title.fr, c.code
        if c.parent:
            assert c.parent in codes.codes, c.code
    assert not [c.code for c in codes.codes.values() if not c.parent and c.level not in ("broad_category", "sector")]


def test_every_noc_group_has_children_down_to_unit_groups(noc: CodeList) -> None:
    for c in noc.codes.values():
        children = noc.children(c)
        assert bool(children) == (c.level != "unit_group"), c.code
        assert all(child.code.startswith(c.code) and len(child.code) == len(c.code) + 1 for child in children)


def test_a_unit_group_knows_its_whole_hierarchy(noc: CodeList) -> None:
    assert levels(noc, "41101") == [
        ("broad_category", "4"),
        ("major_group", "41"),
        ("sub_major_group", "411"),
        ("minor_group", "4110"),
    ]
    assert noc.codes["411"].title.en == "Professional occupations in law"


def test_naics_ships_every_industry_group_and_full_depth_where_the_public_service_works(naics: CodeList) -> None:
    groups = by_level(naics)
    subsectors = {c.code for c in groups["subsector"]}

    assert len(groups["sector"]) == 20
    assert len(subsectors) == 99
    assert {c.parent for c in groups["industry_group"]} == subsectors
    assert len(groups["industry_group"]) == 323
    for sector in ("51", "52", "54", "61", "62", "91"):
        # Every industry group of these sectors goes down to Canadian (national) industries.
        for group in (c for c in groups["industry_group"] if c.code.startswith(sector)):
            industries = naics.children(group)
            assert industries, group.code
            assert all(naics.children(i) for i in industries), group.code


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


@pytest.mark.parametrize(("query", "lang"), [("analyste", "fr"), ("analyst", "en"), ("ANALYSTES", "en")])
def test_analysts_are_found_in_either_language(noc: CodeList, query: str, lang: str) -> None:
    found = {c.code for c in noc.search(query, lang, limit=50)}

    assert {"11101", "41401", "41402", "21223"} <= found


def test_search_ignores_accents_and_reaches_every_level(noc: CodeList, naics: CodeList) -> None:
    assert "41401" in {c.code for c in noc.search("economistes", "fr")}
    assert "4110" in {c.code for c in noc.search("judges lawyers", "en")}
    assert "411" in {c.code for c in noc.search("professional occupations law", "en")}
    assert "914112" in {c.code for c in naics.search("metis", "en")}
    assert [c.code for c in naics.search("administration publique federale", "fr")][:1] == ["911"]


def test_search_can_keep_to_some_levels(noc: CodeList) -> None:
    found = noc.search("4140", "en", limit=50, levels=["unit_group"])

    assert found and all(c.level == "unit_group" and c.code.startswith("4140") for c in found)
    assert [c.code for c in noc.search("41", "en", limit=3)] == ["41", "411", "412"]


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
