from prometheus_client import Counter, Gauge, Histogram

ACCOUNTS_REGISTERED = Counter("tandem_accounts_registered_total", "Registrations accepted (confirmation emailed).")
ACCOUNTS_CONFIRMED = Counter("tandem_accounts_confirmed_total", "Accounts activated by their email confirmation.")
SIGN_INS = Counter("tandem_sign_ins_total", "Sign-in attempts by outcome.", ["outcome"])
SESSIONS_ENDED = Counter("tandem_sessions_ended_total", "Sessions ended, by reason.", ["reason"])
HASHING_SECONDS = Histogram(
    "tandem_password_hashing_seconds",
    "Time to hash or verify one password with argon2id.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
HASHING_WAITING = Gauge("tandem_password_hashing_waiting", "Requests waiting for a password-hashing slot.")
HASHING_REFUSED = Counter("tandem_password_hashing_refused_total", "Requests refused because too many were waiting.")
