"""Referrals' documents."""

from __future__ import annotations

from mongoengine import DateTimeField, Document, StringField


class Referral(Document):
    """One edge of a referral network: `referrer_id` pointed `candidate_id` at something. For
    now the only kind is an opportunity shared by its poster."""

    meta = {"collection": "referrals", "indexes": ["referrer_id", "candidate_id"]}
    id = StringField(primary_key=True)  # the share id from opportunities
    kind = StringField(required=True, choices=("opportunity_share",))
    opportunity_id = StringField(required=True)
    referrer_id = StringField(required=True)
    candidate_id = StringField(required=True)
    referred_at = DateTimeField(required=True)


DOCUMENTS = (Referral,)
