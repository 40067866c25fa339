"""The marketplace's code lists as the pages show them, and the words for each state.

The opportunities service owns these lists (its data/vocabulary.yaml); the gateway checks every
code against them and names a wrong one beside its field. The gateway has no route that lists
them, so their labels are here, in the front-end's message catalogue, the English texts being the
service's own English labels and the French ones its French labels.
"""

from __future__ import annotations

from tandem_web.i18n import N_

OPPORTUNITY_TYPES: dict[str, str] = {
    "micro_mission": N_("Micro-Mission"),
    "assignment": N_("Assignment/Secondment"),
    "deployment": N_("Deployment"),
    "job_swap": N_("Job Swap"),
    "job_rotation": N_("Job Rotation"),
    "mentoring": N_("Mentoring"),
    "job_shadowing": N_("Job Shadowing"),
    "skill_sharing": N_("Skill Sharing"),
    "peer_coaching": N_("Peer Coaching"),
    "job_sharing": N_("Job Sharing"),
}

HOST_ROLES: dict[str, str] = {
    "offering": N_("Offering: I have work for someone"),
    "seeking": N_("Seeking: I am looking for this opportunity"),
}

PROGRAM_AREAS: dict[str, str] = {
    "administration": N_("Administration"),
    "client_service": N_("Client Service"),
    "communications": N_("Communications"),
    "finance": N_("Finance"),
    "human_resources": N_("Human Resources"),
    "information_technology": N_("Information Technology"),
    "legal_regulatory": N_("Legal/Regulatory"),
    "policy": N_("Policy"),
    "science": N_("Science"),
    "security_enforcement": N_("Security/Enforcement"),
    "other": N_("Other"),
}

SECURITY_LEVELS: dict[str, str] = {
    "none": N_("None required"),
    "reliability": N_("Reliability"),
    "secret": N_("Secret"),
    "top_secret": N_("Top Secret"),
}

TIME_UNITS: dict[str, str] = {"day": N_("per day"), "week": N_("per week"), "month": N_("per month")}

WEEKDAYS: dict[str, str] = {
    "monday": N_("Monday"),
    "tuesday": N_("Tuesday"),
    "wednesday": N_("Wednesday"),
    "thursday": N_("Thursday"),
    "friday": N_("Friday"),
    "saturday": N_("Saturday"),
    "sunday": N_("Sunday"),
}

PROVINCES: dict[str, str] = {
    "AB": N_("Alberta"),
    "BC": N_("British Columbia"),
    "MB": N_("Manitoba"),
    "NB": N_("New Brunswick"),
    "NL": N_("Newfoundland and Labrador"),
    "NS": N_("Nova Scotia"),
    "NT": N_("Northwest Territories"),
    "NU": N_("Nunavut"),
    "ON": N_("Ontario"),
    "PE": N_("Prince Edward Island"),
    "QC": N_("Quebec"),
    "SK": N_("Saskatchewan"),
    "YT": N_("Yukon"),
}

LANGUAGE_LEVELS: dict[str, str] = {
    "A": N_("A"),
    "B": N_("B"),
    "C": N_("C"),
    "E": N_("E (exempt)"),
    "X": N_("X (no proficiency)"),
}

LANGUAGE_SKILLS: dict[str, str] = {
    "written_comprehension": N_("Written comprehension"),
    "written_expression": N_("Written expression"),
    "oral_proficiency": N_("Oral proficiency"),
}

DECLINE_REASONS: dict[str, str] = {
    "schedule_conflict": N_("The schedule does not work for me"),
    "manager_not_approved": N_("My manager did not approve it"),
    "accepted_another": N_("I accepted another opportunity"),
    "workload": N_("My current workload is too heavy"),
    "no_longer_interested": N_("I am no longer interested"),
    "other": N_("Another reason"),
}

TIME_ZONES: dict[str, str] = {
    "America/St_Johns": N_("Newfoundland time (St. John’s)"),
    "America/Halifax": N_("Atlantic time (Halifax)"),
    "America/Toronto": N_("Eastern time (Ottawa, Toronto, Montréal)"),
    "America/Winnipeg": N_("Central time (Winnipeg)"),
    "America/Regina": N_("Saskatchewan time (Regina)"),
    "America/Edmonton": N_("Mountain time (Edmonton, Yellowknife)"),
    "America/Vancouver": N_("Pacific time (Vancouver)"),
    "America/Whitehorse": N_("Yukon time (Whitehorse)"),
}

OPPORTUNITY_STATES: dict[str, str] = {
    "open": N_("Open"),
    "cancelled": N_("Cancelled"),
    "completed": N_("Completed"),
}

APPLICATION_STATES: dict[str, str] = {
    "submitted": N_("Submitted"),
    "offered": N_("Offer made"),
    "accepted": N_("Offer accepted"),
    "declined": N_("Offer declined"),
    "removed": N_("Removed by the poster"),
    "withdrawn": N_("Withdrawn"),
}

OFFER_STATES: dict[str, str] = {
    "outstanding": N_("Waiting for your answer"),
    "accepted": N_("Accepted"),
    "declined": N_("Declined"),
    "rescinded": N_("Withdrawn by the poster"),
}

# Why someone may not apply (the gateway's `cannot_apply_reason` codes).
CANNOT_APPLY: dict[str, str] = {
    "apply.closed": N_("This opportunity is no longer taking applications."),
    "apply.own_opportunity": N_("You posted this opportunity, so you cannot apply to it."),
    "apply.deadline_passed": N_("The application deadline for this opportunity has passed."),
    "apply.other_department": N_(
        "This opportunity is limited to the poster’s department. You can view it but not apply."
    ),
}

SORTS: dict[str, str] = {
    "newest": N_("Newest first"),
    "deadline": N_("Closest deadline first"),
    "best_fit": N_("Best fit for me"),
}

LANGUAGES: dict[str, str] = {"en": N_("English"), "fr": N_("French")}

# A mentoring match's states (matching's MatchOut.state), and a connector introduction's.
MATCH_STATES: dict[str, str] = {
    "proposed": N_("Match proposed"),
    "active": N_("Match active"),
    "declined": N_("Match declined"),
}

CONNECTOR_OFFER_STATES: dict[str, str] = {
    "waiting": N_("Waiting for the connector’s answer"),
    "accepted": N_("Connector found"),
    "exhausted": N_("No connector available for now"),
}
