"""Mentor matching for a program, through the gateway: a coordinator (with TOTP) defines a program
that wants francophones with French-speaking mentors and a cohort drawn from people's mentoring
opt-ins, runs it (a job taken by the cohort worker), reads the result with its reasons, and
publishes it; both parties get the notice in their language, in the inbox and by email; one
pair accepts and becomes active (both are told), the other declines (only the other party is
told), and a new run fills the open slot; a connector offered a newcomer is told too. Members
rank the other side of their cohort themselves, a bad ranking is refused in their language, and
a stable run follows the rankings rather than fit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tandem_dev.people import enroll_totp, join, operator_grant
from tandem_dev.testing import Member, StackFactory, TestStack, eventually
from tandem_kit.config import SERVICES

pytestmark = pytest.mark.e2e

PROGRAM = "mentorat-ottawa-2026"


@pytest.fixture(scope="module")
def stack(module_stack_factory: StackFactory) -> TestStack:
    return module_stack_factory(SERVICES, edge=True)


@pytest.fixture(scope="module")
def client(stack: TestStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.gateway_url, timeout=30) as c:
        yield c


def levels(level: str) -> dict[str, str]:
    return {"written_comprehension": level, "written_expression": level, "oral_proficiency": level}


def mentoring_profile(
    member: Member,
    role: str,
    *,
    english: str,
    french: str,
    classification: str,
    max_mentees: int = 0,
    occupation: str = "21211",
) -> None:
    r = member.put(
        "/v1/me/profile",
        {
            "classification": classification,
            "location": {"city": "Ottawa", "province": "ON"},
            "official_languages": {"english": levels(english), "french": levels(french)},
            "occupation_code": occupation,
            "interests": ["leadership", "data literacy"],
            "opt_ins": {"mentoring": [role]},
            "mentoring": {"max_mentees": max_mentees},
        },
    )
    assert r.status_code == 200, r.text


def wait_run(coordinator: dict[str, str], client: httpx.Client, run_id: str) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        r = client.get(f"/v1/cohort-runs/{run_id}", headers=coordinator)
        assert r.status_code == 200, r.text
        return r.json() if r.json()["state"] in ("done", "failed") else None

    result: dict[str, Any] = eventually(finished, timeout=60, what=f"run {run_id}")
    return result


def named_cohort(
    client: httpx.Client,
    coordinator: dict[str, str],
    program: str,
    mentees: list[dict[str, Any]],
    mentors: list[dict[str, Any]],
) -> dict[str, Any]:
    """A cohort of these members (each `{"user_id": ...}` and whatever else a member takes),
    defined once matching's read model knows their profiles and opt-ins."""

    def defined() -> dict[str, Any] | None:
        r = client.post(
            f"/v1/programs/{program}/cohorts",
            headers=coordinator,
            json={"name": {"en": "Spring", "fr": "Printemps"}, "mentees": mentees, "mentors": mentors},
        )
        return r.json() if r.status_code == 201 else None

    found: dict[str, Any] = eventually(defined, what=f"a cohort of {len(mentees)} mentees and {len(mentors)} mentors")
    return found


