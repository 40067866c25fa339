"""Profiles, the skills taxonomy and the code lists (profiles).

A profile has two views. Its owner (`/v1/me/profile`) sees everything, with how complete it is.
Anyone else (`/v1/profiles/{user_id}`) gets `PublicProfileOut`, a model that has no field for
opt-ins, mentoring preferences, self-identification, security clearance or availability: they
cannot leak through it, and the service does not send them for anyone but the owner anyway.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from google.protobuf import json_format
from pydantic import BaseModel, Field

from tandem.common.v1 import common_pb2
from tandem.profiles.v1 import profiles_pb2 as pb
from tandem_gateway import schemas as s
from tandem_gateway.problems import request_language
from tandem_gateway.routes.common import Member, PathId, access, call_options, services

router = APIRouter(prefix="/v1")

COORDINATOR = access("coordinator|admin")
CodePath = Annotated[str, Path(min_length=1, max_length=10, pattern=r"^[0-9-]+$")]
SkillPath = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9-]*$")]
Line = Annotated[str, Field(max_length=200)]
Text = Annotated[str, Field(max_length=2_000)]
Level = Annotated[str, Field(max_length=2, description="A, B, C, E or X; empty when not given.")]
# Whole numbers travel as int32: anything wider is refused here; the service checks the real range.
Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]


# --- shapes ---------------------------------------------------------------------------------------


class SkillOut(BaseModel):
    id: str
    label: s.LocalizedText
    custom: bool = Field(description="Added by a person; not (yet) in the canonical taxonomy.")


class SkillSuggestionOut(SkillOut):
    match: str = Field(
        description=(
            "How the query met the skill. `exact`: the query is the skill's name (the match for it); "
            "`alias`: one of its other names; `prefix`: a name starts with the query (a completion "
            "of what is being typed, not a match); `word`: a later word of a name does; `fuzzy`: "
            "close in spelling."
        )
    )
    matched_name: str


class SkillDetailsOut(SkillOut):
    aliases: list[str]
    related: list[SkillOut]
    merged_into: str = Field(description="For a custom skill folded into a canonical one: that skill's id.")


class CustomSkillIn(s.Body):
    label: str = Field(max_length=100)
    language: str = Field(default="", max_length=2, description="en or fr; the request's language if empty.")


class CustomSkillOut(BaseModel):
    skill: SkillOut
    created_by: str
    profile_count: int
    merged_into: str


class MergeIn(s.Body):
    into_skill_id: s.SkillId


class MergeOut(BaseModel):
    into: SkillOut
    profiles_updated: int


class CodeLevelOut(BaseModel):
    level: str
    code: str
    title: s.LocalizedText


class ClassifiedCodeOut(BaseModel):
    system: str
    code: str
    level: str
    title: s.LocalizedText
    hierarchy: list[CodeLevelOut] = Field(description="From the broadest level down to the code's parent.")
    children: list[CodeLevelOut] = Field(
        default_factory=list, description="The codes one level below (when one code is asked for by its value)."
    )


class OccupationalGroupOut(BaseModel):
    code: str
    name: s.LocalizedText
    subgroup: str
    min_level: int
    max_level: int


class ClassificationOut(BaseModel):
    code: str = Field(description="Normalized, e.g. EC-05 or EN-ENG-03.")
    group: str
    subgroup: str
    level: int
    group_name: s.LocalizedText


class LocationIn(s.Body):
    city: str = Field(default="", max_length=100)
    province: str = Field(default="", max_length=2, description="ON, QC, ...")
    time_zone: str = Field(default="", max_length=64, description="IANA, e.g. America/Toronto.")


class LocationOut(BaseModel):
    city: str
    province: str
    province_name: s.LocalizedText | None
    time_zone: str


class LanguageLevels(s.Body):
    written_comprehension: Level = ""
    written_expression: Level = ""
    oral_proficiency: Level = ""


class OfficialLanguages(s.Body):
    english: LanguageLevels = Field(default_factory=LanguageLevels)
    french: LanguageLevels = Field(default_factory=LanguageLevels)


class Education(s.Body):
    institution: Line = ""
    credential: Line = ""
    field_of_study: Line = ""
    start_year: Int32 = Field(default=0, description="0: not given.")
    end_year: Int32 = Field(default=0, description="0: not given, or still studying.")


class WorkExperience(s.Body):
    title: Line = ""
    organization: Line = ""
    start: str = Field(default="", max_length=7, description="YYYY-MM")
    end: str = Field(default="", max_length=7, description="YYYY-MM; empty while it goes on.")
    description: Text = ""


class MentoringPreferences(s.Body):
    types: list[Annotated[str, Field(max_length=40)]] = Field(
        default_factory=list, max_length=10, description="traditional, reverse, peer_to_peer, wisdom_transition"
    )
    max_mentees: Int32 = Field(default=0, description="Mentees at once.")
    connector_meetings_per_year: Int32 = Field(default=0, description="For connectors: meetings a year.")
    availability_hours_per_month: Int32 = 0
    paused: bool = False


class Availability(s.Body):
    hours_per_week: Int32 = Field(default=0, description="Hours a week free for opportunities; 0: not given.")
    max_engagements: Int32 = Field(default=0, description="Opportunities at once; 0: not given.")
    days: list[Annotated[str, Field(max_length=10)]] = Field(
        default_factory=list, max_length=7, description="monday ... sunday; empty: Monday to Friday."
    )
    day_start: str = Field(default="", max_length=5, description="HH:MM in your time zone; empty: 09:00.")
    day_end: str = Field(default="", max_length=5, description="HH:MM; empty: 17:00.")


class SelfIdentification(s.Body):
    cultural_background: str = Field(default="", max_length=200)
    employment_equity_groups: list[Annotated[str, Field(max_length=40)]] = Field(
        default_factory=list,
        max_length=10,
        description="women, indigenous_peoples, persons_with_disabilities, visible_minorities",
    )


OptIns = Annotated[
    dict[Annotated[str, Field(max_length=40)], list[Annotated[str, Field(max_length=20)]]],
    Field(
        max_length=20,
        description=(
            'Roles by opportunity type, e.g. {"mentoring": ["mentor"], "micro_mission": ["participant", '
            '"host"]}. Types: micro_mission, assignment, deployment, job_swap, job_rotation, mentoring, '
            "job_shadowing, skill_sharing, peer_coaching, job_sharing. Roles: participant, host; mentee, mentor "
            "(mentoring); seeker (job_swap)."
        ),
    ),
]


class ProfileIn(s.Body):
    """Every field is optional: the fields you send are replaced, the others stay as they are."""

    title: Line | None = None
    department: Line | None = None
    classification: str | None = Field(default=None, max_length=20, description="Group and level, e.g. EC-05.")
    location: LocationIn | None = None
    official_languages: OfficialLanguages | None = None
    other_languages: list[Annotated[str, Field(max_length=60)]] | None = Field(default=None, max_length=20)
    education: list[Education] | None = Field(default=None, max_length=20)
    work_experience: list[WorkExperience] | None = Field(default=None, max_length=50)
    occupation_code: str | None = Field(default=None, max_length=10, description="NOC 2021 unit group.")
    industry_code: str | None = Field(default=None, max_length=10, description="NAICS 2022 code.")
    career_goals: Text | None = None
    interests: list[Annotated[str, Field(max_length=100)]] | None = Field(default=None, max_length=30)
    skill_ids: list[s.SkillId] | None = Field(default=None, max_length=100)
    opt_ins: OptIns | None = None
    mentoring: MentoringPreferences | None = None
    self_identification: SelfIdentification | None = None
    security_clearance: str | None = Field(
        default=None, max_length=20, description="none, reliability, secret or top_secret, as you hold it."
    )
    availability: Availability | None = None


class MissingSectionOut(BaseModel):
    section: str
    label: str = Field(description="In the request's language.")


class CompletenessOut(BaseModel):
    percent: int
    missing: list[MissingSectionOut]


class PublicProfileOut(BaseModel):
    """What any signed-in person sees of someone's profile."""

    user_id: str
    display_name: str
    department: str
    title: str
    classification: ClassificationOut | None
    location: LocationOut
    official_languages: OfficialLanguages
    other_languages: list[str]
    education: list[Education]
    work_experience: list[WorkExperience]
    occupation: ClassifiedCodeOut | None
    industry: ClassifiedCodeOut | None
    career_goals: str
    interests: list[str]
    skills: list[SkillOut]
    version: int


