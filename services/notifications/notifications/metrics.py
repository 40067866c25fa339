from prometheus_client import Counter

NOTIFICATIONS_CREATED = Counter("tandem_notifications_created_total", "In-app notifications created.", ["kind"])
EMAILS_SENT = Counter("tandem_emails_sent_total", "Emails accepted by the SMTP server.")
EMAIL_FAILURES = Counter("tandem_email_send_failures_total", "Attempts to send an email that failed.")
