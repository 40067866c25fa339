"""Throttling, roles, TOTP and the shipped reference data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from identity.domain.passwords import common_passwords
from identity.domain.reference import departments, government_domains
from identity.domain.roles import partner_client, role_grant, token_roles
from identity.domain.throttle import ThrottlePolicy
from identity.domain.totp import matching_step
from tandem_kit.errors import FieldError, InvalidInput

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_the_delay_grows_after_the_free_attempts_and_stops_at_a_ceiling() -> None:
    policy = ThrottlePolicy(free_attempts=5, base_delay_seconds=1, max_delay_seconds=900)

    assert [policy.delay_after(n) for n in range(1, 11)] == [0, 0, 0, 0, 1, 2, 4, 8, 16, 32]
    assert policy.delay_after(40) == 900  # never a permanent lock


def test_failures_are_forgotten_after_a_quiet_day() -> None:
    policy = ThrottlePolicy()

    assert policy.current_failures(12, NOW - timedelta(hours=23), NOW) == 12
    assert policy.current_failures(12, NOW - timedelta(hours=25), NOW) == 0


def test_staff_roles_are_in_a_token_only_with_a_second_factor() -> None:
    grants = ["member", "coordinator:mentoring-2026", "admin"]

    assert token_roles(grants, second_factor=False) == ["member"]
    assert token_roles(grants, second_factor=True) == grants


def test_scoped_roles_name_what_they_are_for() -> None:
    assert role_grant("coordinator", "Mentoring-2026", departments()) == "coordinator:mentoring-2026"
    assert role_grant("departmental_lead", "statcan", departments()) == "departmental_lead:statcan"
    assert role_grant("admin", "", departments()) == "admin"


@pytest.mark.parametrize(
    ("role", "scope", "expected"),
    [
        ("coordinator", "", FieldError("scope", "role.scope_required.program")),
        ("departmental_lead", "hogwarts", FieldError("scope", "department.unknown")),
        ("agency_caseworker", "Bad Scope!", FieldError("scope", "role.scope_invalid")),
        ("admin", "statcan", FieldError("scope", "role.scope_not_allowed")),
        ("superuser", "", FieldError("role", "role.unknown")),
    ],
)
def test_bad_role_changes_are_refused(role: str, scope: str, expected: FieldError) -> None:
    with pytest.raises(InvalidInput) as raised:
        role_grant(role, scope, departments())
    assert raised.value.errors == [expected]


def test_partner_clients_hold_only_known_scopes() -> None:
    assert partner_client(" Job  board ", ["reference.read", "reference.read"]) == ("Job board", ["reference.read"])
    with pytest.raises(InvalidInput) as raised:
        partner_client("Job board", ["accounts.write"])
    assert [e.code for e in raised.value.errors] == ["partner.scope_unknown"]


def test_a_totp_code_matches_its_step_once_and_within_one_step_of_drift() -> None:
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    step = int(NOW.timestamp()) // 30

    assert matching_step(secret, totp.at(NOW), NOW) == step
    assert matching_step(secret, totp.at(NOW - timedelta(seconds=30)), NOW) == step - 1
    assert matching_step(secret, totp.at(NOW - timedelta(seconds=90)), NOW) is None
    assert matching_step(secret, totp.at(NOW), NOW, after_step=step) is None  # replayed
    assert matching_step(secret, "12345", NOW) is None


def test_the_shipped_lists_are_complete_enough_to_use() -> None:
    depts = departments()
    assert len(depts.all) > 100
    assert all(d.code and d.en and d.fr for d in depts.all)
    assert depts.get("statcan") is not None and depts.get("statcan").fr == "Statistique Canada"  # type: ignore[union-attr]
    assert {"gc.ca", "canada.ca"} <= set(government_domains().domains)
    assert len(common_passwords()) > 10_000
    assert {"password", "12345678", "iloveyou", "azertyuiop"} <= common_passwords()
    assert all(len(p) >= 8 for p in common_passwords())
