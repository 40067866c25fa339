"""Profile rules. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Sequence

from profiles.domain.taxonomy import Taxonomy
from tandem_kit.errors import FieldCollector

TITLE_MAX = 200
SKILLS_MAX = 100


def validate_profile_update(taxonomy: Taxonomy, title: str, skill_ids: Sequence[str]) -> tuple[str, list[str]]:
    errors = FieldCollector()
    title = " ".join(title.split())
    if len(title) > TITLE_MAX:
        errors.add("title", "field.too_long", max=TITLE_MAX)
    ids = list(dict.fromkeys(i.strip() for i in skill_ids if i.strip()))
    if len(ids) > SKILLS_MAX:
        errors.add("skill_ids", "skills.too_many", max=SKILLS_MAX)
    unknown = taxonomy.unknown(ids)
    if unknown:
        errors.add("skill_ids", "skills.unknown", ids=", ".join(unknown[:5]))
    errors.raise_if_any()
    return title, ids