class ProfileOut(PublicProfileOut):
    """The owner's view: the public profile, the private part, and what is missing."""

    opt_ins: dict[str, list[str]]
    mentoring: MentoringPreferences
    self_identification: SelfIdentification
    security_clearance: str
    availability: Availability
    completeness: CompletenessOut


# --- conversions ----------------------------------------------------------------------------------


def _text(t: common_pb2.LocalizedText) -> s.LocalizedText:
    return s.LocalizedText(en=t.en, fr=t.fr)


def _skill(k: pb.Skill) -> SkillOut:
    return SkillOut(id=k.id, label=_text(k.label), custom=k.custom)


def _code(c: pb.ClassifiedCode) -> ClassifiedCodeOut:
    return ClassifiedCodeOut(
        system=c.system,
        code=c.code,
        level=c.level,
        title=_text(c.title),
        hierarchy=[CodeLevelOut(level=h.level, code=h.code, title=_text(h.title)) for h in c.hierarchy],
        children=[CodeLevelOut(level=h.level, code=h.code, title=_text(h.title)) for h in c.children],
    )


def _plain(message: Any) -> dict[str, Any]:
    return json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )


def _public_fields(p: pb.Profile) -> dict[str, Any]:
    d = p.details
    c = d.classification
    loc = d.location
    return {
        "user_id": p.user_id,
        "display_name": p.display_name,
        "department": p.department,
        "title": p.title,
        "classification": (
            ClassificationOut(
                code=c.code, group=c.group, subgroup=c.subgroup, level=c.level, group_name=_text(c.group_name)
            )
            if d.HasField("classification")
            else None
        ),
        "location": LocationOut(
            city=loc.city,
            province=loc.province,
            province_name=_text(loc.province_name) if loc.HasField("province_name") else None,
            time_zone=loc.time_zone,
        ),
        "official_languages": OfficialLanguages.model_validate(_plain(d.official_languages)),
        "other_languages": list(d.other_languages),
        "education": [Education.model_validate(_plain(e)) for e in d.education],
        "work_experience": [WorkExperience.model_validate(_plain(w)) for w in d.work_experience],
        "occupation": _code(d.occupation) if d.HasField("occupation") else None,
        "industry": _code(d.industry) if d.HasField("industry") else None,
        "career_goals": d.career_goals,
        "interests": list(d.interests),
        "skills": [_skill(k) for k in p.skills],
        "version": p.version,
    }


