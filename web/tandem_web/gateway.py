"""The front-end's only way to the system: the gateway's public HTTP API.

Every call carries the page's language (so the gateway's errors come back in it) and, when
someone is signed in, their access token; an expired access token is renewed once with the
refresh token, and the page's session follows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from tandem_web.session import Session


@dataclass
class FieldError:
    field: str
    message: str

    @property
    def anchor(self) -> str:
        return field_id(self.field)


def field_id(name: str) -> str:
    """The id of the form control for a gateway field name (`details.title` -> `details-title`)."""
    return name.replace(".", "-").replace("[", "-").replace("]", "")


@dataclass
class GatewayError(Exception):
    status: int
    title: str
    code: str = ""
    errors: list[FieldError] = field(default_factory=list)
    problem: dict[str, Any] = field(default_factory=dict)

    def for_field(self, name: str) -> str:
        return next((e.message for e in self.errors if e.field == name), "")

    @property
    def by_field(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for e in self.errors:
            out.setdefault(e.field, e.message)
        return out


class Gateway:
    def __init__(self, base_url: str, *, timeout: float = 15.0, transport: httpx.AsyncBaseTransport | None = None):
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def call(
        self,
        method: str,
        path: str,
        *,
        lang: str,
        session: Session | None = None,
        json: Any = None,
        params: dict[str, Any] | None = None,
        raw: bool = False,
        form: dict[str, str] | None = None,
    ) -> Any:
        """The response body (JSON, or the response itself with raw=True); GatewayError otherwise.
        `form` sends a form-encoded body instead of JSON."""
        renewable = session is not None and session.signed_in and bool(session.refresh_token)
        if renewable and session is not None and 0 < session.access_expires_at < time.time() + 15:
            await self._refresh(session, lang)
        response = await self._send(method, path, lang=lang, session=session, json=json, params=params, form=form)
        if response.status_code == 401 and renewable and session is not None and await self._refresh(session, lang):
            response = await self._send(method, path, lang=lang, session=session, json=json, params=params, form=form)
        if response.status_code >= 400:
            raise _error(response)
        if raw:
            return response
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def _send(
        self,
        method: str,
        path: str,
        *,
        lang: str,
        session: Session | None,
        json: Any,
        params: dict[str, Any] | None,
        form: dict[str, str] | None = None,
    ) -> httpx.Response:
        headers = {"Accept-Language": lang}
        if session is not None and session.access_token:
            headers["Authorization"] = f"Bearer {session.access_token}"
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "", [])}
        try:
            return await self._client.request(method, path, headers=headers, json=json, params=clean, data=form)
        except httpx.HTTPError as exc:
            raise GatewayError(503, "", code="gateway.unreachable") from exc

    async def _refresh(self, session: Session, lang: str) -> bool:
        try:
            response = await self._client.post(
                "/v1/auth/refresh", json={"refresh_token": session.refresh_token}, headers={"Accept-Language": lang}
            )
        except httpx.HTTPError:
            return False
        if response.status_code != 200:
            session.sign_out()
            return False
        tokens = response.json()
        session.access_token = tokens["access_token"]
        session.refresh_token = tokens.get("refresh_token", session.refresh_token)
        session.access_expires_at = time.time() + int(tokens.get("expires_in", 0))
        session.changed = True
        return True


def _error(response: httpx.Response) -> GatewayError:
    try:
        problem = response.json()
    except ValueError:
        problem = {}
    if not isinstance(problem, dict):
        problem = {}
    errors = [
        FieldError(str(e.get("field", "")), str(e.get("message", "")))
        for e in problem.get("errors", [])
        if isinstance(e, dict)
    ]
    return GatewayError(
        response.status_code, str(problem.get("title", "")), str(problem.get("code", "")), errors, problem
    )
