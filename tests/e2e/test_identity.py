"""Identity through the gateway, as people and attackers meet it: registration confirmed by
email in both languages, answers that never tell who has an account, tokens that are forged,
expired or ended, throttled sign-in that no change of address gets around and that never locks
the owner out for good, password reset by emailed link, TOTP for staff, and the audit log."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from tandem_dev.mailbox import link_token, messages_to, text_of
from tandem_dev.people import PASSWORD, Person, enroll_totp, join, operator_grant, registration, sign_in
from tandem_dev.testing import StackFactory, TestStack, eventually
from tandem_kit.config import SERVICES

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("identity-e2e")]

_n = iter(range(1_000_000))


def unique(name: str, domain: str = "tbs-sct.gc.ca") -> str:
    return f"{name}.{next(_n)}.{time.monotonic_ns() % 10**9}@{domain}"


@pytest.fixture(scope="module")
def stack(module_stack_factory: StackFactory) -> TestStack:
    return module_stack_factory(
        SERVICES,
        edge=True,
        env={
            # Long enough that a loaded machine still makes its attempts within the wait.
            "IDENTITY_SIGNIN_BASE_DELAY_SECONDS": "8",
            "IDENTITY_SIGNIN_MAX_DELAY_SECONDS": "8",
            "GATEWAY_SESSION_CACHE_SECONDS": "1",
        },
    )


@pytest.fixture(scope="module")
def client(stack: TestStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.gateway_url, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def admin(stack: TestStack, client: httpx.Client) -> Person:
    person = join(client, stack.stack.mail_dir, unique("grace.hopper"), "Grace Hopper")
    operator_grant(stack.stack, person.email, "admin")
    return enroll_totp(client, person)


def subjects(stack: TestStack, address: str) -> list[str]:
    return [str(m["Subject"]) for m in messages_to(stack.stack.mail_dir, address)]


# --- registration -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "name", "subject", "welcome", "department"),
    [
        ("en", "Ada Lovelace", "Confirm your email address for Tandem", "Welcome to Tandem", "Statistics Canada"),
        (
            "fr",
            "Claude Roy",
            "Confirmez votre adresse courriel pour Tandem",
            "Bienvenue dans Tandem",
            "Statistique Canada",
        ),
    ],
)
def test_registration_is_confirmed_by_the_emailed_link_in_the_persons_language(
    stack: TestStack, client: httpx.Client, lang: str, name: str, subject: str, welcome: str, department: str
) -> None:
    email = unique(name.lower().replace(" ", "."), "statcan.gc.ca")
    departments = {d["code"]: d["name"] for d in client.get("/v1/departments").json()}
    assert departments["statcan"] == {"en": "Statistics Canada", "fr": "Statistique Canada"}

    r = client.post(
        "/v1/accounts", json=registration(email, name, lang, department="statcan"), headers={"Accept-Language": lang}
    )

    assert r.status_code == 201, r.text
    assert r.json()["username"] == name.lower().replace(" ", ".") and r.json()["email"] == email
    assert r.headers["content-language"] == lang
    token = link_token(stack.stack.mail_dir, email, "confirm-email")
    (mail,) = messages_to(stack.stack.mail_dir, email)
    assert mail["Subject"] == subject
    assert f"/{lang}/account/confirm-email?token={token}" in text_of(mail)
    # Until the link is followed, the account does not work, and says nothing more than a wrong password.
    refused = client.post("/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert (refused.status_code, refused.json()["code"]) == (401, "signin.failed")

    confirmed = client.post("/v1/accounts/confirm", json={"token": token})
    assert confirmed.status_code == 200, confirmed.text
    person = sign_in(client, Person(email, language=lang))
    me = client.get("/v1/me", headers=person.headers).json()
    assert (me["state"], me["department"], me["department_name"][lang], me["terms_version"]) == (
        "active",
        "statcan",
        department,
        "2026-01",
    )
    again = client.post("/v1/accounts/confirm", json={"token": token}, headers={"Accept-Language": lang})
    assert (again.status_code, again.json()["code"]) == (409, "link.invalid")
    eventually(lambda: any(s.startswith(welcome) for s in subjects(stack, email)), what="the welcome email")


def test_registering_a_taken_email_looks_the_same_and_the_owner_is_told_by_email(
    stack: TestStack, client: httpx.Client
) -> None:
    owner = join(client, stack.stack.mail_dir, unique("mary.jackson"), "Mary Jackson")
    newcomer = unique("mary.jackson")

    taken = client.post("/v1/accounts", json=registration(owner.email, "Mary Jackson"))
    fresh = client.post("/v1/accounts", json=registration(newcomer, "Mary Jackson"))

    assert taken.status_code == fresh.status_code == 201
    assert taken.json().keys() == fresh.json().keys() and taken.json()["message"] == fresh.json()["message"]
    assert taken.json()["username"].startswith("mary.jackson") and fresh.json()["username"].startswith("mary.jackson")
    eventually(
        lambda: "Someone tried to register with your email address" in subjects(stack, owner.email),
        what="the email to the owner",
    )
    # The owner's account is untouched: the old password still works, no new link was sent.
    sign_in(client, owner)
    assert sum(1 for s in subjects(stack, owner.email) if s.startswith("Confirm your email")) == 1


def test_sign_in_reset_and_resend_answer_alike_for_existing_and_missing_accounts(
    stack: TestStack, client: httpx.Client
) -> None:
    owner = join(client, stack.stack.mail_dir, unique("dorothy.vaughan"), "Dorothy Vaughan")
    missing = unique("nobody.here")

    def answer(path: str, body: dict[str, str]) -> tuple[int, dict[str, Any]]:
        r = client.post(path, json=body, headers={"Accept-Language": "fr"})
        return r.status_code, r.json()

    assert answer("/v1/auth/token", {"email": owner.email, "password": "not the password"}) == answer(
        "/v1/auth/token", {"email": missing, "password": "not the password"}
    )
    assert answer("/v1/auth/password-reset", {"email": owner.email}) == answer(
        "/v1/auth/password-reset", {"email": missing}
    )
    assert answer("/v1/accounts/confirmation-email", {"email": owner.email}) == answer(
        "/v1/accounts/confirmation-email", {"email": missing}
    )


# --- tokens and sessions ----------------------------------------------------------------------------


def _signed(stack: TestStack, claims: dict[str, Any]) -> str:
    """A token signed with identity's real current key, so only the claims are wrong."""
    key = stack.database("identity").signing_keys.find_one({"retired_at": None}, sort=[("created_at", -1)])
    private = serialization.load_pem_private_key(key["private_pem"].encode(), password=None)
    return jwt.encode(claims, private, algorithm="EdDSA", headers={"kid": key["_id"]})  # type: ignore[arg-type]


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_tampered_none_expired_wrong_audience_and_wrong_type_tokens_are_refused(
    stack: TestStack, client: httpx.Client
) -> None:
    person = join(client, stack.stack.mail_dir, unique("katherine.johnson"), "Katherine Johnson")
    assert client.get("/v1/me", headers=person.headers).status_code == 200
    real = jwt.decode(person.access_token, options={"verify_signature": False})
    header = jwt.get_unverified_header(person.access_token)
    head, _, signature = person.access_token.split(".")
    now = datetime.now(UTC)
    admin_claims = {**real, "roles": ["member", "admin"]}
    jwks = client.get("/v1/auth/jwks").json()
    public_x = next(k for k in jwks["keys"] if k["kid"] == header["kid"])["x"]

    forged = {
        "tampered": f"{head}.{_b64(admin_claims)}.{signature}",
        "none": f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': header['kid']})}.{_b64(admin_claims)}.",
        "hs256 with the public key": jwt.encode(
            admin_claims, public_x, algorithm="HS256", headers={"kid": header["kid"]}
        ),
        "expired": _signed(stack, {**real, "iat": now - timedelta(hours=1), "exp": now - timedelta(minutes=1)}),
        "wrong audience": _signed(stack, {**real, "aud": "tandem-partner"}),
        "wrong type": _signed(stack, {**real, "typ": "refresh"}),
        "unknown session": _signed(stack, {**real, "sid": "0" * 32}),
    }
    for what, token in forged.items():
        r = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert (r.status_code, r.json()["code"]) == (401, "auth.invalid_token"), what
    # Only the signature and the claims differed: the same claims, properly signed, pass.
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {_signed(stack, real)}"}).status_code == 200


