from prometheus_client import Counter, Gauge, Histogram

MATCHES_FOUND = Counter("tandem_matches_found_total", "Candidates returned by ranking queries.")
RANKING_SECONDS = Histogram(
    "tandem_ranking_seconds",
    "Time to rank candidates for one opportunity.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
RECOMMENDING_SECONDS = Histogram(
    "tandem_recommending_seconds",
    "Time to find the opportunities that fit one member.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
INDEX_PEOPLE = Gauge("tandem_matching_index_people", "People in this api process's ranking index.")
INDEX_LOAD_SECONDS = Gauge(
    "tandem_matching_index_load_seconds",
    "How long this api process took to load its ranking index at start, from a snapshot or from the store.",
    ["source"],
)
SNAPSHOT_SECONDS = Histogram(
    "tandem_matching_index_snapshot_seconds",
    "Time to encode and write one snapshot of the ranking index.",
    buckets=(0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0),
)
SNAPSHOT_BYTES = Gauge("tandem_matching_index_snapshot_bytes", "Size of the last index snapshot this process wrote.")

# Mentor matching for programs (cohorts.py).
COHORT_RUNS_REQUESTED = Counter(
    "tandem_cohort_runs_requested_total", "Cohort runs queued by coordinators, by method.", ["method"]
)
COHORT_RUNS = Counter(
    "tandem_cohort_runs_total",
    "Cohort runs finished by a cohort worker, by method and state (done, failed).",
    ["method", "state"],
)
COHORT_RUN_SECONDS = Histogram(
    "tandem_cohort_run_seconds",
    "Time a cohort worker spent on one run: loading, solving and saving.",
    ["method"],
    buckets=(0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0),
)
MATCHES_PROPOSED = Counter("tandem_matches_proposed_total", "Mentoring matches proposed by publishing a cohort run.")
MATCH_ANSWERS = Counter(
    "tandem_match_answers_total", "Answers to proposed matches by mentees and mentors, by answer.", ["answer"]
)
