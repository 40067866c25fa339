"""Profiles' documents."""

from __future__ import annotations

from mongoengine import DateTimeField, Document, IntField, ListField, StringField


class Profile(Document):
    meta = {"collection": "profiles", "indexes": ["skill_ids"]}
    id = StringField(primary_key=True)  # the account's user id
    display_name = StringField(required=True, max_length=100)
    department = StringField(default="", max_length=200)
    title = StringField(default="", max_length=200)
    skill_ids = ListField(StringField(max_length=100), max_length=100)
    version = IntField(required=True, min_value=0)
    updated_at = DateTimeField(required=True)


DOCUMENTS = (Profile,)
