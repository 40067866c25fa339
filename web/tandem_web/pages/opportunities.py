"""The marketplace: browse and search opportunities, an opportunity's page (apply, withdraw,
share), the three-step posting form kept as a gateway draft, my opportunities with their
applicants and candidates, and my applications and offers."""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tandem_web.gateway import GatewayError
from tandem_web.i18n import N_
from tandem_web.pages import vocabulary as v
from tandem_web.pages.common import PageDep, new_router, text, texts
from tandem_web.web import FormErrors, Page

router = new_router()

PAGE_SIZE = 10
STEPS = ("poster", "details", "requirements")
STEP_TITLES = {
    "poster": N_("Your contact details"),
    "details": N_("About the opportunity"),
    "requirements": N_("What it requires"),
}
DAYS = tuple(v.WEEKDAYS)


# --- reference data -------------------------------------------------------------------------------

_departments: tuple[float, list[dict[str, Any]]] = (0.0, [])
_skill_labels: dict[str, dict[str, str]] = {}


async def departments(page: Page) -> list[dict[str, Any]]:
    """The departments and agencies (identity's bilingual list), kept for ten minutes."""
    global _departments
    at, cached = _departments
    if not cached or time.monotonic() - at > 600:
        cached = await page.call("GET", "/v1/departments")
        _departments = (time.monotonic(), cached)
    return sorted(cached, key=lambda d: d["name"][page.lang].casefold())


async def department_names(page: Page) -> dict[str, str]:
    return {d["code"]: d["name"][page.lang] for d in await departments(page)}


async def skill_labels(page: Page, ids: list[str]) -> dict[str, str]:
    """Each skill's label in the page's language, from the taxonomy (kept once read)."""

    async def one(skill_id: str) -> None:
        if skill_id in _skill_labels:
            return
        try:
            found = await page.call("GET", f"/v1/skills/{skill_id}")
        except GatewayError as e:
            if e.status not in (404, 422):
                raise
            return
        if len(_skill_labels) > 5000:
            _skill_labels.clear()
        _skill_labels[skill_id] = found["label"]

    await asyncio.gather(*(one(i) for i in dict.fromkeys(ids)))
    return {i: _skill_labels[i][page.lang] if i in _skill_labels else i for i in ids}


def options(page: Page, codes: dict[str, str], empty: str | None = None) -> list[tuple[str, str]]:
    out = [("", page._(empty))] if empty is not None else []
    return out + [(code, page._(label)) for code, label in codes.items()]


def label(page: Page, codes: dict[str, str], code: str) -> str:
    return page._(codes[code]) if code in codes else code


def title_of(page: Page, opp: dict[str, Any]) -> str:
    return str(opp.get(f"title_{page.lang}") or opp.get("title_en") or "")


def _safe_back(page: Page, value: str, default: str) -> str:
    """Where to go after an action: a path of this site only."""
    if value.startswith(f"/{page.lang}/") and not value.startswith("//") and "\\" not in value:
        return value
    return page.url(default)


def _labels(page: Page) -> dict[str, Any]:
    """What templates need to show codes in words."""
    return {
        "types": {k: page._(x) for k, x in v.OPPORTUNITY_TYPES.items()},
        "host_roles": {k: page._(x) for k, x in v.HOST_ROLES.items()},
        "program_areas": {k: page._(x) for k, x in v.PROGRAM_AREAS.items()},
        "provinces": {k: page._(x) for k, x in v.PROVINCES.items()},
        "security_levels": {k: page._(x) for k, x in v.SECURITY_LEVELS.items()},
        "time_units": {k: page._(x) for k, x in v.TIME_UNITS.items()},
        "weekdays": {k: page._(x) for k, x in v.WEEKDAYS.items()},
        "levels": {k: page._(x) for k, x in v.LANGUAGE_LEVELS.items()},
        "language_skills": {k: page._(x) for k, x in v.LANGUAGE_SKILLS.items()},
        "opportunity_states": {k: page._(x) for k, x in v.OPPORTUNITY_STATES.items()},
        "application_states": {k: page._(x) for k, x in v.APPLICATION_STATES.items()},
        "offer_states": {k: page._(x) for k, x in v.OFFER_STATES.items()},
        "decline_reasons": {k: page._(x) for k, x in v.DECLINE_REASONS.items()},
        "cannot_apply": {k: page._(x) for k, x in v.CANNOT_APPLY.items()},
        "time_zones": {k: page._(x) for k, x in v.TIME_ZONES.items()},
    }


