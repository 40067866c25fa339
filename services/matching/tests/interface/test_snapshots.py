"""Index snapshots in a real wire-protocol store (GridFS on SecantusDB): written, found, read back
and pruned."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from bson import ObjectId
from pymongo import MongoClient

from matching.domain.index import CandidateIndex
from matching.domain.ranking import CandidateRecord, Requirements
from matching.snapshots import BUCKET, KEEP, Snapshots
from tandem_kit.events import utcnow

pytestmark = pytest.mark.interface

JAVA = {"java": {"en": "Java", "fr": "Java"}}


@pytest.fixture
def db(mongo_uri: str) -> Any:
    client: MongoClient[dict[str, Any]] = MongoClient(mongo_uri, tz_aware=True)
    yield client[f"snapshots_{uuid.uuid4().hex[:8]}"]
    client.close()


def _index(*people: str) -> CandidateIndex:
    index = CandidateIndex()
    for user_id in people:
        index.upsert(CandidateRecord(user_id, user_id.title(), JAVA))
    return index


def test_the_newest_snapshot_is_found_and_reads_back_as_the_index_it_was(db: Any) -> None:
    snapshots = Snapshots(db)
    assert snapshots.newest() is None
    snapshots.save(_index("ada").freeze(), seq=3)
    saved = snapshots.save(_index("ada", "bob").freeze(), seq=7)

    newest = snapshots.newest()

    assert newest is not None and (newest.id, newest.seq, newest.people) == (saved.id, 7, 2)
    ranked, _ = snapshots.load(newest).rank(Requirements(skill_ids=("java",)))
    assert [r.user_id for r in ranked] == ["ada", "bob"]


def test_only_the_newest_are_kept_and_chunks_of_a_write_that_died_long_ago_are_dropped(db: Any) -> None:
    snapshots = Snapshots(db)
    chunks = db[f"{BUCKET}.chunks"]
    dead_long_ago = ObjectId.from_datetime(utcnow() - timedelta(hours=2))
    under_way = ObjectId()
    chunks.insert_many([{"files_id": i, "n": 0, "data": b"x"} for i in (dead_long_ago, under_way)])

    for seq in range(1, KEEP + 3):
        snapshots.save(_index("ada").freeze(), seq=seq)

    assert sorted(f["metadata"]["seq"] for f in db[f"{BUCKET}.files"].find()) == list(range(3, KEEP + 3))
    files_ids = set(chunks.distinct("files_id"))
    assert dead_long_ago not in files_ids and under_way in files_ids
    assert files_ids == {f["_id"] for f in db[f"{BUCKET}.files"].find()} | {under_way}
