"""The gateway's own contract, with no service behind it: OpenAPI 3.1, an access rule on every
route, problem details for every error, and readiness that names what is down."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tandem_dev.net import free_port
from tandem_gateway.app import create_app
from tandem_gateway.auth import is_access_level
from tandem_gateway.config import GatewayConfig
from tandem_kit.config import SERVICES


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    # Every service address points at a closed port: nothing answers.
    config = GatewayConfig(addresses={s: f"127.0.0.1:{free_port()}" for s in SERVICES}, grpc_timeout_seconds=1)
    with TestClient(create_app(config)) as c:
        yield c


def test_openapi_is_version_3_1_and_docs_are_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    assert client.get("/docs").status_code == 200


def test_every_route_declares_who_may_call_it(client: TestClient) -> None:
    operations = [
        (method, path, op)
        for path, methods in client.get("/openapi.json").json()["paths"].items()
        for method, op in methods.items()
    ]
    assert len(operations) > 10
    undeclared = [f"{m} {p}" for m, p, op in operations if not is_access_level(op.get("x-tandem-access"))]
    assert undeclared == []


def test_member_routes_refuse_anonymous_callers_with_a_problem(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            if op.get("x-tandem-access") == "public":
                continue
            url = path.replace("{opportunity_id}", "abc").replace("{offer_id}", "abc").replace("{user_id}", "abc")
            r = client.request(method.upper(), url, json={})
            assert r.status_code == 401, f"{method} {path}"
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["code"] == "auth.required"


def test_unknown_route_is_a_bilingual_problem(client: TestClient) -> None:
    en = client.get("/v1/nowhere")
    fr = client.get("/v1/nowhere", headers={"Accept-Language": "fr-CA,fr;q=0.9"})
    assert en.status_code == fr.status_code == 404
    assert en.json()["title"] == "There is nothing at this address."
    assert fr.json()["title"] == "Il n’y a rien à cette adresse."
    assert fr.headers["content-language"] == "fr"


def test_malformed_json_is_a_field_problem_not_a_crash(client: TestClient) -> None:
    r = client.post("/v1/accounts", content=b'{"email": ', headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["code"] == "request.invalid_json"


def test_wrong_types_and_unknown_fields_are_named(client: TestClient) -> None:
    r = client.post(
        "/v1/accounts",
        json={"email": 5, "password": "x" * 10, "display_name": "A B", "admin": True},
        params={"lang": "fr"},
    )
    assert r.status_code == 422
    errors = {e["field"]: e for e in r.json()["errors"]}
    assert errors["email"]["code"] == "field.not_text"
    assert errors["admin"]["code"] == "field.unknown"
    assert errors["admin"]["message"] == "Ce champ n’est pas attendu. Retirez-le."


def test_a_streamed_body_past_the_limit_is_refused_too(client: TestClient) -> None:
    def chunks():  # no Content-Length: sent chunked
        for _ in range(20):
            yield b" " * 100_000

    r = client.post("/v1/accounts", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["code"] == "request.too_large"


def test_oversized_body_is_refused_before_parsing(client: TestClient) -> None:
    r = client.post("/v1/accounts", content=b"x" * 1_000_001, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["code"] == "request.too_large"


def test_healthz_is_up_and_readyz_names_every_service_that_does_not_answer(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 503
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["not_serving"] == sorted(SERVICES)


def test_a_service_that_is_down_is_a_503_problem_not_a_500(client: TestClient) -> None:
    r = client.post("/v1/auth/token", json={"email": "a@b.ca", "password": "whatever1"})
    assert r.status_code == 503
    assert r.json()["code"] == "service.unavailable"


def test_requests_are_counted_by_route_template(client: TestClient) -> None:
    client.get("/healthz")
    text = client.get("/metrics/").text
    assert 'tandem_http_requests_total{method="GET",route="/healthz",status="200"}' in text
