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


class RegisterIn(Body):
    email: str = Field(max_length=254)
    password: str = Field(max_length=256)
    display_name: str = Field(max_length=100)
    language: str = Field(default="en", max_length=5)
    department: str = Field(default="", max_length=200)


class RegisterOut(BaseModel):
    user_id: str
    username: str


class SignInIn(Body):
    email: str = Field(max_length=254)
    password: str = Field(max_length=256)


class TokenOut(BaseModel):
    access_token: str
    token_type: str
    expires_in: int
    user_id: str


class AccountOut(BaseModel):
    user_id: str
    email: str
    username: str
    display_name: str
    language: str
    department: str


class LocalizedText(BaseModel):
    en: str
    fr: str


class SkillOut(BaseModel):
    id: str
    label: LocalizedText


class ProfileOut(BaseModel):
    user_id: str
    display_name: str
    department: str
    title: str
    skills: list[SkillOut]
    version: int


class ProfileUpdateIn(Body):
    title: str = Field(default="", max_length=200)
    skill_ids: list[SkillId] = Field(default_factory=list, max_length=100)


class OpportunityIn(Body):
    title_en: str = Field(max_length=200)
    title_fr: str = Field(max_length=200)
    description_en: str = Field(max_length=10_000)
    description_fr: str = Field(max_length=10_000)
    skill_ids: list[SkillId] = Field(max_length=30)
    openings: int = Field(default=1, ge=1, le=100)
    application_deadline: datetime | None = None


class OpportunityOut(BaseModel):
    id: str
    poster_id: str
    title_en: str
    title_fr: str
    description_en: str
    description_fr: str
    skill_ids: list[str]
    openings: int
    state: str
    applicant_count: int
    application_deadline: datetime | None
    posted_at: datetime


class ReasonOut(BaseModel):
    code: str
    params: dict[str, str]
    text: str = Field(description="The reason in the request's language.")


class CandidateOut(BaseModel):
    user_id: str
    display_name: str
    score: float
    reasons: list[ReasonOut]


class CandidatesOut(BaseModel):
    opportunity_id: str
    candidates: list[CandidateOut]


class ShareIn(Body):
    candidate_id: Id


class ShareOut(BaseModel):
    share_id: str


class ApplyIn(Body):
    message: str = Field(default="", max_length=2_000)


class ApplicationOut(BaseModel):
    id: str
    opportunity_id: str
    applicant_id: str
    state: str


class OfferIn(Body):
    applicant_id: Id


class OfferOut(BaseModel):
    id: str
    opportunity_id: str
    applicant_id: str
    state: str


class NotificationOut(BaseModel):
    id: str
    kind: str
    subject: str
    body: str
    link: str
    read: bool
    created_at: datetime


class NotificationsOut(BaseModel):
    notifications: list[NotificationOut]
    unread_count: int
    next_page_token: str


class MarkReadIn(Body):
    notification_ids: list[Id] = Field(default_factory=list, max_length=100)


class MarkReadOut(BaseModel):
    marked: int


class ReferralOut(BaseModel):
    id: str
    opportunity_id: str
    referrer_id: str
    candidate_id: str
    shared_at: datetime


class ReferralsOut(BaseModel):
    referrals: list[ReferralOut]
