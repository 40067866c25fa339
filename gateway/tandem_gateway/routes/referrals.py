"""Referrals a person made or received (referrals)."""

from __future__ import annotations

from datetime import UTC

from fastapi import APIRouter, Request

from tandem.referrals.v1 import referrals_pb2
from tandem_gateway import schemas as s
from tandem_gateway.routes.common import Member, access, call_options, services

router = APIRouter(prefix="/v1")


@router.get("/me/referrals", response_model=s.ReferralsOut, tags=["referrals"], openapi_extra=access("member"))
async def my_referrals(user: Member, request: Request) -> s.ReferralsOut:
    resp = await services(request).referrals.ListShares(
        referrals_pb2.ListSharesRequest(user_id=user.user_id), **call_options(request)
    )
    return s.ReferralsOut(
        referrals=[
            s.ReferralOut(
                id=r.id,
                opportunity_id=r.opportunity_id,
                referrer_id=r.referrer_id,
                candidate_id=r.candidate_id,
                shared_at=r.shared_at.ToDatetime(tzinfo=UTC),
            )
            for r in resp.shares
        ]
    )
