"""gRPC clients for every service, over grpc.aio channels opened once per process."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tandem.identity.v1 import identity_pb2_grpc
from tandem.matching.v1 import matching_pb2_grpc
from tandem.notifications.v1 import notifications_pb2_grpc
from tandem.opportunities.v1 import opportunities_pb2_grpc
from tandem.profiles.v1 import profiles_pb2_grpc
from tandem.referrals.v1 import referrals_pb2_grpc

_CHANNEL_OPTIONS = [
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.max_receive_message_length", 8 * 1024 * 1024),
]


class Services:
    def __init__(self, addresses: Mapping[str, str]):
        self.channels = {
            name: grpc.aio.insecure_channel(addr, options=_CHANNEL_OPTIONS) for name, addr in addresses.items()
        }
        self.identity = identity_pb2_grpc.IdentityServiceStub(self.channels["identity"])
        self.profiles = profiles_pb2_grpc.ProfilesServiceStub(self.channels["profiles"])
        self.opportunities = opportunities_pb2_grpc.OpportunitiesServiceStub(self.channels["opportunities"])
        self.matching = matching_pb2_grpc.MatchingServiceStub(self.channels["matching"])
        self.notifications = notifications_pb2_grpc.NotificationsServiceStub(self.channels["notifications"])
        self.referrals = referrals_pb2_grpc.ReferralsServiceStub(self.channels["referrals"])

    async def health(self, timeout: float = 1.0) -> dict[str, str]:
        """Each service's gRPC health status name (SERVING, NOT_SERVING, or UNAVAILABLE)."""

        async def check(name: str, channel: grpc.aio.Channel) -> tuple[str, str]:
            try:
                resp = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=timeout)
                return name, health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)
            except grpc.aio.AioRpcError as exc:
                return name, exc.code().name

        results = await asyncio.gather(*(check(n, c) for n, c in self.channels.items()))
        return dict(results)

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self.channels.values()))
