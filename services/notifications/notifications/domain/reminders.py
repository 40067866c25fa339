"""Reminders for deadlines: when each notice is due, which are due now, and what a request to
schedule one must hold. Pure: time comes in as an argument.

A deadline has a plan: reminders some days before it (to the person), an overdue notice at the
deadline (to the person), and, some days after it, an escalation to the program's coordinator.
Once the thing is done the plan stops. A recurring deadline (the monthly check-in) starts its
next occurrence when this one is done or overdue.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from tandem_kit.errors import FieldCollector
from tandem_kit.i18n import LANGUAGES

PURPOSES = Path(__file__).resolve().parents[1] / "reminders.yaml"

REMINDER = "reminder"
OVERDUE = "overdue"
ESCALATION = "escalation"

SCHEDULED = "scheduled"
OVERDUE_STATE = "overdue"
ESCALATED = "escalated"
DONE = "done"
CANCELLED = "cancelled"
OPEN_STATES = (SCHEDULED, OVERDUE_STATE, ESCALATED)
OUTCOMES = (DONE, CANCELLED)

KEY = re.compile(r"^[A-Za-z0-9:._-]{1,200}$")
SUBJECT_MAX = 200
LINK_MAX = 500
EVERY_MONTHS_MAX = 12


@dataclass(frozen=True)
class Purpose:
    name: str
    remind_before: tuple[timedelta, ...]
    escalate_after: timedelta | None
    # Per language: `task` (what to do) and `item` (what is due, as a short name).
    words: Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class Step:
    at: datetime
    kind: str  # REMINDER, OVERDUE or ESCALATION


def load_purposes(path: Path = PURPOSES) -> dict[str, Purpose]:
    with path.open(encoding="utf-8") as f:
        return parse_purposes(yaml.safe_load(f) or {})


def parse_purposes(raw: Mapping[str, Any]) -> dict[str, Purpose]:
    purposes = {}
    for name, body in raw.items():
        words = {}
        for lang in LANGUAGES:
            part = body.get(lang)
            if not isinstance(part, Mapping) or not part.get("task") or not part.get("item"):
                raise ValueError(f"reminder purpose {name!r} lacks a {lang} task or item")
            words[lang] = {"task": str(part["task"]), "item": str(part["item"])}
        days = body.get("remind_days_before") or []
        if any(not isinstance(d, int) or d <= 0 for d in days):
            raise ValueError(f"reminder purpose {name!r}: remind_days_before must be whole numbers above 0")
        escalate = body.get("escalate_days_after")
        if escalate is not None and (not isinstance(escalate, int) or escalate < 0):
            raise ValueError(f"reminder purpose {name!r}: escalate_days_after must be a whole number from 0")
        purposes[str(name)] = Purpose(
            name=str(name),
            remind_before=tuple(timedelta(days=d) for d in sorted(set(days), reverse=True)),
            escalate_after=None if escalate is None else timedelta(days=escalate),
            words=words,
        )
    return purposes


def plan(due_at: datetime, purpose: Purpose, *, escalates: bool) -> list[Step]:
    """Every notice for one deadline, in time order."""
    steps = [Step(due_at - before, REMINDER) for before in purpose.remind_before]
    steps.append(Step(due_at, OVERDUE))
    if escalates and purpose.escalate_after is not None:
        steps.append(Step(due_at + purpose.escalate_after, ESCALATION))
    return sorted(steps, key=lambda s: s.at)


def steps_due(steps: Sequence[Step], done: int, now: datetime) -> tuple[list[Step], int]:
    """The notices to send now, given that the first `done` steps went out, and the new count.

    A worker that was down, or a deadline scheduled close to its date, can find several steps
    due at once: one reminder is enough, and none once the deadline itself has passed."""
    due = [s for s in steps[done:] if s.at <= now]
    if not due:
        return [], done
    later = [s for s in due if s.kind != REMINDER]
    send = later if later else [due[-1]]
    return send, done + len(due)


def next_step_at(steps: Sequence[Step], done: int) -> datetime | None:
    return steps[done].at if done < len(steps) else None


def state_after(steps: Sequence[Step], done: int) -> str:
    kinds = {s.kind for s in steps[:done]}
    if ESCALATION in kinds:
        return ESCALATED
    if OVERDUE in kinds:
        return OVERDUE_STATE
    return SCHEDULED


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later; the 31st becomes the month's last day."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@dataclass(frozen=True)
class ReminderRequest:
    key: str
    purpose: str
    user_id: str
    due_at: datetime | None
    coordinator_id: str
    subject_en: str
    subject_fr: str
    link: str
    every_months: int


def validate_request(request: ReminderRequest, purposes: Mapping[str, Purpose], now: datetime) -> FieldCollector:
    """Every field checked; the caller adds what needs the store (are the people known?)."""
    errors = FieldCollector()
    if not KEY.match(request.key):
        errors.add("key", "reminder.key_invalid")
    if request.purpose not in purposes:
        errors.add(
            "purpose", "reminder.purpose_unknown", purpose=request.purpose[:50], choices=", ".join(sorted(purposes))
        )
    if not request.user_id:
        errors.add("user_id", "user_id.required")
    if request.due_at is None:
        errors.add("due_at", "reminder.due_required")
    elif request.due_at <= now:
        errors.add("due_at", "reminder.due_past")
    if request.coordinator_id and request.coordinator_id == request.user_id:
        errors.add("coordinator_id", "reminder.coordinator_is_user")
    for field_name, text in (("subject.en", request.subject_en), ("subject.fr", request.subject_fr)):
        if not text.strip() or len(text) > SUBJECT_MAX:
            errors.add(field_name, "reminder.subject_required", max=SUBJECT_MAX)
    link = request.link
    if link and (
        not link.startswith("/")
        or link.startswith("//")
        or len(link) > LINK_MAX
        or any(c.isspace() or c == "\\" or not c.isprintable() for c in link)
    ):
        errors.add("link", "reminder.link_invalid", max=LINK_MAX)
    if not 0 <= request.every_months <= EVERY_MONTHS_MAX:
        errors.add("every_months", "reminder.every_months_range", max=EVERY_MONTHS_MAX)
    return errors
