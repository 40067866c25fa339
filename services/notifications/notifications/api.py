"""Notifications' gRPC api."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import grpc

from notifications import handlers
from notifications.config import MailConfig
from notifications.domain import preferences as prefs_rules
from notifications.domain.reminders import ReminderRequest, load_purposes
from notifications.domain.templates import CHANNELS, Templates
from notifications.store import DOCUMENTS, Notification, Preferences, Reminder
from tandem.common.v1 import common_pb2
from tandem.notifications.v1 import notifications_pb2 as pb
from tandem.notifications.v1 import notifications_pb2_grpc as pb_grpc
from tandem_kit.config import ServiceConfig
from tandem_kit.grpc_server import ApiServer, Servicer
from tandem_kit.i18n import Catalog, request_language
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
        category=n.category,
    )
    msg.created_at.FromDatetime(n.created_at)
    return msg


def preferences_message(prefs: Preferences, templates: Templates) -> pb.Preferences:
    return pb.Preferences(
        user_id=prefs.id,
        email_frequency=prefs.email_frequency,
        categories=[
            pb.CategoryPreference(
                category=c.name,
                label=common_pb2.LocalizedText(**c.label),
                mandatory=c.mandatory,
                **{channel: prefs_rules.allows(prefs.opted_out, c, channel) for channel in CHANNELS},
            )
            for c in templates.categories.values()
        ],
    )


def unsubscribe_message(target: handlers.UnsubscribeTarget, templates: Templates) -> pb.UnsubscribeResponse:
    if target.scope in templates.categories:
        label = dict(templates.categories[target.scope].label)
    else:
        label = CATALOG.both("unsubscribe.all")
    return pb.UnsubscribeResponse(category=target.scope, label=common_pb2.LocalizedText(**label), channel="email")


def reminder_message(r: Reminder) -> pb.Reminder:
    msg = pb.Reminder(
        key=r.key,
        purpose=r.purpose,
        user_id=r.user_id,
        coordinator_id=r.coordinator_id,
        state=r.state,
        occurrence=r.occurrence,
        every_months=r.every_months,
    )
    msg.due_at.FromDatetime(r.due_at)
    if r.next_notice_at is not None:
        msg.next_notice_at.FromDatetime(r.next_notice_at)
    return msg


class NotificationsApi(pb_grpc.NotificationsServiceServicer):
    def __init__(self, store: Store, templates: Templates, mail: MailConfig):
        self.store = store
        self.templates = templates
        self.mail = mail
        self.purposes = load_purposes()

    # --- inbox ---------------------------------------------------------------------------------
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

    def CountUnread(self, request: pb.CountUnreadRequest, context: grpc.ServicerContext) -> pb.CountUnreadResponse:
        return pb.CountUnreadResponse(unread_count=handlers.count_unread(request.user_id))

    def MarkRead(self, request: pb.MarkReadRequest, context: grpc.ServicerContext) -> pb.MarkReadResponse:
        marked = handlers.mark_read(request.user_id, list(request.notification_ids), everything=request.all)
        return pb.MarkReadResponse(marked=marked, unread_count=handlers.count_unread(request.user_id))

    # --- preferences ---------------------------------------------------------------------------
    def GetPreferences(self, request: pb.GetPreferencesRequest, context: grpc.ServicerContext) -> pb.Preferences:
        return preferences_message(handlers.get_preferences(request.user_id), self.templates)

    def UpdatePreferences(self, request: pb.UpdatePreferencesRequest, context: grpc.ServicerContext) -> pb.Preferences:
        prefs = handlers.update_preferences(
            self.store,
            self.templates,
            self.mail,
            request.user_id,
            request.email_frequency,
            [prefs_rules.CategoryChoice(c.category, c.in_app, c.email) for c in request.categories],
            request_language.get(),
        )
        return preferences_message(prefs, self.templates)

    def InspectUnsubscribe(
        self, request: pb.UnsubscribeRequest, context: grpc.ServicerContext
    ) -> pb.UnsubscribeResponse:
        target = handlers.inspect_unsubscribe(self.store, self.templates, self.mail, request.token)
        return unsubscribe_message(target, self.templates)

    def Unsubscribe(self, request: pb.UnsubscribeRequest, context: grpc.ServicerContext) -> pb.UnsubscribeResponse:
        target = handlers.unsubscribe_by_token(self.store, self.templates, self.mail, request.token)
        return unsubscribe_message(target, self.templates)

    # --- reminders -----------------------------------------------------------------------------
    def ScheduleReminder(self, request: pb.ScheduleReminderRequest, context: grpc.ServicerContext) -> pb.Reminder:
        reminder = handlers.schedule_reminder(
            self.store,
            self.purposes,
            ReminderRequest(
                key=request.key,
                purpose=request.purpose,
                user_id=request.user_id,
                due_at=request.due_at.ToDatetime(tzinfo=UTC) if request.HasField("due_at") else None,
                coordinator_id=request.coordinator_id,
                subject_en=request.subject.en,
                subject_fr=request.subject.fr,
                link=request.link,
                every_months=request.every_months,
            ),
        )
        return reminder_message(reminder)

    def CompleteReminder(self, request: pb.CompleteReminderRequest, context: grpc.ServicerContext) -> pb.Reminder:
        return reminder_message(handlers.complete_reminder(self.store, self.purposes, request.key, request.outcome))

    def GetReminder(self, request: pb.GetReminderRequest, context: grpc.ServicerContext) -> pb.Reminder:
        return reminder_message(handlers.get_reminder(request.key))

    # --- meetings ------------------------------------------------------------------------------
    def SendMeetingInvitation(
        self, request: pb.SendMeetingInvitationRequest, context: grpc.ServicerContext
    ) -> pb.SendMeetingInvitationResponse:
        invited, sent = handlers.send_meeting_invitation(
            self.store,
            self.templates,
            self.mail,
            handlers.MeetingRequest(
                meeting_id=request.meeting_id,
                sequence=request.sequence,
                organizer_id=request.organizer_id,
                attendee_ids=list(request.attendee_ids),
                starts_at=request.starts_at.ToDatetime(tzinfo=UTC) if request.HasField("starts_at") else None,
                ends_at=request.ends_at.ToDatetime(tzinfo=UTC) if request.HasField("ends_at") else None,
                location=request.location,
                title_en=request.title.en,
                title_fr=request.title.fr,
                link=request.link,
            ),
        )
        return pb.SendMeetingInvitationResponse(invited=invited, sent=sent)


def build_server(config: ServiceConfig) -> ApiServer:
    store = Store.open(config, DOCUMENTS)  # also opens the connection the handlers' mongoengine reads use
    return ApiServer(
        config,
        CATALOG,
        [
            Servicer(
                pb_grpc.add_NotificationsServiceServicer_to_server,
                NotificationsApi(store, Templates.load(), MailConfig.from_env()),
                pb.DESCRIPTOR.services_by_name["NotificationsService"],
            )
        ],
    )
