"""Demo data, loaded through the gateway's public API like any client would. Idempotent: an
account that exists is signed in, not created again, and the demo opportunity is posted once.
A new account is confirmed as a person would: with the link emailed to it, read from the SMTP
sink's directory (there is no back door to skip confirmation)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from tandem_dev.mailbox import link_token
from tandem_dev.samples import opportunity_body

PASSWORD = "demo-passphrase-2026"
PEOPLE: list[dict[str, Any]] = [
    {
        "email": "amira.haddad@tbs-sct.gc.ca",
        "display_name": "Amira Haddad",
        "language": "en",
        "department": "tbs-sct",
        "title": "Data Analyst (EC-05)",
        "skills": ["data-analysis", "python", "sql", "statistics"],
        "profile": {
            "classification": "EC-05",
            "location": {"city": "Ottawa", "province": "ON", "time_zone": "America/Toronto"},
            "occupation_code": "21211",
            "opt_ins": {"micro_mission": ["participant"], "mentoring": ["mentee"]},
        },
    },
    {
        "email": "jean.tremblay@statcan.gc.ca",
        "display_name": "Jean Tremblay",
        "language": "fr",
        "department": "statcan",
        "title": "Gestionnaire, Analytique",
        "skills": ["leadership", "project-management"],
        "profile": {
            "location": {"city": "Gatineau", "province": "QC", "time_zone": "America/Toronto"},
            "opt_ins": {"micro_mission": ["host"], "mentoring": ["mentor"]},
            "mentoring": {"types": ["traditional", "reverse"], "max_mentees": 2, "availability_hours_per_month": 4},
        },
    },
    {
        "email": "priya.singh@ssc-spc.gc.ca",
        "display_name": "Priya Singh",
        "language": "en",
        "department": "ssc-spc",
        "title": "Developer (IT-03)",
        "skills": ["java", "cloud-computing", "agile"],
        "profile": {"classification": "IT-03", "occupation_code": "21232", "opt_ins": {"job_swap": ["seeker"]}},
    },
    {
        "email": "marc.gagnon@canada.ca",
        "display_name": "Marc Gagnon",
        "language": "fr",
        "department": "esdc-edsc",
        "title": "Analyste de politiques",
        "skills": ["policy-analysis", "data-analysis", "writing", "translation"],
        "profile": {
            "classification": "EC-04",
            "occupation_code": "41403",
            "opt_ins": {"peer_coaching": ["participant"]},
        },
    },
]
ACCOUNT_EMAILS = [p["email"] for p in PEOPLE]

# Posted by Jean Tremblay, once, so the web front-end has something to browse.
OPPORTUNITIES: list[dict[str, Any]] = [
    {
        "title_en": "Micro-mission: analyse survey data for a dashboard",
        "title_fr": "Micro-mission : analyser des données d’enquête pour un tableau de bord",
        "description_en": "Help our team clean and analyse a national survey and publish a dashboard.",
        "description_fr": (
            "Aidez notre équipe à nettoyer et analyser une enquête nationale et à publier un tableau de bord."
        ),
        "skill_ids": ["data-analysis", "python", "data-visualization"],
        "deadline_in_days": 30,
    },
    {
        "title_en": "Translate and edit a public report",
        "title_fr": "Traduire et réviser un rapport public",
        "description_en": "Two weeks to translate a 20-page report and edit it for plain language.",
        "description_fr": "Deux semaines pour traduire un rapport de 20 pages et le réviser en langage clair.",
        "skill_ids": ["translation", "writing"],
        "deadline_in_days": 21,
    },
    {
        "title_en": "Job shadowing: a week with a policy director",
        "title_fr": "Observation au poste de travail : une semaine avec une directrice des politiques",
        "description_en": "Follow a policy director through briefings, committees and a Cabinet submission.",
        "description_fr": (
            "Suivez une directrice des politiques dans ses breffages, ses comités et une présentation au Cabinet."
        ),
        "skill_ids": ["policy-analysis"],
        "type": "job_shadowing",
        "deadline_in_days": 20,
    },
    {
        "title_en": "Assignment: move a statistics service to the cloud",
        "title_fr": "Affectation : migrer un service statistique vers le nuage",
        "description_en": "Six months with the team moving a public statistics service to the cloud.",
        "description_fr": "Six mois avec l’équipe qui migre un service public de statistiques vers le nuage.",
        "skill_ids": ["cloud-computing", "java", "agile"],
        "type": "assignment",
        "openings": 2,
        "deadline_in_days": 25,
    },
]


def _token(client: httpx.Client, person: dict[str, Any], mail_dir: Path) -> tuple[str, bool]:
    """Sign in, registering and confirming first if needed. Returns the token and whether the
    account is new."""
    created = False
    r = client.post("/v1/auth/token", json={"email": person["email"], "password": PASSWORD})
    if r.status_code == 401:
        terms = client.get("/v1/terms")
        terms.raise_for_status()
        reg = client.post(
            "/v1/accounts",
            json={
                "platform": "internal",
                "email": person["email"],
                "email_confirmation": person["email"],
                "password": PASSWORD,
                "password_confirmation": PASSWORD,
                "display_name": person["display_name"],
                "language": person["language"],
                "department": person["department"],
                "accepted_terms_version": terms.json()["version"],
            },
        )
        reg.raise_for_status()
        token = link_token(mail_dir, person["email"], "confirm-email")
        client.post("/v1/accounts/confirm", json={"token": token}).raise_for_status()
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


def load(gateway_url: str, mail_dir: Path) -> None:
    with httpx.Client(base_url=gateway_url, timeout=30) as client:
        tokens = {}
        poster_is_new = False
        for person in PEOPLE:
            token, created = _token(client, person, mail_dir)
            tokens[person["email"]] = token
            headers = {"Authorization": f"Bearer {token}"}
            _wait_for_profile(client, headers)
            client.put(
                "/v1/me/profile",
                headers=headers,
                json={"title": person["title"], "skill_ids": person["skills"], **person.get("profile", {})},
            ).raise_for_status()
            if person["email"] == "jean.tremblay@statcan.gc.ca":
                poster_is_new = created
        if poster_is_new:
            headers = {"Authorization": f"Bearer {tokens['jean.tremblay@statcan.gc.ca']}"}
            for opportunity in OPPORTUNITIES:
                client.post(
                    "/v1/opportunities", headers=headers, json=opportunity_body(department="statcan", **opportunity)
                ).raise_for_status()
    print(f"[demo] {len(PEOPLE)} demo accounts and {len(OPPORTUNITIES)} opportunities ready", flush=True)
