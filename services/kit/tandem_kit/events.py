"""The event envelope and the event topology.

An event travels as JSON: an envelope (id, type, version, time, source, causation and correlation
ids) around a payload, which is the event's protobuf message in its canonical JSON form. The
payload's schema is the publisher's `events.proto`; consumers import that message and never
declare it again.
"""

from __future__ import annotations

import builtins
import functools
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from google.protobuf import json_format, symbol_database
from google.protobuf.message import Message

M = TypeVar("M", bound=Message)

ENVELOPE_VERSION = 1


def new_event_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Envelope(Generic[M]):
    id: str
    type: str
    source: str
    version: int
    time: datetime
    payload: M
    causation_id: str = ""
    correlation_id: str = ""

    @classmethod
    def new(
        cls,
        *,
        type: str,
        source: str,
        payload: M,
        version: int = 1,
        causation_id: str = "",
        correlation_id: str = "",
    ) -> Envelope[M]:
        event_id = new_event_id()
        return cls(
            id=event_id,
            type=type,
            source=source,
            version=version,
            time=utcnow(),
            payload=payload,
            causation_id=causation_id,
            # A chain of events shares the id of the event that started it.
            correlation_id=correlation_id or causation_id or event_id,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "source": self.source,
            "version": self.version,
            "time": self.time.isoformat(),
            "causation_id": self.causation_id,
            "correlation_id": self.correlation_id,
            "envelope_version": ENVELOPE_VERSION,
            "payload": json_format.MessageToDict(self.payload, preserving_proto_field_name=True),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], message_type: builtins.type[M]) -> Envelope[M]:
        """Parse an envelope; raises ValueError naming what is wrong."""
        if not isinstance(data, Mapping):
            raise ValueError(f"malformed event envelope: expected an object, got {builtins.type(data).__name__}")

        def field(name: str, parse: Callable[[Any], Any]) -> Any:
            if name not in data:
                raise ValueError(f"malformed event envelope: no {name!r}")
            try:
                return parse(data[name])
            except (TypeError, ValueError, json_format.ParseError) as exc:
                raise ValueError(f"malformed event envelope: bad {name!r}: {exc}") from exc

        def parse_payload(raw: Any) -> M:
            if not isinstance(raw, Mapping):
                raise TypeError(f"expected an object, got {builtins.type(raw).__name__}")
            return json_format.ParseDict(dict(raw), message_type(), ignore_unknown_fields=True)

        return cls(
            id=field("id", str),
            type=field("type", str),
            source=field("source", str),
            version=field("version", int),
            time=field("time", lambda t: datetime.fromisoformat(str(t))),
            payload=field("payload", parse_payload),
            causation_id=str(data.get("causation_id", "")),
            correlation_id=str(data.get("correlation_id", "")),
        )


# --- topology ------------------------------------------------------------------------------------

TOPOLOGY_PATH = Path(
    os.environ.get("TANDEM_TOPOLOGY") or Path(__file__).resolve().parents[3] / "protos" / "topology.yaml"
)


@dataclass(frozen=True)
class Subscription:
    source: str
    event_type: str
    service: str
    method: str

    @property
    def queue(self) -> str:
        # nameko's EventHandler names SERVICE_POOL queues this way; we keep its convention so
        # the relay and the consumer declare the very same queue.
        return f"evt-{self.source}-{self.event_type}--{self.service}.{self.method}"


@dataclass(frozen=True)
class EventSpec:
    source: str
    type: str
    message: str
    consumers: tuple[Subscription, ...] = field(default=())
    # A job for a work queue rather than news: taken by a JobConsumer process (tandem_kit.jobs),
    # which may belong to the publishing service itself.
    job: bool = False

    def message_class(self) -> builtins.type[Message]:
        cls: builtins.type[Message] = symbol_database.Default().GetSymbol(self.message)
        return cls


@dataclass(frozen=True)
class Topology:
    events: Mapping[tuple[str, str], EventSpec]

    def spec(self, source: str, event_type: str) -> EventSpec:
        try:
            return self.events[(source, event_type)]
        except KeyError:
            raise KeyError(f"event {source}/{event_type} is not in protos/topology.yaml; add it there") from None

    def published_by(self, source: str) -> list[EventSpec]:
        return [spec for (src, _), spec in self.events.items() if src == source]

    def consumed_by(self, service: str) -> list[Subscription]:
        return [sub for spec in self.events.values() for sub in spec.consumers if sub.service == service]


def parse_topology(raw: Mapping[str, Any]) -> Topology:
    events: dict[tuple[str, str], EventSpec] = {}
    for source, types in raw.items():
        for event_type, body in (types or {}).items():
            consumers = []
            for ref in body.get("consumers") or []:
                service, _, method = str(ref).partition(".")
                if not method:
                    raise ValueError(f"consumer {ref!r} of {event_type} must be service.method")
                consumers.append(Subscription(source, event_type, service, method))
            events[(source, event_type)] = EventSpec(
                source=source,
                type=event_type,
                message=str(body["message"]),
                consumers=tuple(consumers),
                job=bool(body.get("job", False)),
            )
    return Topology(events)


@functools.cache
def load_topology(path: Path = TOPOLOGY_PATH) -> Topology:
    with path.open(encoding="utf-8") as f:
        return parse_topology(yaml.safe_load(f) or {})
