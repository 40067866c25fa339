from prometheus_client import Counter

ACCOUNTS_REGISTERED = Counter("tandem_accounts_registered_total", "Accounts registered.")
SIGN_INS = Counter("tandem_sign_ins_total", "Sign-in attempts by outcome.", ["outcome"])
