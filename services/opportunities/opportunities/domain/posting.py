"""Posting an opportunity in three steps, as the Career Marketplace does: the poster, the
details, the requirements. Each step is checked on its own and kept in a draft; publishing
checks that all three are there and still make sense together. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, time
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

import yaml
from email_validator import EmailNotValidError, validate_email

from tandem_kit.errors import FieldCollector

VOCABULARY = Path(__file__).resolve().parents[1] / "data" / "vocabulary.yaml"

NAME_MAX = 100
TITLE_MAX = 200
DESCRIPTION_MAX = 10_000
OPENINGS_MAX = 100
SKILLS_MAX = 30
CITY_MAX = 100
CLASSIFICATION = re.compile(r"^[A-Z]{2,3}-\d{2}$")  # EC-05, AS-02, CS-03
SKILL_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
PHONE_DIGITS = (7, 15)
HOURS_MAX = {"day": 24.0, "week": 168.0, "month": 744.0}
LANGUAGE_SKILLS = ("written_comprehension", "written_expression", "oral_proficiency")


@cache
def vocabulary() -> Mapping[str, Mapping[str, Mapping[str, str]]]:
    """The bilingual lists: opportunity types, program areas, security levels and so on."""
    with VOCABULARY.open(encoding="utf-8") as f:
        data: Mapping[str, Mapping[str, Mapping[str, str]]] = yaml.safe_load(f)
    return data


def _codes(list_name: str) -> Mapping[str, Mapping[str, str]]:
    return vocabulary()[list_name]


def _text(errors: FieldCollector, name: str, raw: str, limit: int, *, required: bool, one_line: bool) -> str:
    value = raw.strip()
    if not value:
        if required:
            errors.add(name, "field.required")
    elif len(value) > limit:
        errors.add(name, "field.too_long", max=limit)
    elif one_line and any(c in value for c in "\r\n\t"):
        errors.add(name, "field.single_line")
    return value


def _date(errors: FieldCollector, name: str, raw: str) -> date | None:
    """An ISO calendar date, or None when empty; a malformed one is a field error."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        errors.add(name, "date.invalid")
        return None


def parse_date(raw: str) -> date:
    """A date this module already accepted."""
    return date.fromisoformat(raw)


# --- step 1: the poster ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PosterStep:
    name: str
    email: str
    department: str
    phone: str
    agrees_to_guide: bool
    agrees_to_feedback: bool


def check_poster(
    *,
    name: str,
    email: str,
    department: str,
    phone: str,
    agrees_to_guide: bool,
    agrees_to_feedback: bool,
    is_department: Callable[[str], bool],
) -> PosterStep:
    errors = FieldCollector()
    name = _text(errors, "name", name, NAME_MAX, required=True, one_line=True)
    email = email.strip().lower()
    if not email:
        errors.add("email", "field.required")
    else:
        try:
            email = validate_email(email, check_deliverability=False, allow_smtputf8=False).normalized.lower()
        except EmailNotValidError:
            errors.add("email", "email.invalid")
    department = department.strip()
    if not department:
        errors.add("department", "field.required")
    elif not is_department(department):
        errors.add("department", "department.unknown")
    phone = phone.strip()
    if phone:
        digits = sum(c.isdigit() for c in phone)
        if not re.fullmatch(r"[0-9 +().x-]+", phone) or not PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]:
            errors.add("phone", "phone.invalid")
    if not agrees_to_guide:
        errors.add("agrees_to_guide", "poster.must_agree_to_guide")
    if not agrees_to_feedback:
        errors.add("agrees_to_feedback", "poster.must_agree_to_feedback")
    errors.raise_if_any()
    return PosterStep(name, email, department, phone, agrees_to_guide, agrees_to_feedback)


# --- step 2: the details --------------------------------------------------------------------------


@dataclass(frozen=True)
class DetailsStep:
    title_en: str
    title_fr: str
    description_en: str
    description_fr: str
    type: str
    host_role: str
    program_area: str
    classification: str
    openings: int
    ideal_start: date
    ideal_completion: date | None
    application_deadline: date
    limited_to_department: bool


