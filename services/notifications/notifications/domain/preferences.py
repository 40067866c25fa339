"""Each person's choice of notices: per category and channel, and how often email comes.
Pure.

Everything is on until the person turns it off. Mandatory categories (security) are always on,
whatever is stored.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from notifications.domain.templates import CHANNELS, Category
from tandem_kit.errors import FieldCollector

IMMEDIATE = "immediate"
DAILY = "daily"
FREQUENCIES = (IMMEDIATE, DAILY)


def switch(category: str, channel: str) -> str:
    """How an opt-out is stored: "offers:email"."""
    return f"{category}:{channel}"


def allows(opted_out: Collection[str], category: Category, channel: str) -> bool:
    return category.mandatory or switch(category.name, channel) not in opted_out


@dataclass(frozen=True)
class CategoryChoice:
    category: str
    in_app: bool
    email: bool


def validate_update(
    frequency: str, choices: Sequence[CategoryChoice], categories: Mapping[str, Category], lang: str
) -> None:
    """Raises InvalidInput naming each wrong field; changes nothing."""
    errors = FieldCollector()
    if frequency and frequency not in FREQUENCIES:
        errors.add("email_frequency", "preferences.frequency_invalid", choices=", ".join(FREQUENCIES))
    seen: set[str] = set()
    for i, choice in enumerate(choices):
        field_name = f"categories[{i}].category"
        category = categories.get(choice.category)
        if category is None:
            errors.add(
                field_name,
                "preferences.category_unknown",
                category=choice.category[:50],
                choices=", ".join(categories),
            )
        elif choice.category in seen:
            errors.add(field_name, "preferences.category_repeated")
        elif category.mandatory and not (choice.in_app and choice.email):
            errors.add(field_name, "preferences.mandatory", label=category.label[lang])
        seen.add(choice.category)
    errors.raise_if_any()


def apply_choices(opted_out: Collection[str], choices: Sequence[CategoryChoice]) -> list[str]:
    """The opt-outs after `choices`: each named category's channels set as chosen."""
    result = set(opted_out)
    for choice in choices:
        for channel in CHANNELS:
            key = switch(choice.category, channel)
            if getattr(choice, channel):
                result.discard(key)
            else:
                result.add(key)
    return sorted(result)


def next_digest_at(now: datetime, timezone: str, hour: int) -> datetime:
    """The next time it is `hour` o'clock in `timezone`, after `now` (UTC)."""
    local = now.astimezone(ZoneInfo(timezone))
    candidate = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if candidate <= local:
        candidate = (candidate + timedelta(days=1)).replace(hour=hour)
    return candidate.astimezone(UTC)
