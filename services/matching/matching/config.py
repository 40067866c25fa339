"""Matching's own settings."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from tandem_kit.config import ConfigError


@dataclass(frozen=True)
class IndexConfig:
    """How each matching-api process keeps its ranking index."""

    # How often it asks the store for changes: an update shows in ranking within about this long
    # plus the worker's own time.
    poll_seconds: float = 0.1
    # How often one api replica writes a snapshot of its index for new replicas to start from
    # (only while the read model changes); 0: never.
    snapshot_seconds: float = 600.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IndexConfig:
        env = os.environ if env is None else env
        return cls(
            poll_seconds=_seconds(env, "MATCHING_INDEX_POLL_SECONDS", cls.poll_seconds, minimum=0.01),
            snapshot_seconds=_seconds(env, "MATCHING_INDEX_SNAPSHOT_SECONDS", cls.snapshot_seconds, minimum=0.0),
        )


def _seconds(env: Mapping[str, str], name: str, default: float, *, minimum: float) -> float:
    raw = env.get(name) or str(default)
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from exc
    if not value >= minimum:  # also refuses NaN
        raise ConfigError(f"{name} must be at least {minimum}, got {raw!r}")
    return value