# --- browse and search ----------------------------------------------------------------------------

FILTERS = ("q", "type", "host_role", "program_area", "province", "virtual", "language", "department", "sort")


def _filters(request: Request) -> dict[str, Any]:
    qp = request.query_params
    return {
        "q": qp.get("q", "")[:200].strip(),
        "type": [t for t in qp.getlist("type") if t][:10],
        "host_role": qp.get("host_role", "")[:20],
        "program_area": [p for p in qp.getlist("program_area") if p][:11],
        "province": qp.get("province", "")[:2],
        "virtual": qp.get("virtual", "") in ("true", "yes", "on", "1"),
        "language": qp.get("language", "")[:2],
        "department": qp.get("department", "")[:40],
        "sort": qp.get("sort", "") if qp.get("sort", "") in v.SORTS else "newest",
    }


def _query(filters: dict[str, Any], **changes: Any) -> dict[str, Any]:
    merged = {**filters, **changes}
    merged["virtual"] = "true" if merged.get("virtual") else ""
    if merged.get("sort") == "newest":
        merged["sort"] = ""
    return {k: x for k, x in merged.items() if x not in ("", [], None, False)}


def _active_filters(page: Page, filters: dict[str, Any], names: dict[str, str]) -> list[dict[str, str]]:
    """Each filter in use, in words, with the address of the same search without it."""
    out: list[dict[str, str]] = []

    def add(text_: str, **without: Any) -> None:
        out.append({"text": text_, "href": page.url("/opportunities", **_query(filters, **without))})

    _ = page._
    if filters["q"]:
        add(_("Words: %(words)s") % {"words": filters["q"]}, q="")
    for t in filters["type"]:
        add(label(page, v.OPPORTUNITY_TYPES, t), type=[x for x in filters["type"] if x != t])
    if filters["host_role"]:
        add(label(page, v.HOST_ROLES, filters["host_role"]), host_role="")
    for p in filters["program_area"]:
        add(label(page, v.PROGRAM_AREAS, p), program_area=[x for x in filters["program_area"] if x != p])
    if filters["province"]:
        add(label(page, v.PROVINCES, filters["province"]), province="")
    if filters["virtual"]:
        add(_("Virtual only"), virtual=False)
    if filters["language"]:
        add(_("Requires %(language)s") % {"language": label(page, v.LANGUAGES, filters["language"])}, language="")
    if filters["department"]:
        add(names.get(filters["department"], filters["department"]), department="")
    return out


@router.get("/opportunities", response_class=HTMLResponse)
async def browse(page: PageDep, request: Request) -> Response:
    page.require_sign_in()
    filters = _filters(request)
    try:
        number = max(1, min(int(request.query_params.get("page", "1")), 10_000))
    except ValueError:
        number = 1
    names = await department_names(page)
    params = {**_query(filters), "sort": filters["sort"], "page_size": PAGE_SIZE}
    params["page_token"] = str((number - 1) * PAGE_SIZE) if number > 1 else ""
    errors = FormErrors()
    status = 200
    try:
        result = await page.call("GET", "/v1/opportunities", params=params)
    except GatewayError as e:
        if e.status != 422:
            raise
        errors = FormErrors(e, rename={"query": "q", "types": "type", "program_areas": "program_area"})
        result = {"opportunities": [], "total": 0, "next_page_token": ""}
        status = 422
    total = int(result["total"])
    pages = max(1, math.ceil(total / PAGE_SIZE))
    return page.render(
        "opportunities/browse.html",
        status=status,
        errors=errors,
        filters=filters,
        results=result["opportunities"],
        total=total,
        number=number,
        pages=pages,
        previous_href=page.url("/opportunities", **_query(filters), page=number - 1) if number > 1 else "",
        next_href=(page.url("/opportunities", **_query(filters), page=number + 1) if result["next_page_token"] else ""),
        active=_active_filters(page, filters, names),
        department_names=names,
        department_options=[("", page._("Any department")), *sorted(names.items(), key=lambda x: x[1].casefold())],
        type_options=options(page, v.OPPORTUNITY_TYPES),
        host_role_options=options(page, {"offering": N_("Offering"), "seeking": N_("Seeking")}, N_("Either")),
        program_area_options=options(page, v.PROGRAM_AREAS),
        province_options=options(page, v.PROVINCES, N_("Any province or territory")),
        language_options=options(page, v.LANGUAGES, N_("Either language")),
        sort_options=options(page, v.SORTS),
        **_labels(page),
    )


