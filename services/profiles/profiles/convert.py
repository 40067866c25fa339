"""Between protobuf messages and what the domain checks and the store keeps. One place, used by the
api (requests and responses) and by the handlers (the profile.updated snapshot)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.message import Message

from profiles.domain import model
from profiles.domain.codes import Code, CodeList, Text
from profiles.domain.reference import ReferenceData
from profiles.domain.taxonomy import Skill
from profiles.store import CustomSkill, Profile
from tandem.common.v1 import common_pb2
from tandem.profiles.v1 import events_pb2
from tandem.profiles.v1 import profiles_pb2 as pb

M = TypeVar("M", bound=Message)


def localized(text: Text) -> common_pb2.LocalizedText:
    return common_pb2.LocalizedText(en=text.en, fr=text.fr)


def _parse(raw: Mapping[str, Any] | None, message: M) -> M:
    return json_format.ParseDict(dict(raw or {}), message, ignore_unknown_fields=True)


# --- requests -------------------------------------------------------------------------------------

# The version-1 API changed these two fields and nothing else.
DEFAULT_MASK = frozenset({"title", "skill_ids"})


def changes_from(request: pb.UpdateProfileRequest) -> model.ProfileChanges:
    r = request
    fields = frozenset(r.update_mask.paths) or DEFAULT_MASK
    langs = r.official_languages
    return model.ProfileChanges(
        fields=fields,
        title=r.title,
        department=r.department,
        classification=r.classification,
        location=model.Location(r.location.city, r.location.province, r.location.time_zone),
        english=_levels(langs.english),
        french=_levels(langs.french),
        other_languages=tuple(r.other_languages),
        education=tuple(
            model.Education(e.institution, e.credential, e.field_of_study, e.start_year, e.end_year)
            for e in r.education
        ),
        work_experience=tuple(
            model.WorkExperience(w.title, w.organization, w.start, w.end, w.description) for w in r.work_experience
        ),
        occupation_code=r.occupation_code,
        industry_code=r.industry_code,
        career_goals=r.career_goals,
        interests=tuple(r.interests),
        skill_ids=tuple(r.skill_ids),
        opt_ins=tuple(model.OptIn(o.opportunity_type, tuple(o.roles)) for o in r.opt_ins),
        mentoring=model.MentoringPreferences(
            tuple(r.mentoring.types),
            r.mentoring.max_mentees,
            r.mentoring.connector_meetings_per_year,
            r.mentoring.availability_hours_per_month,
            r.mentoring.paused,
        ),
        self_identification=model.SelfIdentification(
            r.self_identification.cultural_background, tuple(r.self_identification.employment_equity_groups)
        ),
        security_clearance=r.security_clearance,
        availability=model.Availability(
            r.availability.hours_per_week,
            r.availability.max_engagements,
            tuple(r.availability.days),
            r.availability.day_start,
            r.availability.day_end,
        ),
    )


def _levels(levels: pb.LanguageLevels) -> model.LanguageLevels:
    return model.LanguageLevels(levels.written_comprehension, levels.written_expression, levels.oral_proficiency)


# --- skills and codes -----------------------------------------------------------------------------


def canonical_skill(skill: Skill) -> pb.Skill:
    return pb.Skill(id=skill.id, label=common_pb2.LocalizedText(en=skill.en, fr=skill.fr))


def custom_skill(skill: CustomSkill) -> pb.Skill:
    # A custom skill has one label, in the language it was written in; it stands for both.
    return pb.Skill(id=skill.id, label=common_pb2.LocalizedText(en=skill.label, fr=skill.label), custom=True)


def skills(ref: ReferenceData, ids: Iterable[str], customs: Mapping[str, CustomSkill]) -> list[pb.Skill]:
    out = []
    for skill_id in ids:
        canonical = ref.taxonomy.get(skill_id)
        if canonical is not None:
            out.append(canonical_skill(canonical))
        elif skill_id in customs:
            out.append(custom_skill(customs[skill_id]))
    return out


def _level(code: Code) -> pb.CodeLevel:
    return pb.CodeLevel(level=code.level, code=code.code, title=localized(code.title))


def classified(codes: CodeList, code: Code, with_children: bool = False) -> pb.ClassifiedCode:
    """A code with its whole hierarchy (each level's code and bilingual title) and, when asked, the
    codes one level below."""
    return pb.ClassifiedCode(
        system=code.system,
        code=code.code,
        level=code.level,
        title=localized(code.title),
        hierarchy=[_level(a) for a in codes.hierarchy(code)],
        children=[_level(c) for c in codes.children(code)] if with_children else [],
    )


def _classified_or_none(codes: CodeList, value: str) -> pb.ClassifiedCode | None:
    code = codes.get(value) if value else None
    return None if code is None else classified(codes, code)


# --- profiles -------------------------------------------------------------------------------------


def details(ref: ReferenceData, p: Profile) -> pb.ProfileDetails:
    out = pb.ProfileDetails(
        location=_parse(p.location, pb.Location()),
        official_languages=_parse(p.official_languages, pb.OfficialLanguages()),
        other_languages=list(p.other_languages),
        education=[_parse(e, pb.Education()) for e in p.education],
        work_experience=[_parse(w, pb.WorkExperience()) for w in p.work_experience],
        career_goals=p.career_goals,
        interests=list(p.interests),
    )
    if out.location.province in ref.provinces:
        out.location.province_name.CopyFrom(localized(ref.provinces[out.location.province]))
    if p.classification:
        parsed = ref.groups.parse(p.classification)
        out.classification.CopyFrom(
            pb.Classification(
                code=parsed.code,
                group=parsed.group.code,
                subgroup=parsed.group.subgroup,
                level=parsed.level,
                group_name=localized(parsed.group.name),
            )
        )
    occupation = _classified_or_none(ref.noc, p.occupation_code)
    if occupation is not None:
        out.occupation.CopyFrom(occupation)
    industry = _classified_or_none(ref.naics, p.industry_code)
    if industry is not None:
        out.industry.CopyFrom(industry)
    return out


def private(p: Profile) -> pb.PrivateProfile:
    return pb.PrivateProfile(
        opt_ins=[_parse(o, pb.OptIn()) for o in p.opt_ins],
        mentoring=_parse(p.mentoring, pb.MentoringPreferences()),
        self_identification=_parse(p.self_identification, pb.SelfIdentification()),
        security_clearance=p.security_clearance,
        availability=_parse(p.availability, pb.Availability()),
    )


def completeness(p: Profile, section_label: Any) -> pb.Completeness:
    missing = model.missing_sections(p.to_mongo().to_dict())
    return pb.Completeness(
        percent=model.completeness_percent(missing),
        missing=[pb.MissingSection(section=s, label=section_label(s)) for s in missing],
    )


def profile(
    ref: ReferenceData,
    p: Profile,
    customs: Mapping[str, CustomSkill],
    *,
    owner_view: bool,
    section_label: Any = None,
) -> pb.Profile:
    """The profile as its owner sees it, or (owner_view False) as anyone else does: never the
    private part, nor the completeness."""
    out = pb.Profile(
        user_id=p.id,
        display_name=p.display_name,
        department=p.department,
        title=p.title,
        skills=skills(ref, p.skill_ids, customs),
        version=p.version,
        details=details(ref, p),
    )
    if owner_view:
        out.private.CopyFrom(private(p))
        out.completeness.CopyFrom(completeness(p, section_label))
    return out


def snapshot(ref: ReferenceData, p: Profile, customs: Mapping[str, CustomSkill]) -> events_pb2.ProfileUpdated:
    """The profile.updated payload: the whole profile, private part included, for matching."""
    return events_pb2.ProfileUpdated(
        user_id=p.id,
        display_name=p.display_name,
        department=p.department,
        title=p.title,
        skills=skills(ref, p.skill_ids, customs),
        version=p.version,
        details=details(ref, p),
        private=private(p),
        department_code=p.department_code,
    )


def custom_ids(ids: Sequence[str]) -> list[str]:
    return [i for i in ids if i.startswith(CUSTOM_PREFIX)]


CUSTOM_PREFIX = "custom-"
