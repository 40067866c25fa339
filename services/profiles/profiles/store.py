"""Profiles' documents.

Nested parts of a profile (location, languages, education, opt-ins...) are stored in the shape of
their protobuf messages, as the domain checked them, so that reading one back is a parse."""

from __future__ import annotations

from mongoengine import DateTimeField, DictField, Document, IntField, ListField, StringField


class Profile(Document):
    meta = {"collection": "profiles", "indexes": ["skill_ids"]}
    id = StringField(primary_key=True)  # the account's user id
    display_name = StringField(required=True, max_length=100)
    department = StringField(default="", max_length=200)
    # identity's code for the account's department, from registration (the name above may be edited)
    department_code = StringField(default="", max_length=40)
    title = StringField(default="", max_length=200)
    classification = StringField(default="", max_length=20)
    location = DictField()
    official_languages = DictField()
    other_languages = ListField(StringField(max_length=60), max_length=20)
    education = ListField(DictField(), max_length=20)
    work_experience = ListField(DictField(), max_length=50)
    occupation_code = StringField(default="", max_length=10)
    industry_code = StringField(default="", max_length=10)
    career_goals = StringField(default="", max_length=2000)
    interests = ListField(StringField(max_length=100), max_length=30)
    skill_ids = ListField(StringField(max_length=100), max_length=100)
    # Private: the owner and matching only.
    opt_ins = ListField(DictField())
    mentoring = DictField()
    self_identification = DictField()
    security_clearance = StringField(default="", max_length=20)
    availability = DictField()
    version = IntField(required=True, min_value=0)
    updated_at = DateTimeField(required=True)


class CustomSkill(Document):
    """A skill a person added because the taxonomy lacked it. A coordinator later merges it into a
    canonical skill; the profiles that used it then carry the canonical one instead."""

    meta = {"collection": "custom_skills", "indexes": [{"fields": ["key"], "unique": True}]}
    id = StringField(primary_key=True)  # "custom-" + a random suffix
    label = StringField(required=True, max_length=100)
    key = StringField(required=True)  # the label folded (case and accents), so it is added once
    language = StringField(required=True, choices=("en", "fr"))
    created_by = StringField(required=True)
    created_at = DateTimeField(required=True)
    merged_into = StringField(default="")
    merged_by = StringField(default="")
    merged_at = DateTimeField()


DOCUMENTS = (Profile, CustomSkill)
