"""The three posting steps and the lifecycle rules, with no I/O."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest

from opportunities.domain.model import (
    CANCELLED,
    COMPLETED,
    OPEN,
    Facts,
    cannot_apply_reason,
    check_can_cancel,
    check_can_complete,
    check_can_reopen,
    check_is_poster,
    validate_decline_reason,
    validate_message,
)
from opportunities.domain.posting import (
    TITLE_MAX,
    check_details,
    check_poster,
    check_requirements,
    to_document,
    vocabulary,
)
from tandem_kit.errors import Forbidden, InvalidInput, Refused

TODAY = date(2027, 3, 1)


def days(n: int) -> str:
    return (TODAY + timedelta(days=n)).isoformat()


def poster(**changes: Any) -> Any:
    values: dict[str, Any] = dict(
        name="Jean Tremblay",
        email="Jean.Tremblay@StatCan.gc.ca",
        department="statcan",
        phone="613-555-0123",
        agrees_to_guide=True,
        agrees_to_feedback=True,
    )
    values.update(changes)
    return check_poster(**values, is_department=lambda code: code in {"statcan", "tbs-sct"})


def details(**changes: Any) -> Any:
    values: dict[str, Any] = dict(
        title_en="Survey analysis",
        title_fr="Analyse d’enquête",
        description_en="Six weeks.",
        description_fr="Six semaines.",
        type="micro_mission",
        host_role="offering",
        program_area="science",
        classification="",
        openings=2,
        ideal_start=days(30),
        ideal_completion=days(60),
        application_deadline=days(14),
        limited_to_department=False,
    )
    values.update(changes)
    return check_details(**values, today=TODAY)


def requirements(**changes: Any) -> Any:
    values: dict[str, Any] = dict(
        skill_ids=["data-analysis", "statistics"],
        hours=4,
        per="week",
        time_zone="",
        schedule={},
        virtual=True,
        city="",
        province="",
        security_level="",
        languages={},
    )
    values.update(changes)
    return check_requirements(**values, is_skill=lambda s: s in {"data-analysis", "statistics", "python"})


def fields(raised: pytest.ExceptionInfo[InvalidInput]) -> list[tuple[str, str]]:
    return sorted((e.field, e.code) for e in raised.value.errors)


# --- step 1 ---------------------------------------------------------------------------------------


def test_a_valid_poster_step_is_normalised() -> None:
    step = poster(name="  Jean Tremblay ")
    assert (step.name, step.email, step.department) == ("Jean Tremblay", "jean.tremblay@statcan.gc.ca", "statcan")


def test_every_bad_poster_field_is_reported_at_once() -> None:
    with pytest.raises(InvalidInput) as raised:
        poster(
            name="",
            email="not-an-email",
            department="ministry-of-magic",
            phone="call me",
            agrees_to_guide=False,
            agrees_to_feedback=False,
        )
    assert fields(raised) == [
        ("agrees_to_feedback", "poster.must_agree_to_feedback"),
        ("agrees_to_guide", "poster.must_agree_to_guide"),
        ("department", "department.unknown"),
        ("email", "email.invalid"),
        ("name", "field.required"),
        ("phone", "phone.invalid"),
    ]


@pytest.mark.parametrize("phone", ["", "613-555-0123", "+1 (613) 555-0123 x42", "5550123"])
def test_an_optional_phone_in_a_usual_form_is_accepted(phone: str) -> None:
    assert poster(phone=phone).phone == phone


# --- step 2 ---------------------------------------------------------------------------------------


def test_a_valid_details_step_parses_its_dates() -> None:
    step = details(classification="ec-05")
    assert (step.ideal_start, step.application_deadline, step.classification) == (
        TODAY + timedelta(days=30),
        TODAY + timedelta(days=14),
        "EC-05",
    )
    assert to_document(step)["ideal_start"] == days(30)


def test_every_bad_detail_is_reported_at_once() -> None:
    with pytest.raises(InvalidInput) as raised:
        details(
            title_en="",
            title_fr="Deux\nlignes",
            type="lunch",
            host_role="watching",
            program_area="",
            classification="economist",
            openings=0,
            ideal_start="31/01/2027",
            application_deadline="",
        )
    assert fields(raised) == [
        ("application_deadline", "field.required"),
        ("classification", "classification.invalid"),
        ("host_role", "choice.unknown"),
        ("ideal_start", "date.invalid"),
        ("openings", "openings.range"),
        ("program_area", "field.required"),
        ("title_en", "field.required"),
        ("title_fr", "field.single_line"),
        ("type", "choice.unknown"),
    ]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"ideal_start": days(-1), "application_deadline": days(-2)},
            [("application_deadline", "date.past"), ("ideal_start", "date.past")],
        ),
        ({"application_deadline": days(31)}, [("application_deadline", "deadline.after_start")]),
        ({"ideal_completion": days(29)}, [("ideal_completion", "completion.before_start")]),
    ],
)
def test_dates_must_make_sense_together(changes: dict[str, str], expected: list[tuple[str, str]]) -> None:
    with pytest.raises(InvalidInput) as raised:
        details(**changes)
    assert fields(raised) == expected


def test_the_deadline_may_be_today_and_the_start_the_same_day() -> None:
    step = details(application_deadline=days(0), ideal_start=days(0), ideal_completion="")
    assert step.ideal_completion is None


def test_a_title_at_the_limit_with_surrounding_space_is_accepted_trimmed() -> None:
    assert details(title_en=" " + "t" * TITLE_MAX + "\n").title_en == "t" * TITLE_MAX


def test_every_type_in_the_career_marketplace_is_known() -> None:
    assert set(vocabulary()["opportunity_types"]) == {
        "micro_mission",
        "assignment",
        "deployment",
        "job_swap",
        "job_rotation",
        "mentoring",
        "job_shadowing",
        "skill_sharing",
        "peer_coaching",
        "job_sharing",
    }
    assert all(set(v) == {"en", "fr"} for lists in vocabulary().values() for v in lists.values())


# --- step 3 ---------------------------------------------------------------------------------------


def test_a_full_requirements_step_is_kept() -> None:
    step = requirements(
        time_zone="America/Toronto",
        schedule={"monday": {"start": "14:30", "duration": "01:15"}},
        virtual=False,
        city="Ottawa",
        province="on",
        security_level="secret",
        languages={"fr": {"oral_proficiency": "B", "written_expression": ""}},
    )
    assert (step.province, step.security_level, step.schedule["monday"].minutes) == ("ON", "secret", 75)
    assert step.languages == {"fr": {"oral_proficiency": "B"}}


def test_every_bad_requirement_is_reported_at_once() -> None:
    with pytest.raises(InvalidInput) as raised:
        requirements(
            skill_ids=["java-script", "python"],
            hours=30,
            per="day",
            time_zone="Mars/Olympus",
            schedule={
                "caturday": {"start": "09:00", "duration": "01:00"},
                "monday": {"start": "25:00", "duration": "00:05"},
            },
            virtual=False,
            city="",
            province="ZZ",
            security_level="cosmic",
            languages={"en": {"oral_proficiency": "F"}, "de": {}},
        )
    assert fields(raised) == [
        ("city", "field.required"),
        ("hours", "hours.range"),
        ("languages.de", "choice.unknown"),
        ("languages.en.oral_proficiency", "language_level.invalid"),
        ("province", "choice.unknown"),
        ("schedule.caturday", "choice.unknown"),
        ("schedule.monday.duration", "duration.invalid"),
        ("schedule.monday.start", "time.invalid"),
        ("security_level", "choice.unknown"),
        ("skill_ids", "skills.unknown"),
        ("time_zone", "time_zone.unknown"),
    ]


def test_a_skill_id_is_checked_against_the_taxonomy_not_a_substring() -> None:
    with pytest.raises(InvalidInput) as raised:
        requirements(skill_ids=["java"])
    assert raised.value.errors[0].params == {"ids": "java"}


def test_a_schedule_needs_a_time_zone() -> None:
    with pytest.raises(InvalidInput) as raised:
        requirements(schedule={"friday": {"start": "09:00", "duration": "02:00"}})
    assert fields(raised) == [("time_zone", "field.required")]


# --- the lifecycle --------------------------------------------------------------------------------


def facts(**changes: Any) -> Facts:
    values: dict[str, Any] = dict(
        state=OPEN, poster_id="poster", department="statcan", limited_to_department=False, application_deadline=TODAY
    )
    values.update(changes)
    return Facts(**values)


@pytest.mark.parametrize(
    ("changes", "applicant", "department", "reason"),
    [
        ({}, "someone", "tbs-sct", ""),
        ({"state": CANCELLED}, "someone", "statcan", "apply.closed"),
        ({}, "poster", "statcan", "apply.own_opportunity"),
        ({"application_deadline": TODAY - timedelta(days=1)}, "someone", "statcan", "apply.deadline_passed"),
        ({"limited_to_department": True}, "someone", "tbs-sct", "apply.other_department"),
        ({"limited_to_department": True}, "someone", "statcan", ""),
    ],
)
def test_who_may_apply(changes: dict[str, Any], applicant: str, department: str, reason: str) -> None:
    assert (
        cannot_apply_reason(facts(**changes), applicant_id=applicant, applicant_department=department, today=TODAY)
        == reason
    )


def test_only_the_poster_acts_as_the_poster() -> None:
    check_is_poster("poster", "poster")
    with pytest.raises(Forbidden):
        check_is_poster("poster", "someone")


def test_cancelling_needs_an_open_opportunity_nobody_is_working_on() -> None:
    check_can_cancel(OPEN, accepted=0)
    with pytest.raises(Refused, match=re.escape("cancel.has_participants")):
        check_can_cancel(OPEN, accepted=1)
    with pytest.raises(Refused, match=re.escape("opportunity.not_open")):
        check_can_cancel(COMPLETED, accepted=0)


def test_reopening_needs_a_cancelled_opportunity_still_before_its_deadline() -> None:
    check_can_reopen(CANCELLED, TODAY, TODAY)
    with pytest.raises(Refused, match=re.escape("reopen.deadline_passed")):
        check_can_reopen(CANCELLED, TODAY - timedelta(days=1), TODAY)
    with pytest.raises(Refused, match=re.escape("reopen.not_cancelled")):
        check_can_reopen(COMPLETED, TODAY, TODAY)


def test_completing_needs_a_participant_and_no_offer_waiting() -> None:
    check_can_complete(OPEN, accepted=1, outstanding=0)
    with pytest.raises(Refused, match=re.escape("complete.no_participant")):
        check_can_complete(OPEN, accepted=0, outstanding=0)
    with pytest.raises(Refused, match=re.escape("complete.offers_outstanding")):
        check_can_complete(OPEN, accepted=1, outstanding=1)


def test_a_decline_needs_a_reason_from_the_list() -> None:
    known = set(vocabulary()["decline_reasons"])
    assert validate_decline_reason("schedule_conflict", known) == "schedule_conflict"
    for bad, code in (("", "field.required"), ("bored", "choice.unknown")):
        with pytest.raises(InvalidInput) as raised:
            validate_decline_reason(bad, known)
        assert fields(raised) == [("reason", code)]


def test_an_application_message_is_trimmed_and_bounded() -> None:
    assert validate_message("  Hello \n") == "Hello"
    with pytest.raises(InvalidInput):
        validate_message("m" * 2_001)
