"""Identity's gRPC api: convert, call a handler, convert back."""

from __future__ import annotations

from pathlib import Path

import grpc

from identity import handlers
from identity.config import TokenConfig
from identity.store import DOCUMENTS
from identity.tokens import KeyRing
from tandem.identity.v1 import identity_pb2, identity_pb2_grpc
from tandem_kit.config import ServiceConfig
from tandem_kit.grpc_server import ApiServer, Servicer
from tandem_kit.i18n import Catalog
from tandem_kit.storage import Store

CATALOG = Catalog.load(Path(__file__).with_name("messages.yaml"))


class IdentityApi(identity_pb2_grpc.IdentityServiceServicer):
    def __init__(self, store: Store, keys: KeyRing):
        self.store = store
        self.keys = keys

    def Register(
        self, request: identity_pb2.RegisterRequest, context: grpc.ServicerContext
    ) -> identity_pb2.RegisterResponse:
        result = handlers.register(
            self.store,
            email=request.email,
            password=request.password,
            display_name=request.display_name,
            language=request.language,
            department=request.department,
        )
        return identity_pb2.RegisterResponse(user_id=result.user_id, username=result.username)

    def SignIn(self, request: identity_pb2.SignInRequest, context: grpc.ServicerContext) -> identity_pb2.SignInResponse:
        result = handlers.sign_in(self.store, self.keys, email=request.email, password=request.password)
        return identity_pb2.SignInResponse(
            access_token=result.access_token, token_type="Bearer", expires_in=result.expires_in, user_id=result.user_id
        )

    def GetPublicKeys(
        self, request: identity_pb2.GetPublicKeysRequest, context: grpc.ServicerContext
    ) -> identity_pb2.GetPublicKeysResponse:
        return identity_pb2.GetPublicKeysResponse(jwks_json=self.keys.jwks())

    def GetAccount(
        self, request: identity_pb2.GetAccountRequest, context: grpc.ServicerContext
    ) -> identity_pb2.Account:
        account = handlers.get_account(request.user_id)
        response = identity_pb2.Account(
            user_id=account.id,
            email=account.email,
            username=account.username,
            display_name=account.display_name,
            language=account.language,
            department=account.department,
        )
        response.created_at.FromDatetime(account.created_at)
        return response


def build_server(config: ServiceConfig) -> ApiServer:
    store = Store.open(config, DOCUMENTS)
    keys = KeyRing(store, TokenConfig.from_env())
    return ApiServer(
        config,
        CATALOG,
        [
            Servicer(
                identity_pb2_grpc.add_IdentityServiceServicer_to_server,
                IdentityApi(store, keys),
                identity_pb2.DESCRIPTOR.services_by_name["IdentityService"],
            )
        ],
    )
