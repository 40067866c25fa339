"""For staff: the marketplace's analytics (charts drawn as inline SVG, each with its data table
and a CSV download) and the coordinators' page for folding custom skills into listed ones.

Who may see analytics is the gateway's rule (admins, coordinators and departmental leads, in a
session opened with a second factor); the page checks the roles first only to say so plainly,
and the gateway's refusal shows the same page.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from babel.dates import format_date
from fastapi.responses import HTMLResponse, Response

from tandem_web.gateway import GatewayError
from tandem_web.i18n import N_
from tandem_web.pages.common import PageDep, new_router, text
from tandem_web.pages.profile import OPPORTUNITY_TYPES
from tandem_web.web import FormErrors, Page

router = new_router()

ANALYTICS_ROLES = ("admin", "coordinator", "departmental_lead")
SKILL_MERGE_ROLES = ("admin", "coordinator")
GROUPS = (
    ("type", N_("Type of opportunity")),
    ("department", N_("Department")),
    ("month", N_("Month posted")),
)
BY_GROUP = {
    "type": N_("by type of opportunity"),
    "department": N_("by department"),
    "month": N_("by month posted"),
}
DECLINE_REASONS = {
    "schedule_conflict": N_("The schedule did not work"),
    "manager_not_approved": N_("The manager did not approve it"),
    "accepted_another": N_("Accepted another opportunity"),
    "workload": N_("Current workload too heavy"),
    "no_longer_interested": N_("No longer interested"),
    "other": N_("Another reason"),
    "": N_("No reason given"),
}
CHARTS = ("posted", "filled", "days-to-fill", "decline-reasons", "top-skills")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SKILL_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")


def has_staff_role(page: Page, roles: tuple[str, ...]) -> bool:
    return page.session.has_role(*roles)


def _require(page: Page, roles: tuple[str, ...]) -> None:
    page.require_role(*roles)


@dataclass
class Chart:
    id: str
    title: str
    description: str
    label_heading: str
    value_heading: str
    rows: list[tuple[str, str, float]]  # (code, label, value)
    unit: str = ""

    @property
    def peak(self) -> float:
        return max((v for _c, _l, v in self.rows), default=0.0)

    def bars(self, width: float = 440.0) -> list[dict[str, Any]]:
        """Where each bar goes in the SVG: a label line above a bar, the value after the bar."""
        peak = self.peak or 1.0
        out = []
        for i, (code, label, value) in enumerate(self.rows):
            length = width * value / peak if value else 0.0
            out.append(
                {
                    "code": code,
                    "label": label,
                    "value": value,
                    "shown": _shown(value),
                    "y": 8 + i * 46,
                    "length": round(max(length, 1.0 if value else 0.0), 1),
                }
            )
        return out

    @property
    def height(self) -> int:
        return 16 + 46 * max(len(self.rows), 1)


def _shown(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _filters(group_by: str, since: str, until: str) -> dict[str, str]:
    return {
        "group_by": group_by if group_by in dict(GROUPS) else "type",
        "since": since.strip()[:10],
        "until": until.strip()[:10],
    }


def _filter_errors(page: Page, filters: dict[str, str]) -> FormErrors:
    errors = FormErrors()
    for name in ("since", "until"):
        value = filters[name]
        if not value:
            continue
        try:
            if not _DATE.match(value):
                raise ValueError(value)
            date.fromisoformat(value)
        except ValueError:
            errors.add(name, page._("Enter a date as year-month-day, for example 2026-03-31."))
    if not errors and filters["since"] and filters["until"] and filters["until"] < filters["since"]:
        errors.add("until", page._("The end date must be on or after the start date."))
    return errors


async def _analytics(page: Page, filters: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = await page.call("GET", "/v1/analytics/opportunities", params=filters)
    return data


async def _key_labels(page: Page, group_by: str, keys: list[str]) -> dict[str, str]:
    _ = page._
    if group_by == "type":
        types = dict(OPPORTUNITY_TYPES)
        return {k: _(types[k]) if k in types else k for k in keys}
    if group_by == "department":
        try:
            departments = await page.call("GET", "/v1/departments")
        except GatewayError:
            departments = []
        names = {d["code"]: d["name"][page.lang] for d in departments}
        return {k: names.get(k, k) for k in keys}
    labels = {}
    for k in keys:
        try:
            labels[k] = format_date(
                date.fromisoformat(f"{k}-01"), format="MMMM y", locale="fr_CA" if page.lang == "fr" else "en_CA"
            )
        except ValueError:
            labels[k] = k
    return labels


async def _skill_labels(page: Page, ids: list[str]) -> dict[str, str]:
    async def one(sid: str) -> str:
        if not _SKILL_ID.match(sid):
            return sid
        try:
            skill = await page.call("GET", f"/v1/skills/{sid}")
        except GatewayError:
            return sid
        return str(skill["label"][page.lang])

    return dict(zip(ids, await asyncio.gather(*(one(i) for i in ids)), strict=True))


async def charts_of(page: Page, data: dict[str, Any], group_by: str) -> list[Chart]:
    _ = page._
    by = _(BY_GROUP[group_by])
    group_label = _(dict(GROUPS)[group_by])
    rows = data["rows"]
    labels = await _key_labels(page, group_by, [r["key"] for r in rows])
    skills = await _skill_labels(page, [c["key"] for c in data["top_skills"]])
    reasons = {k: _(v) for k, v in DECLINE_REASONS.items()}

    def series(field: str) -> list[tuple[str, str, float]]:
        return [(r["key"], labels.get(r["key"], r["key"]), float(r[field])) for r in rows]

    return [
        Chart(
            "posted",
            _("Opportunities posted, %(by)s") % {"by": by},
            _("Horizontal bar chart of how many opportunities were posted, %(by)s.") % {"by": by},
            group_label,
            _("Posted (number)"),
            series("posted"),
        ),
        Chart(
            "filled",
            _("Opportunities filled, %(by)s") % {"by": by},
            _("Horizontal bar chart of how many opportunities were filled, %(by)s.") % {"by": by},
            group_label,
            _("Filled (number)"),
            series("filled"),
        ),
        Chart(
            "days-to-fill",
            _("Average days from posting to filling, %(by)s") % {"by": by},
            _("Horizontal bar chart of the average number of days an opportunity took to fill, %(by)s.") % {"by": by},
            group_label,
            _("Average days to fill"),
            series("mean_days_to_fill"),
        ),
        Chart(
            "decline-reasons",
            _("Why offers were declined"),
            _("Horizontal bar chart of how many declined offers gave each reason."),
            _("Reason"),
            _("Offers declined"),
            [(c["key"], reasons.get(c["key"], c["key"]), float(c["count"])) for c in data["decline_reasons"]],
        ),
        Chart(
            "top-skills",
            _("Skills most asked for"),
            _("Horizontal bar chart of the skills named by the most opportunities."),
            _("Skill"),
            _("Opportunities asking for it"),
            [(c["key"], skills.get(c["key"], c["key"]), float(c["count"])) for c in data["top_skills"]],
        ),
    ]


@router.get("/staff/analytics", response_class=HTMLResponse)
async def analytics(page: PageDep, group_by: str = "type", since: str = "", until: str = "") -> Response:
    _require(page, ANALYTICS_ROLES)
    filters = _filters(group_by, since, until)
    errors = _filter_errors(page, filters)
    if not errors:
        try:
            data = await _analytics(page, filters)
        except GatewayError as e:
            if e.status != 422:
                raise
            errors = FormErrors(e)
    if errors:
        return page.render(
            "staff/analytics.html",
            status=422,
            values=filters,
            errors=errors,
            charts=[],
            data=None,
            groups=GROUPS,
            can_merge=has_staff_role(page, SKILL_MERGE_ROLES),
        )
    charts = await charts_of(page, data, filters["group_by"])
    labels = await _key_labels(page, filters["group_by"], [r["key"] for r in data["rows"]])
    group_label = dict(GROUPS)[filters["group_by"]]
    by_group = BY_GROUP[filters["group_by"]]
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
    return page.render(
        "staff/analytics.html",
        values=filters,
        charts=charts,
        data=data,
        labels=labels,
        group_label=page._(group_label),
        by=page._(by_group),
        groups=GROUPS,
        query=query,
        can_merge=has_staff_role(page, SKILL_MERGE_ROLES),
    )


@router.get("/staff/analytics/{chart}.csv")
async def analytics_csv(
    page: PageDep, chart: str, group_by: str = "type", since: str = "", until: str = ""
) -> Response:
    _require(page, ANALYTICS_ROLES)
    filters = _filters(group_by, since, until)
    if _filter_errors(page, filters):
        return page.render("error.html", status=404, kind="not_found")
    if chart == "opportunities":
        # The gateway exports every figure as CSV itself: passed through as it comes.
        response = await page.call("GET", "/v1/analytics/opportunities", params={**filters, "format": "csv"}, raw=True)
        return _csv(response.content, f"tandem-opportunities-{filters['group_by']}.csv")
    if chart not in CHARTS:
        return page.render("error.html", status=404, kind="not_found")
    data = await _analytics(page, filters)
    found = next(c for c in await charts_of(page, data, filters["group_by"]) if c.id == chart)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([page._("Code"), found.label_heading, found.value_heading])
    for code, label, value in found.rows:
        writer.writerow([code, label, _shown(value)])
    # A byte-order mark, so spreadsheet programs read the accents right.
    return _csv(("\ufeff" + out.getvalue()).encode(), f"tandem-{chart}-{filters['group_by']}.csv")


def _csv(content: bytes, filename: str) -> Response:
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- custom skills ------------------------------------------------------------------------------------


async def _custom_skills(page: Page) -> list[dict[str, Any]]:
    skills: list[dict[str, Any]] = await page.call("GET", "/v1/skills/custom")
    return skills


@router.get("/staff/skills", response_class=HTMLResponse)
async def custom_skills(page: PageDep) -> Response:
    _require(page, SKILL_MERGE_ROLES)
    return page.render("staff/skills.html", skills=await _custom_skills(page))


@router.post("/staff/skills/{skill_id}/merge", response_class=HTMLResponse)
async def merge_skill(page: PageDep, skill_id: str) -> Response:
    _require(page, SKILL_MERGE_ROLES)
    form = await page.form()
    field = f"into.{skill_id}"
    into = text(form, field, 100)
    errors = FormErrors()
    if not _SKILL_ID.match(skill_id):
        return page.render("error.html", status=404, kind="not_found")
    e = await page.attempt(
        "POST", f"/v1/skills/custom/{skill_id}/merge", json={"into_skill_id": into}, refusals=(404, 409, 422)
    )
    if e is not None:
        errors = FormErrors(e, rename={"into_skill_id": field, "custom_skill_id": field, "skill_id": field})
        if not errors.fields:
            errors = FormErrors()
            errors.add(field, e.title)
        return page.render(
            "staff/skills.html", status=e.status, skills=await _custom_skills(page), errors=errors, values={field: into}
        )
    return page.redirect(
        "/staff/skills", flash=N_("The skill is merged. Every profile that had it now has the listed skill.")
    )
