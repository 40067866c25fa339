"""Roles people hold, and the scopes partner clients hold. Pure.

A role grant is written `role` or `role:scope`: `member`, `admin`, `coordinator:<program>`,
`departmental_lead:<department code>`, `agency_caseworker:<agency>`. Staff roles act on other
people's data, so they are in an access token only when the session was opened with a second
factor (TOTP).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from identity.domain.reference import Departments
from tandem_kit.errors import FieldCollector

MEMBER = "member"
ADMIN = "admin"
COORDINATOR = "coordinator"
DEPARTMENTAL_LEAD = "departmental_lead"
AGENCY_CASEWORKER = "agency_caseworker"
ROLES = (MEMBER, COORDINATOR, DEPARTMENTAL_LEAD, AGENCY_CASEWORKER, ADMIN)
# What each scoped role is scoped to.
SCOPED = {COORDINATOR: "program", DEPARTMENTAL_LEAD: "department", AGENCY_CASEWORKER: "agency"}
STAFF = frozenset({COORDINATOR, DEPARTMENTAL_LEAD, AGENCY_CASEWORKER, ADMIN})

# What a partner client may be allowed to do on the partner gRPC surface.
PARTNER_SCOPES = ("reference.read", "accounts.verify")

_SCOPE_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_CLIENT_NAME_MAX = 100


def role_of(grant: str) -> str:
    return grant.partition(":")[0]


def is_staff(grants: Iterable[str]) -> bool:
    return any(role_of(g) in STAFF for g in grants)


def token_roles(grants: Iterable[str], *, second_factor: bool) -> list[str]:
    """The roles an access token carries: staff roles only with a second factor."""
    return [g for g in grants if second_factor or role_of(g) not in STAFF]


def role_grant(role: str, scope: str, departments: Departments) -> str:
    """Check a role and its scope; returns the grant as stored (`role` or `role:scope`)."""
    errors = FieldCollector()
    role_n, scope_n = role.strip().lower(), scope.strip().lower()
    if role_n not in ROLES:
        errors.add("role", "role.unknown")
    elif role_n in SCOPED:
        if not scope_n:
            errors.add("scope", f"role.scope_required.{SCOPED[role_n]}")
        elif not _SCOPE_ID.match(scope_n):
            errors.add("scope", "role.scope_invalid")
        elif role_n == DEPARTMENTAL_LEAD and departments.get(scope_n) is None:
            errors.add("scope", "department.unknown")
    elif scope_n:
        errors.add("scope", "role.scope_not_allowed")
    errors.raise_if_any()
    return f"{role_n}:{scope_n}" if role_n in SCOPED else role_n


def partner_client(name: str, scopes: Iterable[str]) -> tuple[str, list[str]]:
    errors = FieldCollector()
    name_n = " ".join(name.split())
    if not name_n:
        errors.add("name", "field.required")
    elif len(name_n) > _CLIENT_NAME_MAX:
        errors.add("name", "field.too_long", max=_CLIENT_NAME_MAX)
    wanted = sorted({s.strip() for s in scopes if s.strip()})
    if not wanted:
        errors.add("scopes", "partner.scopes_required")
    elif any(s not in PARTNER_SCOPES for s in wanted):
        errors.add("scopes", "partner.scope_unknown", known=", ".join(PARTNER_SCOPES))
    errors.raise_if_any()
    return name_n, wanted
