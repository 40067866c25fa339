"""Events over RabbitMQ with nameko: consuming with an inbox, bounded retries and a dead-letter
queue, and relaying the outbox with publisher confirms to queues declared in advance.

Queue layout for one consumer queue Q (Q is nameko's own name for the handler's queue):

    <source>.events --(routing key = event type)--> Q
    Q.retry.<n>.<delay>ms  a holding queue per attempt, TTL = the n-th backoff delay, dead-lettering
                 back to Q. The delay is in the name: a queue's TTL can't change once declared, so
                 new delays (TANDEM_EVENT_RETRY_DELAYS_MS) get new queues instead of a worker that
                 cannot start (PRECONDITION_FAILED).
    Q.dlq        where an event goes with its error after the last attempt

Retries never block the queue: the failed message is acked once its copy sits in a retry queue.
"""

from __future__ import annotations

import contextlib
import logging
import time
import traceback
from collections.abc import Callable, Sequence
from functools import partial
from types import TracebackType
from typing import Any

import eventlet
from google.protobuf.message import Message
from kombu import Connection, Exchange, Queue
from kombu.message import Message as AmqpMessage
from nameko.amqp.publish import Publisher, UndeliverableMessage
from nameko.constants import PERSISTENT
from nameko.containers import WorkerContext
from nameko.events import SERVICE_POOL, EventHandler
from nameko.exceptions import ContainerBeingKilled
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange

from tandem_kit import metrics
from tandem_kit.config import ServiceConfig
from tandem_kit.events import Envelope, Subscription, load_topology, utcnow
from tandem_kit.storage import Store

log = logging.getLogger(__name__)

ATTEMPT_HEADER = "x-tandem-attempt"
ERROR_HEADER = "x-tandem-error"

ExcInfo = tuple[type[BaseException], BaseException, TracebackType]


def event_exchange(source: str) -> Exchange:
    return get_event_exchange(source, {})


def consumer_queue(sub: Subscription) -> Queue:
    # Must match nameko's EventHandler declaration exactly, or RabbitMQ refuses the redeclare.
    return Queue(
        sub.queue,
        exchange=event_exchange(sub.source),
        routing_key=sub.event_type,
        durable=True,
        auto_delete=False,
        exclusive=False,
    )


def retry_queue_name(queue_name: str, attempt: int, delay_ms: int) -> str:
    return f"{queue_name}.retry.{attempt}.{delay_ms}ms"


def retry_queue(queue_name: str, attempt: int, delay_ms: int) -> Queue:
    name = retry_queue_name(queue_name, attempt, delay_ms)
    return Queue(
        name,
        exchange=Exchange(""),
        routing_key=name,
        durable=True,
        queue_arguments={
            "x-message-ttl": delay_ms,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": queue_name,
        },
    )


def dead_letter_queue(queue_name: str) -> Queue:
    return Queue(f"{queue_name}.dlq", exchange=Exchange(""), routing_key=f"{queue_name}.dlq", durable=True)


def declare_consumer_queues(amqp_uri: str, subs: Sequence[Subscription], delays: Sequence[int]) -> None:
    """Declare each subscription's queue, retry queues and dead-letter queue."""
    with Connection(amqp_uri) as conn:
        channel = conn.default_channel
        for sub in subs:
            event_exchange(sub.source)(channel).declare()
            consumer_queue(sub)(channel).declare()
            for n, delay in enumerate(delays, start=1):
                retry_queue(sub.queue, n, delay)(channel).declare()
            dead_letter_queue(sub.queue)(channel).declare()