def test_a_coordinator_matches_a_cohort_and_both_parties_review_their_match(
    stack: TestStack, client: httpx.Client
) -> None:
    mail = stack.stack.mail_dir
    cora = join(client, mail, "cora.ordinator@tbs-sct.gc.ca", "Cora Ordinator")
    operator_grant(stack.stack, cora.email, "coordinator", PROGRAM)
    coordinator = {"Authorization": f"Bearer {enroll_totp(client, cora).access_token}", "Accept-Language": "en"}

    # Two mentees (one French only) and two mentors (one English only), each opted in.
    lea = Member.sign_up(stack, client, "lea.bouchard@statcan.gc.ca", "Léa Bouchard", "fr", "statcan")
    sam = Member.sign_up(stack, client, "sam.patel@tbs-sct.gc.ca", "Sam Patel", "en", "tbs-sct")
    ann = Member.sign_up(stack, client, "ann.smith@tbs-sct.gc.ca", "Ann Smith", "en", "tbs-sct")
    rene = Member.sign_up(stack, client, "rene.cote@statcan.gc.ca", "René Côté", "fr", "statcan")
    mentoring_profile(lea, "mentee", english="", french="E", classification="EC-02")
    mentoring_profile(sam, "mentee", english="E", french="", classification="EC-02")
    mentoring_profile(ann, "mentor", english="E", french="", classification="EC-04", max_mentees=1)
    mentoring_profile(rene, "mentor", english="C", french="E", classification="EC-05", max_mentees=2)

    # Only a coordinator of this program defines it; its rules are checked field by field.
    r = lea.put(f"/v1/programs/{PROGRAM}", {"name": {"en": "x", "fr": "x"}})
    assert (r.status_code, r.json()["code"]) == (403, "auth.forbidden")
    r = client.put(
        f"/v1/programs/{PROGRAM}",
        headers={**coordinator, "Accept-Language": "fr"},
        json={
            "name": {"en": "Ottawa mentoring", "fr": ""},
            "rules": {"language_rule": "french", "weights": {"goals": 500}},
        },
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    errors = {e["field"]: e for e in r.json()["errors"]}
    assert set(errors) == {"name.fr", "rules.language_rule", "rules.weights.goals"}
    assert errors["rules.weights.goals"]["message"] == "Entrez un poids de 0 à 100.0."
    r = client.put(
        f"/v1/programs/{PROGRAM}",
        headers=coordinator,
        json={
            "name": {"en": "Ottawa mentoring", "fr": "Mentorat d’Ottawa"},
            "rules": {"language_rule": "preferred", "weights": {"goals": 30}},
        },
    )
    assert r.status_code == 200, r.text
    assert (r.json()["rules"]["weights"]["goals"], r.json()["rules"]["language_rule"]) == (30, "preferred")

    # The cohort from people's opt-ins (the read model follows profile.updated).
    def cohort() -> dict[str, Any] | None:
        r = client.post(
            f"/v1/programs/{PROGRAM}/cohorts",
            headers=coordinator,
            json={
                "name": {"en": "Spring", "fr": "Printemps"},
                "mentees_from_opt_ins": True,
                "mentors_from_opt_ins": True,
            },
        )
        found = r.json() if r.status_code == 201 else None
        return found if found and len(found["mentees"]) == 2 and len(found["mentors"]) == 2 else None

    defined = eventually(cohort, what="a cohort of the four")
    assert {m["user_id"]: m["capacity"] for m in defined["mentors"]} == {ann.user_id: 1, rene.user_id: 2}

    r = client.post(f"/v1/cohorts/{defined['id']}/runs", headers=coordinator, json={"method": "simulated"})
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "method")
    r = client.post(f"/v1/cohorts/{defined['id']}/runs", headers=coordinator, json={"method": "optimal"})
    assert r.status_code == 202 and r.json()["state"] == "queued", r.text
    result = wait_run(coordinator, client, r.json()["id"])
    assert result["state"] == "done" and result["attempts"] == 1
    proposed = {p["mentee_id"]: p for p in result["pairs"]}
    # Léa speaks only French: never with Ann, who has no French.
    assert proposed[lea.user_id]["mentor_id"] == rene.user_id
    assert proposed[sam.user_id]["mentor_id"] in (ann.user_id, rene.user_id)
    assert "mentorat en français" in [x["text"]["fr"] for x in proposed[lea.user_id]["reasons"]]
    # Pending until published: nobody has heard of it.
    assert lea.get("/v1/me/matches").json()["matches"] == []

    r = client.post(f"/v1/cohort-runs/{result['id']}/publish", headers=coordinator)
    assert r.status_code == 200 and r.json()["state"] == "published", r.text

    # Both parties are told, each in their own language, in the inbox and by email.
    notice = lea.notice("match_proposed")
    assert notice["subject"] == "Un jumelage vous est proposé : René Côté"
    assert "Mentorat d’Ottawa" in notice["body"]
    assert rene.notice("match_proposed")["subject"] == "Un jumelage vous est proposé : Léa Bouchard"
    assert sam.notice("match_proposed")["subject"].startswith("A match is proposed for you: ")
    eventually(
        lambda: (
            {m["To"] for m in stack.mails() if "jumelage" in m["Subject"] or "match is proposed" in m["Subject"]}
            >= {lea.email, rene.email, sam.email}
        ),
        what="the match emails",
    )

    # Léa and René accept: active. Sam declines: his slot is open again.
    (lea_match,) = lea.get("/v1/me/matches").json()["matches"]
    assert lea.post(f"/v1/matches/{lea_match['id']}/accept").json()["state"] == "proposed"
    assert ann.get(f"/v1/matches/{lea_match['id']}").status_code == 404
    assert rene.post(f"/v1/matches/{lea_match['id']}/accept").json()["state"] == "active"
    (sam_match,) = sam.get("/v1/me/matches").json()["matches"]
    r = sam.post(f"/v1/matches/{sam_match['id']}/decline")
    assert r.json()["state"] == "declined" and r.json()["mentee_answer"] == "declined"
    r = sam.post(f"/v1/matches/{sam_match['id']}/accept", None)
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"

    # Both are told their mentoring starts; Sam's mentor is told, Sam (who declined) is not.
    notice = lea.notice("match_accepted")
    assert notice["subject"] == "Votre jumelage avec René Côté est confirmé"
    assert "Mentorat d’Ottawa" in notice["body"] and notice["link"].endswith(f"/fr/matches/{lea_match['id']}")
    assert rene.notice("match_accepted")["subject"] == "Votre jumelage avec Léa Bouchard est confirmé"
    sams_mentor, subject = {
        ann.user_id: (ann, "Your proposed match with Sam Patel will not go ahead"),
        rene.user_id: (rene, "Le jumelage proposé avec Sam Patel ne se concrétisera pas"),
    }[sam_match["mentor_id"]]
    notice = sams_mentor.notice("match_declined")
    assert notice["subject"] == subject and notice["link"].endswith(f"/matches/{sam_match['id']}")
    # Both parties' notices are written together: had Sam been told, it would show by now.
    assert "match_declined" not in [n["kind"] for n in sam.notices()]

    # A new run keeps Léa and René, and gives Sam the other mentor.
    r = client.post(f"/v1/cohorts/{defined['id']}/runs", headers=coordinator, json={})
    rerun = wait_run(coordinator, client, r.json()["id"])
    pairs = {(p["mentee_id"], p["mentor_id"], p["pinned"]) for p in rerun["pairs"]}
    other = rene.user_id if sam_match["mentor_id"] == ann.user_id else ann.user_id
    assert pairs == {(lea.user_id, rene.user_id, True), (sam.user_id, other, False)}
    client.post(f"/v1/cohort-runs/{rerun['id']}/publish", headers=coordinator)
    eventually(
        lambda: [m for m in sam.get("/v1/me/matches").json()["matches"] if m["state"] == "proposed"],
        what="Sam's new proposal",
    )
    states = {
        m["mentee_id"]: m["state"]
        for m in client.get(f"/v1/cohorts/{defined['id']}/matches", headers=coordinator).json()["matches"]
        if m["state"] != "declined"
    }
    assert states == {lea.user_id: "active", sam.user_id: "proposed"}

    # Offered a newcomer, a connector is told in their language, with the offer's page.
    r = client.post(
        f"/v1/programs/{PROGRAM}/connector-offers",
        headers=coordinator,
        json={"newcomer_id": sam.user_id, "connector_ids": [rene.user_id]},
    )
    assert r.status_code == 201 and r.json()["connector_id"] == rene.user_id, r.text
    notice = rene.notice("connector_offered")
    assert notice["subject"] == "Une personne nouvellement arrivée vous est proposée : Sam Patel"
    assert notice["link"].endswith(f"/fr/connector-offers/{r.json()['id']}")


