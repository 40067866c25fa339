"""Demo data, loaded through the gateway's public API like any client would. Idempotent: an
account that exists is signed in, not created again, and the demo opportunity is posted once."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tandem_dev.samples import opportunity_body

PASSWORD = "demo-passphrase-2026"
PEOPLE: list[dict[str, Any]] = [
    {
        "email": "amira.haddad@tbs-sct.gc.ca",
        "display_name": "Amira Haddad",
        "language": "en",
        "department": "Treasury Board of Canada Secretariat",
        "title": "Data Analyst (EC-05)",
        "skills": ["data-analysis", "python", "sql", "statistics"],
    },
    {
        "email": "jean.tremblay@statcan.gc.ca",
        "display_name": "Jean Tremblay",
        "language": "fr",
        "department": "Statistique Canada",
        "title": "Gestionnaire, Analytique",
        "skills": ["leadership", "project-management"],
    },
    {
        "email": "priya.singh@ssc-spc.gc.ca",
        "display_name": "Priya Singh",
        "language": "en",
        "department": "Shared Services Canada",
        "title": "Developer (IT-03)",
        "skills": ["java", "cloud-computing", "agile"],
    },
    {
        "email": "marc.gagnon@canada.ca",
        "display_name": "Marc Gagnon",
        "language": "fr",
        "department": "Emploi et Développement social Canada",
        "title": "Analyste de politiques",
        "skills": ["policy-analysis", "data-analysis", "writing", "translation"],
    },
]
ACCOUNT_EMAILS = [p["email"] for p in PEOPLE]


def _token(client: httpx.Client, person: dict[str, Any]) -> tuple[str, bool]:
    """Sign in, registering first if needed. Returns the token and whether it is new."""
    created = False
    r = client.post("/v1/auth/token", json={"email": person["email"], "password": PASSWORD})
    if r.status_code == 401:
        reg = client.post(
            "/v1/accounts",
            json={
                "email": person["email"],
                "password": PASSWORD,
                "display_name": person["display_name"],
                "language": person["language"],
                "department": person["department"],
            },
        )
        reg.raise_for_status()
        created = True
        r = client.post("/v1/auth/token", json={"email": person["email"], "password": PASSWORD})
    r.raise_for_status()
    return str(r.json()["access_token"]), created


def _wait_for_profile(client: httpx.Client, headers: dict[str, str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.get("/v1/me/profile", headers=headers).status_code == 200:
            return
        time.sleep(0.1)
    raise TimeoutError("a demo profile did not appear")


def load(gateway_url: str) -> None:
    with httpx.Client(base_url=gateway_url, timeout=30) as client:
        tokens = {}
        poster_is_new = False
        for person in PEOPLE:
            token, created = _token(client, person)
            tokens[person["email"]] = token
            headers = {"Authorization": f"Bearer {token}"}
            _wait_for_profile(client, headers)
            client.put(
                "/v1/me/profile", headers=headers, json={"title": person["title"], "skill_ids": person["skills"]}
            ).raise_for_status()
            if person["email"] == "jean.tremblay@statcan.gc.ca":
                poster_is_new = created
        if poster_is_new:
            headers = {"Authorization": f"Bearer {tokens['jean.tremblay@statcan.gc.ca']}"}
            client.post(
                "/v1/opportunities",
                headers=headers,
                json=opportunity_body(
                    title_en="Micro-mission: analyse survey data for a dashboard",
                    title_fr="Micro-mission : analyser des données d’enquête pour un tableau de bord",
                    description_en="Help our team clean and analyse a national survey and publish a dashboard.",
                    description_fr=(
                        "Aidez notre équipe à nettoyer et analyser une enquête nationale "
                        "et à publier un tableau de bord."
                    ),
                    skill_ids=["data-analysis", "python", "data-visualization"],
                    department="statcan",
                    deadline_in_days=30,
                ),
            ).raise_for_status()
    print(f"[demo] {len(PEOPLE)} demo accounts ready", flush=True)
