"""Identity's api and worker against real RabbitMQ and SecantusDB: registration and its emailed
confirmation, the stored password hash, sign-in and its throttle, sessions and refresh tokens,
signing keys, and the partner surface's scopes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import grpc
import jwt
import pytest
from argon2 import PasswordHasher
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from jwt.utils import base64url_decode, base64url_encode

from identity.partner import PARTNER_METHODS
from tandem.identity.v1 import identity_pb2 as pb
from tandem.identity.v1 import identity_pb2_grpc as pb_grpc
from tandem_dev.testing import StackFactory, TestStack, eventually
from tandem_kit.auth import NO_TOKEN

pytestmark = pytest.mark.interface

M = TypeVar("M", bound=Message)

PASSWORD = "correct horse battery"
FRENCH = (("accept-language", "fr"),)
TERMS = "2026-01"
FREE_ATTEMPTS = 5


@pytest.fixture(scope="module")
def stack(module_stack_factory: StackFactory) -> TestStack:
    return module_stack_factory(
        ("identity",),
        env={"IDENTITY_SIGNIN_BASE_DELAY_SECONDS": "2", "IDENTITY_SIGNIN_MAX_DELAY_SECONDS": "4"},
    )


@pytest.fixture(scope="module")
def identity(stack: TestStack) -> Iterator[pb_grpc.IdentityServiceStub]:
    with stack.grpc_channel("identity") as channel:
        yield pb_grpc.IdentityServiceStub(channel)


@pytest.fixture(scope="module")
def partner_api(stack: TestStack) -> Iterator[pb_grpc.IdentityPartnerServiceStub]:
    with stack.grpc_channel("identity") as channel:
        yield pb_grpc.IdentityPartnerServiceStub(channel)


_n = iter(range(1_000_000))


def unique_email(name: str = "amira.haddad") -> str:
    return f"{name}.{next(_n)}.{time.monotonic_ns()}@tbs-sct.gc.ca"


def register(
    identity: pb_grpc.IdentityServiceStub, email: str, display_name: str = "Amira Haddad", **fields: str
) -> pb.RegisterResponse:
    request = pb.RegisterRequest(
        email=email,
        email_confirmation=email,
        password=PASSWORD,
        password_confirmation=PASSWORD,
        display_name=display_name,
        language="en",
        department="tbs-sct",
        platform="internal",
        accepted_terms_version=TERMS,
    )
    for name, value in fields.items():
        setattr(request, name, value)
    response: pb.RegisterResponse = identity.Register(request)
    return response


def confirmation_token(stack: TestStack, email: str) -> str:
    """The token identity asked the mailer to send to `email` (the newest)."""

    def find() -> str | None:
        db = stack.database("identity")
        for record in db.outbox.find({"type": "user.email_confirmation_requested"}).sort("created_at", -1):
            payload = record["envelope"]["payload"]
            if payload["email"] == email:
                return str(payload["token"])
        return None

    return str(eventually(find, what=f"a confirmation for {email}"))


def active_account(stack: TestStack, identity: pb_grpc.IdentityServiceStub, email: str, **fields: str) -> str:
    register(identity, email, **fields)
    return str(identity.ConfirmEmail(pb.ConfirmEmailRequest(token=confirmation_token(stack, email))).user_id)


def refusal(method: Any, request: Message, *, metadata: tuple[tuple[str, str], ...] = ()) -> grpc.RpcError:
    """Call `method` with `request` and return the error it must end in."""
    with pytest.raises(grpc.RpcError) as raised:
        method(request, metadata=metadata)
    return raised.value


def detail(error: grpc.RpcError, message_type: type[M]) -> M:
    status = rpc_status.from_call(error)
    assert status is not None, "the error carries no google.rpc.Status"
    found = [d for d in status.details if d.Is(message_type.DESCRIPTOR)]
    assert len(found) == 1, f"expected one {message_type.DESCRIPTOR.name} in {status.details}"
    message = message_type()
    found[0].Unpack(message)
    return message


def reason(error: grpc.RpcError) -> str:
    return detail(error, error_details_pb2.ErrorInfo).reason


# --- registration ----------------------------------------------------------------------------------


def test_registration_emails_a_link_and_only_the_confirmed_account_is_announced(
    stack: TestStack, identity: pb_grpc.IdentityServiceStub
) -> None:
    registered = stack.capture("identity", "user.registered")
    email = unique_email()

    response = register(identity, email, language="fr", department="statcan")

    assert response.username.startswith("amira.haddad") and response.email == email
    db = stack.database("identity")
    account = db.accounts.find_one({"email": email})
    assert (account["state"], account["terms_version"], account["platform"]) == ("pending", TERMS, "internal")
    token = confirmation_token(stack, email)
    # Only the token's hash is kept: a copy of the database confirms nothing.
    assert db.email_tokens.count_documents({"user_id": account["_id"]}) == 1
    assert token not in str(list(db.email_tokens.find({"user_id": account["_id"]})))
    time.sleep(0.5)  # proves nothing is announced before confirmation
    assert registered.events == [] and not registered.queue.get(no_ack=True)

    confirmed = identity.ConfirmEmail(pb.ConfirmEmailRequest(token=token))

    assert confirmed.user_id == account["_id"]
    assert db.accounts.find_one({"_id": account["_id"]})["state"] == "active"
    (event,) = registered.wait_for(1)
    assert event["payload"] == {
        "user_id": account["_id"],
        "email": email,
        "username": response.username,
        "display_name": "Amira Haddad",
        "language": "fr",
        "department": "Statistique Canada",
        "department_code": "statcan",
        "department_name": {"en": "Statistics Canada", "fr": "Statistique Canada"},
        "platform": "internal",
    }


def test_a_confirmation_link_works_once_and_not_after_it_expires(
    stack: TestStack, identity: pb_grpc.IdentityServiceStub
) -> None:
    used, expired = unique_email(), unique_email()
    register(identity, used)
    register(identity, expired)
    identity.ConfirmEmail(pb.ConfirmEmailRequest(token=confirmation_token(stack, used)))
    stack.database("identity").email_tokens.update_many(
        {"user_id": stack.database("identity").accounts.find_one({"email": expired})["_id"]},
        {"$set": {"expires_at": datetime.now(UTC) - timedelta(seconds=1)}},
    )

    for token in (confirmation_token(stack, used), confirmation_token(stack, expired), "x" * 43):
        error = refusal(identity.ConfirmEmail, pb.ConfirmEmailRequest(token=token), metadata=FRENCH)
        assert (error.code(), reason(error)) == (grpc.StatusCode.FAILED_PRECONDITION, "link.invalid")
    assert stack.database("identity").accounts.find_one({"email": expired})["state"] == "pending"


def test_registering_a_taken_email_looks_like_success_and_tells_the_owner_instead(
    stack: TestStack, identity: pb_grpc.IdentityServiceStub
) -> None:
    repeated = stack.capture("identity", "user.registration_repeated")
    email = unique_email()
    owner = active_account(stack, identity, email)
    db = stack.database("identity")
    before = db.accounts.find_one({"_id": owner})

    again = register(
        identity,
        email.upper(),
        display_name="Someone Else",
        password="another long passphrase",
        password_confirmation="another long passphrase",
    )
    fresh = register(identity, unique_email("someone.else"), display_name="Someone Else")

    # Both answers have the same shape and kind of username: nothing tells them apart.
    assert again.email == email and again.username.startswith("someone.else")
    assert fresh.username.startswith("someone.else")
    assert db.accounts.find_one({"_id": owner}) == before
    assert db.accounts.count_documents({"email": email}) == 1
    (event,) = repeated.wait_for(1)
    assert event["payload"]["user_id"] == owner and event["payload"]["email"] == email


def test_people_with_the_same_name_registering_at_once_get_distinct_usernames(
    stack: TestStack, identity: pb_grpc.IdentityServiceStub
) -> None:
    emails = [unique_email("nadia.okafor") for _ in range(6)]

    with ThreadPoolExecutor(max_workers=len(emails)) as pool:
        usernames = sorted(r.username for r in pool.map(lambda e: register(identity, e, "Nadia Okafor"), emails))

    assert usernames == sorted(["nadia.okafor", *(f"nadia.okafor{n}" for n in range(2, 7))])


def test_the_password_is_stored_as_argon2id_with_the_owasp_baseline(
    stack: TestStack, identity: pb_grpc.IdentityServiceStub
) -> None:
    email = unique_email()
    register(identity, email)

    account = stack.database("identity").accounts.find_one({"email": email})

    stored = account["password_hash"]
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert PasswordHasher().verify(stored, PASSWORD)
    assert PASSWORD not in str(account)


def test_an_invalid_registration_names_every_bad_field_in_french_and_stores_nothing(
    stack: TestStack, identity: pb_grpc.IdentityServiceStub
) -> None:
    db = stack.database("identity")
    accounts_before, outbox_before = db.accounts.count_documents({}), db.outbox.count_documents({})

    error = refusal(
        identity.Register,
        pb.RegisterRequest(
            email="amira@gmail.com",
            email_confirmation="amira@gmail.com",
            password="password1",
            password_confirmation="password1",
            display_name="Test User",
            language="fr",
            platform="internal",
        ),
        metadata=FRENCH,
    )

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    violations = detail(error, error_details_pb2.BadRequest).field_violations
    assert [(v.field, v.reason) for v in violations] == [
        ("email", "email.not_government"),
        ("department", "department.required"),
        ("display_name", "display_name.pseudonym"),
        ("password", "password.common"),
        ("accepted_terms_version", "terms.not_accepted"),
    ]
    assert violations[2].localized_message.message.startswith("Comme l’exigent les conditions d’utilisation")
    assert (db.accounts.count_documents({}), db.outbox.count_documents({})) == (accounts_before, outbox_before)


# --- sign-in --------------------------------------------------------------------------------------


@pytest.mark.parametrize("metadata", [(), FRENCH], ids=["en", "fr"])
def test_a_wrong_password_an_unknown_email_and_an_unconfirmed_account_are_refused_alike(
    stack: TestStack, identity: pb_grpc.IdentityServiceStub, metadata: tuple[tuple[str, str], ...]
) -> None:
    confirmed, unconfirmed = unique_email(), unique_email()
    active_account(stack, identity, confirmed)
    register(identity, unconfirmed)

    errors = [
        refusal(identity.SignIn, pb.SignInRequest(email=confirmed, password="not her password"), metadata=metadata),
        refusal(identity.SignIn, pb.SignInRequest(email=unique_email(), password=PASSWORD), metadata=metadata),
        refusal(identity.SignIn, pb.SignInRequest(email=unconfirmed, password=PASSWORD), metadata=metadata),
    ]

    assert {(e.code(), reason(e), e.details()) for e in errors} == {
        (grpc.StatusCode.UNAUTHENTICATED, "signin.failed", errors[0].details())
    }
    assert len({detail(e, error_details_pb2.LocalizedMessage).message for e in errors}) == 1


def test_sign_in_returns_an_eddsa_access_token_that_the_published_keys_verify(
    stack: TestStack, identity: pb_grpc.IdentityServiceStub
) -> None:
    email = unique_email()
    user_id = active_account(stack, identity, email)

    signed_in = identity.SignIn(pb.SignInRequest(email=email.upper() + " ", password=PASSWORD))
    jwks = jwt.PyJWKSet.from_json(identity.GetPublicKeys(pb.GetPublicKeysRequest()).jwks_json)

    assert (signed_in.user_id, signed_in.token_type, signed_in.expires_in) == (user_id, "Bearer", 900)
    header = jwt.get_unverified_header(signed_in.access_token)
    assert header["alg"] == "EdDSA"
    key = next(k for k in jwks.keys if k.key_id == header["kid"])
    claims = jwt.decode(signed_in.access_token, key, algorithms=["EdDSA"], audience="tandem", issuer="tandem-identity")
    assert (claims["sub"], claims["typ"], claims["roles"], claims["amr"]) == (user_id, "access", ["member"], ["pwd"])
    assert claims["exp"] - claims["iat"] == 900
    assert identity.CheckSession(pb.CheckSessionRequest(session_id=claims["sid"])).active
    # The keys really are what vouches for the token: a changed payload no longer verifies.
    head, payload, signature = signed_in.access_token.split(".")
    forged_payload = base64url_encode(base64url_decode(payload).replace(user_id.encode(), b"0" * 32)).decode()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(f"{head}.{forged_payload}.{signature}", key, algorithms=["EdDSA"], audience="tandem")


def test_many_attempts_on_one_account_at_once_get_only_the_free_guesses(
    stack: TestStack, identity: pb_grpc.IdentityServiceStub
) -> None:
    email = unique_email()
    user_id = active_account(stack, identity, email)

    def attempt(n: int) -> str:
        try:
            identity.SignIn(pb.SignInRequest(email=email, password=f"guess number {n}"))
            return "signed in"
        except grpc.RpcError as error:
            return reason(error)

    with ThreadPoolExecutor(max_workers=25) as pool:
        outcomes = list(pool.map(attempt, range(50)))

    assert outcomes.count("signin.failed") == FREE_ATTEMPTS
    assert outcomes.count("signin.throttled") == 50 - FREE_ATTEMPTS
    # Even the right password waits its turn: the throttle is on the account, not the guess.
    error = refusal(identity.SignIn, pb.SignInRequest(email=email, password=PASSWORD))
    assert (error.code(), reason(error)) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "signin.throttled")
    assert int(detail(error, error_details_pb2.ErrorInfo).metadata["retry_after"]) >= 1
    audited = stack.database("identity").audit_events.count_documents({"type": "signin.failed", "subject_id": user_id})
    assert audited == FREE_ATTEMPTS


def test_the_owner_gets_back_in_once_the_delay_has_passed(
    stack: TestStack, identity: pb_grpc.IdentityServiceStub
) -> None:
    email = unique_email()
    active_account(stack, identity, email)
    for n in range(FREE_ATTEMPTS):
        refusal(identity.SignIn, pb.SignInRequest(email=email, password=f"guess {n}"))
    assert reason(refusal(identity.SignIn, pb.SignInRequest(email=email, password=PASSWORD))) == "signin.throttled"

    signed_in = eventually(lambda: _try_sign_in(identity, email), timeout=10, what="the delay to pass")

    assert signed_in.access_token
    # Success forgets the failures: the next wrong guess is free again.
    assert reason(refusal(identity.SignIn, pb.SignInRequest(email=email, password="wrong"))) == "signin.failed"


def _try_sign_in(identity: pb_grpc.IdentityServiceStub, email: str) -> pb.SignInResponse | None:
    try:
        response: pb.SignInResponse = identity.SignIn(pb.SignInRequest(email=email, password=PASSWORD))
        return response
    except grpc.RpcError as error:
        assert reason(error) == "signin.throttled"
        return None


# --- sessions -------------------------------------------------------------------------------------


def test_a_refresh_token_works_once_and_its_reuse_ends_the_session(
    stack: TestStack, identity: pb_grpc.IdentityServiceStub
) -> None:
    email = unique_email()
    active_account(stack, identity, email)
    first = identity.SignIn(pb.SignInRequest(email=email, password=PASSWORD))
    sid = jwt.decode(first.access_token, options={"verify_signature": False})["sid"]

    second = identity.Refresh(pb.RefreshRequest(refresh_token=first.refresh_token))

    assert second.refresh_token != first.refresh_token and second.access_token != first.access_token
    assert identity.CheckSession(pb.CheckSessionRequest(session_id=sid)).active
    stolen = refusal(identity.Refresh, pb.RefreshRequest(refresh_token=first.refresh_token))
    assert (stolen.code(), reason(stolen)) == (grpc.StatusCode.UNAUTHENTICATED, "session.invalid")
    assert not identity.CheckSession(pb.CheckSessionRequest(session_id=sid)).active
    assert reason(refusal(identity.Refresh, pb.RefreshRequest(refresh_token=second.refresh_token))) == (
        "session.invalid"
    )
    assert (
        stack.database("identity").audit_events.count_documents(
            {"type": "session.refresh_reused", "detail.session_id": sid}
        )
        == 1
    )


def test_signing_out_ends_the_session(stack: TestStack, identity: pb_grpc.IdentityServiceStub) -> None:
    email = unique_email()
    user_id = active_account(stack, identity, email)
    signed_in = identity.SignIn(pb.SignInRequest(email=email, password=PASSWORD))
    sid = jwt.decode(signed_in.access_token, options={"verify_signature": False})["sid"]

    ended = identity.SignOut(pb.SignOutRequest(actor_id=user_id, session_id=sid))

    assert ended.sessions_ended == 1
    assert not identity.CheckSession(pb.CheckSessionRequest(session_id=sid)).active
    assert reason(refusal(identity.Refresh, pb.RefreshRequest(refresh_token=signed_in.refresh_token))) == (
        "session.invalid"
    )


def test_a_rotated_key_signs_new_tokens_while_the_old_one_still_verifies(
    stack: TestStack, identity: pb_grpc.IdentityServiceStub
) -> None:
    email = unique_email()
    user_id = active_account(stack, identity, email)
    stack.database("identity").accounts.update_one({"_id": user_id}, {"$addToSet": {"roles": "admin"}})
    before = identity.SignIn(pb.SignInRequest(email=email, password=PASSWORD)).access_token

    kid = identity.RotateSigningKey(pb.RotateSigningKeyRequest(actor_id=user_id)).kid

    def signed_with_new_key() -> str | None:
        token = str(identity.SignIn(pb.SignInRequest(email=email, password=PASSWORD)).access_token)
        return token if jwt.get_unverified_header(token)["kid"] == kid else None

    after = eventually(signed_with_new_key, timeout=15, what="tokens signed with the new key")
    keys = {
        k.key_id: k for k in jwt.PyJWKSet.from_json(identity.GetPublicKeys(pb.GetPublicKeysRequest()).jwks_json).keys
    }
    for token in (before, after):
        key = keys[jwt.get_unverified_header(token)["kid"]]
        assert jwt.decode(token, key, algorithms=["EdDSA"], audience="tandem")["sub"] == user_id
    assert identity.ListAuditEvents(pb.ListAuditEventsRequest(actor_id=user_id, type="signing_key.rotated")).events


def test_admin_methods_refuse_anyone_identity_does_not_know_as_an_admin(
    stack: TestStack, identity: pb_grpc.IdentityServiceStub
) -> None:
    member = active_account(stack, identity, unique_email())

    for method, request in [
        (identity.GrantRole, pb.ChangeRoleRequest(actor_id=member, user_id=member, role="admin")),
        (identity.ListAuditEvents, pb.ListAuditEventsRequest(actor_id=member)),
        (identity.RotateSigningKey, pb.RotateSigningKeyRequest(actor_id=member)),
        (identity.DeactivateAccount, pb.DeactivateAccountRequest(actor_id=member, user_id=member)),
    ]:
        error = refusal(method, request)
        assert (error.code(), reason(error)) == (grpc.StatusCode.PERMISSION_DENIED, "auth.forbidden")
    assert stack.database("identity").accounts.find_one({"_id": member})["roles"] == ["member"]


# --- partners -------------------------------------------------------------------------------------


def test_every_partner_method_declares_its_scope() -> None:
    service = pb.DESCRIPTOR.services_by_name["IdentityPartnerService"]
    assert set(PARTNER_METHODS) == {f"/{service.full_name}/{m.name}" for m in service.methods}


def test_a_partner_acts_only_within_its_scopes(
    stack: TestStack,
    identity: pb_grpc.IdentityServiceStub,
    partner_api: pb_grpc.IdentityPartnerServiceStub,
) -> None:
    admin_email, member_email = unique_email("admin"), unique_email()
    admin = active_account(stack, identity, admin_email)
    active_account(stack, identity, member_email)
    stack.database("identity").accounts.update_one({"_id": admin}, {"$addToSet": {"roles": "admin"}})
    job_board = identity.CreatePartnerClient(
        pb.CreatePartnerClientRequest(actor_id=admin, name="A job board", scopes=["reference.read"])
    )
    agency = identity.CreatePartnerClient(
        pb.CreatePartnerClientRequest(actor_id=admin, name="An agency", scopes=["accounts.verify", "reference.read"])
    )

    def bearer(client: pb.CreatePartnerClientResponse, scopes: tuple[str, ...] = ()) -> tuple[tuple[str, str], ...]:
        token = partner_api.IssueToken(
            pb.IssueTokenRequest(client_id=client.client_id, client_secret=client.client_secret, scopes=scopes)
        ).access_token
        return (("authorization", f"Bearer {token}"),)

    departments = partner_api.ListDepartments(pb.ListDepartmentsRequest(), metadata=bearer(job_board)).departments
    assert len(departments) > 100
    verified = partner_api.VerifyMember(pb.VerifyMemberRequest(email=member_email), metadata=bearer(agency))
    assert verified.active_member and verified.department == "tbs-sct"

    # Outside its scopes, with a narrowed token, without a token or with a person's token: refused.
    out_of_scope = refusal(
        partner_api.VerifyMember, pb.VerifyMemberRequest(email=member_email), metadata=bearer(job_board)
    )
    assert (out_of_scope.code(), reason(out_of_scope)) == (grpc.StatusCode.PERMISSION_DENIED, "auth.scope_missing")
    narrowed = bearer(agency, ("reference.read",))
    assert reason(refusal(partner_api.VerifyMember, pb.VerifyMemberRequest(email=member_email), metadata=narrowed)) == (
        "auth.scope_missing"
    )
    person = identity.SignIn(pb.SignInRequest(email=member_email, password=PASSWORD)).access_token
    tampered = bearer(agency)[0][1][:-4] + "AAAA"
    for metadata in [(), (("authorization", f"Bearer {person}"),), (("authorization", tampered),)]:
        error = refusal(partner_api.ListDepartments, pb.ListDepartmentsRequest(), metadata=metadata)
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    # A client can't ask for more than it was granted, and a wrong secret gets nothing.
    greedy = refusal(
        partner_api.IssueToken,
        pb.IssueTokenRequest(
            client_id=job_board.client_id, client_secret=job_board.client_secret, scopes=["accounts.verify"]
        ),
    )
    violations = detail(greedy, error_details_pb2.BadRequest).field_violations
    assert [(v.field, v.reason) for v in violations] == [("scopes", "partner.scope_not_granted")]
    wrong_secret = refusal(
        partner_api.IssueToken, pb.IssueTokenRequest(client_id=job_board.client_id, client_secret="x")
    )
    assert reason(wrong_secret) == "partner.credentials_invalid"
    assert PARTNER_METHODS[f"/{pb.DESCRIPTOR.services_by_name['IdentityPartnerService'].full_name}/IssueToken"] == (
        NO_TOKEN
    )
