#!/usr/bin/env bash
# Makes sure `promtool` is on PATH, for tests/deploy/test_prometheus_rules.py. It comes with
# Debian's `prometheus` package, installed here without recommends if missing; a second run
# does nothing.
#
# The package also ships the Prometheus server and enables its service. Where invoke-rc.d is
# told not to start services (/usr/sbin/policy-rc.d exits 101, as on these machines and in
# containers) nothing starts; on a machine with systemd, `systemctl disable --now prometheus`
# stops it.
set -euo pipefail

if command -v promtool >/dev/null 2>&1; then
    exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive

# The package lists may be missing or stale on a fresh machine: refresh them once and retry.
if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends prometheus >/dev/null; then
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

command -v promtool >/dev/null || { echo "promtool still missing after installing prometheus" >&2; exit 1; }
promtool --version | head -n 1
