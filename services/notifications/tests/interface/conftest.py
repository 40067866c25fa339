"""A notifications stack and the calls its tests make: real api and worker processes, real
RabbitMQ, SecantusDB and the SMTP sink."""

from __future__ import annotations

import email.header
from collections.abc import Callable
from datetime import timedelta
from email.message import Message
from typing import Any

import grpc
import pytest

from tandem.common.v1 import common_pb2
from tandem.identity.v1 import events_pb2 as identity_events
from tandem.notifications.v1 import notifications_pb2 as pb
from tandem.notifications.v1 import notifications_pb2_grpc as pb_grpc
from tandem_dev.testing import StackFactory, TestStack, eventually


class Notifications:
    def __init__(self, stack: TestStack):
        self.stack = stack
        self.channel = stack.grpc_channel("notifications")
        self.api = pb_grpc.NotificationsServiceStub(self.channel)
        self.db = stack.database("notifications")

    def register(self, user_id: str, language: str = "en", name: str = "") -> None:
        """Tell notifications about a person, as identity would, and wait until it knows them."""
        self.stack.publish(
            "identity",
            "user.registered",
            identity_events.UserRegistered(
                user_id=user_id,
                email=f"{user_id}@example.gc.ca",
                username=user_id,
                display_name=name or f"Person {user_id}",
                language=language,
            ),
        )
        eventually(lambda: self.db.recipients.find_one({"_id": user_id}), what=f"{user_id} known")

    def inbox(self, user_id: str, **kw: Any) -> pb.ListNotificationsResponse:
        return self.api.ListNotifications(
            pb.ListNotificationsRequest(user_id=user_id, page=common_pb2.PageRequest(page_size=100), **kw)
        )

    def kinds(self, user_id: str) -> list[str]:
        return [n.kind for n in self.inbox(user_id).notifications]

    def mails_to(self, user_id: str) -> list[Message]:
        return [m for m in self.stack.mails() if m["To"] == f"{user_id}@example.gc.ca"]

    def move_clock(self, by: timedelta) -> None:
        """Only honoured by a stack started with NOTIFICATIONS_TEST_CLOCK=enabled."""
        self.db.test_clock.update_one({"_id": "offset"}, {"$set": {"seconds": by.total_seconds()}}, upsert=True)

    def call(self, method: str, request: Any, lang: str = "en") -> Any:
        return getattr(self.api, method)(request, metadata=(("accept-language", lang),))

    def refused(self, method: str, request: Any, lang: str = "en") -> grpc.RpcError:
        with pytest.raises(grpc.RpcError) as raised:
            self.call(method, request, lang)
        return raised.value

    @staticmethod
    def subject(message: Message) -> str:
        return str(email.header.make_header(email.header.decode_header(message["Subject"])))

    @staticmethod
    def field_errors(error: grpc.RpcError) -> dict[str, tuple[str, str]]:
        """{field: (code, message in the caller's language)} from a BadRequest detail."""
        from google.rpc import error_details_pb2
        from grpc_status import rpc_status

        status = rpc_status.from_call(error)  # type: ignore[arg-type]
        assert status is not None
        found = {}
        for detail in status.details:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                found.update({v.field: (v.reason, v.localized_message.message) for v in bad.field_violations})
        return found


NotificationsFactory = Callable[..., Notifications]


@pytest.fixture
def notifications(stack_factory: StackFactory) -> NotificationsFactory:
    def start(**env: str) -> Notifications:
        return Notifications(stack_factory(("notifications",), env=env))

    return start


@pytest.fixture(scope="module")
def shared_notifications(module_stack_factory: StackFactory) -> Notifications:
    """One stack for every test of a module that needs no settings of its own; each test uses
    people of its own."""
    return Notifications(module_stack_factory(("notifications",)))
