"""Notifications' worker: turns events into notices and emails, sends the emails, fires
reminders and sends the daily digests."""

from __future__ import annotations

from datetime import UTC
from typing import TypeVar

from nameko.timer import timer

from notifications import handlers
from notifications.config import MailConfig
from notifications.domain.reminders import load_purposes
from notifications.domain.templates import Templates
from notifications.mailer import SmtpGate
from notifications.store import DOCUMENTS
from tandem.identity.v1 import events_pb2 as identity_events
from tandem.matching.v1 import events_pb2 as matching_events
from tandem.opportunities.v1 import events_pb2 as opp_events
from tandem_kit.events import Envelope
from tandem_kit.messaging import ServiceStore, WorkerMetrics, on_event
from tandem_kit.storage import Store

OpportunityEvent = TypeVar(
    "OpportunityEvent",
    opp_events.OpportunityShared,
    opp_events.ApplicationSubmitted,
    opp_events.OfferMade,
    opp_events.OfferAccepted,
    opp_events.OfferDeclined,
    opp_events.ApplicationClosed,
)
AccountEvent = TypeVar(
    "AccountEvent",
    identity_events.EmailConfirmationRequested,
    identity_events.PasswordResetRequested,
    identity_events.RegistrationRepeated,
)
MatchEvent = TypeVar("MatchEvent", matching_events.MatchProposed, matching_events.MatchDecided)
TEMPLATES = Templates.load()
MAIL = MailConfig.from_env()
PURPOSES = load_purposes()
# One per process: while the SMTP server is down, this process pauses sending.
SMTP_GATE = SmtpGate(MAIL.smtp_backoff_max_seconds)