# --- recommended for me ---------------------------------------------------------------------------


@router.get("/recommendations", response_class=HTMLResponse)
async def recommendations(page: PageDep) -> Response:
    page.require_sign_in()
    try:
        found = await page.call("GET", "/v1/me/recommendations", params={"limit": 20})
    except GatewayError as e:
        if e.status != 404:
            raise
        # Matching has not read this person's profile yet (just made): nothing fits yet.
        found = {"opportunities": []}
    return page.render("opportunities/recommended.html", recommended=found["opportunities"], **_labels(page))


# --- one opportunity ------------------------------------------------------------------------------


async def _my_application(page: Page, opportunity_id: str) -> dict[str, Any] | None:
    mine = await page.call("GET", "/v1/me/applications")
    found = [a for a in mine["applications"] if a["opportunity_id"] == opportunity_id]
    active = [a for a in found if a["state"] in ("submitted", "offered", "accepted")]
    return (active or found or [None])[0]


async def _opportunity_page(
    page: Page,
    opportunity_id: str,
    *,
    status: int = 200,
    problem: str = "",
    errors: FormErrors | None = None,
    message: str = "",
) -> HTMLResponse:
    opp = await page.call("GET", f"/v1/opportunities/{opportunity_id}")
    is_poster = opp["poster_id"] == page.session.user_id
    application = None if is_poster else await _my_application(page, opportunity_id)
    offer = None
    if application and application["offer_id"]:
        offers = await page.call("GET", "/v1/me/offers")
        offer = next((o for o in offers["offers"] if o["id"] == application["offer_id"]), None)
    skills = await skill_labels(page, list(opp["skill_ids"]))
    return page.render(
        "opportunities/opportunity.html",
        status=status,
        errors=errors,
        opp=opp,
        title=title_of(page, opp),
        is_poster=is_poster,
        application=application,
        offer=offer,
        skills=skills,
        department_names=await department_names(page),
        problem=problem,
        values={"message": message},
        **_labels(page),
    )


@router.get("/opportunities/{opportunity_id}", response_class=HTMLResponse)
async def opportunity(page: PageDep, opportunity_id: str) -> Response:
    page.require_sign_in()
    return await _opportunity_page(page, opportunity_id)


@router.post("/opportunities/{opportunity_id}/apply", response_class=HTMLResponse)
async def apply(page: PageDep, opportunity_id: str) -> Response:
    page.require_sign_in()
    form = await page.form()
    message = text(form, "message", 5_000)
    e = await page.attempt("POST", f"/v1/opportunities/{opportunity_id}/applications", json={"message": message})
    if e is not None:
        errors = FormErrors(e)
        return await _opportunity_page(
            page,
            opportunity_id,
            status=e.status,
            errors=errors,
            problem="" if errors.fields else e.title,
            message=message,
        )
    return page.redirect(f"/opportunities/{opportunity_id}", flash=N_("Your application is sent. The poster is told."))


@router.post("/applications/{application_id}/withdraw", response_class=HTMLResponse)
async def withdraw(page: PageDep, application_id: str) -> Response:
    page.require_sign_in()
    form = await page.form()
    back = _safe_back(page, text(form, "back", 500), "/my/applications")
    e = await page.attempt("POST", f"/v1/applications/{application_id}/withdraw")
    if e is not None:
        return await _applications_page(page, status=e.status, problem=e.title)
    page.session.set_flash(N_("Your application is withdrawn."))
    return RedirectResponse(back, status_code=303)


