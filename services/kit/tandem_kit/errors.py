"""Errors a use case raises when the input or the state forbids it. Domain code raises them with
stable codes; the gRPC bootstrap turns them into a status with google.rpc details, each message
rendered from the service's catalogue in the caller's language."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field

import grpc


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    params: Mapping[str, object] = dataclass_field(default_factory=dict)


class DomainError(Exception):
    status: grpc.StatusCode = grpc.StatusCode.FAILED_PRECONDITION

    def __init__(self, code: str, params: Mapping[str, object] | None = None):
        super().__init__(code)
        self.code = code
        self.params = dict(params or {})


class InvalidInput(DomainError):
    """One or more fields are wrong. Nothing was changed."""

    status = grpc.StatusCode.INVALID_ARGUMENT

    def __init__(self, errors: Sequence[FieldError]):
        super().__init__("error.invalid_request")
        self.errors = list(errors)

    @classmethod
    def one(cls, field_name: str, code: str, **params: object) -> InvalidInput:
        return cls([FieldError(field_name, code, params)])


class NotFound(DomainError):
    status = grpc.StatusCode.NOT_FOUND


class Refused(DomainError):
    """The request is well formed but the current state forbids it (a deadline passed, no
    opening left)."""

    status = grpc.StatusCode.FAILED_PRECONDITION


class Forbidden(DomainError):
    status = grpc.StatusCode.PERMISSION_DENIED


class Unauthenticated(DomainError):
    status = grpc.StatusCode.UNAUTHENTICATED


class Conflict(DomainError):
    status = grpc.StatusCode.ALREADY_EXISTS


class FieldCollector:
    """Gathers every field error of a request so the person sees them all at once."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field_name: str, code: str, **params: object) -> None:
        self.errors.append(FieldError(field_name, code, params))

    def has(self, field_name: str) -> bool:
        return any(e.field == field_name for e in self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidInput(self.errors)


class Unavailable(DomainError):
    """A service this one depends on did not answer; the caller may try again."""

    status = grpc.StatusCode.UNAVAILABLE

    def __init__(self) -> None:
        super().__init__("error.unavailable")