def check_details(
    *,
    title_en: str,
    title_fr: str,
    description_en: str,
    description_fr: str,
    type: str,
    host_role: str,
    program_area: str,
    classification: str,
    openings: int,
    ideal_start: str,
    ideal_completion: str,
    application_deadline: str,
    limited_to_department: bool,
    today: date,
) -> DetailsStep:
    errors = FieldCollector()
    start = _date(errors, "ideal_start", ideal_start)
    completion = _date(errors, "ideal_completion", ideal_completion)
    deadline = _date(errors, "application_deadline", application_deadline)
    title_en = _text(errors, "title_en", title_en, TITLE_MAX, required=True, one_line=True)
    title_fr = _text(errors, "title_fr", title_fr, TITLE_MAX, required=True, one_line=True)
    description_en = _text(errors, "description_en", description_en, DESCRIPTION_MAX, required=True, one_line=False)
    description_fr = _text(errors, "description_fr", description_fr, DESCRIPTION_MAX, required=True, one_line=False)
    if not type:
        errors.add("type", "field.required")
    elif type not in _codes("opportunity_types"):
        errors.add("type", "choice.unknown")
    if not host_role:
        errors.add("host_role", "field.required")
    elif host_role not in _codes("host_roles"):
        errors.add("host_role", "choice.unknown")
    if not program_area:
        errors.add("program_area", "field.required")
    elif program_area not in _codes("program_areas"):
        errors.add("program_area", "choice.unknown")
    classification = classification.strip().upper()
    if classification and not CLASSIFICATION.match(classification):
        errors.add("classification", "classification.invalid")
    if not 1 <= openings <= OPENINGS_MAX:
        errors.add("openings", "openings.range", max=OPENINGS_MAX)
    if start is None:
        if not errors.has("ideal_start"):
            errors.add("ideal_start", "field.required")
    elif start < today:
        errors.add("ideal_start", "date.past")
    if deadline is None:
        if not errors.has("application_deadline"):
            errors.add("application_deadline", "field.required")
    elif deadline < today:
        errors.add("application_deadline", "date.past")
    elif start is not None and deadline > start:
        errors.add("application_deadline", "deadline.after_start")
    if completion is not None and start is not None and completion < start:
        errors.add("ideal_completion", "completion.before_start")
    errors.raise_if_any()
    assert start is not None and deadline is not None
    return DetailsStep(
        title_en,
        title_fr,
        description_en,
        description_fr,
        type,
        host_role,
        program_area,
        classification,
        openings,
        start,
        completion,
        deadline,
        limited_to_department,
    )


# --- step 3: the requirements ---------------------------------------------------------------------


@dataclass(frozen=True)
class DaySlot:
    start: str  # HH:MM
    minutes: int


@dataclass(frozen=True)
class RequirementsStep:
    skill_ids: list[str]
    hours: float
    per: str
    time_zone: str
    schedule: dict[str, DaySlot]
    virtual: bool
    city: str
    province: str
    security_level: str
    # {"en": {"written_comprehension": "B", ...}, "fr": {...}}; empty where not required
    languages: dict[str, dict[str, str]] = field(default_factory=dict)


def _hhmm(value: str) -> time | None:
    if not re.fullmatch(r"\d{2}:\d{2}", value):
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        return None


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_requirements(
    *,
    skill_ids: Sequence[str],
    hours: float,
    per: str,
    time_zone: str,
    schedule: Mapping[str, Mapping[str, str]],
    virtual: bool,
    city: str,
    province: str,
    security_level: str,
    languages: Mapping[str, Mapping[str, str]],
    is_skill: Callable[[str], bool],
) -> RequirementsStep:
    errors = FieldCollector()
    ids = list(dict.fromkeys(s.strip() for s in skill_ids if s.strip()))
    if not ids:
        errors.add("skill_ids", "skills.required")
    elif len(ids) > SKILLS_MAX:
        errors.add("skill_ids", "skills.too_many", max=SKILLS_MAX)
    else:
        unknown = [i for i in ids if not SKILL_ID.match(i) or not is_skill(i)]
        if unknown:
            errors.add("skill_ids", "skills.unknown", ids=", ".join(unknown[:5]))
    if per not in HOURS_MAX:
        errors.add("per", "choice.unknown")
    elif not 0 < hours <= HOURS_MAX[per]:
        errors.add("hours", "hours.range", max=int(HOURS_MAX[per]))
    slots: dict[str, DaySlot] = {}
    time_zone = time_zone.strip()
    if schedule or time_zone:
        if not time_zone:
            errors.add("time_zone", "field.required")
        elif time_zone not in _zones():
            errors.add("time_zone", "time_zone.unknown")
        for day, slot in schedule.items():
            if day not in _codes("weekdays"):
                errors.add(f"schedule.{day}", "choice.unknown")
                continue
            start, duration = _hhmm(slot.get("start", "")), _hhmm(slot.get("duration", ""))
            if start is None:
                errors.add(f"schedule.{day}.start", "time.invalid")
            if duration is None or (duration.hour * 60 + duration.minute) < 15:
                errors.add(f"schedule.{day}.duration", "duration.invalid")
            if start is not None and duration is not None:
                slots[day] = DaySlot(slot["start"], duration.hour * 60 + duration.minute)
    city = _text(errors, "city", city, CITY_MAX, required=not virtual, one_line=True)
    province = province.strip().upper()
    if province and province not in _codes("provinces"):
        errors.add("province", "choice.unknown")
    elif not province and not virtual:
        errors.add("province", "field.required")
    if not security_level:
        security_level = "none"
    elif security_level not in _codes("security_levels"):
        errors.add("security_level", "choice.unknown")
    levels: dict[str, dict[str, str]] = {}
    for lang, skills in languages.items():
        if lang not in ("en", "fr"):
            errors.add(f"languages.{lang}", "choice.unknown")
            continue
        for skill, level in skills.items():
            if skill not in LANGUAGE_SKILLS:
                errors.add(f"languages.{lang}.{skill}", "choice.unknown")
            elif level and level not in _codes("language_levels"):
                errors.add(f"languages.{lang}.{skill}", "language_level.invalid")
            elif level:
                levels.setdefault(lang, {})[skill] = level
    errors.raise_if_any()
    return RequirementsStep(ids, hours, per, time_zone, slots, virtual, city, province, security_level, levels)


def to_document(step: PosterStep | DetailsStep | RequirementsStep) -> dict[str, Any]:
    """A step as plain data for a document, dates as ISO strings."""
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(step).items()}
