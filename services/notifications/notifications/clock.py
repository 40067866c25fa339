"""The time notifications acts on: deadlines, reminders and digests.

In production it is the system clock, and nothing can move it. A test that has to see a reminder
fire a week from now starts the service with NOTIFICATIONS_TEST_CLOCK=enabled; only then is the
offset in the `test_clock` collection added, so the api and the worker move together.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from notifications.store import TestClockOffset
from tandem_kit.events import utcnow

log = logging.getLogger(__name__)

OFFSET_ID = "offset"


class Clock:
    def __init__(self, test_offsets: bool):
        self.test_offsets = test_offsets
        if test_offsets:
            log.warning("NOTIFICATIONS_TEST_CLOCK is enabled: the clock can be moved. Never in production.")

    def now(self) -> datetime:
        now = utcnow()
        if not self.test_offsets:
            return now
        raw = TestClockOffset._get_collection().find_one({"_id": OFFSET_ID})
        return now + timedelta(seconds=float(raw["seconds"])) if raw else now
