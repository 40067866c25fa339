"""Email as it goes over the wire: the MIME message built from an OutgoingEmail, what an SMTP
failure means, and the pause while the server can't be reached."""

from __future__ import annotations

import smtplib
import time
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.utils import formatdate

from notifications.config import MailConfig
from notifications.store import OutgoingEmail

# What went wrong with one attempt.
TRANSPORT = "transport"  # no server, or the connection broke: nothing wrong with the message
TRANSIENT = "transient"  # the server refused it for now (4xx): try this message again later
PERMANENT = "permanent"  # the server refused it for good (5xx): trying again would not help

# SMTP's own line limit. At the default 78, a long List-Unsubscribe URL would be folded into an
# RFC 2047 encoded-word, which mail clients can't use as a link.
POLICY = policy.default.clone(max_line_length=998)


def message_id(email_id: str, mail: MailConfig) -> str:
    """The same for every attempt, so a copy sent twice after a crash is recognisable."""
    return f"<{email_id}@{mail.message_id_domain}>"


def build_message(email: OutgoingEmail, mail: MailConfig) -> EmailMessage:
    """Plain text and HTML alternatives, attachments after them; raises ValueError for a
    message that can never be sent (a malformed header)."""
    msg = EmailMessage(policy=POLICY)
    msg["From"] = mail.sender
    msg["To"] = email.to
    msg["Subject"] = email.subject
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = message_id(email.id, mail)
    # RFC 3834: automatic mail; vacation responders should not answer it.
    msg["Auto-Submitted"] = "auto-generated"
    if email.unsubscribe_url:
        # RFC 2369 and RFC 8058: mail clients offer a one-click unsubscribe button.
        msg["List-Unsubscribe"] = f"<{email.unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(email.text)
    msg.add_alternative(email.html, subtype="html")
    for attachment in email.attachments:
        maintype, _, subtype = str(attachment["content_type"]).partition("/")
        if maintype != "text":
            raise ValueError(f"attachment type {attachment['content_type']!r} is not supported")
        params = {"method": str(attachment["method"])} if attachment.get("method") else {}
        msg.add_attachment(
            str(attachment["data"]), subtype=subtype, filename=str(attachment["filename"]), params=params
        )
    # After the parts are in place: add_alternative moves Content-* headers into the first part.
    msg["Content-Language"] = email.language
    return msg


def classify(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return PERMANENT if codes and all(500 <= c < 600 for c in codes) else TRANSIENT
    if isinstance(exc, smtplib.SMTPResponseException) and not isinstance(exc, smtplib.SMTPServerDisconnected):
        if exc.smtp_code in (421,):  # the server is closing the connection: it is the server
            return TRANSPORT
        return PERMANENT if 500 <= exc.smtp_code < 600 else TRANSIENT
    return TRANSPORT


class SmtpGate:
    """Stops sending while the SMTP server can't be reached, for 1 s, 2 s, 4 s... up to a cap,
    so an outage costs one connection attempt per pause instead of one per email."""

    def __init__(self, max_pause: float, monotonic: Callable[[], float] = time.monotonic):
        self.max_pause = max_pause
        self.monotonic = monotonic
        self.failures = 0
        self.closed_until = 0.0

    def is_open(self) -> bool:
        return self.monotonic() >= self.closed_until

    def server_down(self) -> float:
        pause: float = min(self.max_pause, 2.0**self.failures)
        self.failures += 1
        self.closed_until = self.monotonic() + pause
        return pause

    def server_up(self) -> None:
        self.failures = 0
        self.closed_until = 0.0
