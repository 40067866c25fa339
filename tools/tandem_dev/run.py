"""`make run`: start the whole stack with demo data, print the URLs, stop everything on Ctrl-C.

Environment variables point parts elsewhere: MONGO_URI (then no embedded SecantusDB is started),
AMQP_URI, and the per-service ones in tandem_kit.config.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

from tandem_dev import demo
from tandem_dev.rabbitmq import ensure as ensure_rabbitmq
from tandem_dev.stack import ROOT, Stack


def main() -> int:
    var = Path(os.environ.get("TANDEM_VAR", ROOT / "var"))
    stack = Stack(
        var=var,
        mongo_uri=os.environ.get("MONGO_URI") or None,
        amqp_uri=os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"),
    )
    ensure_rabbitmq(stack.amqp_uri)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stack.start()
        demo.load(stack.gateway_url, stack.mail_dir)
        targets = stack.metrics_targets()
        print(
            "\nTandem is running:\n"
            f"  web front-end   {stack.web_url}/en/  ({stack.web_url}/fr/)\n"
            f"  gateway API     {stack.gateway_url}/docs  (OpenAPI: {stack.gateway_url}/openapi.json)\n"
            f"  readiness       {stack.gateway_url}/readyz\n"
            f"  mail sink       {stack.mail_dir}/\n"
            f"  metrics         {', '.join(f'http://{t}/metrics' for t in targets.values())}\n"
            f"  demo accounts   {', '.join(demo.ACCOUNT_EMAILS)} (password: {demo.PASSWORD})\n"
            "Press Ctrl-C to stop.\n",
            flush=True,
        )
        while not stop.is_set():
            dead = [p.name for p in stack.procs.values() if p.popen is not None and p.popen.poll() is not None]
            if dead:
                print(f"stopping: {', '.join(dead)} exited", file=sys.stderr, flush=True)
                return 1
            stop.wait(1.0)
        return 0
    finally:
        print("stopping every process…", flush=True)
        stack.stop()


if __name__ == "__main__":
    raise SystemExit(main())
