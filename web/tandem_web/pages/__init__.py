"""The pages, one module per area; each has a `router` under `/{lang}`."""

from __future__ import annotations

from fastapi import APIRouter

from tandem_web.pages import auth, home, mentoring, notifications, opportunities, profile, staff

ROUTERS: list[APIRouter] = [
    home.router,
    auth.router,
    opportunities.router,
    mentoring.router,
    profile.router,
    notifications.router,
    staff.router,
]
