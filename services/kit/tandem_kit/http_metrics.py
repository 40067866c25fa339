"""HTTP request metrics for the ASGI processes (gateway and web), labelled by route template."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from tandem_kit import metrics


async def record_request(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Starlette `http` middleware: count and time every request by its route template, so ids
    in paths never explode the label set."""
    started = time.perf_counter()
    response = await call_next(request)
    route = request.scope.get("route")
    path = request.url.path
    template = getattr(route, "path", None) or ("/metrics" if path.startswith("/metrics") else "unmatched")
    metrics.HTTP_REQUESTS.labels(template, request.method, str(response.status_code)).inc()
    metrics.HTTP_DURATION.labels(template, request.method).observe(time.perf_counter() - started)
    return response
