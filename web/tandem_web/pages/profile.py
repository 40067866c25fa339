"""My profile (view and edit, with skills autocomplete, opt-ins and mentoring preferences) and
someone else's profile as any member sees it.

The edit page is one form whose field names are the gateway's (`location.city`,
`education.0.institution`, `opt_ins.mentoring`), so the gateway's field errors land beside the
right control. Searching skills, occupations and industries works as a plain form post (the
form comes back with everything typed so far and the results, nothing saved) and, with htmx,
as suggestions while typing.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from tandem_web.gateway import GatewayError
from tandem_web.i18n import N_
from tandem_web.pages import vocabulary
from tandem_web.pages.common import PageDep, PathId, new_router, text, texts
from tandem_web.web import FormErrors, Page

router = new_router()

# The Career Marketplace's vocabularies (the gateway has no list of them): code -> English label,
# translated when shown. The profiles service checks every code. Those the opportunity pages show
# too come from `vocabulary`, so a thing has one name across the site.
OPPORTUNITY_TYPES = tuple(vocabulary.OPPORTUNITY_TYPES.items())
PROVINCES = tuple(vocabulary.PROVINCES.items())
TIME_ZONES = tuple(vocabulary.TIME_ZONES.items())
LANGUAGE_LEVELS = tuple(vocabulary.LANGUAGE_LEVELS.items())
LANGUAGE_SKILLS = tuple(vocabulary.LANGUAGE_SKILLS.items())
WEEKDAYS = tuple(vocabulary.WEEKDAYS.items())
OPT_IN_ROLES = {
    "micro_mission": ("participant", "host"),
    "assignment": ("participant", "host"),
    "deployment": ("participant", "host"),
    "job_swap": ("seeker",),
    "job_rotation": ("participant",),
    "mentoring": ("mentee", "mentor"),
    "job_shadowing": ("participant", "host"),
    "skill_sharing": ("participant", "host"),
    "peer_coaching": ("participant", "host"),
    "job_sharing": ("participant",),
}
ROLE_LABELS = {
    "participant": N_("Take part"),
    "host": N_("Host"),
    "seeker": N_("Look for a swap"),
    "mentee": N_("Be mentored"),
    "mentor": N_("Mentor others"),
}
MENTORING_TYPES = (
    ("traditional", N_("Traditional: a more experienced person mentors a less experienced one")),
    ("reverse", N_("Reverse: a newer employee mentors a more senior one")),
    ("peer_to_peer", N_("Peer to peer: colleagues at a similar level")),
    ("wisdom_transition", N_("Wisdom transition: someone near retirement passes on what they know")),
)
CLEARANCES = (("none", N_("None")), *((k, v) for k, v in vocabulary.SECURITY_LEVELS.items() if k != "none"))
EQUITY_GROUPS = (
    ("women", N_("Women")),
    ("indigenous_peoples", N_("Indigenous peoples")),
    ("persons_with_disabilities", N_("Persons with disabilities")),
    ("visible_minorities", N_("Members of visible minorities")),
)
EDUCATION_FIELDS = ("institution", "credential", "field_of_study", "start_year", "end_year")
WORK_FIELDS = ("title", "organization", "start", "end", "description")
# How many entries a list may have on the page (the service's limits).
EDUCATION_MAX = 20
WORK_MAX = 50

VOCABULARIES: dict[str, Any] = {
    "opportunity_types": OPPORTUNITY_TYPES,
    "opt_in_roles": OPT_IN_ROLES,
    "role_labels": ROLE_LABELS,
    "mentoring_types": MENTORING_TYPES,
    "provinces": PROVINCES,
    "time_zones": TIME_ZONES,
    "language_levels": LANGUAGE_LEVELS,
    "language_skills": LANGUAGE_SKILLS,
    "clearances": CLEARANCES,
    "weekdays": WEEKDAYS,
    "equity_groups": EQUITY_GROUPS,
}
_INTEGER = re.compile(r"^-?\d{1,10}$")


# --- from the gateway's profile to the form, and back ---------------------------------------------


def values_of(profile: dict[str, Any]) -> dict[str, Any]:
    """The edit form filled with a stored profile."""
    v: dict[str, Any] = {
        "title": profile["title"],
        "department": profile["department"],
        "classification": (profile.get("classification") or {}).get("code", ""),
        "location.city": profile["location"]["city"],
        "location.province": profile["location"]["province"],
        "location.time_zone": profile["location"]["time_zone"],
        "other_languages": "\n".join(profile["other_languages"]),
        "occupation_code": (profile.get("occupation") or {}).get("code", ""),
        "industry_code": (profile.get("industry") or {}).get("code", ""),
        "career_goals": profile["career_goals"],
        "interests": "\n".join(profile["interests"]),
        "skill_ids": [k["id"] for k in profile["skills"]],
        "security_clearance": profile.get("security_clearance", ""),
    }
    for lang in ("english", "french"):
        for skill, _label in LANGUAGE_SKILLS:
            v[f"official_languages.{lang}.{skill}"] = profile["official_languages"][lang][skill]
    for i, e in enumerate(profile["education"]):
        for f in EDUCATION_FIELDS:
            v[f"education.{i}.{f}"] = _shown_number(e[f]) if f.endswith("_year") else e[f]
    v["education_count"] = len(profile["education"])
    for i, w in enumerate(profile["work_experience"]):
        for f in WORK_FIELDS:
            v[f"work_experience.{i}.{f}"] = w[f]
    v["work_experience_count"] = len(profile["work_experience"])
    for kind, roles in profile["opt_ins"].items():
        v[f"opt_ins.{kind}"] = list(roles)
    m = profile["mentoring"]
    v["mentoring.types"] = list(m["types"])
    for f in ("max_mentees", "connector_meetings_per_year", "availability_hours_per_month"):
        v[f"mentoring.{f}"] = _shown_number(m[f])
    v["mentoring.paused"] = ["yes"] if m["paused"] else []
    s = profile["self_identification"]
    v["self_identification.cultural_background"] = s["cultural_background"]
    v["self_identification.employment_equity_groups"] = list(s["employment_equity_groups"])
    a = profile.get("availability") or {}
    for f in ("hours_per_week", "max_engagements"):
        v[f"availability.{f}"] = _shown_number(a.get(f, 0))
    v["availability.days"] = list(a.get("days", []))
    v["availability.day_start"] = a.get("day_start", "")
    v["availability.day_end"] = a.get("day_end", "")
    return v


def _shown_number(n: int) -> str:
    return str(n) if n else ""


def _number(value: str) -> Any:
    """A whole number for the gateway; anything else is sent as typed, so the gateway names the
    field and says what is wrong, in the page's language."""
    if not value:
        return 0
    return int(value) if _INTEGER.match(value) else value


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def _entries(form: FormData, prefix: str, fields: tuple[str, ...], limit: int) -> list[int]:
    """The indices of a list's entries on the form that have anything in them."""
    found = []
    for i in range(limit + 1):
        if not any(f"{prefix}.{i}.{f}" in form for f in fields):
            break
        if any(text(form, f"{prefix}.{i}.{f}") for f in fields):
            found.append(i)
    return found


