"""A local SMTP server that writes every message it receives to
`<dir>/<timestamp>-<id>.eml`. Stands in for a real mail relay in `make run` and in tests.

    python -m tandem_dev.smtp_sink --port 1025 --dir var/mail
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import time
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session


class MaildirSink:
    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"{time.time() % 1:.6f}"[1:]
        path = self.directory / f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
        tmp = path.with_suffix(".tmp")
        content = envelope.original_content or b""
        tmp.write_bytes(content if isinstance(content, bytes) else content.encode())
        tmp.rename(path)  # readers never see half a message
        return "250 Message accepted for delivery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--dir", type=Path, default=Path("var/mail"))
    args = parser.parse_args()
    controller = Controller(MaildirSink(args.dir), hostname=args.host, port=args.port)
    controller.start()
    print(f"[smtp-sink] listening on {args.host}:{args.port}, writing to {args.dir}", flush=True)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    loop.run_until_complete(stop.wait())
    controller.stop()


if __name__ == "__main__":
    main()
