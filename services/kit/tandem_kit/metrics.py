"""The platform's own metric instruments, declared once. Each service declares its business
counters in its own `metrics.py`.

Names follow Prometheus rules: a `tandem_` namespace, base units (seconds), `_total` on counters.
"""

from __future__ import annotations

import threading

from prometheus_client import Counter, Gauge, Histogram, start_http_server

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

GRPC_HANDLED = Counter(
    "tandem_grpc_server_handled_total",
    "gRPC calls completed by this process, by method and status code.",
    ["grpc_service", "grpc_method", "grpc_code"],
)
GRPC_DURATION = Histogram(
    "tandem_grpc_server_handling_seconds",
    "Time to handle a gRPC call.",
    ["grpc_service", "grpc_method"],
    buckets=LATENCY_BUCKETS,
)
HTTP_REQUESTS = Counter(
    "tandem_http_requests_total",
    "HTTP requests handled, by route template, method and status.",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "tandem_http_request_duration_seconds",
    "Time to handle an HTTP request.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
EVENTS_CONSUMED = Counter(
    "tandem_events_consumed_total",
    "Events taken from a queue by a handler; outcome is applied, duplicate or failed.",
    ["handler", "event_type", "outcome"],
)
EVENTS_DEAD_LETTERED = Counter(
    "tandem_events_dead_lettered_total",
    "Events moved to a dead-letter queue after their last retry, or because they were malformed.",
    ["handler", "event_type"],
)
EVENT_HANDLING = Histogram(
    "tandem_event_handling_seconds",
    "Time a handler spent on one event.",
    ["handler"],
    buckets=LATENCY_BUCKETS,
)
EVENTS_PUBLISHED = Counter(
    "tandem_events_published_total",
    "Events relayed from the outbox to the broker with a publisher confirm.",
    ["event_type"],
)
OUTBOX_PENDING = Gauge(
    "tandem_outbox_pending_events",
    "Events committed to the outbox and not yet confirmed by the broker.",
)
OUTBOX_LAG = Gauge(
    "tandem_outbox_lag_seconds",
    "Age of the oldest event still waiting in the outbox (0 when empty).",
)
OUTBOX_PUBLISH_FAILURES = Counter(
    "tandem_outbox_publish_failures_total",
    "Attempts to relay an outbox event that the broker did not confirm.",
)
QUEUE_DEPTH = Gauge(
    "tandem_queue_depth_messages",
    "Messages ready in a queue this service consumes (dead-letter queues included).",
    ["queue"],
)

_started: set[int] = set()
_lock = threading.Lock()


def serve_metrics(port: int, addr: str = "127.0.0.1") -> None:
    """Expose /metrics on `port`, once per process."""
    with _lock:
        if port in _started:
            return
        start_http_server(port, addr=addr)
        _started.add(port)
