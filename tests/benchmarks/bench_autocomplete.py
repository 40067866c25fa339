"""How fast skill autocomplete answers, over the full taxonomy, for what people type: every prefix
(1 to 12 characters) of every skill's English and French name, plus typos. Targets: p50 and p99
under 10 ms in process, under 30 ms through the gateway.

In process it calls the taxonomy's index directly. Through the gateway it starts its own
SecantusDB, the profiles api and the gateway (real processes on free loopback ports; no RabbitMQ
needed, since /v1/skills is public and only reads) and asks GET /v1/skills over HTTP, one request
after another on a kept-alive connection, as a browser's autocomplete box would.

Wall-clock figures depend on what else the machine runs, so it prints the load average and, beside
them, the CPU time each query cost (in process: per query; through the gateway: the gateway's and
the api's CPU time over the run, per request), which does not.

    .venv/bin/python tests/benchmarks/bench_autocomplete.py
"""

from __future__ import annotations

import gc
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

from profiles.domain.taxonomy import Taxonomy
from tandem_dev.stack import Ports, Proc, Stack

PREFIX_MAX = 12
GATEWAY_SAMPLE = 3000
TYPOS = ["pyhton", "statistcs", "managment", "leadrship", "javscript", "kubernets", "analyse de donées"]


def queries(taxonomy: Taxonomy) -> list[tuple[str, str]]:
    out = []
    for skill in taxonomy.skills.values():
        for lang in ("en", "fr"):
            name = skill.label(lang)
            out.extend((name[:n], lang) for n in range(1, min(len(name), PREFIX_MAX) + 1))
    out.extend((t, "en") for t in TYPOS)
    return out


def measure(call: Callable[[str, str], object], sample: Sequence[tuple[str, str]]) -> list[float]:
    latencies = []
    for q, lang in sample:
        started = time.perf_counter()
        call(q, lang)
        latencies.append(time.perf_counter() - started)
    return sorted(latencies)


def report(what: str, latencies: list[float], target_ms: float) -> None:
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    verdict = "within" if p99 < target_ms else "OVER"
    print(f"{what}: {len(latencies)} queries, p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    print(f"  {verdict} the {target_ms:.0f} ms target")


def cpu_measure(call: Callable[[str, str], object], sample: Sequence[tuple[str, str]]) -> list[float]:
    latencies = []
    for q, lang in sample:
        started = time.thread_time()
        call(q, lang)
        latencies.append(time.thread_time() - started)
    return sorted(latencies)


def in_process(taxonomy: Taxonomy, sample: Sequence[tuple[str, str]]) -> None:
    def suggest(q: str, lang: str) -> object:
        return taxonomy.suggest(q, lang, 10)

    measure(suggest, sample[:200])  # warm up
    report("in process (Taxonomy.suggest)", measure(suggest, sample), 10)
    cpu = cpu_measure(suggest, sample)
    print(
        f"  CPU time per query: p50 {statistics.median(cpu) * 1000:.2f} ms, "
        f"p99 {cpu[int(len(cpu) * 0.99)] * 1000:.2f} ms"
    )


def cpu_seconds(pids: Sequence[int]) -> float:
    """User and system CPU time of these processes so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def through_gateway(sample: Sequence[tuple[str, str]]) -> None:
    var = Path(tempfile.mkdtemp(prefix="bench-autocomplete-"))
    stack = Stack(var=var, ports=Ports.free(), db_prefix="benchac", log_dir=var / "logs")
    try:
        stack.wait_ready([stack.spawn(p) for p in stack.infra_procs() if p.name == "secantus"])
        api = next(p for p in stack.service_procs(("profiles",)) if p.name == "profiles-api")
        stack.wait_ready([stack.spawn(api)])
        gateway = next(p for p in stack.edge_procs() if p.name == "gateway")
        # Ready when it answers at all: /readyz would wait for services this benchmark does not run.
        stack.wait_ready([stack.spawn(Proc(gateway.name, gateway.argv, _answers(f"{stack.gateway_url}/healthz")))])
        with httpx.Client(base_url=stack.gateway_url, timeout=10) as client:

            def ask(q: str, lang: str) -> None:
                r = client.get("/v1/skills", params={"q": q, "limit": 10}, headers={"Accept-Language": lang})
                r.raise_for_status()

            measure(ask, sample[:200])  # warm up
            pids = [p.popen.pid for p in stack.procs.values() if p.name in ("gateway", "profiles-api") and p.popen]
            cpu_before = cpu_seconds(pids)
            report("through the gateway (GET /v1/skills)", measure(ask, sample), 30)
            per_request = (cpu_seconds(pids) - cpu_before) / len(sample) * 1000
            print(f"  CPU time of the gateway and profiles api per request: {per_request:.2f} ms (mean)")
    finally:
        stack.stop()


def _answers(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(url, timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    return check


def main() -> None:
    taxonomy = Taxonomy.load()
    gc.freeze()  # as profiles' api does once its reference data is loaded
    sample = queries(taxonomy)
    print(f"taxonomy: {len(taxonomy.skills)} skills; {len(sample)} autocomplete queries")
    print("load average (1, 5, 15 min): {:.1f}, {:.1f}, {:.1f} on {} cores".format(*os.getloadavg(), os.cpu_count()))
    in_process(taxonomy, sample)
    through_gateway(random.Random(42).sample(sample, min(GATEWAY_SAMPLE, len(sample))))


if __name__ == "__main__":
    main()
