"""argon2id password hashing, with a bound on how many hashes run at once.

Each hash holds 19 MiB and a core for ~40 ms. Unbounded, a burst of sign-ins would take every
core and every api thread, and starve everything else identity answers (session checks, key
fetches). So at most `slots` hash at once, a bounded queue waits, and beyond it a caller is asked
to retry (RESOURCE_EXHAUSTED).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import grpc
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from identity import metrics
from identity.config import HashingConfig
from tandem_kit.errors import DomainError

T = TypeVar("T")


class Busy(DomainError):
    status = grpc.StatusCode.RESOURCE_EXHAUSTED


# OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


class Hashing:
    def __init__(self, config: HashingConfig):
        self._slots = threading.BoundedSemaphore(config.slots)
        self._max_waiting = config.max_waiting
        self._waiting = 0
        self._lock = threading.Lock()
        # Verified against when an account doesn't exist, so both paths cost the same.
        self._dummy = HASHER.hash("not a real password, only for timing")

    def _run(self, work: Callable[[], T]) -> T:
        with self._lock:
            if self._waiting >= self._max_waiting:
                metrics.HASHING_REFUSED.inc()
                raise Busy("service.busy")
            self._waiting += 1
            metrics.HASHING_WAITING.set(self._waiting)
        with self._slots:
            with self._lock:
                self._waiting -= 1
                metrics.HASHING_WAITING.set(self._waiting)
            with metrics.HASHING_SECONDS.time():
                return work()

    def hash(self, password: str) -> str:
        return self._run(lambda: HASHER.hash(password))

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """True only for a real hash that matches; a missing account costs the same."""

        def check() -> bool:
            try:
                return bool(HASHER.verify(stored_hash or self._dummy, password)) and stored_hash is not None
            except (VerificationError, InvalidHashError):
                return False

        return self._run(check)
