"""An opportunity's lifecycle: who may do what, and when. Pure: no I/O.

    open ──cancel──► cancelled ──reopen──► open
    open ──complete──► completed (final: closed to new applications, counted as a match)

An application is submitted, then offered, then accepted or declined; the poster may remove it
and the applicant may withdraw it while it is submitted or offered. Outstanding plus accepted
offers never exceed the openings (the store guards that with a conditional update).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tandem_kit.errors import FieldCollector, Forbidden, Refused

MESSAGE_MAX = 2_000

OPEN, CANCELLED, COMPLETED = "open", "cancelled", "completed"
SUBMITTED, OFFERED, ACCEPTED, DECLINED, REMOVED, WITHDRAWN = (
    "submitted",
    "offered",
    "accepted",
    "declined",
    "removed",
    "withdrawn",
)
OUTSTANDING, RESCINDED = "outstanding", "rescinded"
ACTIVE_APPLICATION = (SUBMITTED, OFFERED)


@dataclass(frozen=True)
class Facts:
    """What the rules need to know about an opportunity."""

    state: str
    poster_id: str
    department: str
    limited_to_department: bool
    application_deadline: date


def cannot_apply_reason(opp: Facts, *, applicant_id: str, applicant_department: str, today: date) -> str:
    """The code of the reason `applicant_id` may not apply, or "" if they may."""
    if opp.state != OPEN:
        return "apply.closed"
    if opp.poster_id == applicant_id:
        return "apply.own_opportunity"
    if today > opp.application_deadline:
        return "apply.deadline_passed"
    if opp.limited_to_department and applicant_department != opp.department:
        return "apply.other_department"
    return ""


def check_can_apply(opp: Facts, *, applicant_id: str, applicant_department: str, today: date) -> None:
    reason = cannot_apply_reason(opp, applicant_id=applicant_id, applicant_department=applicant_department, today=today)
    if reason:
        raise Refused(reason)


def check_is_poster(poster_id: str, actor_id: str) -> None:
    if poster_id != actor_id:
        raise Forbidden("opportunity.not_poster")


def check_open(state: str) -> None:
    if state != OPEN:
        raise Refused("opportunity.not_open")


def check_can_cancel(state: str, accepted: int) -> None:
    check_open(state)
    if accepted:
        # Someone is already doing the work: that ends with completion, not cancellation.
        raise Refused("cancel.has_participants")


def check_can_reopen(state: str, deadline: date, today: date) -> None:
    if state != CANCELLED:
        raise Refused("reopen.not_cancelled")
    if today > deadline:
        raise Refused("reopen.deadline_passed")


def check_can_complete(state: str, accepted: int, outstanding: int) -> None:
    check_open(state)
    # An offer still waiting is the more useful thing to say: its answer may be the participant.
    if outstanding:
        raise Refused("complete.offers_outstanding")
    if not accepted:
        raise Refused("complete.no_participant")


def check_application_active(state: str) -> None:
    if state not in ACTIVE_APPLICATION:
        raise Refused("application.not_active")


def validate_message(message: str) -> str:
    message = message.strip()
    errors = FieldCollector()
    if len(message) > MESSAGE_MAX:
        errors.add("message", "field.too_long", max=MESSAGE_MAX)
    errors.raise_if_any()
    return message


def validate_decline_reason(reason: str, known: set[str]) -> str:
    errors = FieldCollector()
    if not reason:
        errors.add("reason", "field.required")
    elif reason not in known:
        errors.add("reason", "choice.unknown")
    errors.raise_if_any()
    return reason