async def _state_change(page: Page, opportunity_id: str, action: str, done: str) -> Response:
    form = await page.form()
    back = _safe_back(page, text(form, "back", 500), f"/opportunities/{opportunity_id}")
    e = await page.attempt("POST", f"/v1/opportunities/{opportunity_id}/{action}")
    if e is not None:
        return await _opportunity_page(page, opportunity_id, status=e.status, problem=e.title)
    page.session.set_flash(done)
    return RedirectResponse(back, status_code=303)


@router.post("/opportunities/{opportunity_id}/cancel", response_class=HTMLResponse)
async def cancel(page: PageDep, opportunity_id: str) -> Response:
    page.require_sign_in()
    return await _state_change(
        page, opportunity_id, "cancel", N_("The opportunity is cancelled. Everyone still waiting is told.")
    )


@router.post("/opportunities/{opportunity_id}/reopen", response_class=HTMLResponse)
async def reopen(page: PageDep, opportunity_id: str) -> Response:
    page.require_sign_in()
    return await _state_change(page, opportunity_id, "reopen", N_("The opportunity is open again."))


@router.post("/opportunities/{opportunity_id}/complete", response_class=HTMLResponse)
async def complete(page: PageDep, opportunity_id: str) -> Response:
    page.require_sign_in()
    return await _state_change(
        page, opportunity_id, "complete", N_("The opportunity is complete. Both sides are asked for feedback.")
    )


# --- applicants and candidates (the poster's) -----------------------------------------------------


async def _applicants_page(page: Page, opportunity_id: str, *, status: int = 200, problem: str = "") -> HTMLResponse:
    opp, listed = await asyncio.gather(
        page.call("GET", f"/v1/opportunities/{opportunity_id}"),
        page.call("GET", f"/v1/opportunities/{opportunity_id}/applications"),
    )
    applications = listed["applications"]
    return page.render(
        "opportunities/applicants.html",
        status=status,
        opp=opp,
        title=title_of(page, opp),
        applications=applications,
        active=[a for a in applications if a["state"] in ("submitted", "offered", "accepted")],
        inactive=[a for a in applications if a["state"] not in ("submitted", "offered", "accepted")],
        openings_left=max(0, int(opp["openings"]) - int(opp["accepted_count"]) - int(opp["outstanding_offer_count"])),
        department_names=await department_names(page),
        problem=problem,
        **_labels(page),
    )


@router.get("/opportunities/{opportunity_id}/applicants", response_class=HTMLResponse)
async def applicants(page: PageDep, opportunity_id: str) -> Response:
    page.require_sign_in()
    return await _applicants_page(page, opportunity_id)


@router.post("/opportunities/{opportunity_id}/offers", response_class=HTMLResponse)
async def make_offer(page: PageDep, opportunity_id: str) -> Response:
    page.require_sign_in()
    form = await page.form()
    applicant_id = text(form, "applicant_id", 64)
    e = await page.attempt("POST", f"/v1/opportunities/{opportunity_id}/offers", json={"applicant_id": applicant_id})
    if e is not None:
        return await _applicants_page(
            page, opportunity_id, status=e.status, problem=e.title or e.for_field("applicant_id")
        )
    return page.redirect(
        f"/opportunities/{opportunity_id}/applicants", flash=N_("Your offer is made. The applicant is told.")
    )


@router.post("/opportunities/{opportunity_id}/applicants/{applicant_id}/remove", response_class=HTMLResponse)
async def remove_applicant(page: PageDep, opportunity_id: str, applicant_id: str) -> Response:
    page.require_sign_in()
    await page.form()
    e = await page.attempt("POST", f"/v1/opportunities/{opportunity_id}/applicants/{applicant_id}/remove")
    if e is not None:
        return await _applicants_page(page, opportunity_id, status=e.status, problem=e.title)
    return page.redirect(f"/opportunities/{opportunity_id}/applicants", flash=N_("The applicant is removed and told."))