def test_a_token_stops_working_after_logout(stack: TestStack, client: httpx.Client) -> None:
    person = join(client, stack.stack.mail_dir, unique("hedy.lamarr"), "Hedy Lamarr")
    assert client.get("/v1/me", headers=person.headers).status_code == 200

    r = client.post("/v1/auth/logout", headers=person.headers, json={})

    assert r.status_code == 200 and r.json() == {"sessions_ended": 1}
    after = client.get("/v1/me", headers=person.headers)
    assert (after.status_code, after.json()["code"]) == (401, "auth.invalid_token")
    refresh = client.post("/v1/auth/refresh", json={"refresh_token": person.refresh_token})
    assert (refresh.status_code, refresh.json()["code"]) == (401, "session.invalid")


def test_refresh_rotates_and_replaying_an_old_refresh_token_ends_the_session(
    stack: TestStack, client: httpx.Client
) -> None:
    person = join(client, stack.stack.mail_dir, unique("alan.turing"), "Alan Turing")
    old = person.refresh_token

    renewed = client.post("/v1/auth/refresh", json={"refresh_token": old}).json()
    replay = client.post("/v1/auth/refresh", json={"refresh_token": old})

    assert replay.status_code == 401
    stale = {"Authorization": f"Bearer {renewed['access_token']}"}
    eventually(lambda: client.get("/v1/me", headers=stale).status_code == 401, what="the session to end")


