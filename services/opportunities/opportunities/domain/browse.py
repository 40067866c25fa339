"""Browsing by best fit: the matching service ranks a viewer's opportunities, and the browse list
puts those that pass its filters first, in that order, then the others newest first. Pure."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from tandem_kit.errors import FieldCollector

# Matching ranks at most 100 opportunities for one member; the bound keeps the `$in` small.
BEST_FIT_MAX = 100
OPPORTUNITY_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def check_best_fit_ids(ids: Sequence[str], errors: FieldCollector) -> list[str]:
    """The ranking as given, best first, each id once; a field error for each bad part."""
    if len(ids) > BEST_FIT_MAX:
        errors.add("best_fit_ids", "best_fit.too_many", max=BEST_FIT_MAX)
        return []
    for i, opportunity_id in enumerate(ids):
        if not OPPORTUNITY_ID.match(opportunity_id):
            errors.add(f"best_fit_ids[{i}]", "best_fit.id_invalid")
    return list(dict.fromkeys(ids))


@dataclass(frozen=True)
class FitPage:
    """One page of a best-fit list: these ranked ids in this order, then `rest_limit` of the
    unranked opportunities, newest first, after skipping `rest_offset` of them."""

    ranked: list[str]
    rest_offset: int
    rest_limit: int


def best_fit_page(ranked: Sequence[str], offset: int, size: int) -> FitPage:
    """The page at `offset` of the list that starts with `ranked` (the ranked ids that pass the
    filters, best first) and goes on with the unranked ones."""
    on_page = list(ranked[offset : offset + size])
    return FitPage(on_page, max(0, offset - len(ranked)), size - len(on_page))
