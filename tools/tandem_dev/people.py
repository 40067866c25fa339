"""People on a running stack, made through the gateway as a person would make themselves:
register, confirm with the link from the SMTP sink, sign in, set up TOTP. For tests and
benchmarks. The first admin is made with identity's own operator command."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyotp

from tandem_dev.mailbox import link_token
from tandem_dev.stack import ROOT, Stack

PASSWORD = "a long enough passphrase"


@dataclass
class Person:
    email: str
    user_id: str = ""
    access_token: str = ""
    refresh_token: str = ""
    totp_secret: str = ""
    language: str = "en"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}", "Accept-Language": self.language}


def registration(email: str, name: str, language: str = "en", **fields: str) -> dict[str, str]:
    """A registration body with every field right (internal platform), unless `fields` say otherwise."""
    return {
        "platform": "internal",
        "email": email,
        "email_confirmation": email,
        "password": PASSWORD,
        "password_confirmation": PASSWORD,
        "display_name": name,
        "language": language,
        "department": "tbs-sct",
        "accepted_terms_version": "2026-01",
        **fields,
    }


def join(client: httpx.Client, mail_dir: Path, email: str, name: str, language: str = "en", **fields: str) -> Person:
    """Register (with `fields` changed), confirm with the emailed link, and sign in."""
    r = client.post("/v1/accounts", json=registration(email, name, language, **fields))
    assert r.status_code == 201, r.text
    r = client.post("/v1/accounts/confirm", json={"token": link_token(mail_dir, email, "confirm-email")})
    assert r.status_code == 200, r.text
    person = Person(email, user_id=r.json()["user_id"], language=language)
    return sign_in(client, person)


def sign_in(client: httpx.Client, person: Person, password: str = PASSWORD, *, totp_code: str = "") -> Person:
    body = {"email": person.email, "password": password}
    if person.totp_secret:
        body["totp_code"] = totp_code or pyotp.TOTP(person.totp_secret).now()
    r = client.post("/v1/auth/token", json=body)
    assert r.status_code == 200, r.text
    person.access_token, person.refresh_token = r.json()["access_token"], r.json()["refresh_token"]
    return person


def enroll_totp(client: httpx.Client, person: Person) -> Person:
    """Set up TOTP, then sign in again with a code so the token carries staff roles."""
    r = client.post("/v1/me/totp", headers=person.headers)
    assert r.status_code == 200, r.text
    secret = r.json()["secret"]
    r = client.post("/v1/me/totp/confirm", headers=person.headers, json={"code": pyotp.TOTP(secret).now()})
    assert r.status_code == 200, r.text
    person.totp_secret = secret
    # The code just used is spent; the next step's code is accepted (one step of drift).
    return sign_in(client, person, totp_code=pyotp.TOTP(secret).at(time.time() + 30))


def operator_grant(stack: Stack, email: str, role: str, scope: str = "") -> None:
    """`python -m identity.bootstrap grant-role`, with the stack's settings."""
    subprocess.run(
        [sys.executable, "-m", "identity.bootstrap", "grant-role", email, role, *([scope] if scope else [])],
        env=stack.env(),
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
