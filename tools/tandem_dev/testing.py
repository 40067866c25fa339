"""pytest fixtures for the interface and end-to-end tiers: a real RabbitMQ (a fresh virtual host
per stack, so stacks never share queues), a real SecantusDB daemon shared by the session (each
stack gets its own database names), an SMTP sink, and the service processes themselves.

Loaded from the repository's root conftest.py.
"""

from __future__ import annotations

import email
import json
import os
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import Message as EmailMessage
from pathlib import Path
from typing import Any, TypeVar

import grpc
import httpx
import jwt
import pytest
from google.protobuf.message import Message
from kombu import Connection, Exchange, Producer, Queue

from tandem_dev import secantus
from tandem_dev.net import free_port, wait_until
from tandem_dev.people import join
from tandem_dev.rabbitmq import create_vhost, delete_vhost, ensure, uri_for_vhost
from tandem_dev.stack import Ports, Stack
from tandem_kit.auth import actor_of, roles_claimed
from tandem_kit.events import Envelope

M = TypeVar("M", bound=Message)

DEFAULT_AMQP = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")


@pytest.fixture(scope="session")
def broker() -> str:
    ensure(DEFAULT_AMQP)
    return DEFAULT_AMQP


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A SecantusDB daemon for this test session (or MONGO_URI, if set, for a real MongoDB)."""
    external = os.environ.get("TEST_MONGO_URI")
    if external:
        yield external
        return
    port = free_port()
    data = tmp_path_factory.mktemp("secantus")
    log = (data / "secantus.log").open("ab")
    proc = secantus.start(port, data / "db", stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    uri = secantus.uri(port)
    yield uri
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(30)


@dataclass
class TestStack:
    __test__ = False  # a fixture type, not a test class

    stack: Stack
    amqp_uri: str
    mongo_uri: str
    # For stacks without identity: the key their services are told to trust (ACCESS_TOKEN_JWKS).
    signing_key: Any = None

    @property
    def gateway_url(self) -> str:
        return self.stack.gateway_url

    def grpc_channel(self, service: str, *, as_actor: bool = True) -> grpc.Channel:
        """A channel to a service's api. Each request that names the person it acts for carries
        that person's access token (as the gateway forwards it), unless `as_actor` is False."""
        channel = grpc.insecure_channel(f"127.0.0.1:{self.stack.ports.grpc[service]}")
        return grpc.intercept_channel(channel, _ActorTokens(self)) if as_actor else channel

    def access_token(self, user_id: str, *, roles: tuple[str, ...] = (), lifetime: int = 300) -> str:
        """An access token for `user_id`, signed with the key the stack's services trust:
        identity's own current key when identity runs, else the stack's test key."""
        if self.signing_key is not None:
            kid, key = "test-key", self.signing_key
        else:
            from cryptography.hazmat.primitives import serialization

            current = self.database("identity").signing_keys.find_one(
                {"superseded_at": None, "retired_at": None}, sort=[("created_at", -1)]
            )
            assert current is not None, "identity has no signing key yet"
            kid = current["_id"]
            key = serialization.load_pem_private_key(current["private_pem"].encode(), password=None)
        now = int(time.time())
        claims = {
            "iss": "tandem-identity",
            "aud": "tandem",
            "sub": user_id,
            "typ": "access",
            "sid": uuid.uuid4().hex,
            "roles": list(roles),
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
        }
        return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid, "typ": "JWT"})

    def database(self, service: str) -> Any:
        from pymongo import MongoClient

        client: MongoClient[dict[str, Any]] = MongoClient(self.mongo_uri)
        return client[f"{self.stack.db_prefix}_{service}"]

    def publish(self, source: str, event_type: str, payload: Message, *, event_id: str | None = None) -> str:
        """Publish an event as `source`'s outbox relay would, and return its id."""
        envelope = Envelope.new(type=event_type, source=source, payload=payload)
        body = envelope.to_dict()
        if event_id:
            body["id"] = event_id
        self.publish_raw(source, event_type, body)
        return str(body["id"])

    def publish_raw(self, source: str, event_type: str, body: Any) -> None:
        with Connection(self.amqp_uri) as conn:
            producer = Producer(conn.channel())
            producer.publish(
                body,
                exchange=Exchange(f"{source}.events", type="topic", durable=True),
                routing_key=event_type,
                serializer="json",
                delivery_mode=2,
                mandatory=True,
            )

    def capture(self, source: str, event_type: str) -> EventCapture:
        """Start collecting `source`'s `event_type` events from now on."""
        return EventCapture(self.amqp_uri, source, event_type)

    def mails(self) -> list[EmailMessage]:
        directory = self.stack.mail_dir
        if not directory.exists():
            return []
        return [email.message_from_bytes(p.read_bytes()) for p in sorted(directory.glob("*.eml"))]


