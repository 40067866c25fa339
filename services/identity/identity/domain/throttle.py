"""Sign-in throttling per account, with a growing delay. Pure.

A few failures cost nothing; after that each failure doubles the wait before the next attempt,
up to a ceiling, so guessing gets exponentially slow while the owner is never locked out for
good: the wait ends, a success clears the count, so does a password reset, and failures are
forgotten after a quiet day. The count is kept per account (per email, whether or not it has an
account, so throttling reveals nothing), never per network address: changing address changes
nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottlePolicy:
    free_attempts: int = 5
    base_delay_seconds: float = 1.0
    max_delay_seconds: float = 15 * 60
    forget_after_seconds: float = 24 * 3600

    @classmethod
    def from_env(cls) -> ThrottlePolicy:
        return cls(
            free_attempts=int(os.environ.get("IDENTITY_SIGNIN_FREE_ATTEMPTS", cls.free_attempts)),
            base_delay_seconds=float(os.environ.get("IDENTITY_SIGNIN_BASE_DELAY_SECONDS", cls.base_delay_seconds)),
            max_delay_seconds=float(os.environ.get("IDENTITY_SIGNIN_MAX_DELAY_SECONDS", cls.max_delay_seconds)),
        )

    def delay_after(self, failures: int) -> float:
        """How long the next attempt must wait after `failures` failures in a row."""
        if failures < self.free_attempts:
            return 0.0
        return float(min(self.base_delay_seconds * 2 ** (failures - self.free_attempts), self.max_delay_seconds))

    def current_failures(self, failures: int, last_failure_at: datetime | None, now: datetime) -> int:
        """Failures still counting: a quiet period forgets them."""
        if last_failure_at is None or now - last_failure_at > timedelta(seconds=self.forget_after_seconds):
            return 0
        return failures


@dataclass(frozen=True)
class Turn:
    """The outcome of asking for a turn: either go ahead (the attempt is already counted as a
    failure, and a success clears it), or wait `retry_after` seconds."""

    allowed: bool
    retry_after: float = 0.0
