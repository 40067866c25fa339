"""Request and response bodies of the public API. Limits here stop oversized or malformed input
at the door; the services still apply their own rules."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
SkillId = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9-]*$")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LocalizedText(BaseModel):
    en: str
    fr: str


class ReferralOut(BaseModel):
    id: str
    opportunity_id: str
    referrer_id: str
    candidate_id: str
    shared_at: datetime


class ReferralsOut(BaseModel):
    referrals: list[ReferralOut]
