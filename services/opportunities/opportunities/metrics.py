from prometheus_client import Counter

OPPORTUNITIES_POSTED = Counter("tandem_opportunities_posted_total", "Opportunities posted.")
APPLICATIONS_SUBMITTED = Counter("tandem_applications_submitted_total", "Applications submitted.")
OFFERS_MADE = Counter("tandem_offers_made_total", "Offers made.")
OFFERS_ACCEPTED = Counter("tandem_offers_accepted_total", "Offers accepted.")
OPPORTUNITIES_SHARED = Counter("tandem_opportunities_shared_total", "Opportunities shared with a candidate.")
