"""Every metric instrument of notifications, in one place."""

from prometheus_client import Counter, Gauge

NOTIFICATIONS_CREATED = Counter("tandem_notifications_created_total", "Notices created, by template.", ["kind"])
NOTICES_SUPPRESSED = Counter(
    "tandem_notices_suppressed_total", "Notices not created because the person turned that kind off.", ["kind"]
)
EMAILS_SENT = Counter("tandem_emails_sent_total", "Emails accepted by the SMTP server.")
EMAIL_FAILURES = Counter(
    "tandem_email_send_failures_total",
    "Attempts to send an email that failed: transport (no server), transient (4xx) or permanent (5xx).",
    ["reason"],
)
EMAILS_PENDING = Gauge("tandem_emails_pending", "Emails written and not yet accepted by the SMTP server.")
DIGESTS_SENT = Counter("tandem_digests_sent_total", "Daily digest emails queued.")
UNSUBSCRIBES = Counter("tandem_unsubscribes_total", "One-click unsubscribes applied, by scope.", ["scope"])
REMINDERS_SCHEDULED = Counter(
    "tandem_reminders_scheduled_total", "Deadlines scheduled or moved, by purpose.", ["purpose"]
)
REMINDERS_CLOSED = Counter(
    "tandem_reminders_closed_total", "Deadlines done or cancelled, by purpose.", ["purpose", "outcome"]
)
REMINDER_NOTICES = Counter(
    "tandem_reminder_notices_total",
    "Reminder notices sent: reminder, overdue or escalation, by purpose.",
    ["purpose", "step"],
)
MEETING_INVITATIONS = Counter("tandem_meeting_invitations_total", "Meeting invitations sent (one per attendee).")
