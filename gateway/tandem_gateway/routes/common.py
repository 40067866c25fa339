"""What every route module shares: who may call a route, how to reach the services, and the
conversions used by more than one module.

Every route declares who may call it in `x-tandem-access` (shown in the OpenAPI document):
`public`, `member` (any signed-in person) or `poster` (the person who posted the opportunity).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from google.protobuf.timestamp_pb2 import Timestamp

from tandem_gateway.auth import Principal, current_user
from tandem_gateway.clients import Services
from tandem_gateway.problems import request_language

Member = Annotated[Principal, Depends(current_user)]
PathId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def access(level: str) -> dict[str, Any]:
    return {"x-tandem-access": level}


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


def call_options(request: Request) -> dict[str, Any]:
    """Metadata and deadline for a service call: the caller's language travels with it, and so
    does their access token, which the service checks for itself against the actor it names."""
    metadata: tuple[tuple[str, str], ...] = (("accept-language", request_language(request)),)
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        metadata += (("authorization", authorization),)
    return {
        "metadata": metadata,
        "timeout": request.app.state.config.grpc_timeout_seconds,
    }


def timestamp(ts: Timestamp, present: bool = True) -> datetime | None:
    return ts.ToDatetime(tzinfo=UTC) if present else None