def _public(p: pb.Profile) -> PublicProfileOut:
    return PublicProfileOut(**_public_fields(p))


def _owners(p: pb.Profile) -> ProfileOut:
    private = p.private
    return ProfileOut(
        **_public_fields(p),
        opt_ins={o.opportunity_type: list(o.roles) for o in private.opt_ins},
        mentoring=MentoringPreferences.model_validate(_plain(private.mentoring)),
        self_identification=SelfIdentification.model_validate(_plain(private.self_identification)),
        security_clearance=private.security_clearance,
        availability=Availability.model_validate(_plain(private.availability)),
        completeness=CompletenessOut(
            percent=p.completeness.percent,
            missing=[MissingSectionOut(section=m.section, label=m.label) for m in p.completeness.missing],
        ),
    )


def _update_request(user_id: str, body: ProfileIn) -> pb.UpdateProfileRequest:
    sent = body.model_dump(exclude_unset=True)
    paths = list(sent)  # a field sent as null is cleared, like one sent empty
    opt_ins = sent.pop("opt_ins", None) or {}
    req = json_format.ParseDict(sent, pb.UpdateProfileRequest())
    req.user_id = user_id
    req.opt_ins.extend(pb.OptIn(opportunity_type=kind, roles=roles) for kind, roles in opt_ins.items())
    req.update_mask.paths.extend(paths)
    return req


