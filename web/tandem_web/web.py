"""What every page handler shares: the page's language and session, rendering in that language,
CSRF-checked forms, and the way back to sign-in."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.datastructures import FormData

from tandem_web.gateway import FieldError, Gateway, GatewayError, field_id
from tandem_web.i18n import HERE, LANGS, format_date, gettext, other, translations
from tandem_web.session import CSRF_FIELD, CSRF_HEADER, Session


class CsrfRefused(Exception):
    pass


class SignInRequired(Exception):
    def __init__(self, next_path: str):
        self.next_path = next_path


class NotAllowed(Exception):
    pass


def _environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters["date"] = lambda value: format_date(value, lang)
    env.filters["field_id"] = field_id
    env.filters["tojson_attr"] = lambda value: json.dumps(value, ensure_ascii=False)
    env.globals["lang"] = lang
    env.globals["other_lang"] = other(lang)
    return env


ENVIRONMENTS: dict[str, Environment] = {lang: _environment(lang) for lang in LANGS}


@dataclass
class Page:
    """One request's view of the world."""

    request: Request
    lang: str
    session: Session
    gateway: Gateway

    @property
    def _(self) -> Any:
        return gettext(self.lang)

    def url(self, path: str, **query: Any) -> str:
        """A path in this page's language: url("/opportunities") -> "/fr/opportunities"."""
        clean = {k: v for k, v in query.items() if v not in (None, "")}
        return f"/{self.lang}{path}" + (f"?{urlencode(clean, doseq=True)}" if clean else "")

    def other_language_url(self) -> str:
        path = self.request.url.path
        rest = path[3:] if path[:4] in ("/en/", "/fr/") or path in ("/en", "/fr") else "/"
        query = f"?{self.request.url.query}" if self.request.url.query else ""
        return f"/{other(self.lang)}{rest or '/'}{query}"

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        return await self.gateway.call(method, path, lang=self.lang, session=self.session, **kwargs)

    async def attempt(
        self, method: str, path: str, *, refusals: tuple[int, ...] = (409, 422), **kwargs: Any
    ) -> GatewayError | None:
        """An action through the gateway. A refusal the page shows to the person (by default a
        conflict or bad input) is returned; any other error is raised for the error pages."""
        try:
            await self.call(method, path, **kwargs)
        except GatewayError as e:
            if e.status not in refusals:
                raise
            return e
        return None

    def require_sign_in(self) -> None:
        if not self.session.signed_in:
            here = self.request.url.path + (f"?{self.request.url.query}" if self.request.url.query else "")
            raise SignInRequired(here)

    def require_role(self, *roles: str) -> None:
        self.require_sign_in()
        if not self.session.has_role(*roles):
            raise NotAllowed()

    async def form(self) -> FormData:
        """The posted form, once its CSRF token is checked."""
        form = await self.request.form()
        presented = form.get(CSRF_FIELD) or self.request.headers.get(CSRF_HEADER)
        if not self.session.csrf_ok(str(presented) if presented else None):
            raise CsrfRefused()
        return form

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        env = ENVIRONMENTS[self.lang]
        context["values"] = FormValues(context.get("values") or {})
        html = env.get_template(template).render(
            page=self,
            session=self.session,
            csrf_token=self.session.csrf,
            csrf_field=CSRF_FIELD,
            flash=self.session.pop_flash(),
            other_language_url=self.other_language_url(),
            current_path=self.request.url.path,
            errors=context.pop("errors", None) or FormErrors(),
            **context,
        )
        return HTMLResponse(html, status_code=status, headers={"Content-Language": self.lang})

    def redirect(self, path: str, flash: str = "", **query: Any) -> RedirectResponse:
        if flash:
            self.session.set_flash(flash)
        return RedirectResponse(self.url(path, **query), status_code=303)


class FormValues(dict[str, Any]):
    """What a form was filled with; a field never filled in reads as empty."""

    def __missing__(self, key: str) -> str:
        return ""


class FormErrors:
    """The gateway's field errors, for showing beside each field and in the error summary."""

    def __init__(self, error: GatewayError | None = None, *, rename: Mapping[str, str] | None = None):
        self.general = ""
        self.fields: dict[str, str] = {}
        self.labels: dict[str, str] = {}
        if error is None:
            return
        rename = rename or {}
        for e in error.errors:
            name = rename.get(e.field, e.field)
            self.fields.setdefault(name, e.message)
        if not error.errors:
            self.general = error.title

    def remember(self, name: str, label: str) -> str:
        """Called by each form control as it is drawn: the label the summary names it by."""
        self.labels.setdefault(name, label)
        return ""

    def summary_links_with(self, pattern: str) -> str:
        """error-links for gcds-error-summary, each entry "Label: message" when the label is known."""
        links = {}
        for name, message in self.fields.items():
            label = self.labels.get(name)
            links[f"#{field_id(name)}"] = pattern.format(label=label, message=message) if label else message
        return json.dumps(links, ensure_ascii=False)

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, message)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def __getitem__(self, name: str) -> str:
        return self.fields.get(name, "")

    def get(self, name: str) -> str:
        return self.fields.get(name, "")

    @property
    def summary_links(self) -> str:
        """For gcds-error-summary's error-links: {"#field-id": "message"}."""
        return json.dumps({f"#{field_id(n)}": m for n, m in self.fields.items()}, ensure_ascii=False)

    @property
    def items(self) -> list[FieldError]:
        return [FieldError(n, m) for n, m in self.fields.items()]


def sign_in_url(lang: str, next_path: str) -> str:
    return f"/{lang}/sign-in?next={quote(next_path, safe='')}"
