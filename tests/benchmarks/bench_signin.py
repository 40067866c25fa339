"""Hashing 100 sign-ins at once must not starve the gateway. Starts the whole stack (as the test
fixtures do, on free ports, in a fresh RabbitMQ virtual host), makes 100 accounts through the
API (confirmed with the links from the SMTP sink), then:

1. times unrelated requests alone (a public skills search, and a signed-in inbox read);
2. fires 100 sign-ins at once (100 different accounts, argon2id m=19 MiB t=2 p=1 each) while the
   same unrelated requests keep going, and prints the sign-in throughput and latency, and the p99
   of the unrelated requests meanwhile.

    .venv/bin/python tests/benchmarks/bench_signin.py
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from tandem_dev.mailbox import link_token
from tandem_dev.people import PASSWORD, registration
from tandem_dev.rabbitmq import create_vhost, delete_vhost, ensure, uri_for_vhost
from tandem_dev.stack import Ports, Stack
from tandem_kit.config import SERVICES

SIGN_INS = 100
AMQP = "amqp://guest:guest@127.0.0.1:5672/"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


async def make_accounts(client: httpx.AsyncClient, mail_dir: Path) -> tuple[list[str], str]:
    emails = [f"bench.{n}.{uuid.uuid4().hex[:6]}@tbs-sct.gc.ca" for n in range(SIGN_INS)]
    gate = asyncio.Semaphore(8)

    async def one(email: str) -> None:
        async with gate:
            r = await client.post("/v1/accounts", json=registration(email, "Bench Marker"))
            r.raise_for_status()

    await asyncio.gather(*(one(e) for e in emails))
    for email in emails:
        token = await asyncio.to_thread(link_token, mail_dir, email, "confirm-email", timeout=120)
        (await client.post("/v1/accounts/confirm", json={"token": token})).raise_for_status()
    r = await client.post("/v1/auth/token", json={"email": emails[0], "password": PASSWORD})
    r.raise_for_status()
    return emails, str(r.json()["access_token"])


async def unrelated(client: httpx.AsyncClient, token: str, stop: asyncio.Event, latencies: list[float]) -> None:
    """Two kinds of request that never hash a password, one after the other, until told to stop."""
    headers = {"Authorization": f"Bearer {token}"}
    while not stop.is_set():
        for path, h in (("/v1/skills?q=data", {}), ("/v1/me/notifications", headers)):
            started = time.perf_counter()
            r = await client.get(path, headers=h)
            latencies.append(time.perf_counter() - started)
            assert r.status_code == 200, r.text


async def run(stack: Stack) -> None:
    limits = httpx.Limits(max_connections=SIGN_INS + 20, max_keepalive_connections=SIGN_INS + 20)
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=120, limits=limits) as client:
        emails, token = await make_accounts(client, stack.mail_dir)

        quiet: list[float] = []
        stop = asyncio.Event()
        probe = asyncio.create_task(unrelated(client, token, stop, quiet))
        await asyncio.sleep(5)
        stop.set()
        await probe

        busy: list[float] = []
        stop = asyncio.Event()
        probes = [asyncio.create_task(unrelated(client, token, stop, busy)) for _ in range(2)]
        sign_in_latencies: list[float] = []

        async def sign_in(email: str) -> int:
            started = time.perf_counter()
            r = await client.post("/v1/auth/token", json={"email": email, "password": PASSWORD})
            sign_in_latencies.append(time.perf_counter() - started)
            return r.status_code

        started = time.perf_counter()
        statuses = await asyncio.gather(*(sign_in(e) for e in emails))
        elapsed = time.perf_counter() - started
        stop.set()
        await asyncio.gather(*probes)

    ok = statuses.count(200)
    print(f"sign-ins: {ok}/{SIGN_INS} succeeded (others: {sorted(set(statuses) - {200}) or 'none'})")
    print(f"sign-in throughput: {ok / elapsed:.1f}/s ({SIGN_INS} at once took {elapsed:.2f} s)")
    print(f"sign-in latency: p50 {pct(sign_in_latencies, 50):.0f} ms, p99 {pct(sign_in_latencies, 99):.0f} ms")
    print(f"unrelated requests alone: n={len(quiet)}, p50 {pct(quiet, 50):.1f} ms, p99 {pct(quiet, 99):.1f} ms")
    print(
        f"unrelated requests during the sign-ins: n={len(busy)}, p50 {pct(busy, 50):.1f} ms, "
        f"p99 {pct(busy, 99):.1f} ms, max {max(busy) * 1000:.1f} ms"
    )
    print(f"(mean during: {statistics.mean(busy) * 1000:.1f} ms)")


def main() -> None:
    ensure(AMQP)
    vhost = create_vhost()
    var = Path(tempfile.mkdtemp(prefix="bench-signin-"))
    stack = Stack(
        var=var,
        ports=Ports.free(),
        amqp_uri=uri_for_vhost(AMQP, vhost) if vhost else AMQP,
        db_prefix=f"b{uuid.uuid4().hex[:8]}",
        log_dir=var / "logs",
    )
    try:
        stack.start(SERVICES, edge=True)
        asyncio.run(run(stack))
    finally:
        stack.stop()
        if vhost:
            delete_vhost(vhost)


if __name__ == "__main__":
    main()