def test_a_password_change_and_a_deactivation_end_sessions(
    stack: TestStack, client: httpx.Client, admin: Person
) -> None:
    email = unique("margaret.hamilton")
    laptop = join(client, stack.stack.mail_dir, email, "Margaret Hamilton")
    phone = sign_in(client, Person(email))
    new_password = "a brand new passphrase"

    r = client.post(
        "/v1/me/password",
        headers=laptop.headers,
        json={
            "current_password": PASSWORD,
            "new_password": new_password,
            "new_password_confirmation": new_password,
        },
    )

    assert r.status_code == 200 and r.json() == {"sessions_ended": 1}
    eventually(lambda: client.get("/v1/me", headers=phone.headers).status_code == 401, what="the phone's session")
    assert client.get("/v1/me", headers=laptop.headers).status_code == 200

    r = client.post(f"/v1/admin/accounts/{laptop.user_id}/deactivate", headers=admin.headers)
    assert r.status_code == 200 and r.json()["state"] == "deactivated"
    eventually(lambda: client.get("/v1/me", headers=laptop.headers).status_code == 401, what="the laptop's session")
    assert client.post("/v1/auth/token", json={"email": email, "password": new_password}).status_code == 401


def test_a_password_is_reset_with_a_single_use_emailed_link(stack: TestStack, client: httpx.Client) -> None:
    person = join(client, stack.stack.mail_dir, unique("radia.perlman"), "Radia Perlman", "fr")
    new_password = "une toute nouvelle phrase"

    r = client.post("/v1/auth/password-reset", json={"email": person.email}, headers={"Accept-Language": "fr"})
    assert r.status_code == 202
    token = link_token(stack.stack.mail_dir, person.email, "reset-password")
    assert "Réinitialisez votre mot de passe Tandem" in subjects(stack, person.email)
    body = {"token": token, "new_password": new_password, "new_password_confirmation": new_password}
    done = client.post("/v1/auth/password-reset/complete", json=body)

    assert done.status_code == 200 and done.json()["sessions_ended"] == 1
    eventually(lambda: client.get("/v1/me", headers=person.headers).status_code == 401, what="the old session")
    reused = client.post("/v1/auth/password-reset/complete", json=body)
    assert (reused.status_code, reused.json()["code"]) == (409, "link.invalid")
    assert client.post("/v1/auth/token", json={"email": person.email, "password": PASSWORD}).status_code == 401
    sign_in(client, person, new_password)