async def _candidates_page(page: Page, opportunity_id: str, *, status: int = 200, problem: str = "") -> HTMLResponse:
    opp, found = await asyncio.gather(
        page.call("GET", f"/v1/opportunities/{opportunity_id}"),
        page.call("GET", f"/v1/opportunities/{opportunity_id}/candidates", params={"limit": 50}),
    )
    return page.render(
        "opportunities/candidates.html",
        status=status,
        opp=opp,
        title=title_of(page, opp),
        found=found,
        problem=problem,
        **_labels(page),
    )


@router.get("/opportunities/{opportunity_id}/candidates", response_class=HTMLResponse)
async def candidates(page: PageDep, opportunity_id: str) -> Response:
    page.require_sign_in()
    return await _candidates_page(page, opportunity_id)


@router.post("/opportunities/{opportunity_id}/share", response_class=HTMLResponse)
async def share(page: PageDep, opportunity_id: str) -> Response:
    page.require_sign_in()
    form = await page.form()
    candidate_id = text(form, "candidate_id", 64)
    e = await page.attempt("POST", f"/v1/opportunities/{opportunity_id}/shares", json={"candidate_id": candidate_id})
    if e is not None:
        return await _candidates_page(
            page, opportunity_id, status=e.status, problem=e.title or e.for_field("candidate_id")
        )
    return page.redirect(
        f"/opportunities/{opportunity_id}/candidates", flash=N_("The opportunity is shared. The person is told.")
    )


# --- posting, in three steps ----------------------------------------------------------------------


def _checked(form: Any, name: str) -> bool:
    return bool(form.get(name))


def _number(raw: str) -> Any:
    """A number as typed: the gateway says what is wrong with one that is not."""
    return raw if raw else None


def poster_body(form: Any) -> dict[str, Any]:
    return {
        "name": text(form, "poster.name", 300),
        "email": text(form, "poster.email", 300),
        "department": text(form, "poster.department", 40),
        "phone": text(form, "poster.phone", 60),
        "agrees_to_guide": _checked(form, "poster.agrees_to_guide"),
        "agrees_to_feedback": _checked(form, "poster.agrees_to_feedback"),
    }


def details_body(form: Any) -> dict[str, Any]:
    return {
        "title_en": text(form, "details.title_en", 400),
        "title_fr": text(form, "details.title_fr", 400),
        "description_en": text(form, "details.description_en", 20_000),
        "description_fr": text(form, "details.description_fr", 20_000),
        "type": text(form, "details.type", 40),
        "host_role": text(form, "details.host_role", 40),
        "program_area": text(form, "details.program_area", 40),
        "classification": text(form, "details.classification", 20),
        "openings": text(form, "details.openings", 10) or "1",
        "ideal_start": text(form, "details.ideal_start", 20),
        "ideal_completion": text(form, "details.ideal_completion", 20),
        "application_deadline": text(form, "details.application_deadline", 20),
        "limited_to_department": _checked(form, "details.limited_to_department"),
    }


def requirements_body(form: Any) -> dict[str, Any]:
    schedule = {}
    for day in DAYS:
        start = text(form, f"requirements.schedule.{day}.start", 10)
        duration = text(form, f"requirements.schedule.{day}.duration", 10)
        if start or duration:
            schedule[day] = {"start": start, "duration": duration}
    body: dict[str, Any] = {
        "skill_ids": list(dict.fromkeys(texts(form, "requirements.skill_ids")))[:40],
        "hours": text(form, "requirements.hours", 20),
        "per": text(form, "requirements.per", 40),
        "time_zone": text(form, "requirements.time_zone", 64),
        "schedule": schedule,
        "virtual": _checked(form, "requirements.virtual"),
        "city": text(form, "requirements.city", 200),
        "province": text(form, "requirements.province", 2),
        "security_level": text(form, "requirements.security_level", 40),
    }
    for lang in ("english", "french"):
        levels = {s: text(form, f"requirements.{lang}.{s}", 1) for s in v.LANGUAGE_SKILLS}
        body[lang] = levels if any(levels.values()) else None
    return body


