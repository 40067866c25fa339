"""The public API's routes, one module per domain. Each route converts, authorizes, calls a
service and converts back; none holds a business rule."""

from __future__ import annotations

from fastapi import APIRouter

from tandem_gateway.routes import accounts, admin, cohorts, notifications, opportunities, profiles, referrals

# Each module's router carries the /v1 prefix itself, so a route's path (which labels the HTTP
# metrics) is the full template.
ROUTERS: tuple[APIRouter, ...] = tuple(
    m.router for m in (accounts, admin, profiles, opportunities, notifications, referrals, cohorts)
)
