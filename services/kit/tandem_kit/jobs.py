"""Work queues for CPU-heavy jobs, taken by a plain (not eventlet) process.

A job is an event marked `job: true` in protos/topology.yaml. It is asked for like any event:
written to the outbox in the unit of work that records the request, and relayed by the
service's nameko worker into the job's queue (declared in advance, `mandatory`). A service may
take its own jobs.

    python -m tandem_kit.run jobs <service> <module>:<JOBS>

runs a `JobWorker`: one kombu consumer, prefetch 1, no eventlet, so a job can use every cycle of
its core without stalling anyone's hub (a nameko worker's green threads would all wait on it).
The job runs on its own thread while the main thread keeps the AMQP connection alive
(heartbeats), and the message is acked only after the job returned, i.e. after its result is
stored. A worker killed mid-job leaves the message unacked: the broker hands it to another
worker (or the restarted one), so a job must store its result idempotently. A job that raises
is retried through the same `<queue>.retry.<n>.<delay>ms` queues as events, then dead-lettered, and
`give_up` is called so the service can record the failure. Scale these processes on the depth
of the job queue.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from google.protobuf.message import Message
from kombu import Connection, Consumer, Exchange, Producer
from kombu.message import Message as AmqpMessage

from tandem_kit import metrics
from tandem_kit.config import ServiceConfig
from tandem_kit.events import Envelope, Subscription, load_topology
from tandem_kit.messaging import (
    ATTEMPT_HEADER,
    ERROR_HEADER,
    consumer_queue,
    declare_consumer_queues,
    retry_queue_name,
)
from tandem_kit.storage import Store

log = logging.getLogger(__name__)

M = TypeVar("M", bound=Message)

HEARTBEAT_SECONDS = 30
# How often the main thread looks after the connection while a job runs.
TICK_SECONDS = 1.0


@dataclass(frozen=True)
class Job(Generic[M]):
    """One kind of job: the topology entry it takes (`source`, `event_type`, consumer `method`),
    its payload type, what to do with it, and what to record once every attempt failed."""

    source: str
    event_type: str
    method: str
    message_type: type[M]
    handle: Callable[[Store, Envelope[M]], object]
    give_up: Callable[[Store, Envelope[M], str], object] | None = None

    def subscription(self, service: str) -> Subscription:
        return Subscription(self.source, self.event_type, service, self.method)

    def handler_name(self, service: str) -> str:
        return f"{service}.{self.method}"


class JobWorker:
    """Takes jobs one at a time from the queues of `jobs` until stopped."""

    def __init__(self, config: ServiceConfig, store: Store, jobs: Sequence[Job[Any]]):
        topology = load_topology()
        for job in jobs:
            spec = topology.spec(job.source, job.event_type)
            if not spec.job or job.subscription(config.service) not in spec.consumers:
                raise ValueError(f"{job.event_type} -> {config.service}.{job.method} is no job in protos/topology.yaml")
        self.config = config
        self.store = store
        self.jobs = {job.subscription(config.service).queue: job for job in jobs}
        self.stopping = threading.Event()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="job")
        self._delivered: list[AmqpMessage] = []

    def stop(self) -> None:
        """Finish the job under way (if any), then return from run()."""
        self.stopping.set()

    def run(self) -> None:
        """Consume until stopped, reconnecting after a broker failure."""
        subs = [job.subscription(self.config.service) for job in self.jobs.values()]
        while not self.stopping.is_set():
            try:
                declare_consumer_queues(self.config.amqp_uri, subs, self.config.retry_delays_ms)
                self._consume(subs)
            except Exception:
                if self.stopping.is_set():
                    break
                log.exception("job consumer lost its connection; reconnecting")
                self.stopping.wait(2.0)
        self._executor.shutdown(wait=True)

    def _consume(self, subs: Sequence[Subscription]) -> None:
        with Connection(
            self.config.amqp_uri, heartbeat=HEARTBEAT_SECONDS, transport_options={"confirm_publish": True}
        ) as conn:
            channel = conn.channel()
            queues = [consumer_queue(sub) for sub in subs]
            with Consumer(channel, queues=queues, callbacks=[self._on_message], accept=["json"], prefetch_count=1):
                log.info("taking jobs", extra={"queues": [q.name for q in queues]})
                self._sample_depth(channel)
                last_sample = time.monotonic()
                while not self.stopping.is_set():
                    try:
                        conn.drain_events(timeout=TICK_SECONDS)
                    except TimeoutError:  # socket.timeout is TimeoutError
                        conn.heartbeat_check()
                    while self._delivered:
                        self._work(conn, self._delivered.pop(0))
                    if time.monotonic() - last_sample > 5:
                        self._sample_depth(channel)
                        last_sample = time.monotonic()

    def _on_message(self, body: Any, message: AmqpMessage) -> None:
        # Called inside drain_events: only note it; the work runs from the loop.
        self._delivered.append(message)

    def _sample_depth(self, channel: Any) -> None:
        for name in self.jobs:
            try:
                _, depth, _ = channel.queue_declare(name, passive=True)
                metrics.QUEUE_DEPTH.labels(name).set(depth)
            except Exception as exc:  # sampled again later
                log.debug("queue depth sample failed: %s", exc)

    def _work(self, conn: Connection, message: AmqpMessage) -> None:
        queue = message.delivery_info.get("routing_key", "")
        job = self.jobs.get(self._queue_of(message, queue))
        if job is None:
            log.error("a message for no known job; dead-lettering", extra={"routing_key": queue})
            message.reject(requeue=False)
            return
        handler = job.handler_name(self.config.service)
        try:
            envelope: Envelope[Any] = Envelope.from_dict(message.payload, job.message_type)
        except ValueError as exc:
            self._dead_letter(conn, job, message, f"{type(exc).__name__}: {exc}")
            message.ack()
            return
        started = time.perf_counter()
        future: Future[object] = self._executor.submit(job.handle, self.store, envelope)
        # Keep the connection alive (heartbeats) while the job thread works. prefetch=1: nothing
        # else is delivered meanwhile.
        while not future.done():
            with contextlib.suppress(TimeoutError):  # socket.timeout is TimeoutError
                conn.drain_events(timeout=TICK_SECONDS)
            conn.heartbeat_check()
        metrics.EVENT_HANDLING.labels(handler).observe(time.perf_counter() - started)
        error = future.exception()
        if error is None:
            metrics.EVENTS_CONSUMED.labels(handler, job.event_type, "applied").inc()
            message.ack()
            return
        metrics.EVENTS_CONSUMED.labels(handler, job.event_type, "failed").inc()
        text = "".join(traceback.format_exception(error))[-4000:]
        attempt = int((message.headers or {}).get(ATTEMPT_HEADER, 1))
        queue_name = job.subscription(self.config.service).queue
        if attempt <= len(self.config.retry_delays_ms):
            log.warning("job failed; retrying", extra={"handler": handler, "attempt": attempt, "error": str(error)})
            Producer(conn.default_channel).publish(
                message.body,
                exchange=Exchange(""),
                routing_key=retry_queue_name(queue_name, attempt, self.config.retry_delays_ms[attempt - 1]),
                headers={**(message.headers or {}), ATTEMPT_HEADER: attempt + 1, ERROR_HEADER: text},
                content_type=message.content_type,
                content_encoding=message.content_encoding,
                delivery_mode=2,
            )
        else:
            self._dead_letter(conn, job, message, text)
            if job.give_up is not None:
                try:
                    job.give_up(self.store, envelope, text)
                except Exception:
                    log.exception("could not record a failed job", extra={"handler": handler})
        message.ack()

    def _queue_of(self, message: AmqpMessage, routing_key: str) -> str:
        """The queue a message came from: by its routing key (the event type) or, coming back
        from a retry queue, by that queue's name."""
        for name, job in self.jobs.items():
            if routing_key in (job.event_type, name) or routing_key.startswith(f"{name}.retry."):
                return name
        return ""

    def _dead_letter(self, conn: Connection, job: Job[Any], message: AmqpMessage, error: str) -> None:
        handler = job.handler_name(self.config.service)
        metrics.EVENTS_DEAD_LETTERED.labels(handler, job.event_type).inc()
        log.error("job dead-lettered", extra={"handler": handler, "error": error[-500:]})
        Producer(conn.default_channel).publish(
            message.body,
            exchange=Exchange(""),
            routing_key=f"{job.subscription(self.config.service).queue}.dlq",
            headers={**(message.headers or {}), ERROR_HEADER: error},
            content_type=message.content_type,
            content_encoding=message.content_encoding,
            delivery_mode=2,
        )


def run_jobs(jobs: Sequence[Job[Any]], config: ServiceConfig, documents: Sequence[type[Any]] = ()) -> None:
    """The `jobs` process: metrics, the store, and a JobWorker until SIGTERM or SIGINT."""
    metrics.serve_metrics(config.jobs_metrics_port, config.metrics_bind)
    store = Store.open(config, documents)
    worker = JobWorker(config, store, jobs)

    def _stop(signum: int, frame: object) -> None:
        worker.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    worker.run()
    store.close()
