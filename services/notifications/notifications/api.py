"""Notifications' gRPC api."""

from __future__ import annotations

from pathlib import Path

import grpc

from notifications import handlers
from notifications.store import DOCUMENTS, Notification
from tandem.notifications.v1 import notifications_pb2 as pb
from tandem.notifications.v1 import notifications_pb2_grpc as pb_grpc
from tandem_kit.config import ServiceConfig
from tandem_kit.grpc_server import ApiServer, Servicer
from tandem_kit.i18n import Catalog
from tandem_kit.storage import Store

CATALOG = Catalog.load(Path(__file__).with_name("messages.yaml"))


def notification_message(n: Notification) -> pb.Notification:
    msg = pb.Notification(
        id=n.id,
        user_id=n.user_id,
        kind=n.kind,
        subject=n.subject,
        body=n.body,
        link=n.link,
        read=n.read,
        source_event_id=n.source_event_id,
    )
    msg.created_at.FromDatetime(n.created_at)
    return msg


class NotificationsApi(pb_grpc.NotificationsServiceServicer):
    def ListNotifications(
        self, request: pb.ListNotificationsRequest, context: grpc.ServicerContext
    ) -> pb.ListNotificationsResponse:
        items, unread, next_token = handlers.list_notifications(
            request.user_id,
            unread_only=request.unread_only,
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        return pb.ListNotificationsResponse(
            notifications=[notification_message(n) for n in items], unread_count=unread, next_page_token=next_token
        )

    def MarkRead(self, request: pb.MarkReadRequest, context: grpc.ServicerContext) -> pb.MarkReadResponse:
        return pb.MarkReadResponse(marked=handlers.mark_read(request.user_id, list(request.notification_ids)))


def build_server(config: ServiceConfig) -> ApiServer:
    Store.open(config, DOCUMENTS)  # opens the connection that the handlers' mongoengine reads use
    return ApiServer(
        config,
        CATALOG,
        [
            Servicer(
                pb_grpc.add_NotificationsServiceServicer_to_server,
                NotificationsApi(),
                pb.DESCRIPTOR.services_by_name["NotificationsService"],
            )
        ],
    )
