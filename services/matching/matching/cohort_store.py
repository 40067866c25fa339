"""Matching's documents for mentor and connector matching: the mentoring read model (from
profile.updated), programs, cohorts, cohort runs (jobs and their results), matches and connector
offers."""

from __future__ import annotations

from mongoengine import (
    BooleanField,
    DateTimeField,
    DictField,
    Document,
    FloatField,
    IntField,
    ListField,
    StringField,
)


class MentoringProfile(Document):
    """What mentor and connector matching need of a person, from their profile."""

    meta = {"collection": "mentoring_profiles", "indexes": ["roles", "department"]}
    id = StringField(primary_key=True)  # user id
    display_name = StringField(required=True)
    department = StringField(default="")
    noc = StringField(default="")  # NOC 2021 unit group
    industry = StringField(default="")  # NAICS 2022
    goals = ListField(StringField())  # interests, normalized
    languages = ListField(StringField())  # "en", "fr": official languages they speak
    preferred_language = StringField(default="")
    cultural_background = StringField(default="")
    city = StringField(default="")
    province = StringField(default="")
    seniority = IntField(default=0)  # the level of their classification
    # mentoring opt-in roles: mentee, mentor
    roles = ListField(StringField())
    mentoring_types = ListField(StringField())
    max_mentees = IntField(default=0)
    connector_meetings_per_year = IntField(default=0)
    paused = BooleanField(default=False)
    # Connector matching
    education = IntField(default=0)  # connector.Education, 0 when unknown
    fields_of_study = ListField(StringField())
    years_experience = FloatField(default=0.0)
    version = IntField(required=True)


class Program(Document):
    meta = {"collection": "programs"}
    id = StringField(primary_key=True)
    name = DictField(required=True)  # {"en": ..., "fr": ...}
    # Every rule, defaults filled in, as ProgramRules' field names.
    rules = DictField(required=True)
    version = IntField(required=True)
    updated_by = StringField(required=True)
    updated_at = DateTimeField(required=True)


class Cohort(Document):
    # A member finds their cohorts (ListMyCohorts) by a multikey index on each side.
    meta = {"collection": "cohorts", "indexes": ["program_id", "mentees.user_id", "mentors.user_id"]}
    id = StringField(primary_key=True)
    program_id = StringField(required=True)
    name = DictField(required=True)
    # [{"user_id", "display_name", "capacity", "reporting_line"}]
    mentees = ListField(DictField())
    mentors = ListField(DictField())
    pins = ListField(ListField(StringField()))  # [mentee id, mentor id]
    bans = ListField(ListField(StringField()))
    # Each member's own ranking of the other side, for stable runs, by user id:
    # {"ranked": [user ids, best first], "set_by": the member or a coordinator, "set_at": when}.
    # Absent: they rank by fit.
    mentee_rankings = DictField()
    mentor_rankings = DictField()
    generation = IntField(default=0)
    # Bumped at each change of a member's ranking: a stable run solved on older rankings is stale.
    rankings_version = IntField(default=0)
    created_by = StringField(required=True)
    created_at = DateTimeField(required=True)


class CohortRun(Document):
    """A cohort run: the job's progress and, once done, its pending result."""

    meta = {"collection": "cohort_runs", "indexes": ["cohort_id"]}
    id = StringField(primary_key=True)
    cohort_id = StringField(required=True)
    program_id = StringField(required=True)
    method = StringField(required=True)
    state = StringField(required=True)  # queued, running, done, failed, published
    stage = StringField(default="")
    attempts = IntField(default=0)
    worker = StringField(default="")
    generation = IntField(required=True)
    # The cohort's rankings_version the solve read (stable runs follow the members' rankings).
    rankings_version = IntField(default=0)
    # What the run keeps and avoids, as of when it was asked for: the coordinator's pins and
    # bans, the pairs already proposed or active (pins), the declined ones (bans).
    pins = ListField(ListField(StringField()))
    bans = ListField(ListField(StringField()))
    queued_at = DateTimeField(required=True)
    started_at = DateTimeField()
    finished_at = DateTimeField()
    published_at = DateTimeField()
    requested_by = StringField(required=True)
    # The result: pairs [{mentee_id, mentor_id, fit, score, pinned, reasons: [{code, params, points}]}]
    pairs = ListField(DictField())
    unmatched = ListField(DictField())  # [{mentee_id, cause: {...}, main_rule: {...} | None}]
    total_fit = FloatField(default=0.0)
    errors = ListField(DictField())  # [{field, code, params}]
    solve_seconds = FloatField(default=0.0)


class Match(Document):
    """A published pair, from proposal to active or declined."""

    meta = {
        "collection": "matches",
        "indexes": ["cohort_id", "mentee_id", "mentor_id"],
    }
    id = StringField(primary_key=True)
    cohort_id = StringField(required=True)
    program_id = StringField(required=True)
    run_id = StringField(required=True)
    mentee_id = StringField(required=True)
    mentor_id = StringField(required=True)
    state = StringField(required=True)  # proposed, active, declined
    mentee_answer = StringField(default="")
    mentor_answer = StringField(default="")
    fit = FloatField(default=0.0)
    score = FloatField(default=0.0)
    reasons = ListField(DictField())
    proposed_at = DateTimeField(required=True)
    decided_at = DateTimeField()


class ConnectorOffer(Document):
    meta = {"collection": "connector_offers", "indexes": ["connector_id", "newcomer_id"]}
    id = StringField(primary_key=True)
    program_id = StringField(required=True)
    newcomer_id = StringField(required=True)
    connector_id = StringField(default="")  # empty once nobody eligible is left
    connector_ids = ListField(StringField())  # the pool; empty: every opted-in connector
    yearly_cap = IntField(required=True)
    state = StringField(required=True)  # waiting, accepted, exhausted
    declined_by = ListField(StringField())
    score = FloatField(default=0.0)
    reasons = ListField(DictField())
    year = IntField(required=True)
    created_by = StringField(required=True)
    created_at = DateTimeField(required=True)


COHORT_DOCUMENTS = (MentoringProfile, Program, Cohort, CohortRun, Match, ConnectorOffer)
