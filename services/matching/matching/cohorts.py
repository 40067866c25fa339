"""Mentor and connector matching's use cases: the mentoring read model, programs, cohorts, cohort
runs (asked for by the api, solved by a cohort worker), the members' own rankings for stable
runs, publishing, each party's review, and connector offers. The domain (fit, cohort, connector)
decides; this module loads, saves and announces, one unit of work per change.

Authorization lives here, beside the data it protects: program-level use cases need
`coordinator:<program>` or `admin` among the actor's roles (the gateway passes the roles of the
verified token); a match is seen and answered only by its two parties (and its coordinators);
a ranking is read and set only by its cohort member (or entered by a coordinator with the cohort).
"""

from __future__ import annotations

import logging
import os
import re
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any

from matching import metrics
from matching.cohort_store import Cohort as CohortDoc
from matching.cohort_store import CohortRun, ConnectorOffer, MentoringProfile, Program
from matching.cohort_store import Match as MatchDoc
from matching.domain import connector as connector_rules
from matching.domain.cohort import CAPACITY_MAX, COHORT_MAX, CohortRequest, CohortResult, Method, run_cohort
from matching.domain.fit import (
    LanguageRule,
    Location,
    MentoringType,
    NocSimilarity,
    Participant,
    ProgramRules,
    Reason,
    Weights,
    assess,
)
from tandem.matching.v1 import cohorts_pb2 as pb
from tandem.matching.v1 import events_pb2
from tandem.profiles.v1 import events_pb2 as profile_events
from tandem_kit.errors import FieldCollector, FieldError, Forbidden, InvalidInput, NotFound, Refused
from tandem_kit.events import Envelope, utcnow
from tandem_kit.storage import Store, UnitOfWork

log = logging.getLogger(__name__)

PROGRAM_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
USER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
NAME_MAX = 120
PAIRS_MAX = 1_000
REPORTING_LINE_MAX = 20
METHODS = (Method.OPTIMAL.value, Method.STABLE.value)
ANSWERS = ("accept", "decline")
CONNECTOR_CAP_MAX = 12
SPOKEN_LEVELS = frozenset({"B", "C", "E"})
LIVE = ("proposed", "active")
SIDES = ("mentee", "mentor")
OTHER_SIDE = {"mentee": "mentor", "mentor": "mentee"}
RANKING_MAX = 1_000
# What a stable run's pair says when it came from the people's own rankings, with its parameters.
RANKING_REASONS: Mapping[str, frozenset[str]] = {
    "fit.ranked_by_both": frozenset({"mentee_rank", "mentor_rank"}),
    "fit.ranked_by_mentee": frozenset({"rank"}),
    "fit.ranked_by_mentor": frozenset({"rank"}),
}
_WORKER = f"{socket.gethostname()}:{os.getpid()}"


# --- the mentoring read model -------------------------------------------------------------------


def record_mentoring_profile(store: Store, event: Envelope[profile_events.ProfileUpdated]) -> bool:
    p = event.payload

    def work(uow: UnitOfWork) -> None:
        current = uow.find_one(MentoringProfile, {"_id": p.user_id})
        if current is not None and current.version >= p.version:
            return  # an older version never wins
        uow.update_one(
            MentoringProfile,
            {"_id": p.user_id},
            {"$set": {**mentoring_facts(p, utcnow()), "version": p.version}},
            upsert=True,
        )

    return store.apply_once(event, "matching.on_profile_updated_for_mentoring", work)


def mentoring_facts(p: profile_events.ProfileUpdated, now: datetime) -> dict[str, Any]:
    """What mentor and connector matching use of a profile.

    A person speaks English or French when their profile gives that language a level of B, C or
    E in any skill, and prefers it when it is the only one of the two they speak (a French-only
    mentee gets a French-speaking mentor where the program prefers it)."""
    d = p.details
    languages = sorted(
        lang
        for lang, levels in (("en", d.official_languages.english), ("fr", d.official_languages.french))
        if {levels.written_comprehension, levels.written_expression, levels.oral_proficiency} & SPOKEN_LEVELS
    )
    mentoring = p.private.mentoring
    roles = sorted({r for o in p.private.opt_ins if o.opportunity_type == "mentoring" for r in o.roles})
    code = d.occupation.code
    return {
        "display_name": p.display_name,
        "department": getattr(p, "department_code", "") or p.department,
        "noc": code if re.fullmatch(r"\d{5}", code) else "",
        "industry": d.industry.code,
        "goals": sorted({_normalized(i) for i in d.interests if _normalized(i)}),
        "languages": languages,
        "preferred_language": languages[0] if len(languages) == 1 else "",
        "cultural_background": _normalized(p.private.self_identification.cultural_background),
        "city": d.location.city,
        "province": d.location.province.upper(),
        "seniority": d.classification.level,
        "roles": roles,
        "mentoring_types": list(mentoring.types),
        "max_mentees": mentoring.max_mentees,
        "connector_meetings_per_year": mentoring.connector_meetings_per_year,
        "paused": mentoring.paused,
        "education": max((_education(e.credential) for e in d.education), default=0),
        "fields_of_study": sorted({_normalized(e.field_of_study) for e in d.education if e.field_of_study}),
        "years_experience": _years(d.work_experience, now),
    }


def _normalized(text: str) -> str:
    return " ".join(text.split()).casefold()


def _education(credential: str) -> int:
    c = credential.casefold()
    levels = (
        (connector_rules.Education.DOCTORATE, ("doctor", "phd", "ph.d", "doctorat")),
        (connector_rules.Education.MASTER, ("master", "maîtrise", "maitrise", "mba")),
        (connector_rules.Education.BACHELOR, ("bachelor", "baccalauréat", "baccalaureat", "b.sc", "b.a")),
        (connector_rules.Education.COLLEGE, ("college", "collège", "diploma", "diplôme", "certificate", "certificat")),
    )
    for level, words in levels:
        if any(w in c for w in words):
            return int(level)
    return int(connector_rules.Education.SECONDARY) if c else 0


