"""Identity's api and worker against real RabbitMQ and SecantusDB: registration, the stored
password hash, signed tokens and the refusals a person sees."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import grpc
import jwt
import pytest
from argon2 import PasswordHasher
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from jwt.utils import base64url_decode, base64url_encode

from tandem.identity.v1 import identity_pb2 as pb
from tandem.identity.v1 import identity_pb2_grpc as pb_grpc
from tandem_dev.testing import StackFactory, TestStack

pytestmark = pytest.mark.interface

M = TypeVar("M", bound=Message)

PASSWORD = "correct horse battery"
FRENCH = (("accept-language", "fr"),)


@pytest.fixture
def stack(stack_factory: StackFactory) -> TestStack:
    return stack_factory(("identity",))


@pytest.fixture
def identity(stack: TestStack) -> Iterator[pb_grpc.IdentityServiceStub]:
    with stack.grpc_channel("identity") as channel:
        yield pb_grpc.IdentityServiceStub(channel)


def _register(
    identity: pb_grpc.IdentityServiceStub, email: str, display_name: str = "Amira Haddad", **fields: str
) -> pb.RegisterResponse:
    request = pb.RegisterRequest(email=email, password=PASSWORD, display_name=display_name, language="en")
    for name, value in fields.items():
        setattr(request, name, value)
    response: pb.RegisterResponse = identity.Register(request)
    return response


def _refusal(method: Any, request: Message, *, metadata: tuple[tuple[str, str], ...] = ()) -> grpc.RpcError:
    """Call `method` with `request` and return the error it must end in."""
    with pytest.raises(grpc.RpcError) as raised:
        method(request, metadata=metadata)
    return raised.value


def _detail(error: grpc.RpcError, message_type: type[M]) -> M:
    status = rpc_status.from_call(error)
    assert status is not None, "the error carries no google.rpc.Status"
    found = [d for d in status.details if d.Is(message_type.DESCRIPTOR)]
    assert len(found) == 1, f"expected one {message_type.DESCRIPTOR.name} in {status.details}"
    message = message_type()
    found[0].Unpack(message)
    return message


def test_registration_returns_an_id_and_a_username_made_from_the_display_name(
    stack: TestStack, identity: pb_grpc.IdentityServiceStub
) -> None:
    registered = stack.capture("identity", "user.registered")

    first = _register(identity, "  Amira.Haddad@Example.GC.ca ", department="Statistics Canada", language="fr")
    second = _register(identity, "amira.h@example.gc.ca", display_name="  Amira   Haddad ")

    assert (first.username, second.username) == ("amira.haddad", "amira.haddad2")
    assert len(first.user_id) == 32 and first.user_id != second.user_id
    account = identity.GetAccount(pb.GetAccountRequest(user_id=first.user_id))
    assert (account.email, account.username, account.language) == ("amira.haddad@example.gc.ca", "amira.haddad", "fr")
    events = registered.wait_for(2)
    assert [e["payload"] for e in events] == [
        {
            "user_id": first.user_id,
            "email": "amira.haddad@example.gc.ca",
            "username": "amira.haddad",
            "display_name": "Amira Haddad",
            "language": "fr",
            "department": "Statistics Canada",
        },
        {
            "user_id": second.user_id,
            "email": "amira.h@example.gc.ca",
            "username": "amira.haddad2",
            "display_name": "Amira Haddad",
            "language": "en",
        },
    ]
    assert {(e["type"], e["source"], e["version"]) for e in events} == {("user.registered", "identity", 1)}


def test_an_email_already_registered_in_another_case_is_refused(identity: pb_grpc.IdentityServiceStub) -> None:
    _register(identity, "amira.haddad@example.gc.ca")

    error = _refusal(
        identity.Register,
        pb.RegisterRequest(
            email="AMIRA.HADDAD@example.gc.ca", password=PASSWORD, display_name="Amira Haddad", language="en"
        ),
    )

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    violations = _detail(error, error_details_pb2.BadRequest).field_violations
    assert [(v.field, v.reason) for v in violations] == [("email", "email.taken")]


def test_an_email_the_store_cannot_keep_is_a_field_error_not_an_internal_one(
    stack: TestStack, identity: pb_grpc.IdentityServiceStub
) -> None:
    # Once, the domain accepted any x@y.z and the store then refused this one, which surfaced as
    # INTERNAL. Mail goes out without SMTPUTF8, so a non-ASCII mailbox is refused up front.
    error = _refusal(
        identity.Register,
        pb.RegisterRequest(
            email="émilie.tremblay@example.gc.ca", password=PASSWORD, display_name="Émilie Tremblay", language="fr"
        ),
        metadata=FRENCH,
    )

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    violations = _detail(error, error_details_pb2.BadRequest).field_violations
    assert [(v.field, v.reason) for v in violations] == [("email", "email.invalid")]
    assert stack.database("identity").accounts.count_documents({}) == 0


def test_people_with_the_same_name_registering_at_once_get_distinct_usernames(
    stack: TestStack, identity: pb_grpc.IdentityServiceStub
) -> None:
    emails = [f"amira.haddad.{n}@example.gc.ca" for n in range(8)]

    with ThreadPoolExecutor(max_workers=len(emails)) as pool:
        usernames = sorted(r.username for r in pool.map(lambda e: _register(identity, e), emails))

    assert usernames == sorted(["amira.haddad", *(f"amira.haddad{n}" for n in range(2, 9))])
    assert stack.database("identity").accounts.count_documents({}) == len(emails)


def test_the_same_email_registered_concurrently_is_refused_like_a_taken_one(
    stack: TestStack, identity: pb_grpc.IdentityServiceStub
) -> None:
    def attempt(n: int) -> pb.RegisterResponse | grpc.RpcError:
        try:
            return _register(identity, "amira.haddad@example.gc.ca", display_name=f"Amira Haddad{n}")
        except grpc.RpcError as error:
            return error

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(8)))

    assert len([o for o in outcomes if isinstance(o, pb.RegisterResponse)]) == 1
    refusals = [o for o in outcomes if isinstance(o, grpc.RpcError)]
    assert {(e.code(), _detail(e, error_details_pb2.ErrorInfo).reason) for e in refusals} == {
        (grpc.StatusCode.INVALID_ARGUMENT, "error.invalid_request")
    }
    assert {
        tuple((v.field, v.reason) for v in _detail(e, error_details_pb2.BadRequest).field_violations) for e in refusals
    } == {(("email", "email.taken"),)}
    assert stack.database("identity").accounts.count_documents({}) == 1


def test_the_password_is_stored_as_argon2id_with_the_owasp_baseline(
    stack: TestStack, identity: pb_grpc.IdentityServiceStub
) -> None:
    user = _register(identity, "amira.haddad@example.gc.ca")

    account = stack.database("identity").accounts.find_one({"_id": user.user_id})

    stored = account["password_hash"]
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert PasswordHasher().verify(stored, PASSWORD)
    assert PASSWORD not in str(account)


def test_sign_in_returns_an_eddsa_access_token_that_the_published_keys_verify(
    identity: pb_grpc.IdentityServiceStub,
) -> None:
    user = _register(identity, "amira.haddad@example.gc.ca")

    signed_in = identity.SignIn(pb.SignInRequest(email="Amira.Haddad@example.gc.ca ", password=PASSWORD))
    jwks = jwt.PyJWKSet.from_json(identity.GetPublicKeys(pb.GetPublicKeysRequest()).jwks_json)

    assert (signed_in.user_id, signed_in.token_type, signed_in.expires_in) == (user.user_id, "Bearer", 900)
    header = jwt.get_unverified_header(signed_in.access_token)
    assert header["alg"] == "EdDSA"
    key = next(k for k in jwks.keys if k.key_id == header["kid"])
    claims = jwt.decode(signed_in.access_token, key, algorithms=["EdDSA"], audience="tandem", issuer="tandem-identity")
    assert (claims["sub"], claims["typ"], claims["roles"]) == (user.user_id, "access", ["member"])
    assert claims["exp"] - claims["iat"] == 900
    # The keys really are what vouches for the token: a changed payload no longer verifies.
    head, payload, signature = signed_in.access_token.split(".")
    forged_payload = base64url_encode(base64url_decode(payload).replace(user.user_id.encode(), b"0" * 32)).decode()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(f"{head}.{forged_payload}.{signature}", key, algorithms=["EdDSA"], audience="tandem")


@pytest.mark.parametrize("metadata", [(), FRENCH], ids=["en", "fr"])
def test_a_wrong_password_and_an_unknown_email_are_refused_alike(
    identity: pb_grpc.IdentityServiceStub, metadata: tuple[tuple[str, str], ...]
) -> None:
    _register(identity, "amira.haddad@example.gc.ca")

    wrong_password = _refusal(
        identity.SignIn,
        pb.SignInRequest(email="amira.haddad@example.gc.ca", password="not her password"),
        metadata=metadata,
    )
    unknown_email = _refusal(
        identity.SignIn, pb.SignInRequest(email="nobody@example.gc.ca", password=PASSWORD), metadata=metadata
    )

    for error in (wrong_password, unknown_email):
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED
        assert _detail(error, error_details_pb2.ErrorInfo).reason == "signin.failed"
    assert wrong_password.details() == unknown_email.details() == "The email address or password is not correct."
    localized = [_detail(e, error_details_pb2.LocalizedMessage).message for e in (wrong_password, unknown_email)]
    expected = (
        "L’adresse courriel ou le mot de passe est incorrect."
        if metadata
        else "The email address or password is not correct."
    )
    assert localized == [expected, expected]


def test_an_invalid_registration_names_every_bad_field_in_french_and_stores_nothing(
    stack: TestStack, identity: pb_grpc.IdentityServiceStub
) -> None:
    registered = stack.capture("identity", "user.registered")
    db = stack.database("identity")
    accounts_before, outbox_before = db.accounts.count_documents({}), db.outbox.count_documents({})

    error = _refusal(
        identity.Register,
        pb.RegisterRequest(
            email="amira.haddad", password="short", display_name="Amira", language="de", department="x" * 201
        ),
        metadata=FRENCH,
    )

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    localized = _detail(error, error_details_pb2.LocalizedMessage)
    assert (localized.locale, localized.message) == (
        "fr",
        "Certains renseignements que vous avez entrés doivent être corrigés.",
    )
    violations = _detail(error, error_details_pb2.BadRequest).field_violations
    assert [(v.field, v.reason, v.localized_message.locale, v.localized_message.message) for v in violations] == [
        ("email", "email.invalid", "fr", "Entrez une adresse courriel sous la forme nom@exemple.com."),
        ("password", "password.too_short", "fr", "Entrez un mot de passe d’au moins 8 caractères."),
        (
            "display_name",
            "display_name.first_and_last",
            "fr",
            "Entrez votre prénom et votre nom tels qu’on vous connaît au travail.",
        ),
        ("language", "language.unsupported", "fr", "Choisissez le français (fr) ou l’anglais (en)."),
        ("department", "field.too_long", "fr", "Entrez au plus 200 caractères."),
    ]
    assert violations[1].description == "Enter a password of at least 8 characters."
    assert db.accounts.count_documents({}) == accounts_before
    assert db.outbox.count_documents({}) == outbox_before
    # Events leave in outbox order: if the refused request had raised one, it would arrive first.
    later = _register(identity, "amira.haddad@example.gc.ca")
    assert [e["payload"]["user_id"] for e in registered.wait_for(1)] == [later.user_id]
