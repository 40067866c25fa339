"""Every route of the public API, called by every kind of caller: whoever its `x-tandem-access`
declaration leaves out is refused with a problem (401 without a valid person's token, 403 with
one), and the refusal changes nothing in any service's database."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterator

import grpc
import httpx
import pytest

from tandem.identity.v1 import identity_pb2 as pb
from tandem.identity.v1 import identity_pb2_grpc as pb_grpc
from tandem_dev.people import Person, enroll_totp, join, operator_grant
from tandem_dev.testing import StackFactory, TestStack, eventually
from tandem_gateway.auth import PUBLIC, allowed_roles
from tandem_kit.config import SERVICES

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("access-control")]

# Each kind of caller, and the role grant that makes them one.
STAFF = {
    "coordinator": ("coordinator", "mentoring-2026"),
    "departmental_lead": ("departmental_lead", "statcan"),
    "agency_caseworker": ("agency_caseworker", "newcomers-ottawa"),
    "admin": ("admin", ""),
}


@pytest.fixture(scope="module")
def stack(module_stack_factory: StackFactory) -> TestStack:
    return module_stack_factory(SERVICES, edge=True)


@pytest.fixture(scope="module")
def client(stack: TestStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.gateway_url, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def callers(stack: TestStack, client: httpx.Client) -> dict[str, dict[str, str]]:
    """Headers for each kind of caller."""
    mail = stack.stack.mail_dir
    people: dict[str, Person] = {"member": join(client, mail, "member.person@tbs-sct.gc.ca", "Mina Person")}
    names = {
        "coordinator": "Cora Ordinator",
        "departmental_lead": "Dena Lead",
        "agency_caseworker": "Casey Worker",
        "admin": "Adam Inistrator",
    }
    for kind, (role, scope) in STAFF.items():
        person = join(client, mail, f"{kind.replace('_', '.')}@tbs-sct.gc.ca", names[kind])
        operator_grant(stack.stack, person.email, role, scope)
        people[kind] = enroll_totp(client, person)
    headers = {kind: {"Authorization": f"Bearer {p.access_token}"} for kind, p in people.items()}
    headers["anonymous"] = {}
    headers["partner"] = {"Authorization": f"Bearer {_partner_token(stack, client, people['admin'])}"}
    return headers


def _partner_token(stack: TestStack, client: httpx.Client, admin: Person) -> str:
    created = client.post(
        "/v1/admin/partner-clients",
        headers={"Authorization": f"Bearer {admin.access_token}"},
        json={"name": "An agency", "scopes": ["reference.read", "accounts.verify"]},
    ).json()
    with stack.grpc_channel("identity") as channel:
        issued = pb_grpc.IdentityPartnerServiceStub(channel).IssueToken(
            pb.IssueTokenRequest(client_id=created["client_id"], client_secret=created["client_secret"])
        )
    return str(issued.access_token)


def _state(stack: TestStack) -> str:
    """A digest of every document of every service (leases aside: they are renewed by time)."""
    digest = hashlib.sha256()
    for service in SERVICES:
        db = stack.database(service)
        for name in sorted(db.list_collection_names()):
            if name == "leases":
                continue
            for doc in db[name].find({}, sort=[("_id", 1)]):
                digest.update(json.dumps(doc, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _quiet_state(stack: TestStack) -> str:
    """The state once nothing is moving any more (events of the set-up all applied)."""
    previous = [""]

    def settled() -> str | None:
        now = _state(stack)
        same = now == previous[0]
        previous[0] = now
        time.sleep(0.5)
        return now if same else None

    return str(eventually(settled, timeout=30, what="the databases to settle"))


def _routes(client: httpx.Client) -> list[tuple[str, str, str]]:
    spec = client.get("/openapi.json").json()
    return [
        (method.upper(), re.sub(r"\{[^}]+\}", "x0000000000000000", path), op["x-tandem-access"])
        for path, methods in spec["paths"].items()
        for method, op in methods.items()
    ]


def _refusal_expected(kind: str, level: str) -> tuple[int, str] | None:
    """What the declaration makes of this caller: the refusal due, or None if let through."""
    if level == PUBLIC:
        return None
    if kind in ("anonymous", "partner"):
        return (401, "auth.required" if kind == "anonymous" else "auth.invalid_token")
    roles = allowed_roles(level)
    return None if roles is None or kind in roles else (403, "auth.forbidden")


def _call(client: httpx.Client, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    return client.request(method, path, headers=headers, json={} if method in ("POST", "PUT", "PATCH") else None)


def test_every_route_refuses_every_caller_its_declaration_leaves_out_and_changes_nothing(
    stack: TestStack, client: httpx.Client, callers: dict[str, dict[str, str]]
) -> None:
    routes = _routes(client)
    assert len(routes) > 40
    before = _quiet_state(stack)
    refused: set[str] = set()

    for method, path, level in routes:
        for kind, headers in callers.items():
            expected = _refusal_expected(kind, level)
            if expected is None:
                continue
            r = _call(client, method, path, headers)
            where = f"{kind}: {method} {path} ({level})"
            assert r.headers["content-type"] == "application/problem+json", where
            assert (r.status_code, r.json()["code"]) == expected, where
            refused.add(kind)

    assert refused == {"anonymous", "partner", "member", "coordinator", "departmental_lead", "agency_caseworker"}
    assert _state(stack) == before


def test_every_route_lets_through_every_caller_its_declaration_names(
    client: httpx.Client, callers: dict[str, dict[str, str]]
) -> None:
    for method, path, level in _routes(client):
        if path == "/v1/auth/logout":
            continue  # it would end the caller's session for the rest of the walk
        for kind, headers in callers.items():
            if level == PUBLIC or _refusal_expected(kind, level) is not None:
                continue
            r = _call(client, method, path, headers)
            # Whatever the route then says (404 for a made-up id, 422 for an empty body, or a
            # finer rule of its own), it is not "who are you".
            assert r.status_code != 401, f"{kind}: {method} {path} ({level})"
            if r.status_code == 403:
                assert r.headers["content-type"] == "application/problem+json"


def test_admin_routes_are_declared_for_admins_only(client: httpx.Client) -> None:
    admin_routes = [(m, p, level) for m, p, level in _routes(client) if p.startswith("/v1/admin/")]
    assert len(admin_routes) >= 7
    assert {level for _, _, level in admin_routes} == {"admin"}


def test_the_partner_token_works_where_it_belongs(stack: TestStack, callers: dict[str, dict[str, str]]) -> None:
    token = callers["partner"]["Authorization"]
    with stack.grpc_channel("identity") as channel:
        api = pb_grpc.IdentityPartnerServiceStub(channel)
        listed = api.ListDepartments(pb.ListDepartmentsRequest(), metadata=(("authorization", token),))
        assert len(listed.departments) > 100
        with pytest.raises(grpc.RpcError) as refused:
            api.ListDepartments(
                pb.ListDepartmentsRequest(), metadata=(("authorization", callers["admin"]["Authorization"]),)
            )
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
