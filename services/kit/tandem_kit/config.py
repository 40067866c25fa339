"""Typed configuration, read once from the environment.

Every setting has a default that works for `make run` on one machine; production overrides them
with environment variables. Per-service variables take the service name in upper case as a prefix
(`PROFILES_MONGO_URI`), and fall back to the shared one (`MONGO_URI`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

SERVICES: tuple[str, ...] = (
    "identity",
    "profiles",
    "opportunities",
    "matching",
    "notifications",
    "referrals",
)

# Default ports on loopback: gRPC 5005x, api metrics 910x, worker metrics 920x, jobs metrics 930x.
_PORT_OFFSETS = {name: i + 1 for i, name in enumerate(SERVICES)}

DEFAULT_MONGO_URI = "mongodb://127.0.0.1:27018/?journal=true"
DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def _get(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name)
    return default if value is None or value == "" else value


def _get_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = _get(env, name, str(default))
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def grpc_port(service: str) -> int:
    return 50050 + _PORT_OFFSETS[service]


def api_metrics_port(service: str) -> int:
    return 9100 + _PORT_OFFSETS[service]


def worker_metrics_port(service: str) -> int:
    return 9200 + _PORT_OFFSETS[service]


def jobs_metrics_port(service: str) -> int:
    """The metrics port of a service's `jobs` process (tandem_kit.jobs), for those that have one."""
    return 9300 + _PORT_OFFSETS[service]


def service_address(service: str, env: Mapping[str, str] | None = None) -> str:
    """Where a service's gRPC api listens, as host:port."""
    env = os.environ if env is None else env
    return _get(env, f"{service.upper()}_GRPC_ADDR", f"127.0.0.1:{grpc_port(service)}")


@dataclass(frozen=True)
class ServiceConfig:
    service: str
    mongo_uri: str
    database: str
    amqp_uri: str
    grpc_bind: str
    api_metrics_port: int
    worker_metrics_port: int
    max_event_attempts: int
    retry_delays_ms: tuple[int, ...]
    log_level: str
    metrics_bind: str
    jobs_metrics_port: int = 0
    # Whose access tokens every api checks (tandem_kit.auth.ActorInterceptor).
    token_issuer: str = "tandem-identity"
    token_audience: str = "tandem"

    @classmethod
    def from_env(cls, service: str, env: Mapping[str, str] | None = None) -> ServiceConfig:
        if service not in SERVICES:
            raise ConfigError(f"unknown service {service!r}; expected one of {', '.join(SERVICES)}")
        env = os.environ if env is None else env
        prefix = service.upper()
        mongo_uri = _get(env, f"{prefix}_MONGO_URI", _get(env, "MONGO_URI", DEFAULT_MONGO_URI))
        db_prefix = _get(env, "TANDEM_DB_PREFIX", "tandem")
        delays_raw = _get(env, "TANDEM_EVENT_RETRY_DELAYS_MS", "200,1000,5000")
        try:
            delays = tuple(int(d) for d in delays_raw.split(",") if d.strip())
        except ValueError as exc:
            raise ConfigError(
                f"TANDEM_EVENT_RETRY_DELAYS_MS must be comma-separated integers, got {delays_raw!r}"
            ) from exc
        return cls(
            service=service,
            mongo_uri=mongo_uri,
            database=_get(env, f"{prefix}_MONGO_DB", f"{db_prefix}_{service}"),
            amqp_uri=_get(env, f"{prefix}_AMQP_URI", _get(env, "AMQP_URI", DEFAULT_AMQP_URI)),
            grpc_bind=_get(env, f"{prefix}_GRPC_BIND", f"127.0.0.1:{grpc_port(service)}"),
            api_metrics_port=_get_int(env, f"{prefix}_API_METRICS_PORT", api_metrics_port(service)),
            worker_metrics_port=_get_int(env, f"{prefix}_WORKER_METRICS_PORT", worker_metrics_port(service)),
            max_event_attempts=len(delays) + 1,
            retry_delays_ms=delays,
            log_level=_get(env, "LOG_LEVEL", "INFO"),
            metrics_bind=_get(env, "METRICS_BIND", "127.0.0.1"),
            jobs_metrics_port=_get_int(env, f"{prefix}_JOBS_METRICS_PORT", jobs_metrics_port(service)),
            token_issuer=_get(env, "TOKEN_ISSUER", "tandem-identity"),
            token_audience=_get(env, "TOKEN_AUDIENCE", "tandem"),
        )

    def nameko_config(self) -> dict[str, object]:
        """The config dict `nameko run` and ServiceContainer take."""
        return {
            "AMQP_URI": self.amqp_uri,
            "max_workers": 10,
            # Prefetch no more than the worker pool, so heartbeats are never starved.
            "PREFETCH_COUNT": 10,
            "HEARTBEAT": 30,
            "serializer": "json",
            "TANDEM_SERVICE": self.service,
        }
