"""The alert rules (deploy/prometheus/alerts.yml) and the Grafana dashboard
(deploy/grafana/tandem-overview.json): promtool accepts every expression, the alerts fire on the
cases in alerts_test.yml, and every metric they name is one the code declares.

promtool comes from Debian's `prometheus` package: tools/ensure-promtool.sh installs it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
ALERT_TESTS = ROOT / "deploy" / "prometheus" / "alerts_test.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "tandem-overview.json"
METRICS_FILES = sorted(ROOT.glob("services/*/*/metrics.py"))

# Series Prometheus itself records for every target.
PROMETHEUS_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}


@pytest.fixture(scope="module")
def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool is missing: run tools/ensure-promtool.sh (Debian package `prometheus`)")
    return path


def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


# --- metric names -------------------------------------------------------------------------------

_DECLARATION = re.compile(r"\b(Counter|Gauge|Histogram|Summary)\(\s*[\"']([a-zA-Z_:][a-zA-Z0-9_:]*)[\"']")


def declared_series() -> set[str]:
    """Every series name the code's instruments expose, as prometheus_client names them."""
    names: set[str] = set()
    for path in METRICS_FILES:
        for kind, name in _DECLARATION.findall(path.read_text()):
            if kind == "Counter":
                names.add(name if name.endswith("_total") else f"{name}_total")
            elif kind == "Gauge":
                names.add(name)
            else:
                names |= {name, f"{name}_sum", f"{name}_count"}
                if kind == "Histogram":
                    names.add(f"{name}_bucket")
    return names


_STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|`[^`]*`")
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENTIFIER = re.compile(r"(?<![\w.:$])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(\s*\()?")
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "inf", "nan"}
_KEYWORDS |= {"group_left", "group_right", "atan2"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects: what is left once strings, label matchers,
    ranges and grouping clauses are gone, minus functions, aggregations and keywords."""
    for pattern in (_STRING, _MATCHERS, _RANGE, _GROUPING):
        expr = pattern.sub(" ", expr)
    return {
        m.group(1) for m in _IDENTIFIER.finditer(expr) if m.group(2) is None and m.group(1).lower() not in _KEYWORDS
    }


def test_metric_names_are_found_in_promql() -> None:
    expr = (
        'sum by (le, route) (rate(tandem_a_bucket{status=~"5..", q="x{y}"}[5m] offset 1h)) '
        "/ on (job) group_left (pod) up and vector(0) > bool 0.95e3 or tandem_b:ratio"
    )
    assert metric_names(expr) == {"tandem_a_bucket", "up", "tandem_b:ratio"}


def test_the_instruments_are_found_in_the_code() -> None:
    series = declared_series()
    assert {"tandem_grpc_server_handled_total", "tandem_http_request_duration_seconds_bucket"} <= series
    assert {"tandem_opportunities_posted_total", "tandem_referrals_made_total"} <= series


def alert_rules() -> list[dict[str, Any]]:
    return [rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]]


def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return data


def dashboard_panels() -> list[dict[str, Any]]:
    panels = []
    for panel in dashboard()["panels"]:
        panels.append(panel)
        panels += panel.get("panels", [])  # a collapsed row keeps its panels inside
    return panels


def dashboard_queries() -> list[tuple[str, str]]:
    """(where, PromQL) for every panel target and every query variable."""
    queries = [
        (f"panel {panel['id']} {panel['title']!r} {target['refId']}", target["expr"])
        for panel in dashboard_panels()
        for target in panel.get("targets", [])
    ]
    for variable in dashboard()["templating"]["list"]:
        if variable["type"] == "query":
            definition = variable["definition"]
            match = re.fullmatch(r"label_values\((.+),\s*\w+\)", definition)
            assert match, f"variable {variable['name']}: {definition}"
            queries.append((f"variable {variable['name']}", match.group(1)))
    return queries


def test_every_metric_in_alerts_and_dashboard_is_declared_by_the_code() -> None:
    known = declared_series() | PROMETHEUS_SERIES
    used = [(f"alert {rule['alert']}", rule["expr"]) for rule in alert_rules()] + dashboard_queries()
    unknown = {(where, name) for where, expr in used for name in metric_names(expr) if name not in known}
    assert not unknown, f"not declared in any metrics.py: {sorted(unknown)}"
    assert {name for _, expr in used for name in metric_names(expr)}, "found no metric at all"


def test_the_alert_unit_tests_feed_real_metrics() -> None:
    known = declared_series() | PROMETHEUS_SERIES
    tests = yaml.safe_load(ALERT_TESTS.read_text())["tests"]
    for series in (s["series"] for t in tests for s in t["input_series"]):
        assert series.split("{", 1)[0] in known, series


# --- the alert rules ----------------------------------------------------------------------------


def test_promtool_accepts_the_alert_rules(promtool: str) -> None:
    result = run([promtool, "check", "rules", str(ALERTS)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_alerts_fire_on_their_test_cases(promtool: str) -> None:
    result = run([promtool, "test", "rules", str(ALERT_TESTS)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_refuses_a_broken_rule(promtool: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(yaml.safe_dump({"groups": [{"name": "x", "rules": [{"alert": "X", "expr": "sum(rate(x[5m])"}]}]}))
    assert run([promtool, "check", "rules", str(broken)]).returncode != 0


REQUIRED_ALERTS = {
    "TandemGatewayErrorRate",
    "TandemGrpcErrorRate",
    "TandemEventsDeadLettered",
    "TandemOutboxLagging",
    "TandemQueueDepthGrowing",
    "TandemProcessDown",
}


def test_the_alerts_cover_errors_events_outbox_queues_and_liveness() -> None:
    names = [rule["alert"] for rule in alert_rules()]
    assert len(names) == len(set(names))
    assert set(names) >= REQUIRED_ALERTS


def test_every_alert_says_how_bad_and_what_happened() -> None:
    for rule in alert_rules():
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]


def test_every_alert_is_exercised_by_a_unit_test() -> None:
    tests = yaml.safe_load(ALERT_TESTS.read_text())["tests"]
    fired = {case["alertname"] for t in tests for case in t["alert_rule_test"] if case["exp_alerts"]}
    assert fired == {rule["alert"] for rule in alert_rules()}


# --- the dashboard ------------------------------------------------------------------------------

# Grafana's variables, given values so promtool can parse the queries.
_VARIABLES = {"__rate_interval": "5m", "__interval": "1m", "__range": "1h"}


def as_promql(expr: str) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: _VARIABLES.get(m.group(1), ".+"), expr)


def test_promtool_accepts_every_dashboard_query(promtool: str, tmp_path: Path) -> None:
    queries = [as_promql(expr) for _, expr in dashboard_queries()]
    rules = [{"record": f"tandem_dashboard:query_{i}", "expr": expr} for i, expr in enumerate(queries)]
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = run([promtool, "check", "rules", str(path)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_dashboard_shows_the_business_counters_and_the_platform_signals() -> None:
    used = {name for _, expr in dashboard_queries() for name in metric_names(expr)}
    assert {
        "tandem_opportunities_posted_total",
        "tandem_matches_found_total",
        "tandem_offers_accepted_total",
        "tandem_referrals_made_total",
        "tandem_http_requests_total",
        "tandem_http_request_duration_seconds_bucket",
        "tandem_grpc_server_handled_total",
        "tandem_grpc_server_handling_seconds_bucket",
        "tandem_events_consumed_total",
        "tandem_events_dead_lettered_total",
        "tandem_outbox_lag_seconds",
        "tandem_queue_depth_messages",
    } <= used


def test_the_dashboard_panels_have_unique_ids_and_do_not_overlap() -> None:
    board = dashboard()
    assert board["uid"] and board["title"]
    panels = dashboard_panels()
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    cells: dict[tuple[int, int], int] = {}
    for p in panels:
        g = p["gridPos"]
        assert g["x"] >= 0 and g["x"] + g["w"] <= 24, p["title"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"{p['title']!r} overlaps panel {cells[(x, y)]}"
                cells[(x, y)] = p["id"]


def test_every_dashboard_query_uses_the_datasource_variable() -> None:
    for panel in dashboard_panels():
        for target in panel.get("targets", []):
            assert target.get("datasource", panel.get("datasource")) == {"type": "prometheus", "uid": "${datasource}"}
