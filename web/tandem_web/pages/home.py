"""The home page."""

from __future__ import annotations

from fastapi.responses import HTMLResponse

from tandem_web.pages.common import PageDep, new_router

router = new_router()


@router.get("/", response_class=HTMLResponse)
async def home(page: PageDep) -> HTMLResponse:
    return page.render("home.html")


@router.get("/terms", response_class=HTMLResponse)
async def terms(page: PageDep) -> HTMLResponse:
    options = await page.call("GET", "/v1/terms")
    return page.render("terms.html", version=options["version"])
