"""Every error the gateway returns is an RFC 9457 problem, titled in the caller's language, with
the field errors the person has to fix."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import grpc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi_problem.handler import add_exception_handler, new_exception_handler
from google.rpc import error_details_pb2, status_pb2
from rfc9457 import Problem
from starlette.exceptions import HTTPException

from tandem_kit.i18n import KIT_CATALOG, Catalog, negotiate

log = logging.getLogger(__name__)

CATALOG = Catalog({**KIT_CATALOG.messages, **Catalog.load(Path(__file__).with_name("messages.yaml")).messages})
TYPE_BASE = "https://tandem.gc.ca/problems/"

GRPC_TO_HTTP = {
    grpc.StatusCode.INVALID_ARGUMENT: 422,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 503,
}

# pydantic error type -> (our message code, how to get its parameters from the error's ctx)
_PYDANTIC: dict[str, tuple[str, Mapping[str, str]]] = {
    "missing": ("field.required", {}),
    "string_too_long": ("field.too_long", {"max": "max_length"}),
    "string_too_short": ("field.too_short", {"min": "min_length"}),
    "too_long": ("field.too_many", {"max": "max_length"}),
    "int_parsing": ("field.not_integer", {}),
    "int_type": ("field.not_integer", {}),
    "int_from_float": ("field.not_integer", {}),
    "bool_parsing": ("field.not_boolean", {}),
    "bool_type": ("field.not_boolean", {}),
    "datetime_parsing": ("field.not_datetime", {}),
    "datetime_type": ("field.not_datetime", {}),
    "datetime_from_date_parsing": ("field.not_datetime", {}),
    "timezone_aware": ("field.not_datetime", {}),
    "greater_than_equal": ("field.min", {"min": "ge"}),
    "less_than_equal": ("field.max", {"max": "le"}),
    "extra_forbidden": ("field.unknown", {}),
    "string_type": ("field.not_text", {}),
    "list_type": ("field.not_list", {}),
    "dict_type": ("field.not_object", {}),
    "model_type": ("field.not_object", {}),
    "model_attributes_type": ("field.not_object", {}),
    "string_pattern_mismatch": ("field.pattern", {}),
    "json_invalid": ("request.invalid_json", {}),
}


def request_language(request: Request) -> str:
    lang = getattr(request.state, "lang", None)
    if lang:
        return str(lang)
    return negotiate(request.query_params.get("lang") or request.headers.get("accept-language"))


def field_error(field: str, code: str, lang: str, params: Mapping[str, object] | None = None) -> dict[str, str]:
    return {"field": field, "code": code, "message": CATALOG.render(code, lang, params)}


def make_problem(
    request: Request,
    status: int,
    code: str,
    *,
    params: Mapping[str, object] | None = None,
    errors: Sequence[Mapping[str, str]] = (),
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Problem:
    lang = request_language(request)
    extras: dict[str, Any] = {"code": code}
    if errors:
        extras["errors"] = list(errors)
    return Problem(
        title=title or CATALOG.render(code, lang, params),
        type_=TYPE_BASE + code.replace(".", "-").replace("_", "-"),
        status=status,
        headers={"Content-Language": lang, **(headers or {})},
        **extras,
    )


class ApiError(Exception):
    """Raised by the gateway itself (authentication, authorization, limits)."""

    def __init__(
        self,
        status: int,
        code: str,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__(code)
        self.status = status
        self.code = code
        self.params = params or {}
        self.headers = headers or {}


def _field_name(loc: Sequence[object]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _validation(eh: object, request: Request, exc: RequestValidationError) -> Problem:
    lang = request_language(request)
    errors = []
    for err in exc.errors():
        code, ctx_map = _PYDANTIC.get(err["type"], ("field.invalid", {}))
        ctx = err.get("ctx") or {}
        params = {name: ctx.get(key, "") for name, key in ctx_map.items()}
        if code == "field.too_short" and params.get("min") == 1:
            code, params = "field.required", {}
        errors.append(field_error(_field_name(err["loc"]), code, lang, params))
    return make_problem(request, 422, "error.invalid_request", errors=errors)


def _http(eh: object, request: Request, exc: HTTPException) -> Problem:
    code = {404: "request.not_found", 405: "request.method_not_allowed"}.get(exc.status_code, "field.invalid")
    return make_problem(request, exc.status_code, code, headers=exc.headers)


def _api_error(eh: object, request: Request, exc: ApiError) -> Problem:
    return make_problem(request, exc.status, exc.code, params=exc.params, headers=exc.headers)


def _rpc_status(exc: grpc.aio.AioRpcError) -> status_pb2.Status | None:
    for key, value in exc.trailing_metadata() or ():
        if key == "grpc-status-details-bin" and isinstance(value, bytes):
            status = status_pb2.Status()
            status.ParseFromString(value)
            return status
    return None


def _grpc(eh: object, request: Request, exc: grpc.aio.AioRpcError) -> Problem:
    http_status = GRPC_TO_HTTP.get(exc.code(), 500)
    if http_status == 503:
        return make_problem(request, 503, "service.unavailable")
    status = _rpc_status(exc)
    if status is None or http_status == 500:
        log.error("service call failed: %s %s", exc.code(), exc.details())
        return make_problem(request, 500, "error.internal")
    code, title, errors, headers = "error.internal", None, [], {}
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            code = info.reason
            # A throttled request says when to come back (RFC 9110 Retry-After).
            if http_status == 429 and info.metadata.get("retry_after", "").isdigit():
                headers["Retry-After"] = info.metadata["retry_after"]
        elif detail.Is(error_details_pb2.LocalizedMessage.DESCRIPTOR):
            msg = error_details_pb2.LocalizedMessage()
            detail.Unpack(msg)
            title = msg.message
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            errors = [
                {"field": v.field, "code": v.reason, "message": v.localized_message.message or v.description}
                for v in bad.field_violations
            ]
    return make_problem(request, http_status, code, title=title, errors=errors, headers=headers)


def _unhandled(eh: object, request: Request, exc: Exception) -> Problem | None:
    if isinstance(exc, (RequestValidationError, HTTPException, ApiError, grpc.aio.AioRpcError)):
        return None
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return make_problem(request, 500, "error.internal")


def install(app: FastAPI) -> None:
    handlers: dict[type[Exception], Any] = {ApiError: _api_error, grpc.aio.AioRpcError: _grpc, Exception: _unhandled}
    handler = new_exception_handler(
        handlers=handlers,
        request_validation_handler=_validation,
        http_exception_handler=_http,
    )
    add_exception_handler(app, handler)
    # Registered by class too, so they are answered inside the app instead of by the outermost
    # server-error layer (which would also log them as crashes).
    app.add_exception_handler(ApiError, handler)
    app.add_exception_handler(grpc.aio.AioRpcError, handler)