# --- profiles -------------------------------------------------------------------------------------


@router.get("/me/profile", response_model=ProfileOut, tags=["profiles"], openapi_extra=access("member"))
async def my_profile(user: Member, request: Request) -> ProfileOut:
    """Your whole profile, private part included, and what it still lacks."""
    return _owners(
        await services(request).profiles.GetProfile(
            pb.GetProfileRequest(user_id=user.user_id, viewer_id=user.user_id), **call_options(request)
        )
    )


@router.put("/me/profile", response_model=ProfileOut, tags=["profiles"], openapi_extra=access("member"))
async def update_my_profile(body: ProfileIn, user: Member, request: Request) -> ProfileOut:
    """Change the fields you send; the others stay as they are. Nothing changes if any field is
    wrong: the problem lists every field to fix."""
    return _owners(
        await services(request).profiles.UpdateProfile(_update_request(user.user_id, body), **call_options(request))
    )


@router.get("/profiles/{user_id}", response_model=PublicProfileOut, tags=["profiles"], openapi_extra=access("member"))
async def profile(user_id: PathId, user: Member, request: Request) -> PublicProfileOut:
    """Someone's profile as others see it: never their opt-ins, mentoring preferences or
    self-identification."""
    return _public(
        await services(request).profiles.GetProfile(
            pb.GetProfileRequest(user_id=user_id, viewer_id=user.user_id), **call_options(request)
        )
    )


# --- skills ---------------------------------------------------------------------------------------


@router.get("/skills", response_model=list[SkillSuggestionOut], tags=["skills"], openapi_extra=access("public"))
async def suggest_skills(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=100)],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[SkillSuggestionOut]:
    """Autocomplete, in the request's language. An `exact` or `alias` hit is the skill the query
    names; `prefix`, `word` and `fuzzy` hits are completions and near misses, listed after it."""
    resp = await services(request).profiles.SuggestSkills(
        pb.SuggestSkillsRequest(query=q, language=request_language(request), limit=limit), **call_options(request)
    )
    return [
        SkillSuggestionOut(
            id=x.skill.id, label=_text(x.skill.label), custom=x.skill.custom, match=x.match, matched_name=x.matched_name
        )
        for x in resp.suggestions
    ]


@router.post("/skills", response_model=SkillOut, tags=["skills"], openapi_extra=access("member"))
async def add_skill(body: CustomSkillIn, user: Member, request: Request) -> SkillOut:
    """Name a skill the list lacks. You get the taxonomy's skill if it has that name already, the
    one someone else added under the same name, or a new custom skill to put in your profile."""
    return _skill(
        await services(request).profiles.AddCustomSkill(
            pb.AddCustomSkillRequest(user_id=user.user_id, label=body.label, language=body.language),
            **call_options(request),
        )
    )


# Declared before /skills/{skill_id}, so "custom" is not taken for a skill id.
@router.get("/skills/custom", response_model=list[CustomSkillOut], tags=["skills"], openapi_extra=COORDINATOR)
async def custom_skills(user: Member, request: Request, include_merged: bool = False) -> list[CustomSkillOut]:
    """Skills people added, with how many profiles use each: what coordinators merge."""
    resp = await services(request).profiles.ListCustomSkills(
        pb.ListCustomSkillsRequest(include_merged=include_merged), **call_options(request)
    )
    return [
        CustomSkillOut(
            skill=_skill(c.skill), created_by=c.created_by, profile_count=c.profile_count, merged_into=c.merged_into
        )
        for c in resp.skills
    ]