def read_form(form: FormData) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """The form as typed (to show again), the gateway's PUT body, and how to rename the gateway's
    field names back to the form's (an empty list entry is not sent, so indices shift)."""
    v: dict[str, Any] = {}
    singles = (
        "title",
        "department",
        "classification",
        "location.city",
        "location.province",
        "location.time_zone",
        "occupation_code",
        "industry_code",
        "security_clearance",
        "mentoring.max_mentees",
        "mentoring.connector_meetings_per_year",
        "mentoring.availability_hours_per_month",
        "self_identification.cultural_background",
        "availability.hours_per_week",
        "availability.max_engagements",
        "availability.day_start",
        "availability.day_end",
    )
    for name in singles:
        v[name] = text(form, name, 300)
    for name in ("other_languages", "interests"):
        v[name] = text(form, name, 10_000)
    v["career_goals"] = text(form, "career_goals", 5_000)
    for lang in ("english", "french"):
        for skill, _label in LANGUAGE_SKILLS:
            name = f"official_languages.{lang}.{skill}"
            v[name] = text(form, name, 5)
    for name in ("mentoring.types", "self_identification.employment_equity_groups", "availability.days"):
        v[name] = texts(form, name)
    v["mentoring.paused"] = texts(form, "mentoring.paused")
    for kind in OPT_IN_ROLES:
        v[f"opt_ins.{kind}"] = texts(form, f"opt_ins.{kind}")
    picked = text(form, "occupation_pick", 20)
    if picked:
        v["occupation_code"] = picked
    picked = text(form, "industry_pick", 20)
    if picked:
        v["industry_code"] = picked
    skill_ids: list[str] = []
    for sid in texts(form, "skill_ids") + texts(form, "add_skill_ids"):
        if sid not in skill_ids:
            skill_ids.append(sid[:100])
    v["skill_ids"] = skill_ids
    v["skill_q"] = text(form, "skill_q", 100)
    v["custom_skill"] = text(form, "custom_skill", 200)
    v["occupation_q"] = text(form, "occupation_q", 100)
    v["industry_q"] = text(form, "industry_q", 100)

    rename: dict[str, str] = {}
    education = []
    for sent, i in enumerate(_entries(form, "education", EDUCATION_FIELDS, EDUCATION_MAX)):
        entry = {f: text(form, f"education.{i}.{f}", 300) for f in EDUCATION_FIELDS}
        education.append({**entry, "start_year": _number(entry["start_year"]), "end_year": _number(entry["end_year"])})
        for f in EDUCATION_FIELDS:
            rename[f"education.{sent}.{f}"] = f"education.{i}.{f}"
    work = []
    for sent, i in enumerate(_entries(form, "work_experience", WORK_FIELDS, WORK_MAX)):
        entry = {f: text(form, f"work_experience.{i}.{f}", 2_100 if f == "description" else 300) for f in WORK_FIELDS}
        work.append(entry)
        for f in WORK_FIELDS:
            rename[f"work_experience.{sent}.{f}"] = f"work_experience.{i}.{f}"
    # Every entry typed is shown again, empty ones too, at the index it had.
    for prefix, fields, limit in (
        ("education", EDUCATION_FIELDS, EDUCATION_MAX),
        ("work_experience", WORK_FIELDS, WORK_MAX),
    ):
        count = 0
        while count <= limit and any(f"{prefix}.{count}.{f}" in form for f in fields):
            for f in fields:
                v[f"{prefix}.{count}.{f}"] = text(form, f"{prefix}.{count}.{f}", 2_100)
            count += 1
        v[f"{prefix}_count"] = count

    body: dict[str, Any] = {
        "title": v["title"],
        "department": v["department"],
        "classification": v["classification"],
        "location": {
            "city": v["location.city"],
            "province": v["location.province"],
            "time_zone": v["location.time_zone"],
        },
        "official_languages": {
            lang: {skill: v[f"official_languages.{lang}.{skill}"] for skill, _label in LANGUAGE_SKILLS}
            for lang in ("english", "french")
        },
        "other_languages": _lines(v["other_languages"]),
        "education": education,
        "work_experience": work,
        "occupation_code": v["occupation_code"],
        "industry_code": v["industry_code"],
        "career_goals": v["career_goals"],
        "interests": _lines(v["interests"]),
        "skill_ids": skill_ids,
        "opt_ins": {kind: v[f"opt_ins.{kind}"] for kind in OPT_IN_ROLES if v[f"opt_ins.{kind}"]},
        "mentoring": {
            "types": v["mentoring.types"],
            "max_mentees": _number(v["mentoring.max_mentees"]),
            "connector_meetings_per_year": _number(v["mentoring.connector_meetings_per_year"]),
            "availability_hours_per_month": _number(v["mentoring.availability_hours_per_month"]),
            "paused": bool(v["mentoring.paused"]),
        },
        "self_identification": {
            "cultural_background": v["self_identification.cultural_background"],
            "employment_equity_groups": v["self_identification.employment_equity_groups"],
        },
        "security_clearance": v["security_clearance"],
        "availability": {
            "hours_per_week": _number(v["availability.hours_per_week"]),
            "max_engagements": _number(v["availability.max_engagements"]),
            "days": v["availability.days"],
            "day_start": v["availability.day_start"],
            "day_end": v["availability.day_end"],
        },
    }
    return v, body, rename


