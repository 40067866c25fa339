"""`GET /v1/opportunities?sort=best_fit` with fakes behind the gateway: matching's ranking goes to
opportunities as it came, each listed opportunity shows its fit in the caller's language, and a
matching that cannot answer leaves the list newest first instead of failing it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from fastapi.testclient import TestClient

from tandem.common.v1 import common_pb2
from tandem.identity.v1 import identity_pb2
from tandem.matching.v1 import matching_pb2
from tandem.opportunities.v1 import opportunities_pb2 as opp_pb2
from tandem_dev.net import free_port
from tandem_gateway.app import create_app
from tandem_gateway.auth import Principal
from tandem_gateway.config import GatewayConfig
from tandem_kit.config import SERVICES

HEADERS = {"Authorization": "Bearer a-token"}


class Verifier:
    async def verify(self, token: str) -> Principal:
        return Principal("amira", (), "session")


class Identity:
    async def GetAccount(self, request: identity_pb2.GetAccountRequest, **options: Any) -> identity_pb2.Account:
        return identity_pb2.Account(user_id=request.user_id, department="tbs-sct")


class Matching:
    def __init__(self) -> None:
        self.ranking: list[matching_pb2.Recommendation] = []
        self.failure: grpc.StatusCode | None = None
        self.asked: list[tuple[matching_pb2.RecommendOpportunitiesRequest, float]] = []

    async def RecommendOpportunities(
        self, request: matching_pb2.RecommendOpportunitiesRequest, **options: Any
    ) -> matching_pb2.RecommendOpportunitiesResponse:
        self.asked.append((request, options["timeout"]))
        if self.failure is not None:
            raise grpc.aio.AioRpcError(self.failure, details="matching is away")
        return matching_pb2.RecommendOpportunitiesResponse(user_id=request.user_id, opportunities=self.ranking)


class Opportunities:
    """Lists what it was given, ranked ones first: enough to see what the gateway sent."""

    def __init__(self) -> None:
        self.asked: list[opp_pb2.ListOpportunitiesRequest] = []

    async def ListOpportunities(
        self, request: opp_pb2.ListOpportunitiesRequest, **options: Any
    ) -> opp_pb2.ListOpportunitiesResponse:
        self.asked.append(request)
        ids = [*request.best_fit_ids, "unranked"]
        return opp_pb2.ListOpportunitiesResponse(
            opportunities=[opp_pb2.Opportunity(id=i, title_en=i, state="open") for i in ids], total=len(ids)
        )


class Services:
    def __init__(self) -> None:
        self.identity = Identity()
        self.matching = Matching()
        self.opportunities = Opportunities()


@pytest.fixture
def fakes() -> Iterator[tuple[TestClient, Services]]:
    config = GatewayConfig(addresses={s: f"127.0.0.1:{free_port()}" for s in SERVICES}, grpc_timeout_seconds=10)
    with TestClient(create_app(config)) as client:
        services = Services()
        app: Any = client.app
        app.state.services, app.state.verifier = services, Verifier()
        yield client, services


def recommendation(opportunity_id: str, score: float, en: str, fr: str) -> matching_pb2.Recommendation:
    reason = matching_pb2.Reason(
        code="fit.skill", params={"skill": "data-analysis"}, text=common_pb2.LocalizedText(en=en, fr=fr)
    )
    return matching_pb2.Recommendation(opportunity_id=opportunity_id, score=score, reasons=[reason])


def test_matching_ranking_is_sent_in_order_and_each_fit_is_shown_in_the_callers_language(
    fakes: tuple[TestClient, Services],
) -> None:
    client, services = fakes
    services.matching.ranking = [
        recommendation(
            "older-best", 0.92, "found by skill: Data Analysis", "trouvé par compétence : Analyse de données"
        ),
        recommendation("newer-worse", 0.41, "found by related skill: Python", "trouvé par compétence voisine : Python"),
    ]

    fr = client.get("/v1/opportunities", params={"sort": "best_fit"}, headers={**HEADERS, "Accept-Language": "fr"})
    en = client.get("/v1/opportunities", params={"sort": "best_fit", "lang": "en"}, headers=HEADERS)

    assert fr.status_code == en.status_code == 200, fr.text
    sent = services.opportunities.asked[0]
    assert (sent.sort, list(sent.best_fit_ids), list(sent.viewer_skill_ids)) == (
        "best_fit",
        ["older-best", "newer-worse"],
        [],
    )
    # The member's own ranking, as deep as matching goes, waited for briefly.
    [(asked, timeout), _] = services.matching.asked
    assert (asked.user_id, asked.limit, timeout) == ("amira", 100, 2.0)
    listed = fr.json()["opportunities"]
    assert [(o["id"], o["fit"] and o["fit"]["score"]) for o in listed] == [
        ("older-best", 0.92),
        ("newer-worse", 0.41),
        ("unranked", None),
    ]
    assert listed[0]["fit"]["reasons"] == [
        {
            "code": "fit.skill",
            "params": {"skill": "data-analysis"},
            "text": "trouvé par compétence : Analyse de données",
        }
    ]
    assert en.json()["opportunities"][0]["fit"]["reasons"][0]["text"] == "found by skill: Data Analysis"


@pytest.mark.parametrize(
    ("failure", "level"),
    [
        (grpc.StatusCode.UNAVAILABLE, logging.WARNING),
        (grpc.StatusCode.DEADLINE_EXCEEDED, logging.WARNING),
        (grpc.StatusCode.NOT_FOUND, logging.INFO),  # a new member matching has not heard of yet
    ],
)
def test_best_fit_without_matching_is_newest_first_and_logged(
    fakes: tuple[TestClient, Services], caplog: pytest.LogCaptureFixture, failure: grpc.StatusCode, level: int
) -> None:
    client, services = fakes
    services.matching.failure = failure

    with caplog.at_level(logging.INFO, logger="tandem_gateway"):
        r = client.get("/v1/opportunities", params={"sort": "best_fit"}, headers=HEADERS)

    assert r.status_code == 200, r.text
    assert list(services.opportunities.asked[0].best_fit_ids) == []
    assert [o["fit"] for o in r.json()["opportunities"]] == [None]
    [record] = [rec for rec in caplog.records if rec.name == "tandem_gateway.routes.opportunities"]
    assert (record.levelno, failure.name in record.getMessage()) == (level, True)


def test_other_sorts_do_not_ask_matching(fakes: tuple[TestClient, Services]) -> None:
    client, services = fakes

    r = client.get("/v1/opportunities", params={"sort": "newest"}, headers=HEADERS)

    assert r.status_code == 200, r.text
    assert services.matching.asked == []
    assert list(services.opportunities.asked[0].best_fit_ids) == []