class _ActorTokens(grpc.UnaryUnaryClientInterceptor):
    def __init__(self, stack: TestStack):
        self.stack = stack

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        actor = actor_of(request)
        metadata = list(details.metadata or ())
        if actor and not any(k == "authorization" for k, _ in metadata):
            token = self.stack.access_token(actor, roles=roles_claimed(request))
            metadata.append(("authorization", f"Bearer {token}"))
            details = details._replace(metadata=metadata)
        return continuation(details, request)


def test_signing_key() -> tuple[Any, str]:
    """An Ed25519 key and its JWKS, for a stack whose services verify tokens without identity."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from jwt.algorithms import OKPAlgorithm

    key = Ed25519PrivateKey.generate()
    jwk = json.loads(OKPAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": "test-key", "alg": "EdDSA", "use": "sig"})
    return key, json.dumps({"keys": [jwk]})


test_signing_key.__test__ = False  # type: ignore[attr-defined]


def status_detail(error: grpc.RpcError, message_type: type[M]) -> M:
    """The one google.rpc detail of `message_type` an error carries (ErrorInfo, BadRequest...)."""
    from grpc_status import rpc_status

    status = rpc_status.from_call(error)
    assert status is not None, "the error carries no google.rpc.Status"
    found = [d for d in status.details if d.Is(message_type.DESCRIPTOR)]
    assert len(found) == 1, f"expected one {message_type.DESCRIPTOR.name} in {status.details}"
    message = message_type()
    found[0].Unpack(message)
    return message


class Member:
    """A person using the public API through the gateway, signed in."""

    PASSWORD = "a long enough passphrase"

    def __init__(self, client: httpx.Client, user_id: str, name: str, email_address: str, headers: dict[str, str]):
        self.client = client
        self.user_id = user_id
        self.name = name
        self.email = email_address
        self.headers = headers

    @classmethod
    def sign_up(
        cls, stack: TestStack, client: httpx.Client, email_address: str, name: str, language: str, department: str
    ) -> Member:
        # Registered, confirmed with the link from the SMTP sink, and signed in.
        person = join(client, stack.stack.mail_dir, email_address, name, language, department=department)
        return cls(client, person.user_id, name, email_address, person.headers)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.client.get(path, headers=self.headers, **kw)

    def post(self, path: str, body: Any = None) -> httpx.Response:
        return self.client.post(path, headers=self.headers, json=body or {})

    def put(self, path: str, body: Any) -> httpx.Response:
        return self.client.put(path, headers=self.headers, json=body)

    def notices(self) -> list[dict[str, Any]]:
        r = self.get("/v1/me/notifications")
        assert r.status_code == 200, r.text
        return list(r.json()["notifications"])

    def notice(self, kind: str) -> dict[str, Any]:
        """The newest notice of this kind, waiting for it to arrive."""
        found = eventually(lambda: [n for n in self.notices() if n["kind"] == kind], what=f"{kind} for {self.email}")
        return dict(found[0])


class EventCapture:
    def __init__(self, amqp_uri: str, source: str, event_type: str):
        self.conn = Connection(amqp_uri)
        self.channel = self.conn.channel()
        exchange = Exchange(f"{source}.events", type="topic", durable=True)
        exchange(self.channel).declare()
        self.queue = Queue(
            f"test-capture-{uuid.uuid4().hex[:8]}",
            exchange=exchange,
            routing_key=event_type,
            exclusive=True,
            auto_delete=True,
        )(self.channel)
        self.queue.declare()
        self.events: list[dict[str, Any]] = []

    def wait_for(self, count: int = 1, timeout: float = 20) -> list[dict[str, Any]]:
        def drained() -> bool:
            while (msg := self.queue.get(no_ack=True)) is not None:
                self.events.append(json.loads(msg.body))
            return len(self.events) >= count

        wait_until(drained, timeout, f"{count} event(s) on {self.queue.name}")
        return self.events

    def close(self) -> None:
        self.conn.release()


StackFactory = Callable[..., TestStack]


class _Factory:
    """Starts stacks, each in a fresh RabbitMQ virtual host and fresh databases, and stops them."""

    def __init__(self, broker: str, mongo_uri: str, tmp: Path):
        self.broker = broker
        self.mongo_uri = mongo_uri
        self.tmp = tmp
        self.created: list[tuple[TestStack, str | None]] = []

    def __call__(
        self, services: tuple[str, ...], *, edge: bool = False, env: dict[str, str] | None = None
    ) -> TestStack:
        # Another program on this machine may take a port we chose before our process binds it;
        # a stack that fails to start is started again on other ports, once.
        for attempt in (1, 2):
            vhost = create_vhost()
            amqp = uri_for_vhost(self.broker, vhost) if vhost else self.broker
            var = Path(tempfile.mkdtemp(dir=self.tmp))
            key, jwks = (None, "") if "identity" in services else test_signing_key()
            stack = Stack(
                var=var,
                ports=Ports.free(),
                mongo_uri=self.mongo_uri,
                amqp_uri=amqp,
                db_prefix=f"t{uuid.uuid4().hex[:10]}",
                log_dir=var / "logs",
                extra_env={
                    "TANDEM_EVENT_RETRY_DELAYS_MS": "100,300",
                    **({"ACCESS_TOKEN_JWKS": jwks} if jwks else {}),
                    **(env or {}),
                },
            )
            test_stack = TestStack(stack, amqp, self.mongo_uri, signing_key=key)
            self.created.append((test_stack, vhost))
            try:
                stack.start(services, edge=edge)
                return test_stack
            except Exception:
                _dump_logs(stack)
                stack.stop()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self, dump_logs: bool) -> None:
        for test_stack, vhost in self.created:
            test_stack.stack.stop()
            if dump_logs:
                _dump_logs(test_stack.stack)
            if vhost:
                delete_vhost(vhost)


@pytest.fixture
def stack_factory(
    broker: str, mongo_uri: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[StackFactory]:
    """Start some services (api and worker each), optionally with the gateway and web. Every
    process is stopped after the test; its logs are printed if the test failed."""
    factory = _Factory(broker, mongo_uri, tmp_path)
    yield factory
    factory.close(dump_logs=getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed)


@pytest.fixture(scope="module")
def module_stack_factory(
    broker: str, mongo_uri: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StackFactory]:
    """Like stack_factory, for a stack that every test of a module shares."""
    factory = _Factory(broker, mongo_uri, tmp_path_factory.mktemp("stack"))
    yield factory
    factory.close(dump_logs=False)


def _dump_logs(stack: Stack) -> None:
    for proc in stack.procs.values():
        if proc.log_path and proc.log_path.exists():
            print(f"==== {proc.name}\n" + proc.log_path.read_text(errors="replace")[-4000:])


def eventually(check: Callable[[], Any], timeout: float = 20, what: str = "condition") -> Any:
    """Poll until `check()` returns something truthy, and return it."""
    result: list[Any] = []

    def probe() -> bool:
        value = check()
        if value:
            result.append(value)
            return True
        return False

    wait_until(probe, timeout, what)
    return result[0]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)