# --- throttling ---------------------------------------------------------------------------------------


def test_throttled_sign_in_holds_across_addresses_and_the_owner_gets_back_in(
    stack: TestStack, client: httpx.Client, admin: Person
) -> None:
    owner = join(client, stack.stack.mail_dir, unique("barbara.liskov"), "Barbara Liskov")

    def attempt(n: int, password: str) -> httpx.Response:
        # A different source address for every attempt (all of 127/8 is this machine), and a
        # different claimed one too: neither may matter.
        transport = httpx.HTTPTransport(local_address=f"127.0.0.{n + 2}")
        with httpx.Client(base_url=stack.gateway_url, transport=transport, timeout=30) as c:
            return c.post(
                "/v1/auth/token",
                json={"email": owner.email, "password": password},
                headers={"X-Forwarded-For": f"203.0.113.{n}", "X-Real-IP": f"198.51.100.{n}"},
            )

    outcomes = [attempt(n, f"guess {n}").status_code for n in range(10)]

    assert outcomes == [401] * 5 + [429] * 5
    blocked = attempt(20, PASSWORD)
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1
    assert blocked.json()["code"] == "signin.throttled"
    events = client.get(
        "/v1/admin/audit-events", params={"user_id": owner.user_id, "type": "signin.failed"}, headers=admin.headers
    ).json()["events"]
    assert len({e["ip"] for e in events}) == 5  # five addresses, one account, one count

    # Not a permanent lock: once the delay passes, the owner's password works again.
    def owner_signs_in() -> bool:
        return attempt(30, PASSWORD).status_code == 200

    eventually(owner_signs_in, timeout=30, what="the owner to get back in")


# --- staff and the audit log ------------------------------------------------------------------------


def test_staff_roles_need_totp_and_every_change_is_in_the_audit_log(
    stack: TestStack, client: httpx.Client, admin: Person
) -> None:
    person = join(client, stack.stack.mail_dir, unique("frances.allen"), "Frances Allen")

    granted = client.post(
        f"/v1/admin/accounts/{person.user_id}/roles",
        headers=admin.headers,
        json={"role": "coordinator", "scope": "mentoring-2026"},
    )
    assert granted.status_code == 200 and "coordinator:mentoring-2026" in granted.json()["roles"]

    without = client.post("/v1/auth/token", json={"email": person.email, "password": PASSWORD}).json()
    assert without["totp_enrollment_required"] is True
    assert jwt.decode(without["access_token"], options={"verify_signature": False})["roles"] == ["member"]
    person.access_token = without["access_token"]
    enroll_totp(client, person)
    claims = jwt.decode(person.access_token, options={"verify_signature": False})
    assert claims["roles"] == ["member", "coordinator:mentoring-2026"] and claims["amr"] == ["pwd", "otp"]
    no_code = client.post("/v1/auth/token", json={"email": person.email, "password": PASSWORD})
    assert (no_code.status_code, no_code.json()["code"]) == (401, "signin.totp_required")

    log = client.get("/v1/admin/audit-events", params={"user_id": person.user_id}, headers=admin.headers)
    types = [e["type"] for e in log.json()["events"]]
    for expected in ("account.registered", "account.email_confirmed", "role.granted", "totp.enabled"):
        assert expected in types
    granted_event = next(e for e in log.json()["events"] if e["type"] == "role.granted")
    assert (granted_event["actor_id"], granted_event["detail"]["role"]) == (admin.user_id, "coordinator:mentoring-2026")
    assert client.get("/v1/admin/audit-events", headers=person.headers).status_code == 403
