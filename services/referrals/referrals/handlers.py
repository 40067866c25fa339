"""Referrals' use cases."""

from __future__ import annotations

from referrals import metrics
from referrals.store import Referral
from tandem.opportunities.v1 import events_pb2 as opp_events
from tandem.referrals.v1 import events_pb2
from tandem_kit.errors import InvalidInput
from tandem_kit.events import Envelope
from tandem_kit.storage import Store, UnitOfWork


def record_share(store: Store, event: Envelope[opp_events.OpportunityShared]) -> bool:
    share = event.payload

    def work(uow: UnitOfWork) -> None:
        uow.insert(
            Referral(
                id=share.share_id,
                kind="opportunity_share",
                opportunity_id=share.opportunity_id,
                referrer_id=share.poster_id,
                candidate_id=share.candidate_id,
                referred_at=event.time,
            )
        )
        uow.publish(
            "referral.recorded",
            events_pb2.ReferralRecorded(
                referral_id=share.share_id,
                opportunity_id=share.opportunity_id,
                referrer_id=share.poster_id,
                candidate_id=share.candidate_id,
            ),
        )

    applied = store.apply_once(event, "referrals.on_opportunity_shared", work)
    if applied:
        metrics.REFERRALS_MADE.labels("opportunity_share").inc()
    return applied


def list_for(user_id: str) -> list[Referral]:
    if not user_id:
        raise InvalidInput.one("user_id", "user_id.required")
    made = Referral.objects(referrer_id=user_id)
    received = Referral.objects(candidate_id=user_id)
    by_id = {r.id: r for r in [*made, *received]}
    return sorted(by_id.values(), key=lambda r: r.referred_at, reverse=True)
