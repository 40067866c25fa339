"""Start one process of a service.

    python -m tandem_kit.run worker <service> <module>:<NamekoServiceClass>
    python -m tandem_kit.run api <service> <module>:<build_server function>
    python -m tandem_kit.run jobs <service> <module>:<list of tandem_kit.jobs.Job>

The worker is monkey-patched by eventlet before anything else is imported; the api never is,
since grpcio blocks an eventlet hub (STACK-NOTES), and neither is `jobs`, whose CPU-heavy work
would stall a hub (tandem_kit.jobs).
"""

from __future__ import annotations

import sys


def _usage() -> None:
    sys.stderr.write(__doc__ or "")
    raise SystemExit(2)


def main(argv: list[str]) -> None:
    if len(argv) != 3 or argv[0] not in ("worker", "api", "jobs") or ":" not in argv[2]:
        _usage()
    role, service, target = argv
    import warnings

    # eventlet warns that it is deprecated; nameko 2 needs it, and we keep it to workers (a jobs
    # process imports the queue layout from tandem_kit.messaging, and never patches anything).
    warnings.filterwarnings("ignore", message=".*Eventlet is deprecated", category=DeprecationWarning)
    if role == "worker":
        import eventlet

        eventlet.monkey_patch()

    import importlib

    from tandem_kit.config import ServiceConfig
    from tandem_kit.logs import configure_logging

    config = ServiceConfig.from_env(service)
    configure_logging(service, role, config.log_level)
    module_name, _, attr = target.partition(":")
    obj = getattr(importlib.import_module(module_name), attr)
    if role == "api":
        obj(config).run()
    elif role == "jobs":
        from tandem_kit.jobs import run_jobs

        run_jobs(obj, config)
    else:
        _run_worker(obj, config)


def _run_worker(service_cls: type, config: object) -> None:
    import signal

    import eventlet
    from nameko.runners import ServiceRunner

    from tandem_kit.config import ServiceConfig

    assert isinstance(config, ServiceConfig)
    runner = ServiceRunner(config.nameko_config())
    runner.add_service(service_cls)
    stopping = eventlet.event.Event()

    def _stop(signum: int, frame: object) -> None:
        if not stopping.ready():
            stopping.send(True)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    runner.start()
    stopping.wait()
    runner.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
