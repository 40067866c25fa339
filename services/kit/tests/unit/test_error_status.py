"""error_status: a DomainError becomes a google.rpc Status with ErrorInfo, a LocalizedMessage in
the caller's language and, for invalid input, a BadRequest naming each field."""

from __future__ import annotations

from typing import TypeVar

import grpc
import pytest
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2

from tandem_kit.errors import (
    Conflict,
    DomainError,
    FieldCollector,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
    Refused,
    Unauthenticated,
)
from tandem_kit.grpc_server import error_status
from tandem_kit.i18n import KIT_CATALOG, Catalog, CatalogError

M = TypeVar("M", bound=Message)

# As ApiServer builds it: the kit's messages, then the service's own.
CATALOG = Catalog(
    {
        **KIT_CATALOG.messages,
        "openings.range": {
            "en": "Enter a number of openings from 1 to {max}.",
            "fr": "Entrez un nombre de postes de 1 à {max}.",
        },
        "apply.closed": {
            "en": "This opportunity is no longer taking applications.",
            "fr": "Cette possibilité n’accepte plus de candidatures.",
        },
    }
)


def detail(status: status_pb2.Status, message_type: type[M]) -> M:
    found = [d for d in status.details if d.Is(message_type.DESCRIPTOR)]
    assert len(found) == 1, f"expected one {message_type.DESCRIPTOR.name} in {status.details}"
    message = message_type()
    found[0].Unpack(message)
    return message


def invalid_posting() -> InvalidInput:
    errors = FieldCollector()
    errors.add("openings", "openings.range", max=100)
    errors.add("title_fr", "field.required")
    with pytest.raises(InvalidInput) as raised:
        errors.raise_if_any()
    return raised.value


def test_invalid_input_is_invalid_argument_with_french_messages() -> None:
    status = error_status(invalid_posting(), CATALOG, "fr", "tandem.opportunities")

    assert status.code == code_pb2.INVALID_ARGUMENT
    # The status message is for logs: always English.
    assert status.message == "Some of the information you entered needs to be corrected."
    localized = detail(status, error_details_pb2.LocalizedMessage)
    assert localized.locale == "fr"
    assert localized.message == "Certains renseignements que vous avez entrés doivent être corrigés."


def test_invalid_input_names_every_field_in_both_languages() -> None:
    status = error_status(invalid_posting(), CATALOG, "fr", "tandem.opportunities")

    violations = detail(status, error_details_pb2.BadRequest).field_violations
    assert [(v.field, v.reason) for v in violations] == [
        ("openings", "openings.range"),
        ("title_fr", "field.required"),
    ]
    assert violations[0].description == "Enter a number of openings from 1 to 100."
    assert violations[0].localized_message.locale == "fr"
    assert violations[0].localized_message.message == "Entrez un nombre de postes de 1 à 100."
    assert violations[1].localized_message.message == "Entrez une valeur."


def test_error_info_carries_the_code_domain_and_params() -> None:
    status = error_status(
        InvalidInput.one("openings", "openings.range", max=100), CATALOG, "en", "tandem.opportunities"
    )

    info = detail(status, error_details_pb2.ErrorInfo)
    assert info.reason == "error.invalid_request"
    assert info.domain == "tandem.opportunities"
    localized = detail(status, error_details_pb2.LocalizedMessage)
    assert localized.locale == "en"
    assert localized.message == "Some of the information you entered needs to be corrected."


def test_refusal_is_failed_precondition_in_french_without_field_details() -> None:
    status = error_status(Refused("apply.closed"), CATALOG, "fr", "tandem.opportunities")

    assert status.code == code_pb2.FAILED_PRECONDITION
    assert status.message == "This opportunity is no longer taking applications."
    assert detail(status, error_details_pb2.LocalizedMessage).message == (
        "Cette possibilité n’accepte plus de candidatures."
    )
    assert detail(status, error_details_pb2.ErrorInfo).reason == "apply.closed"
    assert not any(d.Is(error_details_pb2.BadRequest.DESCRIPTOR) for d in status.details)


def test_error_params_reach_error_info_as_strings() -> None:
    error = Refused("field.too_long", {"max": 200})

    info = detail(error_status(error, CATALOG, "en", "tandem.profiles"), error_details_pb2.ErrorInfo)

    assert dict(info.metadata) == {"max": "200"}


@pytest.mark.parametrize(
    ("error_class", "grpc_code", "rpc_code"),
    [
        (NotFound, grpc.StatusCode.NOT_FOUND, code_pb2.NOT_FOUND),
        (Refused, grpc.StatusCode.FAILED_PRECONDITION, code_pb2.FAILED_PRECONDITION),
        (Forbidden, grpc.StatusCode.PERMISSION_DENIED, code_pb2.PERMISSION_DENIED),
        (Conflict, grpc.StatusCode.ALREADY_EXISTS, code_pb2.ALREADY_EXISTS),
        (Unauthenticated, grpc.StatusCode.UNAUTHENTICATED, code_pb2.UNAUTHENTICATED),
    ],
)
def test_each_domain_error_maps_to_its_grpc_code(
    error_class: type[DomainError], grpc_code: grpc.StatusCode, rpc_code: int
) -> None:
    error = error_class("error.not_found")

    assert error.status == grpc_code
    assert error_status(error, CATALOG, "en", "tandem.test").code == rpc_code


def test_field_collector_gathers_every_error_before_raising() -> None:
    errors = FieldCollector()
    errors.raise_if_any()  # nothing yet: no error

    errors.add("a", "field.required")
    errors.add("b", "field.too_long", max=3)

    assert errors.has("a") and errors.has("b") and not errors.has("c")
    with pytest.raises(InvalidInput) as raised:
        errors.raise_if_any()
    assert raised.value.errors == [FieldError("a", "field.required"), FieldError("b", "field.too_long", {"max": 3})]


def test_unknown_message_code_cannot_be_rendered() -> None:
    # Why the repo-wide catalogue test matters: this would escape the interceptor as a crash.
    with pytest.raises(CatalogError, match=r"no\.such\.code"):
        error_status(Refused("no.such.code"), CATALOG, "en", "tandem.test")
