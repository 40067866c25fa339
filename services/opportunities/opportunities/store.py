"""Opportunities' documents."""

from __future__ import annotations

from mongoengine import DateTimeField, Document, IntField, ListField, StringField


class Opportunity(Document):
    meta = {"collection": "opportunities", "indexes": ["poster_id", "state", "-posted_at"]}
    id = StringField(primary_key=True)
    poster_id = StringField(required=True)
    title_en = StringField(required=True, max_length=200)
    title_fr = StringField(required=True, max_length=200)
    description_en = StringField(required=True, max_length=10_000)
    description_fr = StringField(required=True, max_length=10_000)
    skill_ids = ListField(StringField(max_length=100))
    openings = IntField(required=True, min_value=1)
    # Openings not yet promised: an outstanding or accepted offer takes one. Guarded with a
    # conditional update so two racing offers can never both take the last one.
    slots_free = IntField(required=True, min_value=0)
    applicant_count = IntField(default=0, min_value=0)
    state = StringField(required=True)
    application_deadline = DateTimeField(null=True)
    posted_at = DateTimeField(required=True)


class Application(Document):
    meta = {
        "collection": "applications",
        "indexes": [{"fields": ["opportunity_id", "applicant_id"], "unique": True}, "applicant_id"],
    }
    id = StringField(primary_key=True)
    opportunity_id = StringField(required=True)
    applicant_id = StringField(required=True)
    message = StringField(default="", max_length=2_000)
    state = StringField(required=True)  # submitted | offered | accepted
    submitted_at = DateTimeField(required=True)


class Offer(Document):
    meta = {
        "collection": "offers",
        "indexes": [{"fields": ["opportunity_id", "applicant_id"], "unique": True}],
    }
    id = StringField(primary_key=True)
    opportunity_id = StringField(required=True)
    applicant_id = StringField(required=True)
    poster_id = StringField(required=True)
    state = StringField(required=True)  # outstanding | accepted
    made_at = DateTimeField(required=True)
    answered_at = DateTimeField(null=True)


class Share(Document):
    meta = {"collection": "shares", "indexes": [{"fields": ["opportunity_id", "candidate_id"], "unique": True}]}
    id = StringField(primary_key=True)
    opportunity_id = StringField(required=True)
    poster_id = StringField(required=True)
    candidate_id = StringField(required=True)
    shared_at = DateTimeField(required=True)


DOCUMENTS = (Opportunity, Application, Offer, Share)
