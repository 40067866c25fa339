"""The web front-end: `uvicorn tandem_web.app:create_app --factory`. A placeholder page per
language until the pages land; a client of the gateway like any other."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from prometheus_client import make_asgi_app

from tandem_kit.http_metrics import record_request
from tandem_kit.i18n import LANGUAGES, Catalog

HERE = Path(__file__).parent
TEXTS = Catalog.load(HERE / "texts.yaml")


def create_app() -> FastAPI:
    gateway_url = os.environ.get("GATEWAY_URL", "http://127.0.0.1:8080")
    templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape())
    app = FastAPI(title="Tandem web", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/metrics", make_asgi_app())
    app.middleware("http")(record_request)

    @app.get("/")
    async def root() -> RedirectResponse:
        return RedirectResponse("/en/")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    for lang in LANGUAGES:

        def page(lang: str = lang) -> HTMLResponse:
            texts = {code: TEXTS.render(code, lang) for code in TEXTS.messages}
            other = "fr" if lang == "en" else "en"
            html = templates.get_template("home.html").render(lang=lang, other=other, t=texts, gateway_url=gateway_url)
            return HTMLResponse(html, headers={"Content-Language": lang})

        app.add_api_route(f"/{lang}/", page, methods=["GET"], response_class=HTMLResponse)
    return app
