"""A valid opportunity, in the public API's three-step shape, for demo data and tests."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any


def opportunity_body(
    *,
    title_en: str,
    title_fr: str,
    skill_ids: list[str],
    department: str,
    name: str = "Jean Tremblay",
    email: str = "jean.tremblay@statcan.gc.ca",
    type: str = "micro_mission",
    openings: int = 1,
    description_en: str = "Six weeks with our team.",
    description_fr: str = "Six semaines avec notre équipe.",
    deadline_in_days: int = 14,
) -> dict[str, Any]:
    today = date.today()
    return {
        "poster": {
            "name": name,
            "email": email,
            "department": department,
            "phone": "",
            "agrees_to_guide": True,
            "agrees_to_feedback": True,
        },
        "details": {
            "title_en": title_en,
            "title_fr": title_fr,
            "description_en": description_en,
            "description_fr": description_fr,
            "type": type,
            "host_role": "offering",
            "program_area": "science",
            "openings": openings,
            "ideal_start": (today + timedelta(days=deadline_in_days + 7)).isoformat(),
            "ideal_completion": (today + timedelta(days=deadline_in_days + 49)).isoformat(),
            "application_deadline": (today + timedelta(days=deadline_in_days)).isoformat(),
        },
        "requirements": {
            "skill_ids": skill_ids,
            "hours": 4,
            "per": "week",
            "virtual": True,
            "city": "Ottawa",
            "province": "ON",
        },
    }
