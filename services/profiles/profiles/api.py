"""Profiles' gRPC api: convert, call a handler, convert back."""

from __future__ import annotations

import gc
from pathlib import Path

import grpc

from profiles import convert, handlers
from profiles.domain.reference import ReferenceData, load_reference
from profiles.domain.taxonomy import Skill
from profiles.store import DOCUMENTS, CustomSkill
from tandem.common.v1 import common_pb2
from tandem.profiles.v1 import profiles_pb2 as pb
from tandem.profiles.v1 import profiles_pb2_grpc as pb_grpc
from tandem_kit.config import ServiceConfig
from tandem_kit.errors import InvalidInput, NotFound
from tandem_kit.grpc_server import ApiServer, Servicer
from tandem_kit.i18n import Catalog, request_language
from tandem_kit.storage import Store

CATALOG = Catalog.load(Path(__file__).with_name("messages.yaml"))
SUGGEST_LIMIT_MAX = 50
SEARCH_LIMIT_MAX = 50
QUERY_MAX = 100


def _section_label(section: str) -> str:
    return CATALOG.render(f"section.{section}")


def _skill(skill: Skill | CustomSkill) -> pb.Skill:
    return convert.canonical_skill(skill) if isinstance(skill, Skill) else convert.custom_skill(skill)


def _limit(requested: int, default: int, maximum: int) -> int:
    if requested == 0:
        return default
    if not 1 <= requested <= maximum:
        raise InvalidInput.one("limit", "limit.range", max=maximum)
    return requested


def _language(requested: str) -> str:
    return requested if requested in ("en", "fr") else request_language.get()