class TandemEventHandler(EventHandler):
    """`@on_event(source, type, Message)`: the method receives an `Envelope` whose payload is the
    publisher's protobuf message. Failures are retried with backoff, then dead-lettered."""

    def __init__(self, source_service: str, event_type: str, message_type: type[Message], **kwargs: Any):
        super().__init__(
            source_service,
            event_type,
            handler_type=SERVICE_POOL,
            reliable_delivery=True,
            requeue_on_error=False,
            **kwargs,
        )
        self.message_type = message_type

    @property
    def handler_name(self) -> str:
        return f"{self.container.service_name}.{self.method_name}"

    def setup(self) -> None:
        super().setup()
        config = ServiceConfig.from_env(self.container.config["TANDEM_SERVICE"])
        self.delays = config.retry_delays_ms
        sub = Subscription(self.source_service, self.event_type, self.container.service_name, self.method_name)
        declare_consumer_queues(self.container.config["AMQP_URI"], [sub], self.delays)
        self.publisher = Publisher(self.container.config["AMQP_URI"], use_confirms=True, mandatory=True)

    def handle_message(self, body: Any, message: AmqpMessage) -> None:
        try:
            envelope: Envelope[Message] = Envelope.from_dict(body, self.message_type)
        except ValueError as exc:
            self._dead_letter(message, body, f"{type(exc).__name__}: {exc}")
            self.queue_consumer.ack_message(message)
            return
        context_data = self.unpack_message_headers(message)
        started = time.perf_counter()
        handle_result = partial(self._timed_result, started, message)
        try:
            self.container.spawn_worker(self, (envelope,), {}, context_data=context_data, handle_result=handle_result)
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def _timed_result(
        self,
        started: float,
        message: AmqpMessage,
        worker_ctx: WorkerContext,
        result: Any = None,
        exc_info: ExcInfo | None = None,
    ) -> tuple[Any, ExcInfo | None]:
        metrics.EVENT_HANDLING.labels(self.handler_name).observe(time.perf_counter() - started)
        return self.handle_result(message, worker_ctx, result, exc_info)

    def handle_message_processed(
        self, message: AmqpMessage, result: Any = None, exc_info: ExcInfo | None = None
    ) -> None:
        if exc_info is None:
            outcome = "duplicate" if result is False else "applied"
            metrics.EVENTS_CONSUMED.labels(self.handler_name, self.event_type, outcome).inc()
            self.queue_consumer.ack_message(message)
            return
        metrics.EVENTS_CONSUMED.labels(self.handler_name, self.event_type, "failed").inc()
        error = "".join(traceback.format_exception(*exc_info))[-4000:]
        attempt = int((message.headers or {}).get(ATTEMPT_HEADER, 1))
        try:
            if attempt <= len(self.delays):
                self.publisher.publish(
                    message.body,
                    exchange=Exchange(""),
                    routing_key=retry_queue_name(self.queue.name, attempt, self.delays[attempt - 1]),
                    headers={**(message.headers or {}), ATTEMPT_HEADER: attempt + 1, ERROR_HEADER: error},
                    content_type=message.content_type,
                    content_encoding=message.content_encoding,
                    delivery_mode=PERSISTENT,
                )
                log.warning(
                    "event handler failed; retrying",
                    extra={"handler": self.handler_name, "attempt": attempt, "error": str(exc_info[1])},
                )
            else:
                self._dead_letter(message, message.body, error)
        except Exception:
            # We could not park it anywhere; put it back rather than lose it.
            log.exception("could not schedule a retry; requeueing", extra={"handler": self.handler_name})
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)

    def _dead_letter(self, message: AmqpMessage, body: Any, error: str) -> None:
        metrics.EVENTS_DEAD_LETTERED.labels(self.handler_name, self.event_type).inc()
        log.error("event dead-lettered", extra={"handler": self.handler_name, "error": error[-500:]})
        self.publisher.publish(
            body if isinstance(body, (bytes, str)) else message.body,
            exchange=Exchange(""),
            routing_key=f"{self.queue.name}.dlq",
            headers={**(message.headers or {}), ERROR_HEADER: error},
            content_type=message.content_type,
            content_encoding=message.content_encoding,
            delivery_mode=PERSISTENT,
        )


on_event = TandemEventHandler.decorator


# --- dependencies -------------------------------------------------------------------------------


class ServiceStore(DependencyProvider):
    """Gives each worker the service's Store, and relays the outbox in a managed green thread."""

    def __init__(self, documents: Sequence[type[Any]] = (), *, relay: bool = True) -> None:
        self.documents = tuple(documents)
        self.relay_enabled = relay
        self.store: Store | None = None
        self.relay: OutboxRelay | None = None

    def setup(self) -> None:
        config = ServiceConfig.from_env(self.container.config["TANDEM_SERVICE"])
        self.store = Store.open(config, self.documents)
        if self.relay_enabled:
            self.relay = OutboxRelay(self.store, config.amqp_uri)

    def start(self) -> None:
        if self.relay is not None:
            self.container.spawn_managed_thread(self.relay.run_forever)

    def stop(self) -> None:
        if self.relay is not None:
            self.relay.stop()
        if self.store is not None:
            with contextlib.suppress(Exception):
                self.store.release_leases()

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx: WorkerContext) -> Store:
        assert self.store is not None
        return self.store


