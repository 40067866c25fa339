"""How many units of work a second the store takes: the inbox record, one effect and one outbox
event in a journaled transaction, as every event handler does. Starts its own SecantusDB with
--sync-on-commit (as `make run` does), or uses TEST_MONGO_URI.

    .venv/bin/python tests/benchmarks/bench_store.py
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from tandem.opportunities.v1 import events_pb2
from tandem_dev import secantus
from tandem_dev.net import free_port
from tandem_kit.config import ServiceConfig
from tandem_kit.events import Envelope
from tandem_kit.storage import Store, UnitOfWork

N = 500


def main() -> None:
    uri = os.environ.get("TEST_MONGO_URI")
    proc = None
    if not uri:
        port = free_port()
        proc = secantus.start(port, Path(tempfile.mkdtemp()))
        uri = secantus.uri(port)
    try:
        store = Store(ServiceConfig.from_env("notifications", {"MONGO_URI": uri, "TANDEM_DB_PREFIX": "bench"}))
        store.ensure_indexes()
        latencies = []
        started = time.perf_counter()
        for i in range(N):
            event = Envelope.new(
                type="offer.made", source="opportunities", payload=events_pb2.OfferMade(offer_id=str(i))
            )

            def work(uow: UnitOfWork, i: int = i) -> None:
                store.db.effects.insert_one({"i": i}, session=uow.session)
                uow.publish("notification.delivered", events_pb2.OfferMade(offer_id=str(i)))

            t = time.perf_counter()
            store.apply_once(event, "bench.handler", work)
            latencies.append(time.perf_counter() - t)
        elapsed = time.perf_counter() - started
        latencies.sort()
        print(f"units of work (inbox + effect + outbox, journaled): {N / elapsed:.0f}/s sequential")
        print(f"  p50 {statistics.median(latencies) * 1000:.1f} ms, p99 {latencies[int(N * 0.99)] * 1000:.1f} ms")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)


if __name__ == "__main__":
    main()