class ProfilesApi(pb_grpc.ProfilesServiceServicer):
    def __init__(self, store: Store, ref: ReferenceData):
        self.store = store
        self.ref = ref

    # --- profiles -----------------------------------------------------------------------------
    def GetProfile(self, request: pb.GetProfileRequest, context: grpc.ServicerContext) -> pb.Profile:
        profile, customs = handlers.get_profile(request.user_id)
        owner = bool(request.viewer_id) and request.viewer_id == request.user_id
        return convert.profile(self.ref, profile, customs, owner_view=owner, section_label=_section_label)

    def UpdateProfile(self, request: pb.UpdateProfileRequest, context: grpc.ServicerContext) -> pb.Profile:
        profile, customs = handlers.update_profile(
            self.store, self.ref, user_id=request.user_id, changes=convert.changes_from(request)
        )
        return convert.profile(self.ref, profile, customs, owner_view=True, section_label=_section_label)

    # --- skills -------------------------------------------------------------------------------
    def SuggestSkills(
        self, request: pb.SuggestSkillsRequest, context: grpc.ServicerContext
    ) -> pb.SuggestSkillsResponse:
        limit = _limit(request.limit, 10, SUGGEST_LIMIT_MAX)
        suggestions = self.ref.taxonomy.suggest(request.query[:QUERY_MAX], _language(request.language), limit)
        return pb.SuggestSkillsResponse(
            suggestions=[
                pb.SkillSuggestion(skill=convert.canonical_skill(s.skill), match=s.match, matched_name=s.matched_name)
                for s in suggestions
            ]
        )

    def GetSkill(self, request: pb.GetSkillRequest, context: grpc.ServicerContext) -> pb.SkillDetails:
        skill = handlers.get_skill(self.ref, request.id)
        if isinstance(skill, Skill):
            return pb.SkillDetails(
                skill=convert.canonical_skill(skill),
                aliases=list(skill.aliases),
                related=[convert.canonical_skill(r) for r in self.ref.taxonomy.related(skill.id)],
            )
        return pb.SkillDetails(skill=convert.custom_skill(skill), merged_into=skill.merged_into)

    def ListSkills(self, request: pb.ListSkillsRequest, context: grpc.ServicerContext) -> pb.ListSkillsResponse:
        return pb.ListSkillsResponse(
            skills=[
                pb.SkillDetails(
                    skill=convert.canonical_skill(skill),
                    aliases=list(skill.aliases),
                    related=[convert.canonical_skill(r) for r in self.ref.taxonomy.related(skill.id)],
                )
                for skill in self.ref.taxonomy.skills.values()
            ]
        )

    def AddCustomSkill(self, request: pb.AddCustomSkillRequest, context: grpc.ServicerContext) -> pb.Skill:
        skill = handlers.add_custom_skill(
            self.store,
            self.ref,
            user_id=request.user_id,
            label=request.label,
            language=request.language or request_language.get(),
        )
        return _skill(skill)

    def ListCustomSkills(
        self, request: pb.ListCustomSkillsRequest, context: grpc.ServicerContext
    ) -> pb.ListCustomSkillsResponse:
        return pb.ListCustomSkillsResponse(
            skills=[
                pb.CustomSkill(
                    skill=convert.custom_skill(s), created_by=s.created_by, profile_count=n, merged_into=s.merged_into
                )
                for s, n in handlers.list_custom_skills(include_merged=request.include_merged)
            ]
        )

    def MergeCustomSkill(
        self, request: pb.MergeCustomSkillRequest, context: grpc.ServicerContext
    ) -> pb.MergeCustomSkillResponse:
        into, updated = handlers.merge_custom_skill(
            self.store,
            self.ref,
            custom_skill_id=request.custom_skill_id,
            into_skill_id=request.into_skill_id,
            coordinator_id=request.coordinator_id,
        )
        return pb.MergeCustomSkillResponse(into=convert.canonical_skill(into), profiles_updated=updated)

    # --- code lists ---------------------------------------------------------------------------
    def SearchCodes(self, request: pb.SearchCodesRequest, context: grpc.ServicerContext) -> pb.SearchCodesResponse:
        codes = self.ref.code_list(request.system)
        if codes is None:
            raise InvalidInput.one("system", "code.system")
        levels = list(request.levels)
        if any(level not in codes.levels for level in levels):
            raise InvalidInput.one("levels", "code.level", levels=", ".join(sorted(codes.levels)))
        limit = _limit(request.limit, 20, SEARCH_LIMIT_MAX)
        found = codes.search(request.query[:QUERY_MAX], _language(request.language), limit, levels)
        return pb.SearchCodesResponse(codes=[convert.classified(codes, c) for c in found])

    def GetCode(self, request: pb.GetCodeRequest, context: grpc.ServicerContext) -> pb.ClassifiedCode:
        codes = self.ref.code_list(request.system)
        if codes is None:
            raise InvalidInput.one("system", "code.system")
        code = codes.get(request.code)
        if code is None:
            raise NotFound("code.not_found")
        return convert.classified(codes, code, with_children=True)

    def ListOccupationalGroups(
        self, request: pb.ListOccupationalGroupsRequest, context: grpc.ServicerContext
    ) -> pb.ListOccupationalGroupsResponse:
        return pb.ListOccupationalGroupsResponse(
            groups=[
                pb.OccupationalGroup(
                    code=g.code,
                    name=common_pb2.LocalizedText(en=g.name.en, fr=g.name.fr),
                    subgroup=g.subgroup,
                    min_level=g.min_level,
                    max_level=g.max_level,
                )
                for g in self.ref.groups.groups
            ]
        )


def build_server(config: ServiceConfig) -> ApiServer:
    store = Store.open(config, DOCUMENTS)
    ref = load_reference()
    # The taxonomy's index and the code lists live as long as the process: keep the garbage
    # collector from walking them again and again, which showed as autocomplete latency spikes.
    gc.freeze()
    return ApiServer(
        config,
        CATALOG,
        [
            Servicer(
                pb_grpc.add_ProfilesServiceServicer_to_server,
                ProfilesApi(store, ref),
                pb.DESCRIPTOR.services_by_name["ProfilesService"],
            )
        ],
    )
