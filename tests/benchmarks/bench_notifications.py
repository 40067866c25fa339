"""How many notifications a second go from event to inbox, and how long each takes.

Starts a notifications api and worker (with their own SecantusDB, SMTP sink and RabbitMQ virtual
host, as the tests do), registers one recipient, then publishes `application.submitted` events
as the opportunities relay would:

- a burst of BURST events at once: the rate at which the inbox fills, and each notice's delay
  from the event's time to the notice being committed (it includes waiting behind the others);
- a steady stream at PACED_RATE a second: the delay when the worker keeps up.

Each notice is also queued as an email and sent to the sink while this runs, as in production;
at the end, the rate at which the emails reached the sink.

    .venv/bin/python tests/benchmarks/bench_notifications.py
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from kombu import Connection, Exchange, Producer
from pymongo import MongoClient

from tandem.identity.v1 import events_pb2 as identity_events
from tandem.opportunities.v1 import events_pb2 as opp_events
from tandem_dev.net import wait_until
from tandem_dev.rabbitmq import create_vhost, delete_vhost, ensure, uri_for_vhost
from tandem_dev.stack import Ports, Stack
from tandem_kit.events import Envelope

AMQP_URI = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
BURST = 500
PACED = 300
PACED_RATE = 50  # events a second


def _publish(producer: Producer, event_type: str, payload: Any, source: str) -> datetime:
    envelope = Envelope.new(type=event_type, source=source, payload=payload)
    producer.publish(
        envelope.to_dict(),
        exchange=Exchange(f"{source}.events", type="topic", durable=True),
        routing_key=event_type,
        serializer="json",
        delivery_mode=2,
    )
    return envelope.time


def _application(n: int) -> opp_events.ApplicationSubmitted:
    return opp_events.ApplicationSubmitted(
        application_id=f"a{n}", opportunity_id=f"o{n}", poster_id="poster", title_en=f"T{n}", title_fr=f"T{n}"
    )


def _delays(db: Any, sent: dict[str, datetime]) -> list[float]:
    created = {
        d["source_event_id"]: d["created_at"]
        for d in db.notifications.find(
            {"source_event_id": {"$in": list(sent)}}, {"source_event_id": 1, "created_at": 1}
        )
    }
    return sorted((created[i] - sent[i]).total_seconds() for i in sent)


def _report(label: str, delays: list[float]) -> None:
    p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
    print(
        f"  {label}: delay event -> inbox p50 {statistics.median(delays) * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms, max {delays[-1] * 1000:.0f} ms"
    )


def _run(producer: Producer, db: Any, count: int, rate: float | None, offset: int) -> tuple[dict[str, datetime], float]:
    sent: dict[str, datetime] = {}
    before = db.notifications.estimated_document_count()
    started = time.perf_counter()
    for i in range(count):
        if rate:
            time.sleep(max(0.0, started + i / rate - time.perf_counter()))
        envelope = Envelope.new(type="application.submitted", source="opportunities", payload=_application(offset + i))
        producer.publish(
            envelope.to_dict(),
            exchange=Exchange("opportunities.events", type="topic", durable=True),
            routing_key="application.submitted",
            serializer="json",
            delivery_mode=2,
        )
        sent[envelope.id] = envelope.time
    # A cheap count (collection metadata), polled gently: a query here would compete with the
    # worker for the store and slow down what is measured.
    expected = before + count
    wait_until(
        lambda: db.notifications.estimated_document_count() >= expected, timeout=300, what="every notice", interval=0.2
    )
    return sent, time.perf_counter() - started


def main() -> None:
    ensure(AMQP_URI)
    vhost = create_vhost("tandem-bench")
    amqp = uri_for_vhost(AMQP_URI, vhost) if vhost else AMQP_URI
    var = Path(tempfile.mkdtemp(prefix="bench-notifications-"))
    stack = Stack(
        var=var, ports=Ports.free(), amqp_uri=amqp, db_prefix=f"b{uuid.uuid4().hex[:8]}", log_dir=var / "logs"
    )
    try:
        stack.start(("notifications",), edge=False)
        db: Any = MongoClient(stack.effective_mongo_uri, tz_aware=True)[f"{stack.db_prefix}_notifications"]
        with Connection(amqp) as conn:
            producer = Producer(conn.channel())
            _publish(
                producer,
                "user.registered",
                identity_events.UserRegistered(
                    user_id="poster", email="poster@example.gc.ca", display_name="Pat Poster", language="fr"
                ),
                "identity",
            )
            wait_until(lambda: db.notifications.count_documents({}) >= 1, 30, "the recipient")

            print("notifications: event -> inbox (notice + queued email + outbox event, journaled), 1 worker")
            sent, _ = _run(producer, db, BURST, None, 0)
            delays = _delays(db, sent)
            first = min(sent.values())
            last = max(d["created_at"] for d in db.notifications.find({"source_event_id": {"$in": list(sent)}}))
            seconds = (last - first).total_seconds()
            print(f"  burst of {BURST}: {BURST / seconds:.0f} notifications/s into the inbox")
            _report(f"burst of {BURST}", delays)

            sent, _ = _run(producer, db, PACED, PACED_RATE, BURST)
            _report(f"steady {PACED_RATE}/s, {PACED} events", _delays(db, sent))
        total = BURST + PACED + 1
        print(f"  emails accepted by the SMTP sink meanwhile: {db.outgoing_emails.count_documents({'state': 'sent'})}")
        wait_until(lambda: db.outgoing_emails.count_documents({"state": "sent"}) >= total, 600, "every email", 1.0)
        times = sorted(d["sent_at"] for d in db.outgoing_emails.find({"state": "sent"}, {"sent_at": 1}))
        print(f"  emails to the SMTP sink: {total / (times[-1] - times[0]).total_seconds():.0f}/s over {total}")
    finally:
        stack.stop()
        if vhost:
            delete_vhost(vhost)
        shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