def _years(experience: Iterable[Any], now: datetime) -> float:
    months = 0
    for w in experience:
        start = _month(w.start)
        end = _month(w.end) or now.year * 12 + now.month - 1
        if start and end >= start:
            months += end - start
    return round(months / 12, 1)


def _month(text: str) -> int:
    m = re.fullmatch(r"(\d{4})-(\d{2})", text or "")
    return int(m[1]) * 12 + int(m[2]) - 1 if m else 0


# --- authorization ------------------------------------------------------------------------------


def coordinates(actor: pb.Actor, program_id: str) -> bool:
    return "admin" in actor.roles or f"coordinator:{program_id}" in actor.roles


def _require_coordinator(actor: pb.Actor, program_id: str) -> None:
    if not coordinates(actor, program_id):
        raise Forbidden("program.not_coordinator")


def _program(program_id: str, actor: pb.Actor) -> Program:
    """The program, for one of its coordinators; the same refusal whether or not it exists."""
    _require_coordinator(actor, program_id)
    program = Program.objects(id=program_id).first()
    if program is None:
        raise NotFound("program.not_found")
    return program


# --- programs -----------------------------------------------------------------------------------


def rules_from_message(
    message: pb.ProgramRules, errors: FieldCollector, base: ProgramRules | None = None
) -> ProgramRules:
    """A program's rules from the request: every field given replaces the default (or `base`)."""
    base = base or ProgramRules()
    weights = {f.name: getattr(message.weights, f.name) for f in fields(Weights) if _given(message.weights, f.name)}
    noc = {
        f.name: getattr(message.noc_similarity, f.name)
        for f in fields(NocSimilarity)
        if _given(message.noc_similarity, f.name)
    }
    changes: dict[str, Any] = {
        "weights": replace(base.weights, **weights),
        "noc_similarity": replace(base.noc_similarity, **noc),
    }
    for name, kind in (("language_rule", LanguageRule), ("mentoring_type", MentoringType)):
        if _given(message, name):
            value = getattr(message, name)
            try:
                changes[name] = kind(value)
            except ValueError:
                errors.add(f"rules.{name}", "rules.unknown_choice", choices=", ".join(k.value for k in kind))
    for f in fields(ProgramRules):
        if f.name not in ("weights", "noc_similarity", "language_rule", "mentoring_type") and _given(message, f.name):
            changes[f.name] = getattr(message, f.name)
    rules = replace(base, **changes)
    rules.check(errors)
    return rules


def _given(message: Any, name: str) -> bool:
    """Whether an optional field was set (proto3 `optional`)."""
    return bool(message.HasField(name))


def rules_to_dict(rules: ProgramRules) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(ProgramRules):
        value = getattr(rules, f.name)
        if f.name in ("weights", "noc_similarity"):
            out[f.name] = {g.name: getattr(value, g.name) for g in fields(value)}
        elif f.name in ("language_rule", "mentoring_type"):
            out[f.name] = value.value
        else:
            out[f.name] = value
    return out


def rules_from_dict(raw: Mapping[str, Any]) -> ProgramRules:
    return ProgramRules(
        weights=Weights(**raw["weights"]),
        noc_similarity=NocSimilarity(**raw["noc_similarity"]),
        language_rule=LanguageRule(raw["language_rule"]),
        mentoring_type=MentoringType(raw["mentoring_type"]),
        **{k: v for k, v in raw.items() if k not in ("weights", "noc_similarity", "language_rule", "mentoring_type")},
    )


def _check_name(errors: FieldCollector, where: str, name: Any) -> dict[str, str]:
    out = {}
    for lang in ("en", "fr"):
        text = " ".join(getattr(name, lang).split())
        if not text:
            errors.add(f"{where}.{lang}", "field.required")
        elif len(text) > NAME_MAX:
            errors.add(f"{where}.{lang}", "field.too_long", max=NAME_MAX)
        out[lang] = text
    return out


def define_program(store: Store, request: pb.DefineProgramRequest) -> Program:
    errors = FieldCollector()
    program_id = request.program_id.strip().lower()
    if not PROGRAM_ID.match(program_id):
        errors.add("program_id", "program.id_invalid")
        errors.raise_if_any()
    _require_coordinator(request.actor, program_id)
    name = _check_name(errors, "name", request.name)
    rules = rules_from_message(request.rules, errors)
    errors.raise_if_any()

    def work(uow: UnitOfWork) -> Program:
        current = uow.find_one(Program, {"_id": program_id})
        program = Program(
            id=program_id,
            name=name,
            rules=rules_to_dict(rules),
            version=(current.version if current else 0) + 1,
            updated_by=request.actor.user_id,
            updated_at=utcnow(),
        )
        if current is None:
            uow.insert(program)
        else:
            uow.replace(program, where={"version": current.version})
        return program

    return store.run(work)


def get_program(request: pb.GetProgramRequest) -> Program:
    return _program(request.program_id, request.actor)


# --- cohorts ------------------------------------------------------------------------------------