# --- lookups ----------------------------------------------------------------------------------------


async def _skill_labels(page: Page, ids: list[str], known: dict[str, Any]) -> list[dict[str, Any]]:
    """Each skill id with its label, asking the gateway for those not already known."""

    async def one(sid: str) -> dict[str, Any]:
        if sid in known:
            return dict(known[sid])
        try:
            return dict(await page.call("GET", f"/v1/skills/{sid}"))
        except GatewayError:
            return {"id": sid, "label": {"en": sid, "fr": sid}, "custom": True}

    return list(await asyncio.gather(*(one(sid) for sid in ids)))


async def suggest_skills(page: Page, q: str) -> list[dict[str, Any]]:
    if not q:
        return []
    result: list[dict[str, Any]] = await page.call("GET", "/v1/skills", params={"q": q, "limit": 10})
    return result


async def search_codes(page: Page, path: str, q: str) -> list[dict[str, Any]]:
    if not q:
        return []
    result: list[dict[str, Any]] = await page.call("GET", path, params={"q": q, "limit": 10})
    return result


async def _occupational_groups(page: Page) -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = await page.call("GET", "/v1/occupational-groups")
    return groups


async def _render_edit(
    page: Page,
    profile: dict[str, Any],
    values: dict[str, Any],
    *,
    status: int = 200,
    errors: FormErrors | None = None,
    skill_results: list[dict[str, Any]] | None = None,
    occupation_results: list[dict[str, Any]] | None = None,
    industry_results: list[dict[str, Any]] | None = None,
    notice: str = "",
) -> HTMLResponse:
    known = {k["id"]: k for k in profile["skills"]}
    skills = await _skill_labels(page, list(values.get("skill_ids") or []), known)
    groups = await _occupational_groups(page)
    return page.render(
        "profile/edit.html",
        status=status,
        profile=profile,
        values=values,
        errors=errors,
        skills=skills,
        groups=groups,
        skill_results=skill_results,
        occupation_results=occupation_results,
        industry_results=industry_results,
        notice=notice,
        **VOCABULARIES,
    )


