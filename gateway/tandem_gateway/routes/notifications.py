"""The notifications inbox (notifications)."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, Query, Request

from tandem.common.v1 import common_pb2
from tandem.notifications.v1 import notifications_pb2
from tandem_gateway import schemas as s
from tandem_gateway.routes.common import Member, access, call_options, services

router = APIRouter(prefix="/v1")


@router.get(
    "/me/notifications", response_model=s.NotificationsOut, tags=["notifications"], openapi_extra=access("member")
)
async def my_notifications(
    user: Member,
    request: Request,
    unread_only: bool = False,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
    page_token: Annotated[str, Query(max_length=12, pattern=r"^[0-9]*$")] = "",
) -> s.NotificationsOut:
    resp = await services(request).notifications.ListNotifications(
        notifications_pb2.ListNotificationsRequest(
            user_id=user.user_id,
            unread_only=unread_only,
            page=common_pb2.PageRequest(page_size=page_size, page_token=page_token),
        ),
        **call_options(request),
    )
    return s.NotificationsOut(
        notifications=[
            s.NotificationOut(
                id=n.id,
                kind=n.kind,
                subject=n.subject,
                body=n.body,
                link=n.link,
                read=n.read,
                created_at=n.created_at.ToDatetime(tzinfo=UTC),
            )
            for n in resp.notifications
        ],
        unread_count=resp.unread_count,
        next_page_token=resp.next_page_token,
    )


@router.post(
    "/me/notifications/read", response_model=s.MarkReadOut, tags=["notifications"], openapi_extra=access("member")
)
async def mark_read(body: s.MarkReadIn, user: Member, request: Request) -> s.MarkReadOut:
    resp = await services(request).notifications.MarkRead(
        notifications_pb2.MarkReadRequest(
            user_id=user.user_id,
            notification_ids=body.notification_ids,
        ),
        **call_options(request),
    )
    return s.MarkReadOut(marked=resp.marked)