def define_cohort(store: Store, request: pb.DefineCohortRequest) -> CohortDoc:
    program = _program(request.program_id, request.actor)
    errors = FieldCollector()
    name = _check_name(errors, "name", request.name)
    if request.department and not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", request.department):
        errors.add("department", "cohort.department_invalid")
    mentees = _members(errors, "mentees", request.mentees, "mentee", request.mentees_from_opt_ins, request.department)
    mentors = _members(errors, "mentors", request.mentors, "mentor", request.mentors_from_opt_ins, request.department)
    mentee_ids = {m["user_id"] for m in mentees}
    mentor_ids = {m["user_id"] for m in mentors}
    pins = _pairs(errors, "pins", request.pins, mentee_ids, mentor_ids)
    bans = _pairs(errors, "bans", request.bans, mentee_ids, mentor_ids)
    errors.raise_if_any()
    _check_pins(errors, rules_from_dict(program.rules), pins, bans, mentees, mentors)
    sides = {"mentee": _names(mentees), "mentor": _names(mentors)}
    now = utcnow()
    rankings: dict[str, dict[str, Any]] = {"mentee": {}, "mentor": {}}
    for side, specs in (("mentee", request.mentees), ("mentor", request.mentors)):
        for k, spec in enumerate(specs):
            if spec.ranking and spec.user_id in sides[side]:
                ranked = check_ranking(errors, f"{side}s[{k}].ranking", side, spec.ranking, sides)
                rankings[side][spec.user_id] = _ranking_entry(ranked, request.actor.user_id, now)
    errors.raise_if_any()
    cohort = CohortDoc(
        id=uuid.uuid4().hex,
        program_id=program.id,
        name=name,
        mentees=mentees,
        mentors=mentors,
        pins=[list(p) for p in pins],
        bans=[list(b) for b in bans],
        mentee_rankings=rankings["mentee"],
        mentor_rankings=rankings["mentor"],
        generation=0,
        created_by=request.actor.user_id,
        created_at=now,
    )
    return store.run(lambda uow: uow.insert(cohort))


def _members(
    errors: FieldCollector,
    where: str,
    given: Sequence[pb.CohortMemberSpec],
    role: str,
    from_opt_ins: bool,
    department: str,
) -> list[dict[str, Any]]:
    """The side's members: those named (each known, opted in to this role, not paused), then
    everyone drawn from the opt-ins."""
    ids = [m.user_id for m in given]
    known = {p.id: p for p in MentoringProfile.objects(id__in=[i for i in ids if USER_ID.match(i)])}
    out: dict[str, dict[str, Any]] = {}
    for k, spec in enumerate(given):
        at = f"{where}[{k}]"
        profile = known.get(spec.user_id)
        if not USER_ID.match(spec.user_id):
            errors.add(f"{at}.user_id", "field.not_an_id")
            continue
        if profile is None:
            errors.add(f"{at}.user_id", "cohort.person_unknown", person=spec.user_id)
            continue
        if spec.user_id in out:
            errors.add(f"{at}.user_id", "cohort.listed_twice", person=profile.display_name)
            continue
        if role not in profile.roles:
            errors.add(f"{at}.user_id", f"cohort.not_opted_in_{role}", person=profile.display_name)
        elif profile.paused:
            errors.add(f"{at}.user_id", "cohort.paused", person=profile.display_name)
        if role == "mentee" and spec.capacity:
            errors.add(f"{at}.capacity", "cohort.capacity_mentors_only")
        elif not 0 <= spec.capacity <= CAPACITY_MAX:
            errors.add(f"{at}.capacity", "cohort.capacity_range", max=CAPACITY_MAX)
        if len(spec.reporting_line) > REPORTING_LINE_MAX:
            errors.add(f"{at}.reporting_line", "cohort.reporting_line_too_long", max=REPORTING_LINE_MAX)
        elif any(not USER_ID.match(x) for x in spec.reporting_line):
            errors.add(f"{at}.reporting_line", "field.not_an_id")
        out[spec.user_id] = _member(profile, role, spec.capacity, list(spec.reporting_line))
    if from_opt_ins:
        query = MentoringProfile.objects(roles=role, paused=False)
        if department:
            query = query.filter(department=department)
        for profile in query.only("id", "display_name", "max_mentees"):
            out.setdefault(profile.id, _member(profile, role, 0, []))
    if not out:
        errors.add(where, "cohort.empty_side")
    elif len(out) > COHORT_MAX:
        errors.add(where, "cohort.too_many", max=COHORT_MAX)
    return list(out.values())


def _member(profile: MentoringProfile, role: str, capacity: int, reporting_line: list[str]) -> dict[str, Any]:
    if role == "mentor":
        capacity = capacity or min(max(profile.max_mentees or 1, 1), CAPACITY_MAX)
    return {
        "user_id": profile.id,
        "display_name": profile.display_name,
        "capacity": capacity if role == "mentor" else 0,
        "reporting_line": reporting_line,
    }


def _pairs(
    errors: FieldCollector, where: str, given: Sequence[pb.Pair], mentee_ids: set[str], mentor_ids: set[str]
) -> list[tuple[str, str]]:
    if len(given) > PAIRS_MAX:
        errors.add(where, "cohort.too_many_pairs", max=PAIRS_MAX)
        return []
    out = []
    for k, pair in enumerate(given):
        if pair.mentee_id not in mentee_ids:
            errors.add(f"{where}[{k}].mentee_id", "cohort.unknown_mentee", person=pair.mentee_id)
        if pair.mentor_id not in mentor_ids:
            errors.add(f"{where}[{k}].mentor_id", "cohort.unknown_mentor", person=pair.mentor_id)
        out.append((pair.mentee_id, pair.mentor_id))
    return out


