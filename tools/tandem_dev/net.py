"""Small network helpers for starting processes on loopback."""

from __future__ import annotations

import os
import random
import socket
import time
from collections.abc import Callable

# Ports for test stacks come from below the kernel's ephemeral range (32768 and up on Linux), so
# an outgoing connection can never take one between our choosing it and a process binding it.
# Each pytest-xdist worker draws from its own slice, and a process never hands a port out twice.
_RANGE = (20000, 32000)
_handed_out: set[int] = set()


def _slice() -> tuple[int, int]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    count = max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    index = int(worker[2:]) if worker[2:].isdigit() else 0
    size = (_RANGE[1] - _RANGE[0]) // count
    low = _RANGE[0] + index * size
    return low, low + size


def free_port() -> int:
    low, high = _slice()
    for _ in range(1000):
        port = random.randrange(low, high)
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port between {low} and {high}")


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.05) -> None:
    """Poll `check` until it holds; raise TimeoutError naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
