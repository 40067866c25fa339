"""The whole stack on one machine: the embedded store, the SMTP sink, every service's `api` and
`worker`, the gateway and the web front-end. `make run` and the tests start it the same way.

Ports are the defaults (`make run`) or freshly allocated ones (tests), and every process gets
them through its environment.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc
from kombu import Connection

from tandem_dev import secantus
from tandem_dev.net import free_port, port_open, wait_until
from tandem_kit.config import SERVICES, api_metrics_port, grpc_port, jobs_metrics_port, worker_metrics_port
from tandem_kit.events import load_topology

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

GATEWAY_PORT = 8080
WEB_PORT = 8000
SECANTUS_PORT = 27018
SMTP_PORT = 1025


def worker_class(service: str) -> str:
    return f"{service}.worker:{service.capitalize()}Worker"


def services_with_jobs() -> tuple[str, ...]:
    """The services that take jobs (topology `job: true`), each in a `<service>-jobs` process."""
    takers = {sub.service for spec in load_topology().events.values() if spec.job for sub in spec.consumers}
    return tuple(s for s in SERVICES if s in takers)


def job_queues(service: str) -> set[str]:
    topology = load_topology()
    return {sub.queue for sub in topology.consumed_by(service) if topology.spec(sub.source, sub.event_type).job}


@dataclass
class Ports:
    grpc: dict[str, int]
    api_metrics: dict[str, int]
    worker_metrics: dict[str, int]
    jobs_metrics: dict[str, int]
    gateway: int
    web: int
    secantus: int
    smtp: int

    @classmethod
    def defaults(cls) -> Ports:
        return cls(
            grpc={s: grpc_port(s) for s in SERVICES},
            api_metrics={s: api_metrics_port(s) for s in SERVICES},
            worker_metrics={s: worker_metrics_port(s) for s in SERVICES},
            jobs_metrics={s: jobs_metrics_port(s) for s in SERVICES},
            gateway=GATEWAY_PORT,
            web=WEB_PORT,
            secantus=SECANTUS_PORT,
            smtp=SMTP_PORT,
        )

    @classmethod
    def free(cls) -> Ports:
        return cls(
            grpc={s: free_port() for s in SERVICES},
            api_metrics={s: free_port() for s in SERVICES},
            worker_metrics={s: free_port() for s in SERVICES},
            jobs_metrics={s: free_port() for s in services_with_jobs()},
            gateway=free_port(),
            web=free_port(),
            secantus=free_port(),
            smtp=free_port(),
        )


@dataclass
class Proc:
    name: str
    argv: list[str]
    ready: Callable[[], bool]
    popen: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None


@dataclass
class Stack:
    var: Path
    ports: Ports = field(default_factory=Ports.defaults)
    mongo_uri: str | None = None  # None: start the embedded SecantusDB
    amqp_uri: str = "amqp://guest:guest@127.0.0.1:5672/"
    db_prefix: str = "tandem"
    # None: each process's output goes to stdout with a name prefix; else to <log_dir>/<name>.log
    log_dir: Path | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)
    procs: dict[str, Proc] = field(default_factory=dict)

    # --- environment ----------------------------------------------------------------------------
    @property
    def effective_mongo_uri(self) -> str:
        return self.mongo_uri or secantus.uri(self.ports.secantus)

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.gateway}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.web}"

    @property
    def mail_dir(self) -> Path:
        return self.var / "mail"

    def web_session_key(self) -> str:
        """The key that seals the web front-end's session cookies, kept with the stack's data so
        that signed-in people stay signed in across restarts of `make run`."""
        path = self.var / "web-session.key"
        if not path.exists():
            from cryptography.fernet import Fernet

            self.var.mkdir(parents=True, exist_ok=True)
            path.write_bytes(Fernet.generate_key())
            path.chmod(0o600)
        return path.read_text().strip()

    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "MONGO_URI": self.effective_mongo_uri,
            "AMQP_URI": self.amqp_uri,
            "TANDEM_DB_PREFIX": self.db_prefix,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.ports.smtp),
            "GATEWAY_PORT": str(self.ports.gateway),
            "GATEWAY_URL": self.gateway_url,
            "WEB_PORT": str(self.ports.web),
            "WEB_BASE_URL": self.web_url,
            "WEB_SESSION_KEY": self.web_session_key(),
            "PYTHONUNBUFFERED": "1",
        }
        for s in SERVICES:
            up = s.upper()
            env[f"{up}_GRPC_BIND"] = f"127.0.0.1:{self.ports.grpc[s]}"
            env[f"{up}_GRPC_ADDR"] = f"127.0.0.1:{self.ports.grpc[s]}"
            env[f"{up}_API_METRICS_PORT"] = str(self.ports.api_metrics[s])
            env[f"{up}_WORKER_METRICS_PORT"] = str(self.ports.worker_metrics[s])
            if s in self.ports.jobs_metrics:
                env[f"{up}_JOBS_METRICS_PORT"] = str(self.ports.jobs_metrics[s])
        env.update(self.extra_env)
        return env

    # --- readiness checks -----------------------------------------------------------------------
    def _grpc_serving(self, service: str) -> Callable[[], bool]:
        def check() -> bool:
            try:
                with grpc.insecure_channel(f"127.0.0.1:{self.ports.grpc[service]}") as ch:
                    resp = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=1)
                    return bool(resp.status == health_pb2.HealthCheckResponse.SERVING)
            except grpc.RpcError:
                return False

        return check

    def _worker_consuming(self, service: str) -> Callable[[], bool]:
        """A worker is ready once its metrics answer and every queue it consumes has a consumer."""
        jobs = job_queues(service)
        queues = [sub.queue for sub in load_topology().consumed_by(service) if sub.queue not in jobs]
        return self._consuming(self.ports.worker_metrics[service], queues)

    def _jobs_consuming(self, service: str) -> Callable[[], bool]:
        """A jobs process is ready once its metrics answer and each of its job queues has a consumer."""
        return self._consuming(self.ports.jobs_metrics[service], sorted(job_queues(service)))

    def _consuming(self, metrics_port: int, queues: list[str]) -> Callable[[], bool]:
        def check() -> bool:
            if not port_open("127.0.0.1", metrics_port):
                return False
            try:
                with Connection(self.amqp_uri, connect_timeout=2) as conn:
                    channel = conn.channel()
                    for q in queues:
                        _, _, consumers = channel.queue_declare(q, passive=True)
                        if consumers < 1:
                            return False
                return True
            except Exception:
                return False

        return check

    def _http_ok(self, url: str) -> Callable[[], bool]:
        def check() -> bool:
            try:
                return httpx.get(url, timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        return check

    # --- process specs --------------------------------------------------------------------------
    def infra_procs(self) -> list[Proc]:
        procs = []
        if self.mongo_uri is None:
            procs.append(
                Proc(
                    "secantus",
                    secantus.command(self.ports.secantus, self.var / "secantus"),
                    lambda: secantus.answers(self.effective_mongo_uri),
                )
            )
        procs.append(
            Proc(
                "smtp-sink",
                [PYTHON, "-m", "tandem_dev.smtp_sink", "--port", str(self.ports.smtp), "--dir", str(self.mail_dir)],
                lambda: port_open("127.0.0.1", self.ports.smtp),
            )
        )
        return procs

    def service_procs(self, services: tuple[str, ...] = SERVICES) -> list[Proc]:
        procs = []
        for s in services:
            procs.append(
                Proc(
                    f"{s}-api",
                    [PYTHON, "-m", "tandem_kit.run", "api", s, f"{s}.api:build_server"],
                    self._grpc_serving(s),
                )
            )
            procs.append(
                Proc(
                    f"{s}-worker",
                    [PYTHON, "-m", "tandem_kit.run", "worker", s, worker_class(s)],
                    self._worker_consuming(s),
                )
            )
            if s in services_with_jobs():
                procs.append(
                    Proc(
                        f"{s}-jobs",
                        [PYTHON, "-m", "tandem_kit.run", "jobs", s, f"{s}.jobs:JOBS"],
                        self._jobs_consuming(s),
                    )
                )
        return procs

    def edge_procs(self) -> list[Proc]:
        return [
            Proc(
                "gateway",
                [
                    PYTHON,
                    "-m",
                    "uvicorn",
                    "tandem_gateway.app:create_app",
                    "--factory",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.ports.gateway),
                    "--no-access-log",
                ],
                self._http_ok(f"{self.gateway_url}/readyz"),
            ),
            Proc(
                "web",
                [
                    PYTHON,
                    "-m",
                    "uvicorn",
                    "tandem_web.app:create_app",
                    "--factory",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.ports.web),
                    "--no-access-log",
                ],
                self._http_ok(f"{self.web_url}/healthz"),
            ),
        ]

    # --- lifecycle ------------------------------------------------------------------------------
    def spawn(self, proc: Proc) -> Proc:
        self.var.mkdir(parents=True, exist_ok=True)
        out: int | IO[bytes]
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            proc.log_path = self.log_dir / f"{proc.name}.log"
            out = proc.log_path.open("ab")
        else:
            out = subprocess.PIPE
        proc.popen = subprocess.Popen(
            proc.argv,
            env=self.env(),
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us; we stop the children in order
        )
        if self.log_dir is None:
            threading.Thread(target=_prefix_output, args=(proc,), daemon=True).start()
        self.procs[proc.name] = proc
        return proc

    def wait_ready(self, procs: list[Proc], timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        for proc in procs:

            def alive_and_ready(p: Proc = proc) -> bool:
                if p.popen is not None and p.popen.poll() is not None:
                    raise RuntimeError(f"{p.name} exited with code {p.popen.returncode}{self._tail(p)}")
                return p.ready()

            wait_until(alive_and_ready, max(1.0, deadline - time.monotonic()), proc.name)

    def _tail(self, proc: Proc) -> str:
        if proc.log_path and proc.log_path.exists():
            return "\n" + "\n".join(proc.log_path.read_text(errors="replace").splitlines()[-30:])
        return ""

    def start(self, services: tuple[str, ...] = SERVICES, *, edge: bool = True, timeout: float = 120.0) -> None:
        infra = [self.spawn(p) for p in self.infra_procs()]
        self.wait_ready(infra, timeout)
        svc = [self.spawn(p) for p in self.service_procs(services)]
        self.wait_ready(svc, timeout)
        if edge:
            edges = [self.spawn(p) for p in self.edge_procs()]
            self.wait_ready(edges, timeout)

    def restart(self, name: str, *, sig: int = signal.SIGTERM, timeout: float = 60.0) -> Proc:
        self.stop_proc(name, sig=sig)
        old = self.procs[name]
        proc = self.spawn(Proc(old.name, old.argv, old.ready))
        self.wait_ready([proc], timeout)
        return proc

    def _signal(self, name: str, sig: int) -> bool:
        proc = self.procs.get(name)
        if proc is None or proc.popen is None or proc.popen.poll() is not None:
            return False
        try:
            os.killpg(proc.popen.pid, sig)
        except ProcessLookupError:
            return False
        return True

    def _reap(self, name: str, timeout: float) -> None:
        popen = self.procs[name].popen
        assert popen is not None
        try:
            popen.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(popen.pid, signal.SIGKILL)
            popen.wait(5)

    def stop_proc(self, name: str, *, sig: int = signal.SIGTERM, timeout: float = 15.0) -> None:
        if self._signal(name, sig):
            self._reap(name, timeout)

    def stop(self, timeout: float = 15.0) -> None:
        """Stop in layers, each layer at once: the edge, then the services, then the store and
        the SMTP sink, so nothing writes to a store that is gone."""
        layers = [
            [n for n in self.procs if n in ("gateway", "web")],
            [n for n in self.procs if n.endswith(("-api", "-worker", "-jobs"))],
            [n for n in self.procs if n in ("secantus", "smtp-sink")],
        ]
        for layer in layers:
            signalled = [n for n in layer if self._signal(n, signal.SIGTERM)]
            for name in signalled:
                self._reap(name, timeout)

    def running(self) -> Iterator[Proc]:
        return (p for p in self.procs.values() if p.popen is not None and p.popen.poll() is None)

    def metrics_targets(self) -> dict[str, str]:
        """Every process's metrics endpoint, by process name."""
        targets = {"gateway": f"127.0.0.1:{self.ports.gateway}", "web": f"127.0.0.1:{self.ports.web}"}
        for s in SERVICES:
            targets[f"{s}-api"] = f"127.0.0.1:{self.ports.api_metrics[s]}"
            targets[f"{s}-worker"] = f"127.0.0.1:{self.ports.worker_metrics[s]}"
        for s in services_with_jobs():
            targets[f"{s}-jobs"] = f"127.0.0.1:{self.ports.jobs_metrics[s]}"
        return targets


def _prefix_output(proc: Proc) -> None:
    assert proc.popen is not None and proc.popen.stdout is not None
    width = 22
    for raw in iter(proc.popen.stdout.readline, b""):
        sys.stdout.write(f"{proc.name:<{width}}| {raw.decode(errors='replace')}")
        sys.stdout.flush()
