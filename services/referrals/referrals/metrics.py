from prometheus_client import Counter

REFERRALS_MADE = Counter("tandem_referrals_made_total", "Referrals recorded, by kind.", ["kind"])
