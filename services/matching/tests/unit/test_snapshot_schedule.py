"""When an api replica writes a snapshot of its index: only once it has something, only when the
newest is old and something changed since, only while it holds the lease, one at a time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

import pytest

from matching.domain.index import FrozenIndex
from matching.domain.ranking import CandidateRecord
from matching.live import LiveIndex
from matching.snapshots import SnapshotInfo, Snapshots
from tandem_kit.events import utcnow
from tandem_kit.storage import Lease

EVERY = 600.0


@dataclass
class FakeSnapshots:
    stored: SnapshotInfo | None = None
    saved: list[tuple[int, int]] = field(default_factory=list)  # (seq, people)

    def newest(self) -> SnapshotInfo | None:
        return self.stored

    def save(self, frozen: FrozenIndex, seq: int) -> SnapshotInfo:
        self.saved.append((seq, frozen.size))
        self.stored = SnapshotInfo(len(self.saved), seq, frozen.size, 1, utcnow())
        return self.stored


@dataclass
class FakeLease:
    free: bool = True
    released: int = 0

    def acquire(self) -> bool:
        return self.free

    def release(self) -> None:
        self.released += 1


def _live(snapshots: FakeSnapshots, lease: FakeLease, seen: int) -> LiveIndex:
    live = LiveIndex(
        cast(Any, None),
        snapshots=cast(Snapshots, snapshots),
        snapshot_lease=cast(Lease, lease),
        snapshot_every=EVERY,
    )
    live.candidates.upsert(CandidateRecord("ada", "Ada", {"java": {"en": "Java", "fr": "Java"}}))
    live.seen = seen
    return live


def _look(live: LiveIndex) -> None:
    live._snapshot_check_at = 0.0  # as if the last look were long ago
    live._snapshot_if_due()
    if live._snapshot_writer is not None:
        live._snapshot_writer.join(5)


def _stored(seq: int, age: timedelta) -> SnapshotInfo:
    created: datetime = utcnow() - age
    return SnapshotInfo("old", seq, 1, 1, created)


def test_the_first_snapshot_is_written_as_soon_as_there_is_something_and_the_lease_handed_back() -> None:
    snapshots, lease = FakeSnapshots(), FakeLease()
    empty = _live(snapshots, lease, seen=0)
    _look(empty)
    assert snapshots.saved == []

    live = _live(snapshots, lease, seen=5)
    _look(live)

    assert snapshots.saved == [(5, 1)] and lease.released == 1


@pytest.mark.parametrize(
    ("stored", "seen", "written"),
    [
        (_stored(5, timedelta(minutes=1)), 9, False),  # changed, but the newest is recent
        (_stored(9, timedelta(hours=1)), 9, False),  # old, but nothing changed since
        (_stored(5, timedelta(hours=1)), 9, True),
    ],
)
def test_a_new_snapshot_waits_for_the_newest_to_age_and_for_a_change(
    stored: SnapshotInfo, seen: int, written: bool
) -> None:
    snapshots = FakeSnapshots(stored=stored)

    _look(_live(snapshots, FakeLease(), seen=seen))

    assert snapshots.saved == ([(seen, 1)] if written else [])


def test_a_replica_without_the_lease_writes_none() -> None:
    snapshots = FakeSnapshots()

    _look(_live(snapshots, FakeLease(free=False), seen=5))

    assert snapshots.saved == []


def test_it_looks_at_most_every_few_seconds() -> None:
    snapshots = FakeSnapshots(stored=_stored(5, timedelta(hours=1)))
    live = _live(snapshots, FakeLease(), seen=5)
    _look(live)  # nothing changed: not written, and the next look is a while away
    live.seen = 6

    live._snapshot_if_due()

    assert snapshots.saved == []
