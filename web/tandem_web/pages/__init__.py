"""The pages, one module per area; each has a `router` under `/{lang}`."""

from __future__ import annotations

from fastapi import APIRouter

from tandem_web.pages import auth, home

ROUTERS: list[APIRouter] = [home.router, auth.router]
