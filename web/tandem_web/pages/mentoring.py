"""Mentoring: my matches (those waiting for an answer first) and the cohorts I am in, one match
with why we were matched and both answers, my ranking of a cohort's other side (a mentee ranks
the mentors, a mentor the mentees: a stable run follows it), and a connector introduction, where
the connector reads the newcomer's résumé before accepting or declining (a decline passes the
newcomer to the next connector who fits).

Emails link to `/{lang}/matches/{match_id}`; the gateway answers "not found" for a match or an
introduction that is not the caller's, and the error page says so in the page's language.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal

from fastapi.responses import HTMLResponse, Response

from tandem_web.gateway import GatewayError
from tandem_web.i18n import N_
from tandem_web.pages import vocabulary as v
from tandem_web.pages.common import PageDep, PathId, new_router, text
from tandem_web.pages.profile import VOCABULARIES
from tandem_web.web import FormErrors, Page

router = new_router()

# The groups of my matches, in the order the list shows them.
MATCH_GROUPS = (
    ("proposed", N_("Proposed matches")),
    ("active", N_("Active matches")),
    ("declined", N_("Declined matches")),
)


# What the person is told once their answer is taken.
MATCH_ANSWERED = {
    "accept": N_("You accepted the match. It becomes active once you have both accepted."),
    "decline": N_("You declined the match. The coordinators can propose someone else to each of you."),
}
OFFER_ANSWERED = {
    "accept": N_("You agreed to meet the newcomer. Thank you for being a connector."),
    "decline": N_("You declined the introduction. The newcomer is offered to the next connector who fits."),
}
Answer = Literal["accept", "decline"]
RANKING_SAVED = N_("Your ranking is saved. The cohort’s next stable matching run follows it.")
RANKING_CLEARED = N_("Your ranking is cleared. You will be matched with whoever fits you best.")
NOT_ACCEPTABLE = N_("Not acceptable to me")
RANK_TAKEN = N_("Give each number to one person only.")
RANK_SOMEONE = N_("Rank at least one person, or clear your ranking to be matched by fit.")


def in_language(page: Page, reasons: list[dict[str, Any]]) -> list[str]:
    """Matching's reasons (each in English and French) in the page's language."""
    return [str(r["text"][page.lang]) for r in reasons]


def as_seen(page: Page, match: dict[str, Any]) -> dict[str, Any]:
    """A match from where the signed-in person stands: their side (empty for a coordinator), the
    other person, both answers, and the program and reasons in the page's language."""
    me = page.session.user_id
    side = "mentee" if match["mentee_id"] == me else "mentor" if match["mentor_id"] == me else ""
    other = "mentor" if side == "mentee" else "mentee"
    return {
        **match,
        "side": side,
        "other_id": match[f"{other}_id"],
        "other_name": match[f"{other}_name"],
        "my_answer": match[f"{side}_answer"] if side else "",
        "other_answer": match[f"{other}_answer"],
        "awaiting_me": bool(side) and match["state"] == "proposed" and not match[f"{side}_answer"],
        "program": match["program_name"][page.lang],
        "reason_texts": in_language(page, match["reasons"]),
    }


async def _send_answer(
    page: Page,
    action: str,
    shown_again: Callable[[GatewayError], Awaitable[HTMLResponse]],
    *,
    then: str,
    done: str,
) -> Response:
    """Send a CSRF-checked answer to the gateway; a refusal (already answered) shows the page
    again with the gateway's reason, anything else goes on to `then` with `done` as the flash."""
    await page.form()
    e = await page.attempt("POST", action)
    if e is not None:
        return await shown_again(e)
    return page.redirect(then, flash=done)


def _states(page: Page) -> dict[str, Any]:
    return {
        "match_states": {k: page._(x) for k, x in v.MATCH_STATES.items()},
        "connector_offer_states": {k: page._(x) for k, x in v.CONNECTOR_OFFER_STATES.items()},
    }


# --- matches --------------------------------------------------------------------------------------


@router.get("/matches", response_class=HTMLResponse)
async def my_matches(page: PageDep) -> Response:
    page.require_sign_in()
    found = await page.call("GET", "/v1/me/matches")
    cohorts = (await page.call("GET", "/v1/me/cohorts"))["cohorts"]
    matches = [as_seen(page, m) for m in found["matches"]]
    # Newest first within a group (the gateway's order); those waiting for my answer before the rest.
    groups = []
    for state, heading in MATCH_GROUPS:
        in_state = sorted((m for m in matches if m["state"] == state), key=lambda m: not m["awaiting_me"])
        if in_state:
            groups.append((page._(heading), in_state))
    return page.render("mentoring/matches.html", groups=groups, cohorts=cohorts, **_states(page))


async def _match_page(page: Page, match_id: str, *, status: int = 200, problem: str = "") -> HTMLResponse:
    match = as_seen(page, await page.call("GET", f"/v1/matches/{match_id}"))
    return page.render("mentoring/match.html", status=status, match=match, problem=problem, **_states(page))