def _check_pins(
    errors: FieldCollector,
    rules: ProgramRules,
    pins: Sequence[tuple[str, str]],
    bans: Sequence[tuple[str, str]],
    mentees: Sequence[Mapping[str, Any]],
    mentors: Sequence[Mapping[str, Any]],
) -> None:
    """A pin is kept whatever the optimizer thinks: it must not break a hard rule (the fit floor
    aside), be banned too, pin a mentee twice or fill a mentor past their seats."""
    if not pins:
        return
    people = participants({m["user_id"]: m for m in [*mentees, *mentors]}, past_partners={})
    seats = {m["user_id"]: m["capacity"] for m in mentors}
    taken: dict[str, int] = {}
    seen: set[str] = set()
    for k, (mentee_id, mentor_id) in enumerate(pins):
        at = f"pins[{k}]"
        if mentee_id in seen:
            errors.add(at, "cohort.pinned_twice", person=mentee_id)
        seen.add(mentee_id)
        taken[mentor_id] = taken.get(mentor_id, 0) + 1
        if taken[mentor_id] > seats[mentor_id]:
            errors.add(at, "cohort.pins_over_capacity", person=mentor_id, seats=seats[mentor_id])
        if (mentee_id, mentor_id) in set(bans):
            errors.add(at, "cohort.pin_banned")
        for violation in assess(rules, people[mentee_id], people[mentor_id]).violations:
            if violation.code != "rule.below_min_fit":
                errors.add(at, violation.code, **violation.params)


def participants(
    members: Mapping[str, Mapping[str, Any]], past_partners: Mapping[str, set[str]]
) -> dict[str, Participant]:
    """The fit model's view of each member, from the mentoring read model."""
    out = {}
    for profile in MentoringProfile.objects(id__in=list(members)):
        member = members[profile.id]
        out[profile.id] = Participant(
            id=profile.id,
            noc=profile.noc,
            sector=profile.department or profile.industry,
            goals=frozenset(profile.goals),
            languages=frozenset(profile.languages),
            preferred_language=profile.preferred_language,
            cultural_backgrounds=frozenset({profile.cultural_background} - {""}),
            location=Location(city=profile.city, province=profile.province),
            seniority=profile.seniority,
            reporting_line=frozenset(member.get("reporting_line", ())),
            past_partners=frozenset(past_partners.get(profile.id, ())),
        )
    return out


def get_cohort(request: pb.GetCohortRequest) -> CohortDoc:
    cohort = CohortDoc.objects(id=request.cohort_id).first()
    if cohort is None or not coordinates(request.actor, cohort.program_id):
        raise NotFound("cohort.not_found")
    return cohort


# --- the members' own rankings ---------------------------------------------------------------------


