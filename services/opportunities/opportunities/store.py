"""Opportunities' documents."""

from __future__ import annotations

from mongoengine import BooleanField, DateTimeField, DictField, Document, IntField, ListField, StringField


class Opportunity(Document):
    meta = {
        "collection": "opportunities",
        "indexes": [
            "poster_id",
            ("state", "-posted_at"),
            ("state", "application_deadline"),
            "keywords",
            "skill_ids",
            "type",
            "department",
        ],
    }
    id = StringField(primary_key=True)
    poster_id = StringField(required=True)
    # The three steps as the poster gave them (see domain/posting.py).
    poster = DictField(required=True)
    details = DictField(required=True)
    requirements = DictField(required=True)
    # Copied out of the steps for queries and rules.
    title_en = StringField(required=True, max_length=200)
    title_fr = StringField(required=True, max_length=200)
    type = StringField(required=True)
    host_role = StringField(required=True)
    program_area = StringField(required=True)
    department = StringField(required=True)
    limited_to_department = BooleanField(default=False)
    application_deadline = StringField(required=True)  # ISO date: sorts as it reads
    province = StringField(default="")
    virtual = BooleanField(default=False)
    languages = ListField(StringField())  # "en" and/or "fr" where a level is required
    skill_ids = ListField(StringField(max_length=100))
    # Lower-case, accent-free words of the titles and descriptions: search without $text.
    keywords = ListField(StringField())
    openings = IntField(required=True, min_value=1)
    # Openings not yet promised: an outstanding or accepted offer takes one. Guarded with a
    # conditional update so two racing offers can never both take the last one.
    slots_free = IntField(required=True, min_value=0)
    applicant_count = IntField(default=0, min_value=0)
    accepted_count = IntField(default=0, min_value=0)
    outstanding_count = IntField(default=0, min_value=0)
    state = StringField(required=True)
    posted_at = DateTimeField(required=True)
    filled_at = DateTimeField(null=True)
    completed_at = DateTimeField(null=True)
    cancelled_at = DateTimeField(null=True)


class Draft(Document):
    """A posting in progress: each step saved once it passes its own checks."""

    meta = {"collection": "drafts", "indexes": ["poster_id"]}
    id = StringField(primary_key=True)
    poster_id = StringField(required=True)
    poster = DictField()
    details = DictField()
    requirements = DictField()
    updated_at = DateTimeField(required=True)


class Application(Document):
    meta = {
        "collection": "applications",
        "indexes": [{"fields": ["opportunity_id", "applicant_id"], "unique": True}, "applicant_id"],
    }
    id = StringField(primary_key=True)
    opportunity_id = StringField(required=True)
    applicant_id = StringField(required=True)
    message = StringField(default="", max_length=2_000)
    state = StringField(required=True)  # see domain/model.py
    offer_id = StringField(default="")
    decline_reason = StringField(default="")
    submitted_at = DateTimeField(required=True)


class Offer(Document):
    meta = {
        "collection": "offers",
        "indexes": [{"fields": ["opportunity_id", "applicant_id"], "unique": True}, "applicant_id"],
    }
    id = StringField(primary_key=True)
    opportunity_id = StringField(required=True)
    applicant_id = StringField(required=True)
    poster_id = StringField(required=True)
    state = StringField(required=True)  # outstanding | accepted | declined | rescinded
    decline_reason = StringField(default="")
    made_at = DateTimeField(required=True)
    answered_at = DateTimeField(null=True)


class Engagement(Document):
    """The work an accepted offer starts between poster and participant."""

    meta = {"collection": "engagements", "indexes": ["opportunity_id", "participant_id", "poster_id"]}
    id = StringField(primary_key=True)
    opportunity_id = StringField(required=True)
    poster_id = StringField(required=True)
    participant_id = StringField(required=True)
    type = StringField(required=True)
    state = StringField(required=True)  # active | completed
    started_at = DateTimeField(required=True)
    completed_at = DateTimeField(null=True)


class Share(Document):
    meta = {"collection": "shares", "indexes": [{"fields": ["opportunity_id", "candidate_id"], "unique": True}]}
    id = StringField(primary_key=True)
    opportunity_id = StringField(required=True)
    poster_id = StringField(required=True)
    candidate_id = StringField(required=True)
    shared_at = DateTimeField(required=True)


DOCUMENTS = (Opportunity, Draft, Application, Offer, Engagement, Share)
