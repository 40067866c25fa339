"""What operations teams rely on: the scrape configuration covers every process, and readiness
says exactly which service is not serving."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml

from tandem_dev.stack import Ports, Stack
from tandem_dev.testing import StackFactory, eventually
from tandem_kit.config import SERVICES

ROOT = Path(__file__).resolve().parents[2]


def test_the_scrape_configuration_lists_every_process_make_run_starts() -> None:
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    scraped = {
        target: (group.get("labels") or {})
        for job in config["scrape_configs"]
        for group in job["static_configs"]
        for target in group["targets"]
    }
    expected = Stack(var=ROOT / "var", ports=Ports.defaults()).metrics_targets()
    assert set(scraped) == set(expected.values())
    for name, target in expected.items():
        labels = scraped[target]
        assert name.startswith(labels["service"]), (name, labels)
    assert all(job["job_name"].startswith("tandem") for job in config["scrape_configs"])


@pytest.mark.e2e
def test_readiness_names_the_service_whose_api_stopped(stack_factory: StackFactory) -> None:
    stack = stack_factory(SERVICES, edge=True)
    assert httpx.get(f"{stack.gateway_url}/readyz").status_code == 200
    stack.stack.stop_proc("profiles-api")

    def not_ready() -> httpx.Response | None:
        r = httpx.get(f"{stack.gateway_url}/readyz", headers={"Accept-Language": "fr"})
        return r if r.status_code == 503 else None

    r = eventually(not_ready, what="readyz to turn 503")
    assert r.json()["not_serving"] == ["profiles"]
    assert r.json()["services"]["identity"] == "SERVING"
    assert r.json()["title"].startswith("Une partie du service n’est pas disponible")
