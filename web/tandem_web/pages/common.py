"""Shared by every page module: the language-prefixed router and the page dependency."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request

from tandem_web.web import Page

Lang = Literal["en", "fr"]


def new_router() -> APIRouter:
    return APIRouter(prefix="/{lang}", include_in_schema=False)


def current_page(request: Request, lang: Lang) -> Page:
    page: Page = request.state.page
    return page


PageDep = Annotated[Page, Depends(current_page)]

# An id in a page's address, as the gateway's ids are: a malformed one is a page that does not exist.
PathId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def text(form: Any, name: str, limit: int = 10_000) -> str:
    """A form field as text, cut at a length no field accepts (the gateway says what is too long)."""
    value = form.get(name)
    return str(value)[:limit].strip() if value is not None else ""


def texts(form: Any, name: str) -> list[str]:
    return [str(v).strip() for v in form.getlist(name) if str(v).strip()]
