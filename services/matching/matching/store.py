"""Matching's read model, built from other services' events."""

from __future__ import annotations

from mongoengine import BooleanField, DictField, Document, IntField, ListField, StringField


class CandidateProfile(Document):
    meta = {"collection": "candidates", "indexes": ["skill_ids"]}
    id = StringField(primary_key=True)  # user id
    display_name = StringField(required=True)
    department = StringField(default="")
    skill_ids = ListField(StringField())
    # skill id -> {"en": ..., "fr": ...}
    skill_labels = DictField()
    # For the hard filters: opportunity type -> opted-in roles; "en"/"fr" -> levels.
    opt_ins = DictField()
    languages = DictField()
    province = StringField(default="")
    paused = BooleanField(default=False)
    version = IntField(required=True)


class OpportunityRequirements(Document):
    meta = {"collection": "opportunities"}
    id = StringField(primary_key=True)
    poster_id = StringField(required=True)
    skill_ids = ListField(StringField())
    openings = IntField(required=True)
    type = StringField(default="")
    host_role = StringField(default="")
    languages = DictField()
    virtual = BooleanField(default=True)
    province = StringField(default="")


DOCUMENTS = (CandidateProfile, OpportunityRequirements)
