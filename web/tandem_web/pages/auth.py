"""Register, confirm the email, sign in and out, reset the password, set up the second factor."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import segno
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tandem_web.gateway import GatewayError
from tandem_web.i18n import N_
from tandem_web.pages.common import PageDep, new_router, text
from tandem_web.web import FormErrors, Page

router = new_router()

REGISTER_FIELDS = (
    "platform",
    "email",
    "email_confirmation",
    "display_name",
    "department",
    "language",
    "password",
    "password_confirmation",
)


async def _registration_options(page: Page) -> dict[str, Any]:
    departments = await page.call("GET", "/v1/departments")
    terms = await page.call("GET", "/v1/terms")
    departments.sort(key=lambda d: d["name"][page.lang].casefold())
    return {"departments": departments, "terms": terms}


@router.get("/register", response_class=HTMLResponse)
async def register_form(page: PageDep) -> Response:
    if page.session.signed_in:
        return page.redirect("/")
    values = {"platform": "internal", "language": page.lang}
    return page.render("auth/register.html", values=values, **await _registration_options(page))


@router.post("/register", response_class=HTMLResponse)
async def register(page: PageDep) -> Response:
    form = await page.form()
    values = {name: text(form, name, 300) for name in REGISTER_FIELDS}
    options = await _registration_options(page)
    body: dict[str, Any] = {k: v for k, v in values.items()}
    body["accepted_terms_version"] = options["terms"]["version"] if form.get("accept_terms") else ""
    if body["platform"] == "external":
        body["department"] = ""
    try:
        result = await page.call("POST", "/v1/accounts", json=body)
    except GatewayError as e:
        if e.status != 422:
            raise
        errors = FormErrors(e, rename={"accepted_terms_version": "accept_terms"})
        for secret in ("password", "password_confirmation"):
            values[secret] = ""
        return page.render(
            "auth/register.html",
            status=422,
            values=values,
            errors=errors,
            accepted=bool(form.get("accept_terms")),
            **options,
        )
    return page.render("auth/check_email.html", email=result["email"], message=result["message"])


@router.get("/account/confirm-email", response_class=HTMLResponse)
async def confirm_form(page: PageDep, token: str = "") -> Response:
    # Confirming takes a button press: mail scanners that open links must not use them up.
    return page.render("auth/confirm.html", token=token[:100])


@router.post("/account/confirm-email", response_class=HTMLResponse)
async def confirm(page: PageDep) -> Response:
    form = await page.form()
    token = text(form, "token", 100)
    e = await page.attempt("POST", "/v1/accounts/confirm", json={"token": token}, refusals=(404, 409, 410, 422))
    if e is not None:
        return page.render("auth/confirm.html", status=e.status, token="", failed=e.title or e.for_field("token"))
    return page.redirect("/sign-in", flash=N_("Your email address is confirmed. You can sign in now."))


def _safe_next(page: Page, value: str) -> str:
    """Only a path on this site, in either language; anything else goes home."""
    if value.startswith(("/en/", "/fr/")) and not value.startswith(("//", "/\\")) and "\\" not in value:
        return value
    return page.url("/")


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_form(page: PageDep, next: str = "") -> Response:
    return page.render("auth/sign_in.html", values={"next": next[:500]}, ask_code=False)


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(page: PageDep) -> Response:
    form = await page.form()
    values = {"email": text(form, "email", 300), "next": text(form, "next", 500)}
    body = {"email": values["email"], "password": text(form, "password", 300), "totp_code": text(form, "totp_code", 20)}
    try:
        tokens = await page.gateway.call("POST", "/v1/auth/token", lang=page.lang, json=body)
    except GatewayError as e:
        if e.status not in (401, 403, 409, 422, 429):
            raise
        errors = FormErrors(e)
        if not errors.fields and e.title:
            # The gateway names no field: a missing or wrong code belongs beside the code field
            # (shown from now on), anything else beside the password.
            about_code = e.code in ("signin.totp_required", "signin.totp_invalid")
            errors.add("totp_code" if about_code else "password", e.title)
        ask_code = bool(body["totp_code"]) or "totp_code" in errors.fields
        return page.render("auth/sign_in.html", status=e.status, values=values, errors=errors, ask_code=ask_code)
    page.session.access_token = tokens["access_token"]
    account = await page.call("GET", "/v1/me")
    page.session.sign_in(tokens, account)
    if tokens.get("totp_enrollment_required"):
        return page.redirect(
            "/account/second-factor", flash=N_("Your role needs two-step verification. Set it up now.")
        )
    return RedirectResponse(_safe_next(page, values["next"]), status_code=303)


@router.post("/sign-out", response_class=HTMLResponse)
async def sign_out(page: PageDep) -> Response:
    await page.form()
    if page.session.signed_in:
        with contextlib.suppress(GatewayError):  # the session ends here whatever the gateway says
            await page.call("POST", "/v1/auth/logout", json={"everywhere": False})
    page.session.sign_out()
    return page.redirect("/", flash=N_("You are signed out."))


@router.get("/account/reset-password", response_class=HTMLResponse)
async def reset_form(page: PageDep, token: str = "") -> Response:
    return page.render("auth/reset.html", token=token[:100], sent="")


@router.post("/account/reset-password", response_class=HTMLResponse)
async def reset(page: PageDep) -> Response:
    form = await page.form()
    token = text(form, "token", 100)
    try:
        if not token:
            result = await page.call("POST", "/v1/auth/password-reset", json={"email": text(form, "email", 300)})
            return page.render("auth/reset.html", token="", sent=result["message"])
        await page.call(
            "POST",
            "/v1/auth/password-reset/complete",
            json={
                "token": token,
                "new_password": text(form, "new_password", 300),
                "new_password_confirmation": text(form, "new_password_confirmation", 300),
            },
        )
    except GatewayError as e:
        if e.status not in (404, 409, 410, 422, 429):
            raise
        errors = FormErrors(e, rename={"token": "new_password"})
        return page.render(
            "auth/reset.html", status=e.status, token=token, sent="", errors=errors, email=text(form, "email", 300)
        )
    page.session.sign_out()
    return page.redirect("/sign-in", flash=N_("Your password is changed. Sign in with the new one."))


def qr_svg(uri: str) -> str:
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=4, xmldecl=False, svgns=True, title="", nl=False)
    return out.getvalue().decode()


@router.get("/account/second-factor", response_class=HTMLResponse)
async def second_factor(page: PageDep) -> Response:
    page.require_sign_in()
    account = await page.call("GET", "/v1/me")
    return page.render("auth/second_factor.html", account=account, enrollment=None)


@router.post("/account/second-factor", response_class=HTMLResponse)
async def second_factor_step(page: PageDep, request: Request) -> Response:
    page.require_sign_in()
    form = await page.form()
    action = text(form, "action", 20)
    account = await page.call("GET", "/v1/me")
    if action == "begin":
        enrollment = await page.call("POST", "/v1/me/totp")
        enrollment["qr"] = qr_svg(enrollment["provisioning_uri"])
        return page.render("auth/second_factor.html", account=account, enrollment=enrollment)
    if action == "confirm":
        e = await page.attempt("POST", "/v1/me/totp/confirm", json={"code": text(form, "code", 20)})
        if e is not None:
            secret = text(form, "secret", 100)
            uri = text(form, "provisioning_uri", 500)
            enrollment = {"secret": secret, "provisioning_uri": uri, "qr": qr_svg(uri) if uri else ""}
            errors = FormErrors(e)
            if not errors:
                errors.add("code", e.title)
            return page.render(
                "auth/second_factor.html", status=e.status, account=account, enrollment=enrollment, errors=errors
            )
        return page.redirect(
            "/account/second-factor",
            flash=N_("Two-step verification is on. Sign in again to use the roles that need it."),
        )
    return page.redirect("/account/second-factor")
