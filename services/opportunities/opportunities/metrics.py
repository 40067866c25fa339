from prometheus_client import Counter

OPPORTUNITIES_POSTED = Counter("tandem_opportunities_posted_total", "Opportunities posted.")
OPPORTUNITIES_CANCELLED = Counter("tandem_opportunities_cancelled_total", "Opportunities cancelled.")
OPPORTUNITIES_COMPLETED = Counter("tandem_opportunities_completed_total", "Opportunities completed.")
APPLICATIONS_SUBMITTED = Counter("tandem_applications_submitted_total", "Applications submitted.")
OFFERS_MADE = Counter("tandem_offers_made_total", "Offers made.")
OFFERS_ACCEPTED = Counter("tandem_offers_accepted_total", "Offers accepted.")
OFFERS_DECLINED = Counter("tandem_offers_declined_total", "Offers declined, by reason.", ["reason"])
OPPORTUNITIES_SHARED = Counter("tandem_opportunities_shared_total", "Opportunities shared with a candidate.")
MATCHES_COMPLETED = Counter(
    "tandem_engagements_completed_total", "Engagements completed: each participant of a completed opportunity."
)
