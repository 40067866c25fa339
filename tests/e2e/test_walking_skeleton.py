"""The walking-skeleton flow through the gateway's HTTP API, touching every service over real
RabbitMQ events and gRPC: register and sign in, add skills, post, rank, share, apply, offer,
accept; each step lands in the right inbox and mailbox, and referrals records the share."""

from __future__ import annotations

import email.header
from typing import Any

import httpx
import pytest

from tandem_dev.mailbox import link_token
from tandem_dev.samples import opportunity_body
from tandem_dev.testing import StackFactory, TestStack, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("walking-skeleton")]

PASSWORD = "a long enough passphrase"


def register(client: httpx.Client, email_address: str, name: str, lang: str, **fields: str) -> httpx.Response:
    """Register on the internal platform with every field right, unless `fields` says otherwise;
    the answer comes in `lang`."""
    body = {
        "platform": "internal",
        "email": email_address,
        "email_confirmation": email_address,
        "password": PASSWORD,
        "password_confirmation": PASSWORD,
        "display_name": name,
        "language": lang,
        "department": "tbs-sct",
        "accepted_terms_version": client.get("/v1/terms").json()["version"],
        **fields,
    }
    return client.post("/v1/accounts", json=body, headers={"Accept-Language": lang})


class Person:
    """Registers, confirms the email with the link from the SMTP sink, and signs in."""

    def __init__(self, stack: TestStack, client: httpx.Client, email_address: str, name: str, language: str):
        r = register(client, email_address, name, language)
        assert r.status_code == 201, r.text
        self.username = r.json()["username"]
        token = link_token(stack.stack.mail_dir, email_address, "confirm-email")
        r = client.post("/v1/accounts/confirm", json={"token": token})
        assert r.status_code == 200, r.text
        self.user_id = r.json()["user_id"]
        r = client.post("/v1/auth/token", json={"email": email_address, "password": PASSWORD})
        assert r.status_code == 200, r.text
        self.headers = {"Authorization": f"Bearer {r.json()['access_token']}", "Accept-Language": language}
        self.client = client
        self.email = email_address

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.client.get(path, headers=self.headers, **kw)

    def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return self.client.post(path, headers=self.headers, json=body or {})

    def put(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.client.put(path, headers=self.headers, json=body)

    def notices(self) -> list[dict[str, Any]]:
        r = self.get("/v1/me/notifications")
        assert r.status_code == 200, r.text
        return list(r.json()["notifications"])

    def notice(self, kind: str) -> dict[str, Any]:
        found = eventually(lambda: [n for n in self.notices() if n["kind"] == kind], what=f"{kind} for {self.email}")
        return dict(found[0])


def _subjects_to(stack: TestStack, address: str) -> list[str]:
    return [
        str(email.header.make_header(email.header.decode_header(m["Subject"])))
        for m in stack.mails()
        if m["To"] == address
    ]


@pytest.fixture(scope="module")
def stack(module_stack_factory: StackFactory) -> TestStack:
    return module_stack_factory(
        ("identity", "profiles", "opportunities", "matching", "notifications", "referrals"), edge=True
    )


def test_the_whole_marketplace_flow_runs_through_every_service(stack: TestStack) -> None:
    client = httpx.Client(base_url=stack.gateway_url, timeout=20)
    assert client.get("/readyz").status_code == 200

    # 1. Two accounts registered and signed in (identity).
    amira = Person(stack, client, "amira.haddad@tbs-sct.gc.ca", "Amira Haddad", "en")
    jean = Person(stack, client, "jean.tremblay@statcan.gc.ca", "Jean Tremblay", "fr")
    assert amira.username == "amira.haddad"

    # 2. Amira's profile gets skills (profiles); profile.updated reaches matching's read model.
    eventually(lambda: amira.get("/v1/me/profile").status_code == 200, what="Amira's profile")
    r = amira.put(
        "/v1/me/profile",
        {
            "title": "Data analyst",
            "skill_ids": ["data-analysis", "python"],
            "opt_ins": {"micro_mission": ["participant"]},  # the Career Marketplace matches only those who opt in
        },
    )
    assert r.status_code == 200, r.text
    assert [s["id"] for s in r.json()["skills"]] == ["data-analysis", "python"]

    # 3. Jean posts an opportunity needing one of those skills (opportunities).
    r = jean.post(
        "/v1/opportunities",
        opportunity_body(
            title_en="Survey analysis", title_fr="Analyse d’enquête", skill_ids=["data-analysis"], department="statcan"
        ),
    )
    assert r.status_code == 201, r.text
    opportunity = r.json()
    oid = opportunity["id"]

    # 4. Matching ranks Amira, saying why, in Jean's language.
    def ranked() -> list[dict[str, Any]]:
        resp = jean.get(f"/v1/opportunities/{oid}/candidates")
        return resp.json()["candidates"] if resp.status_code == 200 else []

    candidates = eventually(ranked, what="Amira among the candidates")
    assert candidates[0]["user_id"] == amira.user_id
    assert candidates[0]["reasons"][0]["text"] == "trouvé par compétence : Analyse de données"
    english = client.get(f"/v1/opportunities/{oid}/candidates", headers={**jean.headers, "Accept-Language": "en"})
    assert english.json()["candidates"][0]["reasons"][0]["text"] == "found by skill: Data Analysis"
    # Nobody has opted in as a mentee: the empty list says which requirement ruled out the most.
    r = jean.post(
        "/v1/opportunities",
        opportunity_body(
            title_en="Mentoring in analytics",
            title_fr="Mentorat en analytique",
            skill_ids=["data-analysis"],
            department="statcan",
            type="mentoring",
        ),
    )
    assert r.status_code == 201, r.text

    def explained(oid: str = r.json()["id"]) -> dict[str, Any] | None:
        resp = jean.get(f"/v1/opportunities/{oid}/candidates")
        return resp.json() if resp.status_code == 200 else None

    empty = eventually(explained, what="the mentoring opportunity known to matching")
    assert empty["candidates"] == []
    assert empty["ruled_out_most"]["code"] == "opt_in"
    assert "ne se sont pas inscrites" in empty["ruled_out_most"]["text"]
    # Only the poster sees candidates.
    assert amira.get(f"/v1/opportunities/{oid}/candidates").status_code == 403

    # 7. Jean shares the opportunity with Amira; referrals records it.
    assert jean.post(f"/v1/opportunities/{oid}/shares", {"candidate_id": amira.user_id}).status_code == 201
    shared = amira.notice("opportunity_shared")
    assert shared["subject"] == "An opportunity was shared with you: Survey analysis"
    referrals = eventually(lambda: amira.get("/v1/me/referrals").json()["referrals"], what="the referral")
    assert referrals[0]["referrer_id"] == jean.user_id and referrals[0]["opportunity_id"] == oid

    # 5. Amira applies; Jean offers; Amira accepts (opportunities).
    r = amira.post(f"/v1/opportunities/{oid}/applications", {"message": "I would love to help."})
    assert r.status_code == 201, r.text
    assert jean.notice("application_received")["subject"] == "Nouvelle candidature pour Analyse d’enquête"
    r = jean.post(f"/v1/opportunities/{oid}/offers", {"applicant_id": amira.user_id})
    assert r.status_code == 201, r.text
    offer_id = r.json()["id"]
    assert amira.notice("offer_made")["link"].endswith(f"/en/offers/{offer_id}")
    r = amira.post(f"/v1/offers/{offer_id}/accept")
    assert r.status_code == 200 and r.json()["state"] == "accepted", r.text
    assert jean.notice("offer_accepted")["subject"] == "Votre offre a été acceptée : Analyse d’enquête"

    # 6. Every notice also went out as email to the SMTP sink, in each person's language.
    def mail_for_everyone() -> bool:
        # Each also got the confirmation and welcome emails of registration.
        return len(_subjects_to(stack, amira.email)) >= 4 and len(_subjects_to(stack, jean.email)) >= 4

    eventually(mail_for_everyone, what="the emails in the sink")
    assert "You have an offer: Survey analysis" in _subjects_to(stack, amira.email)
    assert "Votre offre a été acceptée : Analyse d’enquête" in _subjects_to(stack, jean.email)
    assert any(s.startswith("Welcome to Tandem") for s in _subjects_to(stack, amira.email))
    assert any(s.startswith("Bienvenue dans Tandem") for s in _subjects_to(stack, jean.email))

    # Every process the flow went through reports its request and event metrics.
    assert_every_process_reports_its_metrics(stack)


# What each kind of process must report once the flow has run through it.
EXPECTED_METRICS = {
    "gateway": ['tandem_http_requests_total{method="POST",route="/v1/opportunities",status="201"}'],
    "web": ["tandem_http_requests_total"],
    "identity-api": ['grpc_method="Register"', 'grpc_method="SignIn"'],
    "profiles-api": ['grpc_method="UpdateProfile"'],
    "opportunities-api": ['grpc_method="PostOpportunity"', 'grpc_method="AcceptOffer"'],
    "matching-api": ['grpc_method="RankCandidates"'],
    "notifications-api": ['grpc_method="ListNotifications"'],
    "referrals-api": ['grpc_method="ListShares"'],
    "identity-worker": ['tandem_events_published_total{event_type="user.registered"}'],
    "profiles-worker": ['handler="profiles.on_user_registered"', 'event_type="profile.updated"'],
    "opportunities-worker": ['tandem_events_published_total{event_type="offer.accepted"}'],
    "matching-worker": ['handler="matching.on_opportunity_posted"'],
    # Cohort runs are jobs: the jobs process reports its queue whether or not a run came.
    "matching-jobs": ["tandem_queue_depth_messages"],
    "notifications-worker": ['handler="notifications.on_offer_accepted"'],
    "referrals-worker": ['handler="referrals.on_opportunity_shared"', 'event_type="referral.recorded"'],
}


def assert_every_process_reports_its_metrics(stack: TestStack) -> None:
    targets = stack.stack.metrics_targets()
    assert set(targets) == set(EXPECTED_METRICS)
    httpx.get(f"{stack.stack.web_url}/en/")  # the web placeholder's own request
    for name, target in targets.items():
        needles = EXPECTED_METRICS[name]
        if name.endswith("-worker"):
            needles = [*needles, "tandem_outbox_lag_seconds", "tandem_events_consumed_total"]
        elif name.endswith("-api"):
            needles = [*needles, "tandem_grpc_server_handling_seconds_bucket"]

        def scraped(target: str = target, needles: list[str] = needles) -> bool:
            text = httpx.get(f"http://{target}/metrics", timeout=5, follow_redirects=True).text
            return all(n in text for n in needles)

        eventually(scraped, timeout=10, what=f"{name}'s metrics at {target}")


def test_bad_input_gets_a_field_specific_problem_in_the_callers_language(stack: TestStack) -> None:
    client = httpx.Client(base_url=stack.gateway_url, timeout=20)
    r = register(
        client,
        "pas-un-courriel",
        "Zorro",
        "fr",
        password="court",
        password_confirmation="court",
        language="de",
        department="",
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["title"] == "Certains renseignements que vous avez entrés doivent être corrigés."
    by_field = {e["field"]: e for e in body["errors"]}
    assert set(by_field) == {"email", "department", "password", "display_name", "language"}
    assert by_field["password"]["message"] == "Entrez un mot de passe d’au moins 8 caractères."
    assert by_field["display_name"]["code"] == "display_name.first_and_last"

    r = register(client, "x@y.ca", "Ada Lovelace", "en", password="p" * 300, password_confirmation="p" * 300)
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"field": field, "code": "field.too_long", "message": "Enter no more than 256 characters."}
        for field in ("password", "password_confirmation")
    ]

    r = client.get("/v1/me")
    assert r.status_code == 401 and r.json()["code"] == "auth.required"
    r = client.get("/v1/me", headers={"Authorization": "Bearer not.a.token"})
    assert r.status_code == 401 and r.json()["code"] == "auth.invalid_token"
    huge = client.post(
        "/v1/accounts", content=b"{" + b" " * 2_000_000 + b"}", headers={"content-type": "application/json"}
    )
    assert huge.status_code == 413


