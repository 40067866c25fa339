"""Profiles' business counters."""

from prometheus_client import Counter

PROFILES_UPDATED = Counter("tandem_profiles_updated_total", "Profile changes saved.")
CUSTOM_SKILLS_ADDED = Counter(
    "tandem_profiles_custom_skills_added_total", "Skills people added that the taxonomy lacked."
)
CUSTOM_SKILLS_MERGED = Counter(
    "tandem_profiles_custom_skills_merged_total", "Custom skills a coordinator merged into a canonical skill."
)
