"""The gateway application: `uvicorn tandem_gateway.app:create_app --factory`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import make_asgi_app

from tandem_gateway import problems
from tandem_gateway.auth import TokenVerifier, enforce_access
from tandem_gateway.clients import Services
from tandem_gateway.config import GatewayConfig
from tandem_gateway.limits import BodyLimit
from tandem_gateway.problems import make_problem, request_language
from tandem_gateway.routes import ROUTERS
from tandem_kit.http_metrics import record_request
from tandem_kit.logs import configure_logging

log = logging.getLogger(__name__)


def create_app(config: GatewayConfig | None = None) -> FastAPI:
    config = config or GatewayConfig.from_env()
    configure_logging("gateway", "http")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = Services(config.addresses)
        app.state.config = config
        app.state.services = services
        app.state.verifier = TokenVerifier(services, config)
        yield
        await services.close()

    app = FastAPI(
        title="Tandem API",
        version="1.0.0",
        summary="Career marketplace, mentoring and referral networks, in English and French.",
        description=(
            "Every error is an RFC 9457 problem (`application/problem+json`) titled in the language "
            "asked for with `Accept-Language` or `?lang=` (en or fr). Field errors list the field, "
            "a stable code and a message."
        ),
        lifespan=lifespan,
        # Every route's own x-tandem-access declaration, enforced before the route runs.
        dependencies=[Depends(enforce_access)],
    )
    problems.install(app)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/metrics", make_asgi_app())

    @app.middleware("http")
    async def language_and_size_limit(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request.state.lang = request_language(request)
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > config.max_body_bytes):
            problem = make_problem(request, 413, "request.too_large", params={"max": config.max_body_bytes})
            return JSONResponse(
                problem.marshal(),
                status_code=413,
                headers={"content-type": "application/problem+json", "Content-Language": request.state.lang},
            )
        response = await call_next(request)
        response.headers.setdefault("Content-Language", request.state.lang)
        return response

    # The Content-Length check above refuses a declared oversize body at once; this one also
    # bounds a streamed body as it arrives.
    app.add_middleware(BodyLimit, max_bytes=config.max_body_bytes)
    # Added last, so it runs outermost and counts every answer, refusals included.
    app.middleware("http")(record_request)

    @app.get("/healthz", tags=["operations"], openapi_extra={"x-tandem-access": "public"})
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["operations"],
        openapi_extra={"x-tandem-access": "public"},
        responses={503: {"description": "Some services are not serving."}},
    )
    async def readyz(request: Request) -> Response:
        """200 only when every service's gRPC health check says SERVING; 503 names the others."""
        statuses = await request.app.state.services.health()
        down = sorted(name for name, status in statuses.items() if status != "SERVING")
        if down:
            problem = make_problem(request, 503, "service.unavailable")
            body = {**problem.marshal(), "services": statuses, "not_serving": down}
            return JSONResponse(body, status_code=503, headers={"content-type": "application/problem+json"})
        return JSONResponse({"status": "ready", "services": statuses})

    return app
