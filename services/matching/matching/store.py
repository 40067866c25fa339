"""Matching's read model, built from other services' events."""

from __future__ import annotations

from mongoengine import BooleanField, DictField, Document, FloatField, IntField, ListField, StringField

from matching.cohort_store import COHORT_DOCUMENTS


class CandidateProfile(Document):
    """A person as ranking sees them, from `profile.updated` (and their engagements, from
    opportunities' events). Every write stamps the next change sequence number (`seq`), which
    the api processes follow to keep their in-memory index fresh."""

    # Only `seq` is queried (by the api's index feed); ranking itself reads the index in memory.
    meta = {"collection": "candidates", "indexes": ["seq"]}
    id = StringField(primary_key=True)  # user id
    # Empty (and version 0) while only engagements are known: not a candidate until a profile.
    display_name = StringField(default="")
    department = StringField(default="")
    department_code = StringField(default="")  # identity's code: what department-only compares
    skill_ids = ListField(StringField())
    # skill id -> {"en": ..., "fr": ...}
    skill_labels = DictField()
    # custom skill id -> the name the person gave it (for alias matches through the taxonomy)
    custom_skills = DictField()
    # For the hard filters: opportunity type -> opted-in roles; "en"/"fr" -> levels.
    opt_ins = DictField()
    languages = DictField()
    province = StringField(default="")
    city = StringField(default="")
    time_zone = StringField(default="")
    paused = BooleanField(default=False)
    max_mentees = IntField(default=0)
    security_clearance = StringField(default="")
    # hours_per_week, max_engagements, days, day_start, day_end (profiles' Availability)
    availability = DictField()
    classification_group = StringField(default="")
    classification_level = IntField(default=0)
    noc = StringField(default="")
    naics = StringField(default="")
    # opportunity id -> type, for each opportunity they are engaged in now (capacity)
    engaged_in = DictField()
    version = IntField(required=True)
    seq = IntField(default=0)


class OpportunityRequirements(Document):
    """An opportunity as ranking and recommendations see it, from opportunities' events."""

    meta = {"collection": "opportunities", "indexes": ["seq"]}
    id = StringField(primary_key=True)
    poster_id = StringField(default="")
    title = DictField()  # {"en": ..., "fr": ...}
    skill_ids = ListField(StringField())
    openings = IntField(default=0)
    type = StringField(default="")
    host_role = StringField(default="")
    languages = DictField()
    virtual = BooleanField(default=True)
    province = StringField(default="")
    city = StringField(default="")
    department = StringField(default="")
    limited_to_department = BooleanField(default=False)
    security_level = StringField(default="")
    time_zone = StringField(default="")
    schedule = DictField()  # weekday -> {"start": "HH:MM", "duration": "HH:MM"}
    hours = FloatField(default=0.0)
    per = StringField(default="")
    classification = StringField(default="")
    application_deadline = StringField(default="")  # YYYY-MM-DD
    state = StringField(default="open")  # open | cancelled | completed
    participant_ids = ListField(StringField())  # people engaged through it (it is full at openings)
    seq = IntField(default=0)


class ChangeSequence(Document):
    """The last change sequence number given. Taking the next one in a write's transaction makes
    concurrent writes conflict on it, so numbers become visible in the order they were given:
    a reader that has seen n has seen everything up to n."""

    meta = {"collection": "sequences"}
    id = StringField(primary_key=True)
    value = IntField(default=0)


# Mentor and connector matching keep their documents in cohort_store.py.
DOCUMENTS = (CandidateProfile, OpportunityRequirements, ChangeSequence, *COHORT_DOCUMENTS)