def _flat(step: str, data: dict[str, Any]) -> dict[str, Any]:
    """A step's data as the form's values: `details.title_en` -> ..."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if step == "requirements" and key == "schedule":
            for day, slot in (value or {}).items():
                out[f"requirements.schedule.{day}.start"] = slot.get("start", "")
                out[f"requirements.schedule.{day}.duration"] = slot.get("duration", "")
        elif step == "requirements" and key in ("english", "french"):
            for s, level in (value or {}).items():
                out[f"requirements.{key}.{s}"] = level
        else:
            out[f"{step}.{key}"] = value
    return out


def _step_errors(step: str, error: GatewayError) -> FormErrors:
    """The gateway's field errors under the form's names: `title_en` (the step's own body) and
    `details.title_en` (the service's) both become `details.title_en`."""
    errors = FormErrors()
    for e in error.errors:
        name = e.field if e.field.startswith(f"{step}.") else f"{step}.{e.field}"
        name = name.replace("requirements.languages.en.", "requirements.english.").replace(
            "requirements.languages.fr.", "requirements.french."
        )
        if name.startswith("requirements.skill_ids."):
            name = "requirements.skill_ids"
        if name.startswith("requirements.english") or name.startswith("requirements.french"):
            parts = name.split(".")
            name = ".".join(parts[:3]) if len(parts) >= 3 else f"{name}.written_comprehension"
        errors.add(name, e.message)
    if not error.errors:
        errors.general = error.title
    return errors


async def _step_page(
    page: Page,
    step: str,
    draft: dict[str, Any] | None,
    values: dict[str, Any],
    *,
    status: int = 200,
    errors: FormErrors | None = None,
    suggestions: list[dict[str, Any]] | None = None,
    skill_q: str = "",
) -> HTMLResponse:
    number = STEPS.index(step) + 1
    context: dict[str, Any] = {}
    if step == "poster":
        context["department_options"] = [("", page._("Choose a department or agency"))] + [
            (d["code"], d["name"][page.lang]) for d in await departments(page)
        ]
    if step == "requirements":
        chosen = [str(i) for i in values.get("requirements.skill_ids", [])]
        labels = await skill_labels(page, chosen)
        context["chosen_skills"] = [(i, labels[i]) for i in chosen]
        context["suggestions"] = [s for s in suggestions or [] if s["id"] not in labels]
        zone = str(values.get("requirements.time_zone") or "")
        zones = options(page, v.TIME_ZONES, N_("No schedule"))
        if zone and zone not in v.TIME_ZONES:
            zones.append((zone, zone))
        context["zone_options"] = zones
    return page.render(
        f"opportunities/post_{step}.html",
        status=status,
        errors=errors,
        values=values,
        draft=draft,
        step=step,
        number=number,
        step_title=page._(STEP_TITLES[step]),
        skill_q=skill_q,
        type_options=options(page, v.OPPORTUNITY_TYPES, N_("Choose a type")),
        host_role_options=options(page, v.HOST_ROLES),
        program_area_options=options(page, v.PROGRAM_AREAS, N_("Choose a program area")),
        province_options=options(page, v.PROVINCES, N_("Choose a province or territory")),
        security_options=options(page, v.SECURITY_LEVELS),
        per_options=options(page, v.TIME_UNITS),
        level_options=options(page, v.LANGUAGE_LEVELS, N_("Not required")),
        **context,
        **_labels(page),
    )


@router.get("/post", response_class=HTMLResponse)
async def post_start(page: PageDep) -> Response:
    page.require_sign_in()
    me = await page.call("GET", "/v1/me")
    values = {"poster.name": me["display_name"], "poster.email": me["email"], "poster.department": me["department"]}
    return await _step_page(page, "poster", None, values)


@router.post("/post", response_class=HTMLResponse)
async def post_poster_new(page: PageDep) -> Response:
    page.require_sign_in()
    form = await page.form()
    return await _save_step(page, "poster", None, form)


async def _draft(page: Page, draft_id: str) -> dict[str, Any]:
    draft: dict[str, Any] = await page.call("GET", f"/v1/drafts/{draft_id}")
    return draft


@router.get("/post/{draft_id}/{step}", response_class=HTMLResponse)
async def post_step(page: PageDep, draft_id: str, step: str) -> Response:
    page.require_sign_in()
    if step not in STEPS:
        return page.render("error.html", status=404, kind="not_found")
    draft = await _draft(page, draft_id)
    values: dict[str, Any] = {}
    if step in draft["steps_done"]:
        values = _flat(step, draft[step])
    elif step == "details":
        values = {"details.openings": "1", "details.host_role": "offering"}
    elif step == "requirements":
        values = {"requirements.per": "week", "requirements.security_level": "none"}
    if step == "requirements":
        values.setdefault("requirements.skill_ids", [])
    return await _step_page(page, step, draft, values)


@router.post("/post/{draft_id}/{step}", response_class=HTMLResponse)
async def post_step_save(page: PageDep, draft_id: str, step: str) -> Response:
    page.require_sign_in()
    if step not in STEPS:
        return page.render("error.html", status=404, kind="not_found")
    form = await page.form()
    draft = await _draft(page, draft_id)
    return await _save_step(page, step, draft, form)


def _form_values(step: str, form: Any) -> dict[str, Any]:
    values: dict[str, Any] = {k: str(x)[:20_000] for k, x in form.items() if k.startswith(f"{step}.")}
    if step == "requirements":
        values["requirements.skill_ids"] = list(dict.fromkeys(texts(form, "requirements.skill_ids")))[:40]
    return values


async def _save_step(page: Page, step: str, draft: dict[str, Any] | None, form: Any) -> Response:
    values = _form_values(step, form)
    action = text(form, "action", 20)
    if step == "requirements" and action == "find_skills":
        q = text(form, "skill_q", 100)
        found = await _suggest(page, q)
        return await _step_page(page, step, draft, values, suggestions=found, skill_q=q)
    body = {"poster": poster_body, "details": details_body, "requirements": requirements_body}[step](form)
    try:
        if draft is None:
            draft = await page.call("POST", "/v1/drafts", json=body)
        else:
            draft = await page.call("PUT", f"/v1/drafts/{draft['id']}/{step}", json=body)
        assert draft is not None
        if step == "requirements":
            published = await page.call("POST", f"/v1/drafts/{draft['id']}/publish")
    except GatewayError as e:
        if e.status != 422 and not (e.status == 409 and step == "requirements"):
            raise
        errors = _step_errors(step, e)
        return await _step_page(page, step, draft, values, status=e.status, errors=errors)
    if step == "requirements":
        return page.redirect(
            f"/opportunities/{published['id']}",
            flash=N_("Your opportunity is posted. Look at its candidates to find the people who fit."),
        )
    return page.redirect(f"/post/{draft['id']}/{STEPS[STEPS.index(step) + 1]}")


async def _suggest(page: Page, q: str) -> list[dict[str, Any]]:
    if not q:
        return []
    try:
        found: list[dict[str, Any]] = await page.call("GET", "/v1/skills", params={"q": q, "limit": 10})
    except GatewayError as e:
        if e.status != 422:
            raise
        return []
    for s in found:
        _skill_labels.setdefault(s["id"], {"en": s["label"]["en"], "fr": s["label"]["fr"]})
    return found


@router.get("/post/skills", response_class=HTMLResponse)
async def skill_suggestions(page: PageDep, request: Request) -> Response:
    """The suggestions as a fragment, for the requirements step's autocomplete (htmx)."""
    page.require_sign_in()
    q = request.query_params.get("skill_q", "")[:100].strip()
    chosen = set(request.query_params.getlist("requirements.skill_ids"))
    found = [s for s in await _suggest(page, q) if s["id"] not in chosen]
    return page.render("opportunities/_skill_suggestions.html", suggestions=found, skill_q=q)


# --- mine -----------------------------------------------------------------------------------------


@router.get("/my/opportunities", response_class=HTMLResponse)
async def my_opportunities(page: PageDep) -> Response:
    page.require_sign_in()
    # The gateway lists one state at a time (open unless asked): each state is asked for.
    states = ("open", "completed", "cancelled")
    results = await asyncio.gather(
        *(page.call("GET", "/v1/opportunities", params={"mine": "true", "state": s, "page_size": 100}) for s in states)
    )
    groups = [(s, r["opportunities"]) for s, r in zip(states, results, strict=True) if r["opportunities"]]
    return page.render("opportunities/mine.html", groups=groups, **_labels(page))


async def _titles(page: Page, ids: list[str]) -> dict[str, dict[str, Any]]:
    async def one(opportunity_id: str) -> tuple[str, dict[str, Any] | None]:
        try:
            return opportunity_id, await page.call("GET", f"/v1/opportunities/{opportunity_id}")
        except GatewayError as e:
            if e.status in (403, 404):
                return opportunity_id, None
            raise

    found = await asyncio.gather(*(one(i) for i in dict.fromkeys(ids)))
    return {i: o for i, o in found if o is not None}


async def _applications_page(
    page: Page, *, status: int = 200, problem: str = "", errors: FormErrors | None = None, reason: str = ""
) -> HTMLResponse:
    applications, offers = await asyncio.gather(
        page.call("GET", "/v1/me/applications"), page.call("GET", "/v1/me/offers")
    )
    opportunities = await _titles(
        page,
        [a["opportunity_id"] for a in applications["applications"]] + [o["opportunity_id"] for o in offers["offers"]],
    )
    return page.render(
        "opportunities/applications.html",
        status=status,
        errors=errors,
        applications=applications["applications"],
        offers=offers["offers"],
        opportunities=opportunities,
        problem=problem,
        values={"reason": reason},
        reason_options=options(page, v.DECLINE_REASONS, N_("Choose a reason")),
        **_labels(page),
    )


@router.get("/my/applications", response_class=HTMLResponse)
async def my_applications(page: PageDep) -> Response:
    page.require_sign_in()
    return await _applications_page(page)


async def _offer_page(
    page: Page,
    offer_id: str,
    *,
    status: int = 200,
    problem: str = "",
    errors: FormErrors | None = None,
    reason: str = "",
) -> HTMLResponse:
    offers = await page.call("GET", "/v1/me/offers")
    offer = next((o for o in offers["offers"] if o["id"] == offer_id), None)
    if offer is None:
        return page.render("error.html", status=404, kind="not_found")
    opp = await page.call("GET", f"/v1/opportunities/{offer['opportunity_id']}")
    return page.render(
        "opportunities/offer.html",
        status=status,
        errors=errors,
        offer=offer,
        opp=opp,
        title=title_of(page, opp),
        problem=problem,
        values={"reason": reason},
        reason_options=options(page, v.DECLINE_REASONS, N_("Choose a reason")),
        department_names=await department_names(page),
        **_labels(page),
    )


@router.get("/offers/{offer_id}", response_class=HTMLResponse)
async def offer_page(page: PageDep, offer_id: str) -> Response:
    page.require_sign_in()
    return await _offer_page(page, offer_id)


@router.post("/offers/{offer_id}/accept", response_class=HTMLResponse)
async def accept_offer(page: PageDep, offer_id: str) -> Response:
    page.require_sign_in()
    await page.form()
    e = await page.attempt("POST", f"/v1/offers/{offer_id}/accept")
    if e is not None:
        return await _offer_page(page, offer_id, status=e.status, problem=e.title)
    return page.redirect(f"/offers/{offer_id}", flash=N_("You accepted the offer. The poster is told."))


@router.post("/offers/{offer_id}/decline", response_class=HTMLResponse)
async def decline_offer(page: PageDep, offer_id: str) -> Response:
    page.require_sign_in()
    form = await page.form()
    reason = text(form, "reason", 40)
    e = await page.attempt("POST", f"/v1/offers/{offer_id}/decline", json={"reason": reason})
    if e is not None:
        errors = FormErrors(e)
        return await _offer_page(
            page, offer_id, status=e.status, errors=errors, problem="" if errors.fields else e.title, reason=reason
        )
    return page.redirect(f"/offers/{offer_id}", flash=N_("You declined the offer. The poster is told."))
