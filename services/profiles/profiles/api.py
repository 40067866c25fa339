"""Profiles' gRPC api."""

from __future__ import annotations

from pathlib import Path

import grpc

from profiles import handlers
from profiles.domain.taxonomy import Taxonomy
from profiles.store import DOCUMENTS, Profile
from tandem.common.v1 import common_pb2
from tandem.profiles.v1 import profiles_pb2, profiles_pb2_grpc
from tandem_kit.config import ServiceConfig
from tandem_kit.grpc_server import ApiServer, Servicer
from tandem_kit.i18n import Catalog, request_language
from tandem_kit.storage import Store

CATALOG = Catalog.load(Path(__file__).with_name("messages.yaml"))
SUGGEST_LIMIT_MAX = 50


def profile_message(taxonomy: Taxonomy, profile: Profile) -> profiles_pb2.Profile:
    return profiles_pb2.Profile(
        user_id=profile.id,
        display_name=profile.display_name,
        department=profile.department,
        title=profile.title,
        skills=handlers.skill_messages(taxonomy, profile.skill_ids),
        version=profile.version,
    )


class ProfilesApi(profiles_pb2_grpc.ProfilesServiceServicer):
    def __init__(self, store: Store, taxonomy: Taxonomy):
        self.store = store
        self.taxonomy = taxonomy

    def GetProfile(
        self, request: profiles_pb2.GetProfileRequest, context: grpc.ServicerContext
    ) -> profiles_pb2.Profile:
        return profile_message(self.taxonomy, handlers.get_profile(request.user_id))

    def UpdateProfile(
        self, request: profiles_pb2.UpdateProfileRequest, context: grpc.ServicerContext
    ) -> profiles_pb2.Profile:
        profile = handlers.update_profile(
            self.store, self.taxonomy, user_id=request.user_id, title=request.title, skill_ids=list(request.skill_ids)
        )
        return profile_message(self.taxonomy, profile)

    def SuggestSkills(
        self, request: profiles_pb2.SuggestSkillsRequest, context: grpc.ServicerContext
    ) -> profiles_pb2.SuggestSkillsResponse:
        limit = min(max(request.limit or 10, 1), SUGGEST_LIMIT_MAX)
        skills = self.taxonomy.suggest(request.query[:100], request.language or request_language.get(), limit)
        return profiles_pb2.SuggestSkillsResponse(
            skills=[profiles_pb2.Skill(id=s.id, label=common_pb2.LocalizedText(en=s.en, fr=s.fr)) for s in skills]
        )


def build_server(config: ServiceConfig) -> ApiServer:
    store = Store.open(config, DOCUMENTS)
    taxonomy = Taxonomy.load()
    return ApiServer(
        config,
        CATALOG,
        [
            Servicer(
                profiles_pb2_grpc.add_ProfilesServiceServicer_to_server,
                ProfilesApi(store, taxonomy),
                profiles_pb2.DESCRIPTOR.services_by_name["ProfilesService"],
            )
        ],
    )
