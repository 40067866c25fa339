"""Opportunity rules. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tandem_kit.errors import FieldCollector, Forbidden, Refused

TITLE_MAX = 200
DESCRIPTION_MAX = 10_000
MESSAGE_MAX = 2_000
OPENINGS_MAX = 100
SKILLS_MAX = 30
_SKILL_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")

OPEN = "open"


@dataclass(frozen=True)
class Posting:
    title_en: str
    title_fr: str
    description_en: str
    description_fr: str
    skill_ids: list[str]
    openings: int
    application_deadline: datetime | None


def _clean(text: str) -> str:
    return text.strip()


def validate_posting(
    *,
    title_en: str,
    title_fr: str,
    description_en: str,
    description_fr: str,
    skill_ids: Sequence[str],
    openings: int,
    application_deadline: datetime | None,
    now: datetime,
) -> Posting:
    errors = FieldCollector()
    for name, raw, limit, single_line in (
        ("title_en", title_en, TITLE_MAX, True),
        ("title_fr", title_fr, TITLE_MAX, True),
        ("description_en", description_en, DESCRIPTION_MAX, False),
        ("description_fr", description_fr, DESCRIPTION_MAX, False),
    ):
        value = _clean(raw)
        if not value:
            errors.add(name, "field.required")
        elif len(value) > limit:
            errors.add(name, "field.too_long", max=limit)
        elif single_line and any(c in value for c in "\r\n\t"):
            errors.add(name, "field.single_line")
    ids = list(dict.fromkeys(s.strip() for s in skill_ids if s.strip()))
    if not ids:
        errors.add("skill_ids", "skills.required")
    elif len(ids) > SKILLS_MAX:
        errors.add("skill_ids", "skills.too_many", max=SKILLS_MAX)
    elif any(not _SKILL_ID.match(i) for i in ids):
        errors.add("skill_ids", "skills.malformed")
    if not 1 <= openings <= OPENINGS_MAX:
        errors.add("openings", "openings.range", max=OPENINGS_MAX)
    if application_deadline is not None and application_deadline <= now:
        errors.add("application_deadline", "deadline.past")
    errors.raise_if_any()
    return Posting(
        _clean(title_en),
        _clean(title_fr),
        _clean(description_en),
        _clean(description_fr),
        ids,
        openings,
        application_deadline,
    )


def check_can_apply(*, state: str, poster_id: str, applicant_id: str, deadline: datetime | None, now: datetime) -> None:
    if state != OPEN:
        raise Refused("apply.closed")
    if poster_id == applicant_id:
        raise Refused("apply.own_opportunity")
    if deadline is not None and now > deadline:
        raise Refused("apply.deadline_passed")


def check_is_poster(poster_id: str, actor_id: str) -> None:
    if poster_id != actor_id:
        raise Forbidden("opportunity.not_poster")


def validate_message(message: str) -> str:
    message = message.strip()
    errors = FieldCollector()
    if len(message) > MESSAGE_MAX:
        errors.add("message", "field.too_long", max=MESSAGE_MAX)
    errors.raise_if_any()
    return message
