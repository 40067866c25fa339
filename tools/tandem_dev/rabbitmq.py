"""Make sure a RabbitMQ broker is reachable.

With the default AMQP_URI (loopback): start the local broker if it is stopped, and install it
from Debian's packages if it is missing, always bound to 127.0.0.1. With AMQP_URI pointing
elsewhere, only check that it answers.

    python -m tandem_dev.rabbitmq ensure
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from kombu import Connection

from tandem_dev.net import port_open, wait_until
from tandem_kit.config import DEFAULT_AMQP_URI

ENV_CONF = """NODENAME=rabbit@localhost
NODE_IP_ADDRESS=127.0.0.1
ERL_EPMD_ADDRESS=127.0.0.1
export ERL_FLAGS="-kernel inet_dist_use_interface {127,0,0,1}"
"""
CONF = "listeners.tcp.local = 127.0.0.1:5672\n"


def _log(msg: str) -> None:
    print(f"[rabbitmq] {msg}", flush=True)


def _sudo() -> list[str]:
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo"):
        return ["sudo", "-n"]
    raise SystemExit("RabbitMQ must be installed or started as root, and sudo is not available.")


def _bind_to_loopback() -> None:
    conf_dir = Path("/etc/rabbitmq")
    env_conf, conf = conf_dir / "rabbitmq-env.conf", conf_dir / "rabbitmq.conf"
    if env_conf.exists() and "127.0.0.1" in env_conf.read_text() and conf.exists() and "127.0.0.1" in conf.read_text():
        return
    _log("binding RabbitMQ to 127.0.0.1")
    subprocess.run([*_sudo(), "mkdir", "-p", str(conf_dir)], check=True)
    for path, text in ((env_conf, ENV_CONF), (conf, CONF)):
        subprocess.run([*_sudo(), "tee", str(path)], input=text.encode(), check=True, stdout=subprocess.DEVNULL)


def _install() -> None:
    _log("rabbitmq-server is not installed; installing it from Debian's packages")
    _bind_to_loopback()
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*_sudo(), "apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(
        [*_sudo(), "apt-get", "install", "-y", "-q", "--no-install-recommends", "rabbitmq-server"],
        check=True,
        env=env,
    )


def _start() -> None:
    _bind_to_loopback()
    _log("starting rabbitmq-server")
    subprocess.run([*_sudo(), "rabbitmq-server", "-detached"], check=True)


def ensure(amqp_uri: str | None = None, timeout: float = 90.0) -> None:
    uri = amqp_uri or os.environ.get("AMQP_URI") or DEFAULT_AMQP_URI
    parts = urlsplit(uri)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5672
    local = host in ("127.0.0.1", "localhost")
    if not port_open(host, port):
        if not local:
            raise SystemExit(f"RabbitMQ at {host}:{port} (AMQP_URI) does not answer.")
        if shutil.which("rabbitmq-server") is None and not Path("/usr/sbin/rabbitmq-server").exists():
            _install()
        if not port_open(host, port):
            _start()
        wait_until(lambda: port_open(host, port), timeout, f"RabbitMQ on {host}:{port}", interval=0.5)
    with Connection(uri, connect_timeout=10) as conn:
        conn.ensure_connection(max_retries=20, interval_start=0.5, interval_step=0.5, interval_max=2)
    _log(f"ready at {host}:{port}")


def create_vhost(prefix: str = "tandem-test") -> str | None:
    """A fresh virtual host for one test run, so runs never share queues. Returns None where
    rabbitmqctl can't be used (an external broker), and tests fall back to the default one."""
    ctl = shutil.which("rabbitmqctl") or ("/usr/sbin/rabbitmqctl" if Path("/usr/sbin/rabbitmqctl").exists() else None)
    if ctl is None:
        return None
    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    try:
        subprocess.run([*_sudo(), ctl, "add_vhost", name], check=True, capture_output=True, timeout=60)
        subprocess.run(
            [*_sudo(), ctl, "set_permissions", "-p", name, "guest", ".*", ".*", ".*"],
            check=True,
            capture_output=True,
            timeout=60,
        )
    except (subprocess.SubprocessError, SystemExit, OSError):
        return None
    return name


def delete_vhost(name: str) -> None:
    ctl = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    subprocess.run([*_sudo(), ctl, "delete_vhost", name], capture_output=True, timeout=60, check=False)


def uri_for_vhost(uri: str, vhost: str) -> str:
    parts = urlsplit(uri)
    return urlunsplit(parts._replace(path="/" + quote(vhost, safe="")))


if __name__ == "__main__":
    if sys.argv[1:] != ["ensure"]:
        raise SystemExit("usage: python -m tandem_dev.rabbitmq ensure")
    ensure()