def test_an_english_poster_is_told_in_english_and_can_unsubscribe_in_one_click(stack: TestStack) -> None:
    """The first test covers a French poster; this one an English one, then the poster's notice
    preferences and the RFC 8058 one-click unsubscribe, all through the gateway."""
    client = httpx.Client(base_url=stack.gateway_url, timeout=20)
    ada = Person(stack, client, "ada.lovelace@tbs-sct.gc.ca", "Ada Lovelace", "en")
    claude = Person(stack, client, "claude.roy@tbs-sct.gc.ca", "Claude Roy", "fr")
    r = ada.post(
        "/v1/opportunities",
        opportunity_body(
            title_en="Data dictionary",
            title_fr="Dictionnaire de données",
            skill_ids=["data-analysis"],
            department="tbs-sct",
            name="Ada Lovelace",
            email=ada.email,
        ),
    )
    assert r.status_code == 201, r.text
    oid = r.json()["id"]
    r = claude.post(f"/v1/opportunities/{oid}/applications", {"message": "Avec plaisir."})
    assert r.status_code == 201, r.text

    # The poster's inbox entry and email, in her language.
    notice = ada.notice("application_received")
    assert notice["subject"] == "New application for Data dictionary"
    assert notice["category"] == "applications" and notice["link"].endswith(f"/en/opportunities/{oid}/applicants")
    mail = eventually(
        lambda: [m for m in stack.mails() if m["To"] == ada.email and "Data dictionary" in m["Subject"]],
        what="the application email",
    )[0]
    assert mail["Content-Language"] == "en"
    assert {p.get_content_type() for p in mail.walk()} >= {"text/plain", "text/html"}

    # Preferences: security notices can't be turned off, said in the caller's language.
    prefs = ada.get("/v1/me/notification-preferences").json()
    by_category = {c["category"]: c for c in prefs["categories"]}
    assert by_category["security"]["mandatory"] and by_category["applications"]["email"]
    r = client.patch(
        "/v1/me/notification-preferences",
        headers={**ada.headers, "Accept-Language": "fr"},
        json={"categories": [{"category": "security", "in_app": True, "email": False}]},
    )
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["code"] == "preferences.mandatory"
    assert r.json()["errors"][0]["message"].startswith("Les avis « Sécurité du compte » sont toujours envoyés")

    # One click from the mail client turns that kind of email off; a forged link does nothing.
    url = mail["List-Unsubscribe"].strip("<>")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = url.removeprefix(stack.gateway_url)
    assert client.get(path).json()["category"] == "applications"  # a GET only describes
    assert client.post(path).status_code == 422  # no List-Unsubscribe=One-Click body
    forged = client.post(path[:-2] + "xx", data={"List-Unsubscribe": "One-Click"})
    assert forged.status_code == 422 and forged.json()["errors"][0]["field"] == "token"
    assert ada.get("/v1/me/notification-preferences").json() == prefs
    r = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200, r.text
    assert r.json() == {"category": "applications", "label": "Applications", "channel": "email"}
    after = {c["category"]: c for c in ada.get("/v1/me/notification-preferences").json()["categories"]}
    assert after["applications"]["email"] is False and after["applications"]["in_app"] is True

    # The inbox: count, then mark all read.
    assert ada.get("/v1/me/notifications/unread-count").json()["unread_count"] >= 2
    r = ada.post("/v1/me/notifications/read", {"all": True})
    assert r.status_code == 200 and r.json()["unread_count"] == 0
