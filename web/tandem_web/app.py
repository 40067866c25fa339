"""The web front-end: `uvicorn tandem_web.app:create_app --factory`.

Server-rendered pages (Jinja, GC Design System web components, htmx as an enhancement) over the
gateway's public API and nothing else. Pages live under `/en/...` and `/fr/...`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import make_asgi_app
from starlette.exceptions import HTTPException as StarletteHTTPException

from tandem_kit.http_metrics import record_request
from tandem_web.gateway import Gateway, GatewayError
from tandem_web.i18n import HERE, LANGS
from tandem_web.pages import ROUTERS
from tandem_web.session import COOKIE, MAX_AGE, SessionCodec, new_key
from tandem_web.web import CsrfRefused, NotAllowed, Page, SignInRequired, sign_in_url

log = logging.getLogger(__name__)

# Only this site: scripts and styles from here (the GC components add their own style elements,
# hence 'unsafe-inline' for styles only), no frames, forms post only here.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'; "
    "object-src 'none'"
)


def _language_of(path: str) -> str:
    return path[1:3] if path[1:3] in LANGS and (len(path) == 3 or path[3] == "/") else ""


def create_app() -> FastAPI:
    gateway = Gateway(os.environ.get("GATEWAY_URL", "http://127.0.0.1:8080"))
    key = os.environ.get("WEB_SESSION_KEY", "").encode()
    if not key:
        log.warning("WEB_SESSION_KEY is not set: sessions end when this process stops")
        key = new_key()
    codec = SessionCodec(key)
    secure_cookie = os.environ.get("WEB_COOKIE_SECURE", "true").lower() != "false"

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await gateway.aclose()

    app = FastAPI(title="Tandem web", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.mount("/metrics", make_asgi_app())
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.middleware("http")
    async def session_and_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        lang = _language_of(request.url.path)
        session = codec.loads(request.cookies.get(COOKIE))
        request.state.page = Page(request, lang or "en", session, gateway)
        response = await call_next(request)
        if lang and session.changed:
            response.set_cookie(
                COOKIE,
                codec.dumps(session),
                max_age=MAX_AGE,
                httponly=True,
                secure=secure_cookie,
                samesite="lax",
                path="/",
            )
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if lang:
            # Pages carry a person's data: never kept by a shared cache.
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.middleware("http")(record_request)

    @app.exception_handler(SignInRequired)
    async def to_sign_in(request: Request, exc: SignInRequired) -> Response:
        page: Page = request.state.page
        return RedirectResponse(sign_in_url(page.lang, exc.next_path), status_code=303)

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, exc: CsrfRefused) -> Response:
        page: Page = request.state.page
        return page.render("error.html", status=403, kind="csrf")

    @app.exception_handler(NotAllowed)
    async def not_allowed(request: Request, exc: NotAllowed) -> Response:
        page: Page = request.state.page
        return page.render("error.html", status=403, kind="forbidden")

    @app.exception_handler(GatewayError)
    async def gateway_error(request: Request, exc: GatewayError) -> Response:
        page: Page = request.state.page
        if exc.status == 401:
            page.session.sign_out()
            return RedirectResponse(sign_in_url(page.lang, request.url.path), status_code=303)
        kind = {403: "forbidden", 404: "not_found"}.get(exc.status, "unavailable" if exc.status >= 500 else "problem")
        return page.render("error.html", status=exc.status, kind=kind, detail=exc.title)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        page: Page = request.state.page
        if exc.status_code == 404:
            return page.render("error.html", status=404, kind="not_found")
        if exc.status_code == 405:
            return page.render("error.html", status=405, kind="problem")
        return page.render("error.html", status=exc.status_code, kind="problem")

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        page: Page = request.state.page
        # A page address with a malformed part is a page that does not exist.
        return page.render("error.html", status=404, kind="not_found")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("page failed", exc_info=exc)
        page: Page = request.state.page
        return page.render("error.html", status=500, kind="problem")

    @app.get("/", include_in_schema=False)
    async def root(request: Request) -> RedirectResponse:
        wanted = request.headers.get("accept-language", "")
        lang = "fr" if wanted.lower().startswith("fr") else "en"
        return RedirectResponse(f"/{lang}/", status_code=303)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    for lang in LANGS:
        # "/fr" is "/fr/"; only the two languages, so "/metrics" stays Prometheus's.
        app.add_api_route(
            f"/{lang}",
            lambda lang=lang: RedirectResponse(f"/{lang}/", status_code=308),
            methods=["GET"],
            include_in_schema=False,
        )

    for router in ROUTERS:
        app.include_router(router)
    return app


def page_of(request: Request) -> Page:
    page: Page = request.state.page
    return page


__all__ = ["HTMLResponse", "create_app", "page_of"]
