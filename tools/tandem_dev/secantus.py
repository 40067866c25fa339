"""The embedded store: SecantusDB, a MongoDB wire-protocol server, run as a daemon on loopback
with every commit synced to disk (and clients add journal=true on top)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from pymongo import MongoClient

from tandem_dev.net import wait_until

DAEMON = str(Path(sys.executable).with_name("secantusd-py"))


def command(port: int, storage: Path) -> list[str]:
    return [
        DAEMON,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--storage-path",
        str(storage),
        "--sync-on-commit",
        "--log-level",
        "WARNING",
    ]


def uri(port: int) -> str:
    return f"mongodb://127.0.0.1:{port}/?journal=true"


def answers(mongo_uri: str) -> bool:
    client: MongoClient[dict[str, Any]]
    try:
        with MongoClient(mongo_uri, serverSelectionTimeoutMS=500) as client:
            client.admin.command("ping")
        return True
    except Exception:
        return False


def start(port: int, storage: Path, **popen: Any) -> subprocess.Popen[bytes]:
    """Start the daemon and wait until it answers."""
    proc = subprocess.Popen(command(port, storage), **popen)
    wait_until(lambda: answers(uri(port)), 60, f"SecantusDB on port {port}")
    return proc
