"""The notifications inbox, notice preferences and one-click unsubscribe (notifications)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from tandem.common.v1 import common_pb2
from tandem.notifications.v1 import notifications_pb2 as pb
from tandem_gateway.problems import ApiError, request_language
from tandem_gateway.routes.common import Member, access, call_options, services
from tandem_gateway.schemas import Body, Id

router = APIRouter(prefix="/v1")

Category = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[a-z][a-z_]*$")]
UnsubscribeToken = Annotated[str, Query(min_length=10, max_length=400, pattern=r"^[A-Za-z0-9_.-]+$")]
ONE_CLICK = "One-Click"


class NotificationOut(BaseModel):
    id: str
    kind: str
    category: str
    subject: str
    body: str
    link: str
    read: bool
    created_at: datetime


class NotificationsOut(BaseModel):
    notifications: list[NotificationOut]
    unread_count: int
    next_page_token: str


class UnreadCountOut(BaseModel):
    unread_count: int


class MarkReadIn(Body):
    notification_ids: list[Id] = Field(default_factory=list, max_length=100)
    all: bool = Field(default=False, description="Mark every notice read; then name none.")


class MarkReadOut(BaseModel):
    marked: int
    unread_count: int


class CategoryPreferenceOut(BaseModel):
    category: str
    label: str = Field(description="The kind of notice, in the request's language.")
    mandatory: bool = Field(description="Always sent on every channel: it can't be turned off.")
    in_app: bool
    email: bool


class PreferencesOut(BaseModel):
    email_frequency: str = Field(description="immediate, or daily (one digest a day).")
    categories: list[CategoryPreferenceOut]


class CategoryPreferenceIn(Body):
    category: Category
    in_app: bool
    email: bool


class PreferencesIn(Body):
    email_frequency: str = Field(default="", max_length=20, description="immediate or daily; empty keeps it.")
    categories: list[CategoryPreferenceIn] = Field(default_factory=list, max_length=30)


class UnsubscribeOut(BaseModel):
    category: str = Field(description="The kind of notice turned off, or `all` optional email.")
    label: str
    channel: str


# --- inbox ------------------------------------------------------------------------------------------


@router.get(
    "/me/notifications", response_model=NotificationsOut, tags=["notifications"], openapi_extra=access("member")
)
async def my_notifications(
    user: Member,
    request: Request,
    unread_only: bool = False,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
    page_token: Annotated[str, Query(max_length=12, pattern=r"^[0-9]*$")] = "",
) -> NotificationsOut:
    resp = await services(request).notifications.ListNotifications(
        pb.ListNotificationsRequest(
            user_id=user.user_id,
            unread_only=unread_only,
            page=common_pb2.PageRequest(page_size=page_size, page_token=page_token),
        ),
        **call_options(request),
    )
    return NotificationsOut(
        notifications=[
            NotificationOut(
                id=n.id,
                kind=n.kind,
                category=n.category,
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


@router.get(
    "/me/notifications/unread-count",
    response_model=UnreadCountOut,
    tags=["notifications"],
    openapi_extra=access("member"),
)
async def unread_count(user: Member, request: Request) -> UnreadCountOut:
    resp = await services(request).notifications.CountUnread(
        pb.CountUnreadRequest(user_id=user.user_id), **call_options(request)
    )
    return UnreadCountOut(unread_count=resp.unread_count)


@router.post(
    "/me/notifications/read", response_model=MarkReadOut, tags=["notifications"], openapi_extra=access("member")
)
async def mark_read(body: MarkReadIn, user: Member, request: Request) -> MarkReadOut:
    """Mark the notices named read, or all of them with `{"all": true}`."""
    resp = await services(request).notifications.MarkRead(
        pb.MarkReadRequest(user_id=user.user_id, notification_ids=body.notification_ids, all=body.all),
        **call_options(request),
    )
    return MarkReadOut(marked=resp.marked, unread_count=resp.unread_count)


# --- preferences ------------------------------------------------------------------------------------


def _preferences(prefs: pb.Preferences, lang: str) -> PreferencesOut:
    return PreferencesOut(
        email_frequency=prefs.email_frequency,
        categories=[
            CategoryPreferenceOut(
                category=c.category,
                label=getattr(c.label, lang),
                mandatory=c.mandatory,
                in_app=c.in_app,
                email=c.email,
            )
            for c in prefs.categories
        ],
    )


@router.get(
    "/me/notification-preferences",
    response_model=PreferencesOut,
    tags=["notifications"],
    openapi_extra=access("member"),
)
async def my_preferences(user: Member, request: Request) -> PreferencesOut:
    prefs = await services(request).notifications.GetPreferences(
        pb.GetPreferencesRequest(user_id=user.user_id), **call_options(request)
    )
    return _preferences(prefs, request_language(request))


@router.patch(
    "/me/notification-preferences",
    response_model=PreferencesOut,
    tags=["notifications"],
    openapi_extra=access("member"),
)
async def update_my_preferences(body: PreferencesIn, user: Member, request: Request) -> PreferencesOut:
    """Change how often email comes and, for the kinds of notice named, each channel. Kinds not
    named stay as they are. Security notices can't be turned off."""
    prefs = await services(request).notifications.UpdatePreferences(
        pb.UpdatePreferencesRequest(
            user_id=user.user_id,
            email_frequency=body.email_frequency,
            categories=[
                pb.CategoryPreference(category=c.category, in_app=c.in_app, email=c.email) for c in body.categories
            ],
        ),
        **call_options(request),
    )
    return _preferences(prefs, request_language(request))


# --- one-click unsubscribe (RFC 8058) ---------------------------------------------------------------


def _unsubscribed(resp: pb.UnsubscribeResponse, lang: str) -> UnsubscribeOut:
    return UnsubscribeOut(category=resp.category, label=getattr(resp.label, lang), channel=resp.channel)


@router.get("/unsubscribe", response_model=UnsubscribeOut, tags=["notifications"], openapi_extra=access("public"))
async def inspect_unsubscribe(token: UnsubscribeToken, request: Request) -> UnsubscribeOut:
    """What the signed link in an email would turn off. Changes nothing: link scanners and
    prefetchers follow GET links."""
    resp = await services(request).notifications.InspectUnsubscribe(
        pb.UnsubscribeRequest(token=token), **call_options(request)
    )
    return _unsubscribed(resp, request_language(request))


@router.post("/unsubscribe", response_model=UnsubscribeOut, tags=["notifications"], openapi_extra=access("public"))
async def unsubscribe(token: UnsubscribeToken, request: Request) -> UnsubscribeOut:
    """The one-click unsubscribe of the email's List-Unsubscribe header: the mail client POSTs
    `List-Unsubscribe=One-Click` (form-encoded) to that URL. The token's signature is checked by
    the notifications service; that kind of email is then off. No sign-in: the token is the proof."""
    form = parse_qs((await request.body()).decode("utf-8", errors="replace"))
    if form.get("List-Unsubscribe") != [ONE_CLICK]:
        raise ApiError(422, "unsubscribe.one_click_required")
    resp = await services(request).notifications.Unsubscribe(
        pb.UnsubscribeRequest(token=token), **call_options(request)
    )
    return _unsubscribed(resp, request_language(request))