class NotificationsWorker:
    name = "notifications"

    store: Store = ServiceStore(DOCUMENTS)
    metrics = WorkerMetrics()

    @on_event("identity", "user.registered", identity_events.UserRegistered)
    def on_user_registered(self, event: Envelope[identity_events.UserRegistered]) -> bool:
        return handlers.welcome(self.store, TEMPLATES, MAIL, event)

    # Account emails from identity go to the address in the event: the person may not be a
    # recipient yet (an unconfirmed account), and the links in them are secret.
    @on_event("identity", "user.email_confirmation_requested", identity_events.EmailConfirmationRequested)
    def on_email_confirmation_requested(self, event: Envelope[identity_events.EmailConfirmationRequested]) -> bool:
        e = event.payload
        hours = max(1, round((e.expires_at.ToDatetime(tzinfo=UTC) - event.time).total_seconds() / 3600))
        return self._account_email(
            event,
            "on_email_confirmation_requested",
            "email_confirmation",
            email=e.email,
            token=e.token,
            expires_in_hours=hours,
        )

    @on_event("identity", "user.password_reset_requested", identity_events.PasswordResetRequested)
    def on_password_reset_requested(self, event: Envelope[identity_events.PasswordResetRequested]) -> bool:
        e = event.payload
        minutes = max(1, round((e.expires_at.ToDatetime(tzinfo=UTC) - event.time).total_seconds() / 60))
        return self._account_email(
            event, "on_password_reset_requested", "password_reset", token=e.token, expires_in_minutes=minutes
        )

    @on_event("identity", "user.registration_repeated", identity_events.RegistrationRepeated)
    def on_registration_repeated(self, event: Envelope[identity_events.RegistrationRepeated]) -> bool:
        return self._account_email(
            event, "on_registration_repeated", "registration_repeated", email=event.payload.email
        )

    def _account_email(self, event: Envelope[AccountEvent], handler: str, kind: str, **params: object) -> bool:
        e = event.payload
        return handlers.notify_address(
            self.store,
            TEMPLATES,
            MAIL,
            event,
            handler=f"notifications.{handler}",
            user_id=e.user_id,
            email=e.email,
            display_name=e.display_name,
            language=e.language,
            kind=kind,
            params=params,
        )

    @on_event("opportunities", "opportunity.shared", opp_events.OpportunityShared)
    def on_opportunity_shared(self, event: Envelope[opp_events.OpportunityShared]) -> bool:
        return self._notify(event, "on_opportunity_shared", event.payload.candidate_id, "opportunity_shared")

    @on_event("opportunities", "application.submitted", opp_events.ApplicationSubmitted)
    def on_application_submitted(self, event: Envelope[opp_events.ApplicationSubmitted]) -> bool:
        return self._notify(event, "on_application_submitted", event.payload.poster_id, "application_received")

    @on_event("opportunities", "offer.made", opp_events.OfferMade)
    def on_offer_made(self, event: Envelope[opp_events.OfferMade]) -> bool:
        return self._notify(
            event, "on_offer_made", event.payload.applicant_id, "offer_made", offer_id=event.payload.offer_id
        )

    @on_event("opportunities", "offer.accepted", opp_events.OfferAccepted)
    def on_offer_accepted(self, event: Envelope[opp_events.OfferAccepted]) -> bool:
        return self._notify(event, "on_offer_accepted", event.payload.poster_id, "offer_accepted")

    @on_event("opportunities", "offer.declined", opp_events.OfferDeclined)
    def on_offer_declined(self, event: Envelope[opp_events.OfferDeclined]) -> bool:
        return self._notify(event, "on_offer_declined", event.payload.poster_id, "offer_declined")

    @on_event("opportunities", "applicant.removed", opp_events.ApplicationClosed)
    def on_applicant_removed(self, event: Envelope[opp_events.ApplicationClosed]) -> bool:
        return self._notify(event, "on_applicant_removed", event.payload.applicant_id, "removed_from_opportunity")

    @on_event("opportunities", "application.withdrawn", opp_events.ApplicationClosed)
    def on_application_withdrawn(self, event: Envelope[opp_events.ApplicationClosed]) -> bool:
        return self._notify(event, "on_application_withdrawn", event.payload.poster_id, "application_withdrawn")

    @on_event("opportunities", "opportunity.completed", opp_events.OpportunityStateChanged)
    def on_opportunity_completed(self, event: Envelope[opp_events.OpportunityStateChanged]) -> bool:
        """Participants are thanked and asked for feedback, the poster too; applicants still
        waiting learn their application is closed."""
        e = event.payload
        notices = [
            *((p, "opportunity_completed") for p in e.participant_ids),
            (e.poster_id, "feedback_requested"),
            *((a, "application_closed") for a in e.affected_applicant_ids),
        ]
        return self._notify_many(event, "on_opportunity_completed", notices)

    @on_event("opportunities", "opportunity.cancelled", opp_events.OpportunityStateChanged)
    def on_opportunity_cancelled(self, event: Envelope[opp_events.OpportunityStateChanged]) -> bool:
        e = event.payload
        notices = [(a, "opportunity_cancelled") for a in [*e.participant_ids, *e.affected_applicant_ids]]
        return self._notify_many(event, "on_opportunity_cancelled", notices)

    def _notify_many(
        self, event: Envelope[opp_events.OpportunityStateChanged], handler: str, notices: list[tuple[str, str]]
    ) -> bool:
        e = event.payload
        return handlers.notify_many(
            self.store,
            TEMPLATES,
            MAIL,
            event,
            handler=f"notifications.{handler}",
            notices=notices,
            params={"opportunity_id": e.opportunity_id, "title_en": e.title_en, "title_fr": e.title_fr},
        )

    def _notify(self, event: Envelope[OpportunityEvent], handler: str, user_id: str, kind: str, **extra: str) -> bool:
        """A notice about an opportunity, titled in the recipient's language."""
        e = event.payload
        return handlers.notify(
            self.store,
            TEMPLATES,
            MAIL,
            event,
            handler=f"notifications.{handler}",
            user_id=user_id,
            kind=kind,
            params={"opportunity_id": e.opportunity_id, "title_en": e.title_en, "title_fr": e.title_fr, **extra},
        )

    @on_event("matching", "match.proposed", matching_events.MatchProposed)
    def on_match_proposed(self, event: Envelope[matching_events.MatchProposed]) -> bool:
        return self._notify_match(event, "on_match_proposed", "match_proposed")

    @on_event("matching", "match.accepted", matching_events.MatchDecided)
    def on_match_accepted(self, event: Envelope[matching_events.MatchDecided]) -> bool:
        return self._notify_match(event, "on_match_accepted", "match_accepted")

    @on_event("matching", "match.declined", matching_events.MatchDecided)
    def on_match_declined(self, event: Envelope[matching_events.MatchDecided]) -> bool:
        """Only the other party is told: the one who declined knows."""
        return self._notify_match(event, "on_match_declined", "match_declined", leave_out=event.payload.declined_by)

    def _notify_match(self, event: Envelope[MatchEvent], handler: str, kind: str, leave_out: str = "") -> bool:
        return handlers.notify_match_parties(
            self.store, TEMPLATES, MAIL, event, handler=f"notifications.{handler}", kind=kind, leave_out=leave_out
        )

    @on_event("matching", "connector.offered", matching_events.ConnectorOffered)
    def on_connector_offered(self, event: Envelope[matching_events.ConnectorOffered]) -> bool:
        e = event.payload
        return handlers.notify_in_program(
            self.store,
            TEMPLATES,
            MAIL,
            event,
            handler="notifications.on_connector_offered",
            program_name=e.program_name,
            notices=[(e.connector_id, "connector_offered", {"newcomer_name": e.newcomer_name, "offer_id": e.offer_id})],
        )

    @timer(interval=0.5)
    def send_emails(self) -> None:
        handlers.send_due_emails(self.store, MAIL, SMTP_GATE)

    @timer(interval=1)
    def fire_reminders(self) -> None:
        handlers.fire_due_reminders(self.store, TEMPLATES, MAIL, PURPOSES)

    @timer(interval=1)
    def send_digests(self) -> None:
        handlers.send_digests(self.store, TEMPLATES, MAIL)
