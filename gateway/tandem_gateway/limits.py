"""A cap on request bodies that also holds for streamed (chunked) bodies, which carry no
Content-Length for the front check to read."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tandem_gateway.problems import make_problem, request_language


class BodyLimit:
    """Counts the body as it arrives. Past `max_bytes` the app is told the client went away
    (so it stops reading and changes nothing) and the caller gets a 413 problem instead of
    whatever the app would have said."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received = 0
        too_large = False

        async def counted() -> Message:
            nonlocal received, too_large
            if too_large:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    return {"type": "http.disconnect"}
            return message

        async def unless_refused(message: Message) -> None:
            if not too_large:
                await send(message)

        try:
            await self.app(scope, counted, unless_refused)
        except Exception:
            if not too_large:
                raise
            # The app saw a disconnect mid-body and gave up: expected, and answered below.
        if not too_large:
            return
        request = Request(scope)
        problem = make_problem(request, 413, "request.too_large", params={"max": self.max_bytes})
        lang = request_language(request)
        response = JSONResponse(
            problem.marshal(),
            status_code=413,
            headers={"content-type": "application/problem+json", "Content-Language": lang},
        )
        await response(scope, receive, send)