@router.get("/matches/{match_id}", response_class=HTMLResponse)
async def match_page(page: PageDep, match_id: PathId) -> Response:
    page.require_sign_in()
    return await _match_page(page, match_id)


@router.post("/matches/{match_id}/{answer}", response_class=HTMLResponse)
async def answer_match(page: PageDep, match_id: PathId, answer: Answer) -> Response:
    page.require_sign_in()
    return await _send_answer(
        page,
        f"/v1/matches/{match_id}/{answer}",
        lambda e: _match_page(page, match_id, status=e.status, problem=e.title),
        then=f"/matches/{match_id}",
        done=MATCH_ANSWERED[answer],
    )


# --- my ranking of a cohort's other side -----------------------------------------------------------


def rank_field(user_id: str) -> str:
    return f"rank-{user_id}"


async def _ranking_page(
    page: Page,
    cohort_id: str,
    *,
    status: int = 200,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    ranking = await page.call("GET", f"/v1/cohorts/{cohort_id}/my-ranking")
    if values is None:
        values = {rank_field(u): str(k) for k, u in enumerate(ranking["ranked_user_ids"], start=1)}
    choices = [("", page._(NOT_ACCEPTABLE))] + [(str(k), str(k)) for k in range(1, len(ranking["others"]) + 1)]
    return page.render(
        "mentoring/ranking.html",
        status=status,
        ranking=ranking,
        cohort=ranking["cohort_name"][page.lang],
        program=ranking["program_name"][page.lang],
        set_by_me=ranking["set_by"] == page.session.user_id,
        choices=choices,
        rank_field=rank_field,
        values=values,
        errors=errors,
    )


@router.get("/cohorts/{cohort_id}/ranking", response_class=HTMLResponse)
async def ranking_page(page: PageDep, cohort_id: PathId) -> Response:
    page.require_sign_in()
    return await _ranking_page(page, cohort_id)


@router.post("/cohorts/{cohort_id}/ranking", response_class=HTMLResponse)
async def save_ranking(page: PageDep, cohort_id: PathId) -> Response:
    """Each person of the other side gets a number (1 is my first choice) or none (not
    acceptable); the gateway takes them in that order. Clearing goes back to ranking by fit."""
    page.require_sign_in()
    form = await page.form()
    path = f"/v1/cohorts/{cohort_id}/my-ranking"
    if text(form, "action") == "clear":
        await page.call("PUT", path, json={"ranked_user_ids": []})
        return page.redirect(f"/cohorts/{cohort_id}/ranking", flash=RANKING_CLEARED)
    others = [p["user_id"] for p in (await page.call("GET", path))["others"]]
    values = {rank_field(u): text(form, rank_field(u), 10) for u in others}
    ranks = {u: int(values[rank_field(u)]) for u in others if values[rank_field(u)].isdigit()}
    errors = FormErrors()
    for u, rank in ranks.items():
        if list(ranks.values()).count(rank) > 1:
            errors.add(rank_field(u), page._(RANK_TAKEN))
    if not ranks:
        errors.general = page._(RANK_SOMEONE)
    ranked = sorted(ranks, key=lambda u: (ranks[u], others.index(u)))
    if not errors:
        e = await page.attempt("PUT", path, json={"ranked_user_ids": ranked})
        if e is None:
            return page.redirect(f"/cohorts/{cohort_id}/ranking", flash=RANKING_SAVED)
        rename = {f"ranked_user_ids[{k}]": rank_field(u) for k, u in enumerate(ranked)}
        errors = FormErrors(e, rename=rename)
    return await _ranking_page(page, cohort_id, status=422, errors=errors, values=values)


# --- connector introductions ----------------------------------------------------------------------


async def _offer_page(page: Page, offer_id: str, *, status: int = 200, problem: str = "") -> HTMLResponse:
    offer = await page.call("GET", f"/v1/connector-offers/{offer_id}")
    newcomer = await page.call("GET", f"/v1/profiles/{offer['newcomer_id']}")
    return page.render(
        "mentoring/connector_offer.html",
        status=status,
        offer=offer,
        profile=newcomer,
        is_connector=offer["connector_id"] == page.session.user_id,
        reason_texts=in_language(page, offer["reasons"]),
        problem=problem,
        **_states(page),
        **VOCABULARIES,
    )


@router.get("/connector-offers/{offer_id}", response_class=HTMLResponse)
async def connector_offer(page: PageDep, offer_id: PathId) -> Response:
    page.require_sign_in()
    return await _offer_page(page, offer_id)


@router.post("/connector-offers/{offer_id}/{answer}", response_class=HTMLResponse)
async def answer_connector_offer(page: PageDep, offer_id: PathId, answer: Answer) -> Response:
    page.require_sign_in()
    return await _send_answer(
        page,
        f"/v1/connector-offers/{offer_id}/{answer}",
        lambda e: _offer_page(page, offer_id, status=e.status, problem=e.title),
        # A declined introduction has gone to the next connector: no longer this person's to see.
        then=f"/connector-offers/{offer_id}" if answer == "accept" else "/",
        done=OFFER_ANSWERED[answer],
    )
