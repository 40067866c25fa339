"""Snapshots of the ranking index, kept in the matching store, so that a new `matching-api`
replica starts in seconds instead of reading every document of the read model (a million
people is minutes of reading on SecantusDB, and a replica added under load is needed now).

A snapshot is the index's numpy arrays in one uncompressed `.npz` (strings as JSON; never a
pickle, so reading one runs no code), in a GridFS bucket of matching's own database, labelled
with the change sequence number the index had reached. A replica that starts from it reads the
changes above that number like any other poll, so a snapshot minutes old costs nothing but a
longer first poll. One replica at a time writes them (a lease), every `every` seconds while the
read model changes; the newest `KEEP` are kept.
"""

from __future__ import annotations

import io
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any

import numpy as np
from bson import ObjectId
from gridfs import GridFSBucket
from pymongo import DESCENDING
from pymongo.database import Database

from matching import metrics
from matching.domain.index import SNAPSHOT_FORMAT, CandidateIndex, FrozenIndex
from tandem_kit.events import utcnow

log = logging.getLogger(__name__)

BUCKET = "index_snapshots"
KEEP = 2
CHUNK_BYTES = 8 * 2**20  # GridFS chunks well under MongoDB's 16 MiB document limit


def encode(frozen: FrozenIndex) -> io.BytesIO:
    """The snapshot's bytes, read from the start. (A buffer, not bytes: at a million people a
    copy of it is another 170 MB.)"""
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **frozen.arrays())
    buffer.seek(0)
    return buffer


def decode(stream: IO[bytes]) -> CandidateIndex:
    with np.load(stream, allow_pickle=False) as arrays:
        return CandidateIndex.thaw({name: arrays[name] for name in arrays.files})


@dataclass(frozen=True)
class SnapshotInfo:
    id: Any
    seq: int
    people: int
    size: int  # bytes
    created: datetime


class Snapshots:
    def __init__(self, db: Database[dict[str, Any]]):
        self.db = db
        self.bucket = GridFSBucket(db, BUCKET, chunk_size_bytes=CHUNK_BYTES)

    def newest(self) -> SnapshotInfo | None:
        """The newest complete snapshot this code can read."""
        for f in self.bucket.find({"metadata.format": SNAPSHOT_FORMAT}).sort("uploadDate", DESCENDING).limit(1):
            return SnapshotInfo(f._id, int(f.metadata["seq"]), int(f.metadata["people"]), f.length, f.upload_date)
        return None

    def save(self, frozen: FrozenIndex, seq: int) -> SnapshotInfo:
        """Write a snapshot of an index that had applied every change up to `seq`, then drop all
        but the newest KEEP. GridFS writes the file's entry last, so a writer that dies midway
        leaves no snapshot that anyone would read."""
        started = time.monotonic()
        data = encode(frozen)
        size = data.getbuffer().nbytes
        metadata = {"format": SNAPSHOT_FORMAT, "seq": seq, "people": frozen.size}
        file_id = self.bucket.upload_from_stream(f"candidates-{seq}", data, metadata=metadata)
        for old in self.bucket.find({}).sort("uploadDate", DESCENDING).skip(KEEP):
            self.bucket.delete(old._id)
        # Chunks of a write that died midway (its file entry never came), started over an hour
        # ago: surely not a write still under way.
        kept = [f._id for f in self.bucket.find({})]
        before = ObjectId.from_datetime(utcnow() - timedelta(hours=1))
        self.db[f"{BUCKET}.chunks"].delete_many({"files_id": {"$nin": kept, "$lt": before}})
        seconds = time.monotonic() - started
        metrics.SNAPSHOT_SECONDS.observe(seconds)
        metrics.SNAPSHOT_BYTES.set(size)
        log.info(
            "matching index snapshot written",
            extra={"seq": seq, "people": frozen.size, "bytes": size, "seconds": round(seconds, 1)},
        )
        return SnapshotInfo(file_id, seq, frozen.size, size, utcnow())

    def load(self, info: SnapshotInfo) -> CandidateIndex:
        buffer = io.BytesIO()
        self.bucket.download_to_stream(info.id, buffer)
        buffer.seek(0)
        return decode(buffer)