@router.post("/skills/custom/{skill_id}/merge", response_model=MergeOut, tags=["skills"], openapi_extra=COORDINATOR)
async def merge_skill(skill_id: SkillPath, body: MergeIn, user: Member, request: Request) -> MergeOut:
    """Fold a custom skill into a canonical one; every profile using it follows."""
    resp = await services(request).profiles.MergeCustomSkill(
        pb.MergeCustomSkillRequest(
            custom_skill_id=skill_id, into_skill_id=body.into_skill_id, coordinator_id=user.user_id
        ),
        **call_options(request),
    )
    return MergeOut(into=_skill(resp.into), profiles_updated=resp.profiles_updated)


@router.get("/skills/{skill_id}", response_model=SkillDetailsOut, tags=["skills"], openapi_extra=access("public"))
async def skill(skill_id: SkillPath, request: Request) -> SkillDetailsOut:
    resp = await services(request).profiles.GetSkill(pb.GetSkillRequest(id=skill_id), **call_options(request))
    k = resp.skill
    return SkillDetailsOut(
        id=k.id,
        label=_text(k.label),
        custom=k.custom,
        aliases=list(resp.aliases),
        related=[_skill(r) for r in resp.related],
        merged_into=resp.merged_into,
    )


# --- code lists -----------------------------------------------------------------------------------


async def _search(
    request: Request, system: str, q: str, limit: int, levels: list[str] | None = None
) -> list[ClassifiedCodeOut]:
    resp = await services(request).profiles.SearchCodes(
        pb.SearchCodesRequest(
            system=system, query=q, language=request_language(request), limit=limit, levels=levels or []
        ),
        **call_options(request),
    )
    return [_code(c) for c in resp.codes]


async def _get(request: Request, system: str, code: str) -> ClassifiedCodeOut:
    return _code(
        await services(request).profiles.GetCode(pb.GetCodeRequest(system=system, code=code), **call_options(request))
    )


@router.get("/occupations", response_model=list[ClassifiedCodeOut], tags=["code lists"], openapi_extra=access("public"))
async def search_occupations(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=100)],
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
    levels: Annotated[
        list[str] | None,
        Query(max_length=5, description="Only codes at these levels, e.g. unit_group; repeat for several."),
    ] = None,
) -> list[ClassifiedCodeOut]:
    """NOC 2021 at every level (broad category, major, sub-major and minor group, unit group): words of a
    title in English or French, or the start of a code."""
    return await _search(request, "noc2021", q, limit, levels)


@router.get(
    "/occupations/{code}", response_model=ClassifiedCodeOut, tags=["code lists"], openapi_extra=access("public")
)
async def occupation(code: CodePath, request: Request) -> ClassifiedCodeOut:
    return await _get(request, "noc2021", code)


@router.get("/industries", response_model=list[ClassifiedCodeOut], tags=["code lists"], openapi_extra=access("public"))
async def search_industries(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=100)],
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
    levels: Annotated[
        list[str] | None,
        Query(max_length=5, description="Only codes at these levels, e.g. industry_group; repeat for several."),
    ] = None,
) -> list[ClassifiedCodeOut]:
    """NAICS 2022 (Canada): words of a title in English or French, or the start of a code."""
    return await _search(request, "naics2022", q, limit, levels)


@router.get("/industries/{code}", response_model=ClassifiedCodeOut, tags=["code lists"], openapi_extra=access("public"))
async def industry(code: CodePath, request: Request) -> ClassifiedCodeOut:
    return await _get(request, "naics2022", code)


@router.get(
    "/occupational-groups",
    response_model=list[OccupationalGroupOut],
    tags=["code lists"],
    openapi_extra=access("public"),
)
async def occupational_groups(request: Request) -> list[OccupationalGroupOut]:
    """The groups and levels a profile's classification (EC-05) is checked against."""
    resp = await services(request).profiles.ListOccupationalGroups(
        pb.ListOccupationalGroupsRequest(), **call_options(request)
    )
    return [
        OccupationalGroupOut(
            code=g.code, name=_text(g.name), subgroup=g.subgroup, min_level=g.min_level, max_level=g.max_level
        )
        for g in resp.groups
    ]
