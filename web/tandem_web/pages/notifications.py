"""The notifications inbox (newest first, paged, mark read), notice preferences per kind and
channel, and the landing page of the unsubscribe link in emails."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from fastapi.responses import HTMLResponse, Response

from tandem_web.gateway import GatewayError
from tandem_web.i18n import N_
from tandem_web.pages.common import PageDep, new_router, text, texts
from tandem_web.web import FormErrors, Page

router = new_router()

PAGE_SIZE = 20
_PAGE_TOKEN = re.compile(r"^[0-9]{0,12}$")
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_UNSUBSCRIBE_TOKEN = re.compile(r"^[A-Za-z0-9_.-]{10,400}$")
FREQUENCIES = (("immediate", N_("Right away, one email for each notice")), ("daily", N_("Once a day, in one summary")))


def on_site(link: str) -> str:
    """A notice's link as a path on this site (the gateway gives full addresses of the web
    front-end); nothing that would lead elsewhere."""
    parts = urlsplit(link)
    path = parts.path
    if not path.startswith(("/en/", "/fr/")) or path.startswith("//") or "\\" in path:
        return ""
    return path + (f"?{parts.query}" if parts.query else "")


def _is_htmx(page: Page) -> bool:
    return page.request.headers.get("hx-request") == "true"


async def _inbox(page: Page, page_token: str, unread_only: bool) -> dict[str, Any]:
    result: dict[str, Any] = await page.call(
        "GET",
        "/v1/me/notifications",
        params={"page_size": PAGE_SIZE, "page_token": page_token, "unread_only": "true" if unread_only else ""},
    )
    for n in result["notifications"]:
        n["href"] = on_site(n["link"])
    return result


def _render_inbox(page: Page, inbox: dict[str, Any], page_token: str, unread_only: bool, status: int = 200) -> Response:
    template = "notifications/_inbox.html" if _is_htmx(page) else "notifications/inbox.html"
    return page.render(template, status=status, inbox=inbox, page_token=page_token, unread_only=unread_only)


@router.get("/notifications", response_class=HTMLResponse)
async def inbox(page: PageDep, page_token: str = "", unread: str = "") -> Response:
    page.require_sign_in()
    token = page_token if _PAGE_TOKEN.match(page_token) else ""
    unread_only = unread == "1"
    return _render_inbox(page, await _inbox(page, token, unread_only), token, unread_only)


@router.post("/notifications/read", response_class=HTMLResponse)
async def mark_read(page: PageDep) -> Response:
    page.require_sign_in()
    form = await page.form()
    ids = [i for i in texts(form, "notification_id") if _ID.match(i)][:100]
    everything = text(form, "all", 5) == "1"
    token = text(form, "page_token", 12)
    token = token if _PAGE_TOKEN.match(token) else ""
    unread_only = text(form, "unread", 1) == "1"
    if everything or ids:
        await page.call(
            "POST", "/v1/me/notifications/read", json={"all": everything, "notification_ids": [] if everything else ids}
        )
    if _is_htmx(page):
        return _render_inbox(page, await _inbox(page, token, unread_only), token, unread_only)
    flash = N_("Every notice is marked as read.") if everything else N_("The notice is marked as read.")
    return page.redirect("/notifications", flash=flash, page_token=token, unread="1" if unread_only else "")


@router.get("/notifications/open/{notification_id}", response_class=HTMLResponse)
async def open_notice(page: PageDep, notification_id: str, to: str = "") -> Response:
    """Following a notice's link marks it read (a plain link, so it works without scripts)."""
    page.require_sign_in()
    if _ID.match(notification_id):
        try:
            await page.call("POST", "/v1/me/notifications/read", json={"notification_ids": [notification_id]})
        except GatewayError as e:
            if e.status >= 500:
                raise
    target = on_site(to)
    return page.redirect(target[3:] if target else "/notifications")


# --- preferences ------------------------------------------------------------------------------------


async def _preferences(page: Page) -> dict[str, Any]:
    prefs: dict[str, Any] = await page.call("GET", "/v1/me/notification-preferences")
    return prefs


def _preference_values(prefs: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {"email_frequency": prefs["email_frequency"]}
    for c in prefs["categories"]:
        values[f"category.{c['category']}"] = [ch for ch in ("in_app", "email") if c[ch]]
    return values


@router.get("/notifications/preferences", response_class=HTMLResponse)
async def preferences_form(page: PageDep) -> Response:
    page.require_sign_in()
    prefs = await _preferences(page)
    return page.render(
        "notifications/preferences.html", prefs=prefs, values=_preference_values(prefs), frequencies=FREQUENCIES
    )


@router.get("/account/notifications", response_class=HTMLResponse)
async def preferences_from_email(page: PageDep) -> Response:
    """Emails' footer links here for 'change what you receive'."""
    return page.redirect("/notifications/preferences")


@router.post("/notifications/preferences", response_class=HTMLResponse)
async def update_preferences(page: PageDep) -> Response:
    page.require_sign_in()
    form = await page.form()
    prefs = await _preferences(page)
    values: dict[str, Any] = {"email_frequency": text(form, "email_frequency", 20)}
    categories: list[dict[str, Any]] = []
    rename: dict[str, str] = {}
    for c in prefs["categories"]:
        name = f"category.{c['category']}"
        if c["mandatory"]:
            values[name] = ["in_app", "email"]
            continue
        chosen = texts(form, name)
        values[name] = chosen
        rename[f"categories[{len(categories)}].category"] = name
        categories.append({"category": c["category"], "in_app": "in_app" in chosen, "email": "email" in chosen})
    try:
        await page.call(
            "PATCH",
            "/v1/me/notification-preferences",
            json={"email_frequency": values["email_frequency"], "categories": categories},
        )
    except GatewayError as e:
        if e.status != 422:
            raise
        return page.render(
            "notifications/preferences.html",
            status=422,
            prefs=prefs,
            values=values,
            errors=FormErrors(e, rename=rename),
            frequencies=FREQUENCIES,
        )
    return page.redirect("/notifications/preferences", flash=N_("Your notice preferences are saved."))


# --- unsubscribe (the link at the foot of emails) ---------------------------------------------------


@router.get("/unsubscribe", response_class=HTMLResponse)
async def unsubscribe_form(page: PageDep, token: str = "") -> Response:
    """What the link would turn off, with a button to do it: opening the link changes nothing
    (mail scanners follow links)."""
    if not _UNSUBSCRIBE_TOKEN.match(token):
        return page.render("notifications/unsubscribe.html", status=404, target=None, token="", done=False)
    try:
        target = await page.call("GET", "/v1/unsubscribe", params={"token": token})
    except GatewayError as e:
        if e.status not in (400, 404, 410, 422):
            raise
        return page.render("notifications/unsubscribe.html", status=e.status, target=None, token="", done=False)
    return page.render("notifications/unsubscribe.html", target=target, token=token, done=False)


@router.post("/unsubscribe", response_class=HTMLResponse)
async def unsubscribe(page: PageDep) -> Response:
    form = await page.form()
    token = text(form, "token", 400)
    if not _UNSUBSCRIBE_TOKEN.match(token):
        return page.render("notifications/unsubscribe.html", status=404, target=None, token="", done=False)
    try:
        target = await page.call(
            "POST", "/v1/unsubscribe", params={"token": token}, form={"List-Unsubscribe": "One-Click"}
        )
    except GatewayError as e:
        if e.status not in (400, 404, 410, 422):
            raise
        return page.render("notifications/unsubscribe.html", status=e.status, target=None, token="", done=False)
    return page.render("notifications/unsubscribe.html", target=target, token="", done=True)