def _names(side: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    return {m["user_id"]: m["display_name"] for m in side}


def _ranking_entry(ranked: Sequence[str], set_by: str, when: datetime) -> dict[str, Any]:
    return {"ranked": list(ranked), "set_by": set_by, "set_at": when}


def check_ranking(
    errors: FieldCollector, where: str, side: str, ranked: Sequence[str], sides: Mapping[str, Mapping[str, str]]
) -> list[str]:
    """A member's ranking of the cohort's other side (`sides`: each side's user ids and names):
    everyone in it a member of the other side, once, and at most RANKING_MAX of them."""
    if len(ranked) > RANKING_MAX:
        errors.add(where, "cohort.ranking_too_long", max=RANKING_MAX)
        return []
    others, own = sides[OTHER_SIDE[side]], sides[side]
    seen: set[str] = set()
    for k, user_id in enumerate(ranked):
        at = f"{where}[{k}]"
        if user_id in seen:
            errors.add(at, "cohort.ranked_twice")
        elif user_id in others:
            pass
        elif user_id in own:
            errors.add(at, f"cohort.ranking_{OTHER_SIDE[side]}s_only", person=own[user_id])
        elif not USER_ID.match(user_id):
            errors.add(at, "field.not_an_id")
        else:
            errors.add(at, "cohort.unknown_person", person=user_id)
        seen.add(user_id)
    return list(ranked)


@dataclass(frozen=True)
class MemberRanking:
    """A cohort member's ranking of the other side, as they see it."""

    cohort: CohortDoc
    program: Program
    side: str  # mentee or mentor
    user_id: str

    @property
    def others(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = getattr(self.cohort, f"{OTHER_SIDE[self.side]}s")
        return found

    @property
    def entry(self) -> Mapping[str, Any]:
        found: Mapping[str, Any] = getattr(self.cohort, f"{self.side}_rankings").get(self.user_id) or {}
        return found


def _side_of(cohort: CohortDoc, user_id: str) -> str:
    for side in SIDES:
        if any(m["user_id"] == user_id for m in getattr(cohort, f"{side}s")):
            return side
    return ""


def get_my_ranking(request: pb.GetMyRankingRequest) -> MemberRanking:
    """Only a member of the cohort sees it: to anyone else it does not exist."""
    me = request.actor.user_id
    cohort = CohortDoc.objects(id=request.cohort_id).first()
    side = _side_of(cohort, me) if cohort is not None else ""
    if cohort is None or not side:
        raise NotFound("cohort.not_yours")
    return MemberRanking(cohort, Program.objects(id=cohort.program_id).get(), side, me)


def set_my_ranking(store: Store, request: pb.SetMyRankingRequest) -> MemberRanking:
    mine = get_my_ranking(pb.GetMyRankingRequest(actor=request.actor, cohort_id=request.cohort_id))
    errors = FieldCollector()
    sides = {"mentee": _names(mine.cohort.mentees), "mentor": _names(mine.cohort.mentors)}
    ranked = check_ranking(errors, "ranked_user_ids", mine.side, request.ranked_user_ids, sides)
    errors.raise_if_any()
    # The member's id is a key of the document: it passed USER_ID when the cohort was defined.
    key = f"{mine.side}_rankings.{mine.user_id}"
    update: dict[str, Any] = (
        {"$set": {key: _ranking_entry(ranked, mine.user_id, utcnow())}} if ranked else {"$unset": {key: ""}}
    )
    update["$inc"] = {"rankings_version": 1}
    store.run(lambda uow: uow.update_one(CohortDoc, {"_id": mine.cohort.id}, update))
    return get_my_ranking(pb.GetMyRankingRequest(actor=request.actor, cohort_id=request.cohort_id))


@dataclass(frozen=True)
class MyCohort:
    cohort_id: str
    name: Mapping[str, str]
    program: Program
    side: str
    ranked: bool


def list_my_cohorts(request: pb.ListMyCohortsRequest) -> list[MyCohort]:
    """The cohorts the actor belongs to, newest first, without loading everyone else in them."""
    me = request.actor.user_id
    if not USER_ID.match(me):
        return []
    found = []
    for side in SIDES:
        projection = {"name": 1, "program_id": 1, "created_at": 1, f"{side}_rankings.{me}": 1}
        for raw in CohortDoc._get_collection().find({f"{side}s.user_id": me}, projection):
            found.append((raw, side, bool((raw.get(f"{side}_rankings") or {}).get(me))))
    programs = {p.id: p for p in Program.objects(id__in=list({raw["program_id"] for raw, _, _ in found}))}
    found.sort(key=lambda x: (x[0]["created_at"], x[0]["_id"]), reverse=True)
    return [
        MyCohort(raw["_id"], raw["name"], programs[raw["program_id"]], side, ranked)
        for raw, side, ranked in found
        if raw["program_id"] in programs
    ]


def stored_rankings(entries: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    """Rankings as a CohortRequest takes them: only those who gave one."""
    return {user_id: list(e["ranked"]) for user_id, e in entries.items() if e.get("ranked")}


def ranking_reason(request: CohortRequest, mentee_id: str, mentor_id: str) -> Reason | None:
    """Whether the pair came from the people's own rankings, and at what rank (1 is best)."""

    def rank(ranking: Sequence[str] | None, who: str) -> int:
        return list(ranking).index(who) + 1 if ranking and who in ranking else 0

    by_mentee = rank(request.mentee_rankings.get(mentee_id), mentor_id)
    by_mentor = rank(request.mentor_rankings.get(mentor_id), mentee_id)
    if by_mentee and by_mentor:
        return Reason("fit.ranked_by_both", {"mentee_rank": by_mentee, "mentor_rank": by_mentor})
    if by_mentee:
        return Reason("fit.ranked_by_mentee", {"rank": by_mentee})
    if by_mentor:
        return Reason("fit.ranked_by_mentor", {"rank": by_mentor})
    return None


def with_ranking_reasons(result: CohortResult, request: CohortRequest) -> CohortResult:
    """Each pair a stable run made from the people's own rankings says so first (pins aside: the
    coordinator chose those)."""
    matches = []
    for m in result.matches:
        reason = None if m.pinned else ranking_reason(request, m.mentee_id, m.mentor_id)
        matches.append(replace(m, reasons=(reason, *m.reasons)) if reason else m)
    return replace(result, matches=tuple(matches))


# --- runs ---------------------------------------------------------------------------------------


def start_run(store: Store, request: pb.StartRunRequest) -> CohortRun:
    method = request.method or Method.OPTIMAL.value
    if method not in METHODS:
        raise InvalidInput.one("method", "run.method_unknown", choices=", ".join(METHODS))
    cohort = get_cohort(pb.GetCohortRequest(actor=request.actor, cohort_id=request.cohort_id))

    def work(uow: UnitOfWork) -> CohortRun:
        current = uow.find_one(CohortDoc, {"_id": cohort.id})
        assert current is not None
        matches = uow.find(MatchDoc, {"cohort_id": cohort.id})
        live = [[m.mentee_id, m.mentor_id] for m in matches if m.state in LIVE]
        declined = [[m.mentee_id, m.mentor_id] for m in matches if m.state == "declined"]
        live_mentees = {p[0] for p in live}
        run = uow.insert(
            CohortRun(
                id=uuid.uuid4().hex,
                cohort_id=cohort.id,
                program_id=cohort.program_id,
                method=method,
                state="queued",
                generation=current.generation,
                # Pairs already proposed or active stay; the coordinator's own pins for mentees
                # who have none yet; declined pairs are never proposed again.
                pins=live + [p for p in current.pins if p[0] not in live_mentees],
                bans=_unique([*current.bans, *declined]),
                queued_at=utcnow(),
                requested_by=request.actor.user_id,
            )
        )
        uow.publish(
            "cohort.run_requested",
            events_pb2.CohortRunRequested(run_id=run.id, cohort_id=cohort.id, program_id=cohort.program_id),
        )
        return run

    run = store.run(work)
    metrics.COHORT_RUNS_REQUESTED.labels(method).inc()
    return run


def _unique(pairs: Iterable[list[str]]) -> list[list[str]]:
    return [list(p) for p in dict.fromkeys(tuple(p) for p in pairs)]


def get_run(request: pb.GetRunRequest) -> CohortRun:
    run = CohortRun.objects(id=request.run_id).first()
    if run is None or not coordinates(request.actor, run.program_id):
        raise NotFound("run.not_found")
    return run


def execute_run(store: Store, event: Envelope[events_pb2.CohortRunRequested]) -> None:
    """The job: solve a cohort run and store its pending result. Safe to run again for the same
    run (a redelivery after a worker died mid-run): only the first result is kept."""
    run_id = event.payload.run_id
    started = time.perf_counter()
    run = CohortRun.objects(id=run_id).first()
    if run is None or run.state not in ("queued", "running"):
        return  # done already (or gone): a duplicate delivery
    now = utcnow()
    CohortRun._get_collection().update_one(
        {"_id": run_id, "state": {"$in": ["queued", "running"]}},
        {
            "$set": {"state": "running", "stage": "loading", "started_at": now, "worker": _WORKER},
            "$inc": {"attempts": 1},
        },
    )
    cohort = CohortDoc.objects(id=run.cohort_id).get()
    program = Program.objects(id=run.program_id).get()
    members = {m["user_id"]: m for m in [*cohort.mentees, *cohort.mentors]}
    request = cohort_request(cohort, program, run, participants(members, _past_partners(list(members), cohort.id)))
    _stage(run_id, "solving")
    try:
        result = with_ranking_reasons(run_cohort(request), request)
    except InvalidInput as invalid:
        _finish(store, run, "failed", errors=invalid.errors, seconds=time.perf_counter() - started)
        return
    _stage(run_id, "saving")
    seconds = time.perf_counter() - started
    _finish(store, run, "done", result=result, rankings_version=cohort.rankings_version, seconds=seconds)


def cohort_request(
    cohort: CohortDoc, program: Program, run: CohortRun, people: Mapping[str, Participant]
) -> CohortRequest:
    """What the domain solves for a run: the cohort as it is, the run's pins and bans, and, for a
    stable run, the members' own rankings (the other methods maximize fit and take none)."""
    method = Method(run.method)
    stable = method is Method.STABLE
    return CohortRequest(
        rules=rules_from_dict(program.rules),
        mentees=[people[m["user_id"]] for m in cohort.mentees],
        mentors=[people[m["user_id"]] for m in cohort.mentors],
        capacities={m["user_id"]: m["capacity"] for m in cohort.mentors},
        pins=[(a, b) for a, b in run.pins],
        bans=[(a, b) for a, b in run.bans],
        method=method,
        mentee_rankings=stored_rankings(cohort.mentee_rankings) if stable else {},
        mentor_rankings=stored_rankings(cohort.mentor_rankings) if stable else {},
    )


def _stage(run_id: str, stage: str) -> None:
    CohortRun._get_collection().update_one({"_id": run_id, "state": "running"}, {"$set": {"stage": stage}})


def _past_partners(people: Sequence[str], cohort_id: str) -> dict[str, set[str]]:
    """Who each person was paired with before, in any other cohort (a pair of this cohort that is
    still proposed or active is kept as a pin instead)."""
    out: dict[str, set[str]] = {}
    for m in MatchDoc.objects(state="active", cohort_id__ne=cohort_id).filter(mentee_id__in=people):
        out.setdefault(m.mentee_id, set()).add(m.mentor_id)
    for m in MatchDoc.objects(state="active", cohort_id__ne=cohort_id).filter(mentor_id__in=people):
        out.setdefault(m.mentor_id, set()).add(m.mentee_id)
    return out


def _reason_doc(reason: Reason) -> dict[str, Any]:
    return {"code": reason.code, "params": dict(reason.params), "points": reason.points}


def _finish(
    store: Store,
    run: CohortRun,
    state: str,
    *,
    result: CohortResult | None = None,
    rankings_version: int = 0,
    errors: Sequence[FieldError] = (),
    seconds: float,
) -> None:
    changes: dict[str, Any] = {"state": state, "stage": "", "finished_at": utcnow(), "solve_seconds": seconds}
    if result is not None:
        changes.update(
            rankings_version=rankings_version,
            pairs=[
                {
                    "mentee_id": m.mentee_id,
                    "mentor_id": m.mentor_id,
                    "fit": m.fit,
                    "score": m.score,
                    "pinned": m.pinned,
                    "reasons": [_reason_doc(r) for r in m.reasons],
                }
                for m in result.matches
            ],
            unmatched=[
                {
                    "mentee_id": u.mentee_id,
                    "cause": _reason_doc(u.cause),
                    "main_rule": _reason_doc(u.main_rule) if u.main_rule else None,
                }
                for u in result.unmatched
            ],
            total_fit=result.total_fit,
        )
    changes["errors"] = [{"field": e.field, "code": e.code, "params": dict(e.params)} for e in errors]

    def work(uow: UnitOfWork) -> bool:
        # Only the first result is kept: a second worker finishing the same run changes nothing.
        if not uow.update_one(CohortRun, {"_id": run.id, "state": {"$in": ["queued", "running"]}}, {"$set": changes}):
            return False
        uow.publish(
            "cohort.run_completed",
            events_pb2.CohortRunCompleted(
                run_id=run.id,
                cohort_id=run.cohort_id,
                program_id=run.program_id,
                state=state,
                matched=len(result.matches) if result else 0,
                unmatched=len(result.unmatched) if result else 0,
                total_fit=result.total_fit if result else 0.0,
            ),
        )
        return True

    if store.run(work):
        metrics.COHORT_RUNS.labels(run.method, state).inc()
        metrics.COHORT_RUN_SECONDS.labels(run.method).observe(seconds)


def give_up_run(store: Store, event: Envelope[events_pb2.CohortRunRequested], error: str) -> None:
    """Every attempt failed: say so on the run (the error itself is in the logs and the DLQ)."""
    run = CohortRun.objects(id=event.payload.run_id).first()
    if run is not None:
        _finish(store, run, "failed", errors=[FieldError("", "run.failed")], seconds=0.0)


def publish_run(store: Store, request: pb.PublishRunRequest) -> CohortRun:
    run = get_run(pb.GetRunRequest(actor=request.actor, run_id=request.run_id))
    if run.state == "published":
        return run
    if run.state != "done":
        raise Refused("run.not_done")
    program = Program.objects(id=run.program_id).get()

    def work(uow: UnitOfWork) -> CohortRun:
        # The cohort moves on at each publish and decline: a result computed before is stale.
        current: dict[str, Any] = {"_id": run.cohort_id, "generation": run.generation}
        if run.method == Method.STABLE.value:
            # Solved on the members' rankings as they were; 0 also matches a cohort never ranked.
            versions = [run.rankings_version, *([None] if run.rankings_version == 0 else [])]
            current["rankings_version"] = {"$in": versions}
        moved = uow.find_one_and_update(CohortDoc, current, {"$inc": {"generation": 1}})
        if moved is None:
            cohort = CohortDoc.objects(id=run.cohort_id).get()
            raise Refused("run.outdated" if cohort.generation != run.generation else "run.rankings_changed")
        live = {(m.mentee_id, m.mentor_id) for m in uow.find(MatchDoc, {"cohort_id": run.cohort_id}) if m.state in LIVE}
        names = {m["user_id"]: m["display_name"] for m in [*moved.mentees, *moved.mentors]}
        now = utcnow()
        for pair in run.pairs:
            if (pair["mentee_id"], pair["mentor_id"]) in live:
                continue  # proposed or active already
            match = uow.insert(
                MatchDoc(
                    id=uuid.uuid4().hex,
                    cohort_id=run.cohort_id,
                    program_id=run.program_id,
                    run_id=run.id,
                    mentee_id=pair["mentee_id"],
                    mentor_id=pair["mentor_id"],
                    state="proposed",
                    fit=pair["fit"],
                    score=pair["score"],
                    reasons=pair["reasons"],
                    proposed_at=now,
                )
            )
            uow.publish(
                "match.proposed",
                events_pb2.MatchProposed(
                    match_id=match.id,
                    cohort_id=run.cohort_id,
                    program_id=run.program_id,
                    program_name=program.name,
                    mentee_id=match.mentee_id,
                    mentee_name=names.get(match.mentee_id, ""),
                    mentor_id=match.mentor_id,
                    mentor_name=names.get(match.mentor_id, ""),
                    score=match.score,
                ),
            )
            metrics.MATCHES_PROPOSED.inc()
        uow.update_one(
            CohortRun,
            {"_id": run.id, "state": "done"},
            {"$set": {"state": "published", "published_at": now}},
        )
        found = uow.find_one(CohortRun, {"_id": run.id})
        assert found is not None
        return found

    return store.run(work)


# --- matches ------------------------------------------------------------------------------------


def list_cohort_matches(request: pb.ListCohortMatchesRequest) -> list[MatchDoc]:
    cohort = get_cohort(pb.GetCohortRequest(actor=request.actor, cohort_id=request.cohort_id))
    return list(MatchDoc.objects(cohort_id=cohort.id).order_by("proposed_at", "id"))


def list_my_matches(request: pb.ListMyMatchesRequest) -> list[MatchDoc]:
    me = request.actor.user_id
    found = [*MatchDoc.objects(mentee_id=me), *MatchDoc.objects(mentor_id=me)]
    return sorted(found, key=lambda m: (m.proposed_at, m.id), reverse=True)


def get_match(request: pb.GetMatchRequest) -> MatchDoc:
    match = MatchDoc.objects(id=request.match_id).first()
    me = request.actor.user_id
    if match is None or (
        me not in (match.mentee_id, match.mentor_id) and not coordinates(request.actor, match.program_id)
    ):
        raise NotFound("match.not_found")
    return match


def review_match(store: Store, request: pb.ReviewMatchRequest) -> MatchDoc:
    if request.answer not in ANSWERS:
        raise InvalidInput.one("answer", "match.answer_unknown")
    me = request.actor.user_id
    answer = "accepted" if request.answer == "accept" else "declined"

    def work(uow: UnitOfWork) -> MatchDoc:
        match = uow.find_one(MatchDoc, {"_id": request.match_id})
        if match is None or me not in (match.mentee_id, match.mentor_id):
            raise NotFound("match.not_found")
        side = "mentee_answer" if me == match.mentee_id else "mentor_answer"
        if getattr(match, side) == answer:
            return match  # said already: answering twice the same way changes nothing
        if match.state != "proposed" or getattr(match, side):
            raise Refused("match.already_answered")
        setattr(match, side, answer)
        event = ""
        if answer == "declined":
            match.state, event = "declined", "match.declined"
        elif match.mentee_answer == match.mentor_answer == "accepted":
            match.state, event = "active", "match.accepted"
        if event:
            match.decided_at = utcnow()
        uow.replace(match, where={"state": "proposed"})
        if event == "match.declined":
            # The slot is open again: runs computed before no longer fit the cohort.
            uow.update_one(CohortDoc, {"_id": match.cohort_id}, {"$inc": {"generation": 1}})
        if event:
            names = names_of([match.mentee_id, match.mentor_id])
            uow.publish(
                event,
                events_pb2.MatchDecided(
                    match_id=match.id,
                    cohort_id=match.cohort_id,
                    program_id=match.program_id,
                    mentee_id=match.mentee_id,
                    mentor_id=match.mentor_id,
                    declined_by=me if answer == "declined" else "",
                    program_name=Program.objects(id=match.program_id).get().name,
                    mentee_name=names.get(match.mentee_id, ""),
                    mentor_name=names.get(match.mentor_id, ""),
                ),
            )
        return match

    match = store.run(work)
    metrics.MATCH_ANSWERS.labels(answer).inc()
    return match


# --- connector matching ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pool:
    connectors: list[connector_rules.Connector]
    names: dict[str, str]


def _connector_pool(offer: ConnectorOffer) -> _Pool:
    query = (
        MentoringProfile.objects(id__in=offer.connector_ids)
        if offer.connector_ids
        else MentoringProfile.objects(connector_meetings_per_year__gt=0, paused=False)
    )
    # Offers this year, waiting or accepted, count against each connector's cap.
    taken: dict[str, int] = {}
    for o in ConnectorOffer.objects(year=offer.year, state__in=["waiting", "accepted"], id__ne=offer.id):
        taken[o.connector_id] = taken.get(o.connector_id, 0) + 1
    connectors, names = [], {}
    for p in query:
        cap = min(offer.yearly_cap, p.connector_meetings_per_year or offer.yearly_cap)
        names[p.id] = p.display_name
        connectors.append(
            connector_rules.Connector(
                id=p.id,
                education=connector_rules.Education(p.education or connector_rules.Education.SECONDARY),
                fields_of_study=frozenset(p.fields_of_study),
                noc=p.noc,
                years_experience=p.years_experience,
                languages=frozenset(p.languages),
                yearly_cap=cap,
                connectees_this_year=taken.get(p.id, 0),
            )
        )
    return _Pool(connectors, names)


def _newcomer(profile: MentoringProfile) -> connector_rules.Newcomer:
    return connector_rules.Newcomer(
        id=profile.id,
        education=connector_rules.Education(profile.education or connector_rules.Education.SECONDARY),
        fields_of_study=frozenset(profile.fields_of_study),
        noc=profile.noc,
        years_experience=profile.years_experience,
        languages=frozenset(profile.languages),
    )


def _offer_next(uow: UnitOfWork, offer: ConnectorOffer) -> ConnectorOffer:
    """Give the offer to the best connector still eligible, or mark it exhausted."""
    newcomer = MentoringProfile.objects(id=offer.newcomer_id).get()
    pool = _connector_pool(offer)
    best = connector_rules.next_connector(
        connector_rules.ConnectorRules(), _newcomer(newcomer), pool.connectors, set(offer.declined_by)
    )
    if best is None:
        offer.connector_id, offer.state, offer.score, offer.reasons = "", "exhausted", 0.0, []
        return offer
    offer.connector_id, offer.state, offer.score = best.connector_id, "waiting", best.score
    offer.reasons = [_reason_doc(r) for r in best.reasons]
    uow.publish(
        "connector.offered",
        events_pb2.ConnectorOffered(
            offer_id=offer.id,
            program_id=offer.program_id,
            newcomer_id=offer.newcomer_id,
            connector_id=best.connector_id,
            program_name=Program.objects(id=offer.program_id).get().name,
            newcomer_name=newcomer.display_name,
            connector_name=pool.names.get(best.connector_id, ""),
        ),
    )
    return offer


def offer_connector(store: Store, request: pb.OfferConnectorRequest) -> ConnectorOffer:
    program = _program(request.program_id, request.actor)
    errors = FieldCollector()
    if not USER_ID.match(request.newcomer_id):
        errors.add("newcomer_id", "field.not_an_id")
    elif MentoringProfile.objects(id=request.newcomer_id).first() is None:
        errors.add("newcomer_id", "cohort.person_unknown", person=request.newcomer_id)
    cap = request.yearly_cap or 2
    if not 1 <= cap <= CONNECTOR_CAP_MAX:
        errors.add("yearly_cap", "connector.cap_range", max=CONNECTOR_CAP_MAX)
    known = {p.id for p in MentoringProfile.objects(id__in=list(request.connector_ids)).only("id")}
    for k, cid in enumerate(request.connector_ids):
        if cid not in known:
            errors.add(f"connector_ids[{k}]", "cohort.person_unknown", person=cid)
    errors.raise_if_any()

    def work(uow: UnitOfWork) -> ConnectorOffer:
        now = utcnow()
        offer = ConnectorOffer(
            id=uuid.uuid4().hex,
            program_id=program.id,
            newcomer_id=request.newcomer_id,
            connector_ids=list(request.connector_ids),
            yearly_cap=cap,
            state="waiting",
            declined_by=[],
            year=now.year,
            created_by=request.actor.user_id,
            created_at=now,
        )
        return uow.insert(_offer_next(uow, offer))

    return store.run(work)


def answer_connector_offer(store: Store, request: pb.AnswerConnectorOfferRequest) -> ConnectorOffer:
    if request.answer not in ANSWERS:
        raise InvalidInput.one("answer", "match.answer_unknown")

    def work(uow: UnitOfWork) -> ConnectorOffer:
        offer = uow.find_one(ConnectorOffer, {"_id": request.offer_id})
        if offer is None or request.actor.user_id != offer.connector_id:
            raise NotFound("connector.offer_not_found")
        if offer.state != "waiting":
            raise Refused("match.already_answered")
        if request.answer == "accept":
            offer.state = "accepted"
        else:
            offer.declined_by = [*offer.declined_by, offer.connector_id]
            offer = _offer_next(uow, offer)
        uow.replace(offer)
        return offer

    return store.run(work)


def get_connector_offer(request: pb.GetConnectorOfferRequest) -> ConnectorOffer:
    offer = ConnectorOffer.objects(id=request.offer_id).first()
    me = request.actor.user_id
    if offer is None or (
        me not in (offer.connector_id, offer.newcomer_id) and not coordinates(request.actor, offer.program_id)
    ):
        raise NotFound("connector.offer_not_found")
    return offer


def names_of(ids: Iterable[str]) -> dict[str, str]:
    return {p.id: p.display_name for p in MentoringProfile.objects(id__in=list(set(ids))).only("id", "display_name")}


def timestamps(run: CohortRun) -> Callable[[str], datetime | None]:
    def at(name: str) -> datetime | None:
        value = getattr(run, name)
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value

    return at
