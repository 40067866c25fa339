"""Browsing by best fit: matching's ranking first, in its order, then the rest newest first, and
paging that neither repeats nor loses an opportunity."""

from __future__ import annotations

from pathlib import Path

import pytest

import opportunities
from opportunities.domain.browse import BEST_FIT_MAX, best_fit_page, check_best_fit_ids
from tandem_kit.errors import FieldCollector, InvalidInput
from tandem_kit.i18n import Catalog

# Seven opportunities passing the filters, newest first; matching ranked three of them (and one
# the filters left out), best first.
NEWEST_FIRST = ["g", "f", "e", "d", "c", "b", "a"]
RANKING = ["b", "closed", "e", "a"]
EXPECTED = ["b", "e", "a", "g", "f", "d", "c"]


def listed(ranking: list[str], offset: int, size: int) -> list[str]:
    """What the handler lists: the ranked ids that pass the filters, then the unranked newest first."""
    ranked = [i for i in ranking if i in NEWEST_FIRST]
    plan = best_fit_page(ranked, offset, size)
    rest = [i for i in NEWEST_FIRST if i not in ranked]
    return plan.ranked + rest[plan.rest_offset : plan.rest_offset + plan.rest_limit]


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7, 20])
def test_the_best_fit_comes_first_even_when_older_and_pages_join_up(size: int) -> None:
    pages = [listed(RANKING, offset, size) for offset in range(0, len(NEWEST_FIRST), size)]

    assert [i for page in pages for i in page] == EXPECTED
    assert all(len(page) == size for page in pages[:-1])


def test_a_page_past_the_ranked_ones_skips_only_the_unranked() -> None:
    plan = best_fit_page(["b", "e", "a"], offset=4, size=2)

    assert (plan.ranked, plan.rest_offset, plan.rest_limit) == ([], 1, 2)


def test_a_page_that_straddles_the_ranking_fills_up_with_the_newest() -> None:
    plan = best_fit_page(["b", "e", "a"], offset=2, size=3)

    assert (plan.ranked, plan.rest_offset, plan.rest_limit) == (["a"], 0, 2)


def test_without_a_ranking_best_fit_is_newest_first() -> None:
    assert listed([], 0, 20) == NEWEST_FIRST


def test_a_ranking_is_kept_in_order_with_each_id_once() -> None:
    errors = FieldCollector()

    assert check_best_fit_ids(["b", "e", "b", "a"], errors) == ["b", "e", "a"]
    errors.raise_if_any()


def _codes(ids: list[str]) -> dict[str, str]:
    errors = FieldCollector()
    check_best_fit_ids(ids, errors)
    with pytest.raises(InvalidInput) as raised:
        errors.raise_if_any()
    return {e.field: e.code for e in raised.value.errors}


def test_a_ranking_beyond_the_bound_is_refused() -> None:
    assert _codes([f"o{n}" for n in range(BEST_FIT_MAX + 1)]) == {"best_fit_ids": "best_fit.too_many"}


def test_each_id_that_is_not_shaped_like_one_is_named() -> None:
    assert _codes(["a1", "", "a b", "x" * 65, "$gt"]) == {
        "best_fit_ids[1]": "best_fit.id_invalid",
        "best_fit_ids[2]": "best_fit.id_invalid",
        "best_fit_ids[3]": "best_fit.id_invalid",
        "best_fit_ids[4]": "best_fit.id_invalid",
    }


def test_ranking_errors_read_in_both_languages() -> None:
    catalog = Catalog.load(Path(opportunities.__file__).with_name("messages.yaml"))

    assert catalog.render("best_fit.too_many", "en", {"max": 100}) == (
        "Give no more than 100 opportunities to sort by best fit."
    )
    assert catalog.render("best_fit.too_many", "fr", {"max": 100}) == (
        "Donnez au plus 100 possibilités à trier par meilleure correspondance."
    )
    assert catalog.render("best_fit.id_invalid", "fr").startswith("Ce n’est pas l’identifiant d’une possibilité.")
