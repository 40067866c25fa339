from prometheus_client import Counter

PROFILES_UPDATED = Counter("tandem_profiles_updated_total", "Profile changes saved.")
