"""The shipped skills taxonomy is well formed: every rule its header states holds."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
import yaml

from profiles.domain.taxonomy import DATA, Taxonomy, fold

ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# Skills the README walk-through, the demo data and the end-to-end tests use.
WALKTHROUGH_IDS = [
    "data-analysis",
    "python",
    "sql",
    "statistics",
    "leadership",
    "project-management",
    "java",
    "cloud-computing",
    "agile",
    "policy-analysis",
    "writing",
    "translation",
    "data-visualization",
]


@pytest.fixture(scope="module")
def rows() -> list[dict[str, object]]:
    with DATA.open(encoding="utf-8") as f:
        loaded: list[dict[str, object]] = yaml.safe_load(f)
    return loaded


def test_the_taxonomy_has_several_hundred_skills(rows: list[dict[str, object]]) -> None:
    assert len(rows) >= 400


def test_every_skill_has_a_unique_well_formed_id(rows: list[dict[str, object]]) -> None:
    ids = [str(r["id"]) for r in rows]
    assert len(ids) == len(set(ids))
    assert [i for i in ids if not ID.match(i)] == []


def test_every_skill_has_only_known_keys_and_both_labels(rows: list[dict[str, object]]) -> None:
    # A comma inside an unquoted flow mapping would add a stray key and cut the label short.
    assert [r["id"] for r in rows if set(r) - {"id", "en", "fr", "aliases", "related"}] == []
    for r in rows:
        for lang in ("en", "fr"):
            label = r.get(lang)
            assert isinstance(label, str) and label.strip() == label and label, (r["id"], lang)


def test_related_skills_exist_and_are_other_skills(rows: list[dict[str, object]]) -> None:
    ids = {r["id"] for r in rows}
    dangling = [(r["id"], rel) for r in rows for rel in r.get("related", []) if rel not in ids or rel == r["id"]]
    assert dangling == []


def test_no_name_or_alias_belongs_to_two_skills(rows: list[dict[str, object]]) -> None:
    owners: dict[str, set[object]] = defaultdict(set)
    for r in rows:
        for name in [r["en"], r["fr"], *r.get("aliases", [])]:
            owners[fold(str(name))].add(r["id"])
    assert {name: ids for name, ids in owners.items() if len(ids) > 1} == {}


def test_the_skills_other_parts_of_tandem_use_are_in_it() -> None:
    assert Taxonomy.load().unknown(WALKTHROUGH_IDS) == []
