"""What a person may put in their profile, and how complete it is. Pure: no I/O.

A change names the fields it sets (the others stay as they are). Every field is checked, every
error is collected, and a change with any error changes nothing. Checked values come back in the
shape they are stored and published in: plain dicts and lists, keyed like the protobuf messages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from profiles.domain.codes import ClassificationError
from profiles.domain.reference import ReferenceData
from tandem_kit.errors import FieldCollector

TITLE_MAX = 200
DEPARTMENT_MAX = 200
CITY_MAX = 100
SKILLS_MAX = 100
OTHER_LANGUAGES_MAX = 20
LANGUAGE_NAME_MAX = 60
EDUCATION_MAX = 20
WORK_EXPERIENCE_MAX = 50
ENTRY_TEXT_MAX = 200
DESCRIPTION_MAX = 2000
CAREER_GOALS_MAX = 2000
INTERESTS_MAX = 30
INTEREST_MAX = 100
CULTURAL_BACKGROUND_MAX = 200
EARLIEST_YEAR = 1950
YEARS_AHEAD = 10

LANGUAGE_LEVELS = ("A", "B", "C", "E", "X")
LANGUAGE_SKILLS = ("written_comprehension", "written_expression", "oral_proficiency")

# Opportunity types and the roles a person may opt in to for each (as on the Career Marketplace's
# opt-in form).
OPT_IN_ROLES: Mapping[str, tuple[str, ...]] = {
    "micro_mission": ("participant", "host"),
    "assignment": ("participant", "host"),
    "deployment": ("participant", "host"),
    "job_swap": ("seeker",),
    "job_rotation": ("participant",),
    "mentoring": ("mentee", "mentor"),
    "job_shadowing": ("participant", "host"),
    "skill_sharing": ("participant", "host"),
    "peer_coaching": ("participant", "host"),
    "job_sharing": ("participant",),
}
MENTORING_TYPES = ("traditional", "reverse", "peer_to_peer", "wisdom_transition")
MAX_MENTEES = 20
MAX_CONNECTOR_MEETINGS_PER_YEAR = 52
MAX_AVAILABILITY_HOURS_PER_MONTH = 160
# As an opportunity's security level may require (opportunities' vocabulary).
SECURITY_CLEARANCES = ("none", "reliability", "secret", "top_secret")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_HOURS_PER_WEEK = 60
MAX_ENGAGEMENTS = 20
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
# The four designated groups of the Employment Equity Act.
EMPLOYMENT_EQUITY_GROUPS = ("women", "indigenous_peoples", "persons_with_disabilities", "visible_minorities")

# The fields a change may name, in the order errors are reported.
FIELDS = (
    "title",
    "department",
    "classification",
    "location",
    "official_languages",
    "other_languages",
    "education",
    "work_experience",
    "occupation_code",
    "industry_code",
    "career_goals",
    "interests",
    "skill_ids",
    "opt_ins",
    "mentoring",
    "self_identification",
    "security_clearance",
    "availability",
)

# What a complete profile has, in the order a person is asked to fill it in.
SECTIONS = (
    "title",
    "department",
    "classification",
    "location",
    "official_languages",
    "education",
    "work_experience",
    "occupation",
    "industry",
    "career_goals",
    "interests",
    "skills",
)

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


# --- what a change carries ------------------------------------------------------------------------


@dataclass(frozen=True)
class LanguageLevels:
    written_comprehension: str = ""
    written_expression: str = ""
    oral_proficiency: str = ""


@dataclass(frozen=True)
class Location:
    city: str = ""
    province: str = ""
    time_zone: str = ""


@dataclass(frozen=True)
class Education:
    institution: str = ""
    credential: str = ""
    field_of_study: str = ""
    start_year: int = 0
    end_year: int = 0


@dataclass(frozen=True)
class WorkExperience:
    title: str = ""
    organization: str = ""
    start: str = ""
    end: str = ""
    description: str = ""


@dataclass(frozen=True)
class OptIn:
    opportunity_type: str
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class MentoringPreferences:
    types: tuple[str, ...] = ()
    max_mentees: int = 0
    connector_meetings_per_year: int = 0
    availability_hours_per_month: int = 0
    paused: bool = False


@dataclass(frozen=True)
class SelfIdentification:
    cultural_background: str = ""
    employment_equity_groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Availability:
    hours_per_week: int = 0
    max_engagements: int = 0
    days: tuple[str, ...] = ()
    day_start: str = ""
    day_end: str = ""


@dataclass(frozen=True)
class ProfileChanges:
    """The fields named in `fields` are set to the values given; the others are left alone."""

    fields: frozenset[str]
    title: str = ""
    department: str = ""
    classification: str = ""
    location: Location = field(default_factory=Location)
    english: LanguageLevels = field(default_factory=LanguageLevels)
    french: LanguageLevels = field(default_factory=LanguageLevels)
    other_languages: tuple[str, ...] = ()
    education: tuple[Education, ...] = ()
    work_experience: tuple[WorkExperience, ...] = ()
    occupation_code: str = ""
    industry_code: str = ""
    career_goals: str = ""
    interests: tuple[str, ...] = ()
    skill_ids: tuple[str, ...] = ()
    opt_ins: tuple[OptIn, ...] = ()
    mentoring: MentoringPreferences = field(default_factory=MentoringPreferences)
    self_identification: SelfIdentification = field(default_factory=SelfIdentification)
    security_clearance: str = ""
    availability: Availability = field(default_factory=Availability)


# --- checks ---------------------------------------------------------------------------------------


def _line(errors: FieldCollector, name: str, value: str, limit: int, *, required: bool = False) -> str:
    """One line of text: spaces collapsed; line breaks refused rather than silently joined."""
    if any(c in value for c in "\r\n\t\v\f"):
        errors.add(name, "field.single_line")
    cleaned = " ".join(value.split())
    if len(cleaned) > limit:
        errors.add(name, "field.too_long", max=limit)
    elif required and not cleaned:
        errors.add(name, "field.required")
    return cleaned


def _text(errors: FieldCollector, name: str, value: str, limit: int) -> str:
    """Free text over several lines: trimmed, nothing else changed."""
    cleaned = value.strip()
    if len(cleaned) > limit:
        errors.add(name, "field.too_long", max=limit)
    return cleaned


def _number(errors: FieldCollector, name: str, value: int, high: int) -> int:
    if not 0 <= value <= high:
        errors.add(name, "field.number_range", min=0, max=high)
    return value


def _list_of_lines(errors: FieldCollector, name: str, values: Sequence[str], limit: int, max_items: int) -> list[str]:
    if len(values) > max_items:
        errors.add(name, "field.too_many", max=max_items)
        return []
    cleaned: dict[str, str] = {}
    for i, value in enumerate(values):
        text = _line(errors, f"{name}.{i}", value, limit)
        if text:
            cleaned.setdefault(text.casefold(), text)  # the same entry twice counts once
    return list(cleaned.values())


def _classification(errors: FieldCollector, ref: ReferenceData, value: str) -> str:
    if not value.strip():
        return ""
    try:
        return ref.groups.parse(value).code
    except ClassificationError as refused:
        errors.add("classification", refused.code, **refused.params)
        return ""


def _location(errors: FieldCollector, ref: ReferenceData, value: Location) -> dict[str, str]:
    city = _line(errors, "location.city", value.city, CITY_MAX)
    province = value.province.strip().upper()
    if province and province not in ref.provinces:
        errors.add("location.province", "location.province")
    time_zone = value.time_zone.strip()
    if time_zone and time_zone not in ref.time_zones:
        errors.add("location.time_zone", "location.time_zone")
    return {"city": city, "province": province, "time_zone": time_zone}


def _language_levels(errors: FieldCollector, name: str, value: LanguageLevels) -> dict[str, str]:
    levels = {}
    for skill in LANGUAGE_SKILLS:
        level = getattr(value, skill).strip().upper()
        if level and level not in LANGUAGE_LEVELS:
            errors.add(f"{name}.{skill}", "language.level")
        levels[skill] = level
    return levels


def _year(errors: FieldCollector, name: str, year: int, today: date) -> int:
    if year and not EARLIEST_YEAR <= year <= today.year + YEARS_AHEAD:
        errors.add(name, "year.range", min=EARLIEST_YEAR, max=today.year + YEARS_AHEAD)
        return 0
    return year


def _education(errors: FieldCollector, entries: Sequence[Education], today: date) -> list[dict[str, Any]]:
    if len(entries) > EDUCATION_MAX:
        errors.add("education", "field.too_many", max=EDUCATION_MAX)
        return []
    cleaned = []
    for i, e in enumerate(entries):
        at = f"education.{i}"
        start = _year(errors, f"{at}.start_year", e.start_year, today)
        end = _year(errors, f"{at}.end_year", e.end_year, today)
        if start and end and end < start:
            errors.add(f"{at}.end_year", "year.order")
        cleaned.append(
            {
                "institution": _line(errors, f"{at}.institution", e.institution, ENTRY_TEXT_MAX, required=True),
                "credential": _line(errors, f"{at}.credential", e.credential, ENTRY_TEXT_MAX),
                "field_of_study": _line(errors, f"{at}.field_of_study", e.field_of_study, ENTRY_TEXT_MAX),
                "start_year": start,
                "end_year": end,
            }
        )
    return cleaned


def _month(errors: FieldCollector, name: str, value: str, today: date, *, required: bool) -> str:
    value = value.strip()
    if not value:
        if required:
            errors.add(name, "field.required")
        return ""
    m = _MONTH.match(value)
    if m is None or not 1 <= int(m.group(2)) <= 12:
        errors.add(name, "month.format")
        return ""
    if not EARLIEST_YEAR <= int(m.group(1)) <= today.year + YEARS_AHEAD:
        errors.add(name, "year.range", min=EARLIEST_YEAR, max=today.year + YEARS_AHEAD)
        return ""
    return value


def _work_experience(errors: FieldCollector, entries: Sequence[WorkExperience], today: date) -> list[dict[str, Any]]:
    if len(entries) > WORK_EXPERIENCE_MAX:
        errors.add("work_experience", "field.too_many", max=WORK_EXPERIENCE_MAX)
        return []
    cleaned = []
    for i, e in enumerate(entries):
        at = f"work_experience.{i}"
        start = _month(errors, f"{at}.start", e.start, today, required=True)
        end = _month(errors, f"{at}.end", e.end, today, required=False)
        if start and end and end < start:  # YYYY-MM compares as text
            errors.add(f"{at}.end", "month.order")
        cleaned.append(
            {
                "title": _line(errors, f"{at}.title", e.title, ENTRY_TEXT_MAX, required=True),
                "organization": _line(errors, f"{at}.organization", e.organization, ENTRY_TEXT_MAX),
                "start": start,
                "end": end,
                "description": _text(errors, f"{at}.description", e.description, DESCRIPTION_MAX),
            }
        )
    return cleaned


def _occupation(errors: FieldCollector, ref: ReferenceData, code: str) -> str:
    code = code.strip()
    if not code:
        return ""
    found = ref.noc.get(code)
    if found is None:
        errors.add("occupation_code", "occupation.unknown", value=code[:20])
    elif found.level != "unit_group":
        errors.add("occupation_code", "occupation.not_unit_group", value=code)
    return code


def _industry(errors: FieldCollector, ref: ReferenceData, code: str) -> str:
    code = code.strip()
    if code and ref.naics.get(code) is None:
        errors.add("industry_code", "industry.unknown", value=code[:20])
    return code


def _skills(errors: FieldCollector, ref: ReferenceData, ids: Sequence[str], custom: frozenset[str]) -> list[str]:
    cleaned = list(dict.fromkeys(i.strip() for i in ids if i.strip()))
    if len(cleaned) > SKILLS_MAX:
        errors.add("skill_ids", "skills.too_many", max=SKILLS_MAX)
    unknown = [i for i in ref.taxonomy.unknown(cleaned) if i not in custom]
    if unknown:
        errors.add("skill_ids", "skills.unknown", ids=", ".join(i[:40] for i in unknown[:5]))
    return cleaned


def _opt_ins(errors: FieldCollector, opt_ins: Sequence[OptIn]) -> list[dict[str, Any]]:
    cleaned: dict[str, list[str]] = {}
    for opt_in in opt_ins:
        kind = opt_in.opportunity_type.strip()
        at = f"opt_ins.{kind[:40]}"
        allowed = OPT_IN_ROLES.get(kind)
        if allowed is None:
            errors.add(at, "opt_in.unknown_type", types=", ".join(OPT_IN_ROLES))
            continue
        if kind in cleaned:
            errors.add(at, "opt_in.repeated")
            continue
        wrong = [r for r in opt_in.roles if r not in allowed]
        if wrong:
            errors.add(at, "opt_in.role", roles=", ".join(allowed))
            continue
        cleaned[kind] = [r for r in allowed if r in opt_in.roles]  # in a stable order, once each
    # Opting in to no role of a type is not opting in to it.
    return [{"opportunity_type": k, "roles": roles} for k in OPT_IN_ROLES if (roles := cleaned.get(k, []))]


def _mentoring(errors: FieldCollector, prefs: MentoringPreferences) -> dict[str, Any]:
    wrong = [t for t in prefs.types if t not in MENTORING_TYPES]
    if wrong:
        errors.add("mentoring.types", "mentoring.type", types=", ".join(MENTORING_TYPES))
    return {
        "types": [t for t in MENTORING_TYPES if t in prefs.types],
        "max_mentees": _number(errors, "mentoring.max_mentees", prefs.max_mentees, MAX_MENTEES),
        "connector_meetings_per_year": _number(
            errors,
            "mentoring.connector_meetings_per_year",
            prefs.connector_meetings_per_year,
            MAX_CONNECTOR_MEETINGS_PER_YEAR,
        ),
        "availability_hours_per_month": _number(
            errors,
            "mentoring.availability_hours_per_month",
            prefs.availability_hours_per_month,
            MAX_AVAILABILITY_HOURS_PER_MONTH,
        ),
        "paused": prefs.paused,
    }


def _self_identification(errors: FieldCollector, value: SelfIdentification) -> dict[str, Any]:
    wrong = [g for g in value.employment_equity_groups if g not in EMPLOYMENT_EQUITY_GROUPS]
    if wrong:
        errors.add(
            "self_identification.employment_equity_groups",
            "equity_group.unknown",
            groups=", ".join(EMPLOYMENT_EQUITY_GROUPS),
        )
    return {
        "cultural_background": _line(
            errors, "self_identification.cultural_background", value.cultural_background, CULTURAL_BACKGROUND_MAX
        ),
        "employment_equity_groups": [g for g in EMPLOYMENT_EQUITY_GROUPS if g in value.employment_equity_groups],
    }


def _security_clearance(errors: FieldCollector, value: str) -> str:
    value = value.strip()
    if value and value not in SECURITY_CLEARANCES:
        errors.add("security_clearance", "security_clearance.unknown", levels=", ".join(SECURITY_CLEARANCES))
    return value


def _availability(errors: FieldCollector, value: Availability) -> dict[str, Any]:
    wrong = [d for d in value.days if d not in WEEKDAYS]
    if wrong:
        errors.add("availability.days", "availability.day", days=", ".join(WEEKDAYS))
    times, valid = {}, True
    for name in ("day_start", "day_end"):
        text = getattr(value, name).strip()
        if text and not _HHMM.match(text):
            errors.add(f"availability.{name}", "availability.time")
            valid = False
        times[name] = text
    if valid and times["day_start"] and times["day_end"] and times["day_end"] <= times["day_start"]:
        errors.add("availability.day_end", "availability.time_order")
    return {
        "hours_per_week": _number(errors, "availability.hours_per_week", value.hours_per_week, MAX_HOURS_PER_WEEK),
        "max_engagements": _number(errors, "availability.max_engagements", value.max_engagements, MAX_ENGAGEMENTS),
        "days": [d for d in WEEKDAYS if d in value.days],
        **times,
    }


def validate_changes(
    ref: ReferenceData, changes: ProfileChanges, *, custom_skill_ids: frozenset[str] = frozenset(), today: date
) -> dict[str, Any]:
    """The stored value of every field the change names; raises InvalidInput listing every
    field that is wrong."""
    errors = FieldCollector()
    unknown = sorted(changes.fields - set(FIELDS))
    if unknown:
        errors.add("update_mask", "update_mask.unknown", fields=", ".join(f[:40] for f in unknown[:5]))
    c = changes
    checks = {
        "title": lambda: _line(errors, "title", c.title, TITLE_MAX),
        "department": lambda: _line(errors, "department", c.department, DEPARTMENT_MAX),
        "classification": lambda: _classification(errors, ref, c.classification),
        "location": lambda: _location(errors, ref, c.location),
        "official_languages": lambda: {
            "english": _language_levels(errors, "official_languages.english", c.english),
            "french": _language_levels(errors, "official_languages.french", c.french),
        },
        "other_languages": lambda: _list_of_lines(
            errors, "other_languages", c.other_languages, LANGUAGE_NAME_MAX, OTHER_LANGUAGES_MAX
        ),
        "education": lambda: _education(errors, c.education, today),
        "work_experience": lambda: _work_experience(errors, c.work_experience, today),
        "occupation_code": lambda: _occupation(errors, ref, c.occupation_code),
        "industry_code": lambda: _industry(errors, ref, c.industry_code),
        "career_goals": lambda: _text(errors, "career_goals", c.career_goals, CAREER_GOALS_MAX),
        "interests": lambda: _list_of_lines(errors, "interests", c.interests, INTEREST_MAX, INTERESTS_MAX),
        "skill_ids": lambda: _skills(errors, ref, c.skill_ids, custom_skill_ids),
        "opt_ins": lambda: _opt_ins(errors, c.opt_ins),
        "mentoring": lambda: _mentoring(errors, c.mentoring),
        "self_identification": lambda: _self_identification(errors, c.self_identification),
        "security_clearance": lambda: _security_clearance(errors, c.security_clearance),
        "availability": lambda: _availability(errors, c.availability),
    }
    cleaned = {name: checks[name]() for name in FIELDS if name in changes.fields}
    errors.raise_if_any()
    return cleaned


# --- completeness ---------------------------------------------------------------------------------


def _has_languages(levels: Mapping[str, Any]) -> bool:
    return any(v for lang in ("english", "french") for v in (levels.get(lang) or {}).values())


def missing_sections(profile: Mapping[str, Any]) -> list[str]:
    """The sections of a stored profile that are still empty, in the order they are asked for."""
    location = profile.get("location") or {}
    present = {
        "title": bool(profile.get("title")),
        "department": bool(profile.get("department")),
        "classification": bool(profile.get("classification")),
        "location": bool(location.get("city") and location.get("province") and location.get("time_zone")),
        "official_languages": _has_languages(profile.get("official_languages") or {}),
        "education": bool(profile.get("education")),
        "work_experience": bool(profile.get("work_experience")),
        "occupation": bool(profile.get("occupation_code")),
        "industry": bool(profile.get("industry_code")),
        "career_goals": bool(profile.get("career_goals")),
        "interests": bool(profile.get("interests")),
        "skills": bool(profile.get("skill_ids")),
    }
    return [s for s in SECTIONS if not present[s]]


def completeness_percent(missing: Sequence[str]) -> int:
    return round(100 * (len(SECTIONS) - len(missing)) / len(SECTIONS))
