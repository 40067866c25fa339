"""The lists opportunities checks against but does not own: departments (identity's) and skills
(profiles'). Asked over gRPC and cached, so a posting costs no extra call once warm."""

from __future__ import annotations

import threading
import time

import grpc

from tandem.identity.v1 import identity_pb2, identity_pb2_grpc
from tandem.profiles.v1 import profiles_pb2, profiles_pb2_grpc
from tandem_kit.config import service_address
from tandem_kit.errors import Unavailable

DEPARTMENTS_TTL = 600.0
CALL_TIMEOUT = 5.0


class ReferenceLists:
    def __init__(self, identity: str | None = None, profiles: str | None = None):
        self._identity = identity_pb2_grpc.IdentityServiceStub(
            grpc.insecure_channel(identity or service_address("identity"))
        )
        self._profiles = profiles_pb2_grpc.ProfilesServiceStub(
            grpc.insecure_channel(profiles or service_address("profiles"))
        )
        self._departments: frozenset[str] = frozenset()
        self._departments_at = 0.0
        self._skills: set[str] = set()
        self._lock = threading.Lock()

    def is_department(self, code: str) -> bool:
        with self._lock:
            if time.monotonic() - self._departments_at > DEPARTMENTS_TTL:
                try:
                    resp = self._identity.GetRegistrationOptions(
                        identity_pb2.GetRegistrationOptionsRequest(), timeout=CALL_TIMEOUT
                    )
                except grpc.RpcError as exc:
                    raise Unavailable() from exc
                self._departments = frozenset(d.code for d in resp.departments)
                self._departments_at = time.monotonic()
            return code in self._departments

    def is_skill(self, skill_id: str) -> bool:
        if skill_id in self._skills:
            return True
        try:
            found = self._profiles.GetSkill(profiles_pb2.GetSkillRequest(id=skill_id), timeout=CALL_TIMEOUT)
        except grpc.RpcError as exc:
            if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                return False
            raise Unavailable() from exc
        # A custom skill merged into a canonical one is not itself a requirement to post.
        if found.merged_into:
            return False
        self._skills.add(skill_id)
        return True