def test_members_rank_each_other_and_a_stable_run_follows_their_rankings_over_fit(
    stack: TestStack, client: httpx.Client
) -> None:
    program = "classement-2026"
    cory = join(client, stack.stack.mail_dir, "cory.ranks@tbs-sct.gc.ca", "Cory Ranks")
    operator_grant(stack.stack, cory.email, "coordinator", program)
    coordinator = {"Authorization": f"Bearer {enroll_totp(client, cory).access_token}", "Accept-Language": "en"}
    r = client.put(f"/v1/programs/{program}", headers=coordinator, json={"name": {"en": "Ranks", "fr": "Rangs"}})
    assert r.status_code == 200, r.text

    # Fit pairs each mentee with the mentor of their own occupation.
    mia = Member.sign_up(stack, client, "mia.rank@statcan.gc.ca", "Mia Rank", "en", "statcan")
    noe = Member.sign_up(stack, client, "noe.rang@statcan.gc.ca", "Noé Rang", "fr", "statcan")
    ada = Member.sign_up(stack, client, "ada.rank@tbs-sct.gc.ca", "Ada Rank", "en", "tbs-sct")
    luc = Member.sign_up(stack, client, "luc.rang@tbs-sct.gc.ca", "Luc Rang", "fr", "tbs-sct")
    olga = Member.sign_up(stack, client, "olga.rank@tbs-sct.gc.ca", "Olga Rank", "en", "tbs-sct")
    for member, role, occupation, classification in (
        (mia, "mentee", "21211", "EC-02"),
        (noe, "mentee", "41401", "EC-02"),
        (ada, "mentor", "21211", "EC-04"),
        (luc, "mentor", "41401", "EC-04"),
    ):
        mentoring_profile(member, role, english="E", french="C", classification=classification, occupation=occupation)

    # Ada's ranking, collected on paper.
    defined = named_cohort(
        client,
        coordinator,
        program,
        [{"user_id": mia.user_id}, {"user_id": noe.user_id}],
        [{"user_id": ada.user_id, "capacity": 1, "ranking": [noe.user_id]}, {"user_id": luc.user_id, "capacity": 1}],
    )
    ranking = f"/v1/cohorts/{defined['id']}/my-ranking"

    # Mia sees the mentors she may rank; someone outside the cohort finds nothing.
    r = mia.get(ranking)
    assert r.status_code == 200, r.text
    assert r.json()["side"] == "mentee" and r.json()["ranked_user_ids"] == []
    assert [p["display_name"] for p in r.json()["others"]] == ["Ada Rank", "Luc Rang"]
    r = olga.get(ranking)
    assert (r.status_code, r.headers["content-type"]) == (404, "application/problem+json")
    assert [c["cohort_id"] for c in luc.get("/v1/me/cohorts").json()["cohorts"]] == [defined["id"]]

    # A bad ranking is refused field by field, in the caller's language.
    bad = {"ranked_user_ids": [noe.user_id, luc.user_id, luc.user_id]}
    for lang, wrong_side, twice in (
        ("en", "Noé Rang is a mentee: a mentee ranks mentors only.", "Rank each person only once."),
        (
            "fr",
            "Noé Rang fait partie des mentorés : un mentoré ne classe que des mentors.",
            "Classez chaque personne une seule fois.",
        ),
    ):
        r = client.put(ranking, headers={**mia.headers, "Accept-Language": lang}, json=bad)
        assert (r.status_code, r.headers["content-type"]) == (422, "application/problem+json"), r.text
        errors = {e["field"]: e["message"] for e in r.json()["errors"]}
        assert errors == {"ranked_user_ids[0]": wrong_side, "ranked_user_ids[2]": twice}
    assert mia.get(ranking).json()["ranked_user_ids"] == []

    # Mia and Luc choose each other; Ada chose Noé on paper.
    r = mia.put(ranking, {"ranked_user_ids": [luc.user_id, ada.user_id]})
    assert r.status_code == 200 and r.json()["set_by"] == mia.user_id, r.text
    assert luc.put(ranking, {"ranked_user_ids": [mia.user_id]}).status_code == 200
    assert ada.get(ranking).json()["ranked_user_ids"] == [noe.user_id]

    r = client.post(f"/v1/cohorts/{defined['id']}/runs", headers=coordinator, json={"method": "stable"})
    assert r.status_code == 202, r.text
    result = wait_run(coordinator, client, r.json()["id"])
    assert result["state"] == "done", result
    pairs = {p["mentee_id"]: p for p in result["pairs"]}
    assert {k: p["mentor_id"] for k, p in pairs.items()} == {mia.user_id: luc.user_id, noe.user_id: ada.user_id}
    assert pairs[mia.user_id]["reasons"][0]["text"] == {
        "en": "chosen by both: the mentee’s choice no. 1, the mentor’s no. 1",
        "fr": "choisis l’un par l’autre : choix no 1 du mentoré, no 1 du mentor",
    }
    assert pairs[noe.user_id]["reasons"][0]["code"] == "fit.ranked_by_mentor"
