"""Between the contract's messages and the domain's steps, both ways. Used by the api (requests
and responses) and by the handlers (event payloads)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tandem.opportunities.v1 import opportunities_pb2 as pb

LANGUAGE_FIELDS = {"en": "english", "fr": "french"}


def scalars(message: pb.PosterInfo | pb.Details) -> dict[str, Any]:
    """A message of plain fields as keyword arguments for its domain check."""
    return {f.name: getattr(message, f.name) for f in message.DESCRIPTOR.fields}


def requirements_input(r: pb.Requirements) -> dict[str, Any]:
    languages: dict[str, dict[str, str]] = {}
    for lang, name in LANGUAGE_FIELDS.items():
        if r.HasField(name):  # type: ignore[arg-type]
            levels = getattr(r, name)
            languages[lang] = {f.name: getattr(levels, f.name) for f in levels.DESCRIPTOR.fields}
    return {
        "skill_ids": list(r.skill_ids),
        "hours": r.hours,
        "per": r.per,
        "time_zone": r.time_zone,
        "schedule": {day: {"start": slot.start, "duration": slot.duration} for day, slot in r.schedule.items()},
        "virtual": r.virtual,
        "city": r.city,
        "province": r.province,
        "security_level": r.security_level,
        "languages": languages,
    }


def poster_message(doc: Mapping[str, Any]) -> pb.PosterInfo:
    return pb.PosterInfo(**{k: v for k, v in doc.items() if k in pb.PosterInfo.DESCRIPTOR.fields_by_name})


def details_message(doc: Mapping[str, Any]) -> pb.Details:
    fields = pb.Details.DESCRIPTOR.fields_by_name
    values: dict[str, Any] = {k: ("" if v is None else v) for k, v in doc.items() if k in fields}
    return pb.Details(**values)


def requirements_message(doc: Mapping[str, Any]) -> pb.Requirements:
    if not doc:
        return pb.Requirements()
    schedule = {
        day: pb.DaySlot(start=slot["start"], duration=f"{slot['minutes'] // 60:02d}:{slot['minutes'] % 60:02d}")
        for day, slot in (doc.get("schedule") or {}).items()
    }
    message = pb.Requirements(
        skill_ids=doc.get("skill_ids", []),
        hours=doc.get("hours", 0.0),
        per=doc.get("per", ""),
        time_zone=doc.get("time_zone", ""),
        schedule=schedule,
        virtual=doc.get("virtual", False),
        city=doc.get("city", ""),
        province=doc.get("province", ""),
        security_level=doc.get("security_level", ""),
    )
    for lang, name in LANGUAGE_FIELDS.items():
        levels = (doc.get("languages") or {}).get(lang)
        if levels:
            getattr(message, name).CopyFrom(pb.LanguageLevels(**levels))
    return message
