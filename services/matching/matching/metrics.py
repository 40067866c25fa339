from prometheus_client import Counter, Histogram

MATCHES_FOUND = Counter("tandem_matches_found_total", "Candidates returned by ranking queries.")
RANKING_SECONDS = Histogram(
    "tandem_ranking_seconds",
    "Time to rank candidates for one opportunity.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