# --- pages --------------------------------------------------------------------------------------------


@router.get("/profile", response_class=HTMLResponse)
async def my_profile(page: PageDep) -> Response:
    page.require_sign_in()
    profile = await page.call("GET", "/v1/me/profile")
    return page.render("profile/mine.html", profile=profile, **VOCABULARIES)


@router.get("/profile/edit", response_class=HTMLResponse)
async def edit_form(page: PageDep) -> Response:
    page.require_sign_in()
    profile = await page.call("GET", "/v1/me/profile")
    return await _render_edit(page, profile, values_of(profile))


@router.post("/profile/edit", response_class=HTMLResponse)
async def edit(page: PageDep) -> Response:
    page.require_sign_in()
    form = await page.form()
    action = text(form, "action", 30) or "save"
    values, body, rename = read_form(form)
    profile = await page.call("GET", "/v1/me/profile")
    if action == "search_skills":
        results = await suggest_skills(page, values["skill_q"])
        return await _render_edit(page, profile, values, skill_results=results)
    if action == "search_occupations":
        results = await search_codes(page, "/v1/occupations", values["occupation_q"])
        return await _render_edit(page, profile, values, occupation_results=results)
    if action == "search_industries":
        results = await search_codes(page, "/v1/industries", values["industry_q"])
        return await _render_edit(page, profile, values, industry_results=results)
    if action == "add_custom_skill":
        try:
            skill = await page.call("POST", "/v1/skills", json={"label": values["custom_skill"], "language": page.lang})
        except GatewayError as e:
            if e.status != 422:
                raise
            errors = FormErrors(e, rename={"label": "custom_skill"})
            if not errors.fields:
                errors.add("custom_skill", e.title)
            return await _render_edit(page, profile, values, status=422, errors=errors)
        if skill["id"] not in values["skill_ids"]:
            values["skill_ids"].append(skill["id"])
        values["custom_skill"] = ""
        return await _render_edit(page, profile, values, notice="skill_added")
    try:
        await page.call("PUT", "/v1/me/profile", json=body)
    except GatewayError as e:
        if e.status != 422:
            raise
        return await _render_edit(page, profile, values, status=422, errors=FormErrors(e, rename=rename))
    return page.redirect("/profile", flash=N_("Your profile is saved."))


@router.get("/profile/skills", response_class=HTMLResponse)
async def skill_suggestions(page: PageDep, skill_q: str = "") -> Response:
    """The suggestions for what is typed in the skill search (htmx), or, opened as a page, the
    profile form's search (it needs the rest of the form, so it goes back there)."""
    q = skill_q.strip()[:100]
    results = await suggest_skills(page, q) if q else []
    if page.request.headers.get("hx-request") != "true":
        return page.redirect("/profile/edit")
    return page.render("profile/_skill_results.html", skill_results=results, q=q, values={})


@router.get("/profile/occupations", response_class=HTMLResponse)
async def occupation_suggestions(page: PageDep, occupation_q: str = "") -> Response:
    q = occupation_q.strip()[:100]
    results = await search_codes(page, "/v1/occupations", q)
    if page.request.headers.get("hx-request") != "true":
        return page.redirect("/profile/edit")
    return page.render("profile/_code_results.html", results=results, q=q, kind="occupation", values={})


@router.get("/profile/industries", response_class=HTMLResponse)
async def industry_suggestions(page: PageDep, industry_q: str = "") -> Response:
    q = industry_q.strip()[:100]
    results = await search_codes(page, "/v1/industries", q)
    if page.request.headers.get("hx-request") != "true":
        return page.redirect("/profile/edit")
    return page.render("profile/_code_results.html", results=results, q=q, kind="industry", values={})


@router.get("/profiles/{user_id}", response_class=HTMLResponse)
async def public_profile(page: PageDep, user_id: PathId) -> Response:
    page.require_sign_in()
    profile = await page.call("GET", f"/v1/profiles/{user_id}")
    return page.render("profile/public.html", profile=profile, **VOCABULARIES)