class WorkerMetrics(DependencyProvider):
    """Serves /metrics for the worker process and samples the depth of its queues."""

    interval = 5.0

    def setup(self) -> None:
        self.config = ServiceConfig.from_env(self.container.config["TANDEM_SERVICE"])
        metrics.serve_metrics(self.config.worker_metrics_port, self.config.metrics_bind)
        self._stopped = eventlet.event.Event()

    def start(self) -> None:
        self.container.spawn_managed_thread(self._sample_forever)

    def stop(self) -> None:
        if not self._stopped.ready():
            self._stopped.send(True)

    def _sample_forever(self) -> None:
        topology = load_topology()
        # A jobs process samples its own queues (tandem_kit.jobs): each is scaled on its own.
        subs = [s for s in topology.consumed_by(self.config.service) if not topology.spec(s.source, s.event_type).job]
        names = [s.queue for s in subs] + [f"{s.queue}.dlq" for s in subs]
        while not self._stopped.ready():
            try:
                with Connection(self.config.amqp_uri) as conn:
                    channel = conn.channel()
                    for name in names:
                        _, depth, _ = channel.queue_declare(name, passive=True)
                        metrics.QUEUE_DEPTH.labels(name).set(depth)
            except Exception as exc:  # a missing queue or a broker restart: sample again later
                log.debug("queue depth sample failed: %s", exc)
            with eventlet.Timeout(self.interval, False):
                self._stopped.wait()

    def get_dependency(self, worker_ctx: WorkerContext) -> None:
        return None


class OutboxRelay:
    """Publishes committed outbox events in order, each with a publisher confirm and `mandatory`,
    after declaring every consumer queue the topology names. An event is marked published only
    once the broker confirmed it; a crash in between republishes it, and consumers' inboxes
    drop the duplicate."""

    batch_size = 200
    idle_wait = 0.5
    lease_ttl = 6.0

    def __init__(self, store: Store, amqp_uri: str, sleep: Callable[[float], None] = eventlet.sleep):
        self.store = store
        self.topology = load_topology()
        self.publisher = Publisher(amqp_uri, use_confirms=True)
        self.delays = ServiceConfig.from_env(store.service).retry_delays_ms
        self.amqp_uri = amqp_uri
        self._sleep = sleep
        self._running = True
        self._declared: set[str] = set()

    def stop(self) -> None:
        self._running = False

    def relay_once(self) -> int:
        """Publish what is pending; returns how many were confirmed."""
        sent = 0
        for record in self.store.pending_events(self.batch_size):
            spec = self.topology.spec(self.store.service, record["type"])
            missing = [s for s in spec.consumers if s.queue not in self._declared]
            if missing:
                declare_consumer_queues(self.amqp_uri, missing, self.delays)
                self._declared.update(s.queue for s in missing)
            envelope = record["envelope"]
            self.publisher.publish(
                envelope,
                exchange=event_exchange(self.store.service),
                routing_key=record["type"],
                # With no consumer there is nobody to lose the event; with some, an unroutable
                # event must fail loudly and stay in the outbox.
                mandatory=bool(spec.consumers),
                message_id=envelope["id"],
                delivery_mode=PERSISTENT,
                declare=[event_exchange(self.store.service)],
            )
            self.store.mark_published(record["_id"], utcnow())
            metrics.EVENTS_PUBLISHED.labels(record["type"]).inc()
            sent += 1
        return sent

    def _sample(self) -> None:
        oldest = self.store.oldest_pending()
        metrics.OUTBOX_LAG.set(0 if oldest is None else max(0.0, (utcnow() - oldest).total_seconds()))
        metrics.OUTBOX_PENDING.set(self.store.pending_count())

    def run_forever(self) -> None:
        """Relay while holding the service's relay lease, so that with several worker replicas
        events still go out once and in order."""
        lease = self.store.lease("outbox-relay", ttl=self.lease_ttl)
        backoff = 0.2
        while self._running:
            try:
                if not lease.acquire():
                    self._sleep(self.lease_ttl / 3)
                    continue
                sent = self.relay_once()
                backoff = 0.2
                if sent == 0:
                    self._wait_for_insert()
            except UndeliverableMessage:
                metrics.OUTBOX_PUBLISH_FAILURES.inc()
                log.error("an outbox event reached no queue; will retry")
                self._sleep(backoff)
                backoff = min(backoff * 2, 10.0)
            except Exception:
                metrics.OUTBOX_PUBLISH_FAILURES.inc()
                log.exception("outbox relay failed; will retry")
                self._sleep(backoff)
                backoff = min(backoff * 2, 10.0)
            finally:
                # Sampled on failure too: a relay that keeps failing must show a growing lag.
                with contextlib.suppress(Exception):
                    self._sample()

    def _wait_for_insert(self) -> None:
        """Sleep until something lands in the outbox, or `idle_wait` passes."""
        try:
            with self.store.outbox.watch(
                [{"$match": {"operationType": "insert"}}], max_await_time_ms=int(self.idle_wait * 1000)
            ) as stream:
                # A change stream only sees what comes after it opens: re-check once so an
                # insert between our query and the watch isn't left waiting.
                if self.store.outbox.find_one({"published": False}, {"_id": 1}) is None:
                    stream.try_next()
        except Exception:
            self._sleep(self.idle_wait)
