"""The in-memory index of one `matching-api` process, and how it keeps itself fresh.

At start the process reads the whole read model (people and opportunities) into a
CandidateIndex and an OpportunityBoard, then follows it: a background thread asks the store,
every `poll_interval` seconds, for the documents whose change sequence number is above the last
one it has seen (the worker stamps every write with the next number, in the write's transaction;
see handlers.next_seq). It is plain polling on an index, so it works the same on SecantusDB and
on any MongoDB, and any number of api replicas can follow one store.

The skills taxonomy (names, aliases, related skills) belongs to profiles: the same thread asks
profiles for it (`ListSkills`) until it has it, and again every `taxonomy_refresh` seconds. Until
then only exact skill matches count.

Queries run on the gRPC server's threads (never on an eventlet hub). Readers share the index;
the thread applying changes takes it alone, one batch at a time.

Starting: from the newest snapshot of the index when there is one (snapshots.py), then the
changes above its sequence number; otherwise from the whole store. While it runs, the replica
holding the snapshot lease writes a new snapshot every `snapshot_every` seconds if anything
changed: the same thread freezes the index between two polls (copies of its arrays, well
under a second at a million people) and another thread encodes and writes it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
from pymongo import ASCENDING
from pymongo.database import Database
from pymongo.errors import ConnectionFailure

from matching import handlers, metrics
from matching.domain.board import OpportunityBoard, Recommended, with_poster
from matching.domain.index import CandidateIndex, FrozenIndex
from matching.domain.ranking import DEFAULT_WEIGHTS, CandidateFacts, Ranked, SkillGraph, Weights
from matching.snapshots import Snapshots
from matching.store import CandidateProfile, ChangeSequence, OpportunityRequirements
from tandem_kit.events import utcnow
from tandem_kit.storage import Lease

log = logging.getLogger(__name__)

BATCH = 5_000
TaxonomySource = Callable[[], SkillGraph]
SNAPSHOT_CHECK = 10.0  # seconds between looks at whether a snapshot is due


class ReadWriteLock:
    """Many readers at once, or one writer; a waiting writer goes before new readers."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._cond:
            while self._writing or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            while self._writing or self._readers:
                self._cond.wait()
            self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


@dataclass
class _Cursor:
    collection: str
    seen: int = 0


class LiveIndex:
    def __init__(
        self,
        db: Database[dict[str, Any]],
        *,
        taxonomy: TaxonomySource | None = None,
        poll_interval: float = 0.1,
        taxonomy_refresh: float = 600.0,
        weights: Weights = DEFAULT_WEIGHTS,
        snapshots: Snapshots | None = None,
        snapshot_lease: Lease | None = None,
        snapshot_every: float = 600.0,
    ) -> None:
        self.db = db
        self.candidates = CandidateIndex()
        self.board = OpportunityBoard()
        self.weights = weights
        self.lock = ReadWriteLock()
        self.poll_interval = poll_interval
        self.taxonomy = taxonomy
        self.taxonomy_refresh = taxonomy_refresh
        self._taxonomy_at = float("-inf")
        self._has_taxonomy = False
        self._taxonomy_failures = 0
        self.seen = 0
        self.snapshots = snapshots
        self.snapshot_lease = snapshot_lease
        self.snapshot_every = snapshot_every
        self._snapshot_check_at = 0.0
        self._snapshot_writer: threading.Thread | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- keeping fresh ----------------------------------------------------------------------------
    def _counter(self) -> int:
        doc = self.db[ChangeSequence._meta["collection"]].find_one({"_id": handlers.CHANGES})
        return int(doc["value"]) if doc else 0

    def _apply_candidate(self, doc: dict[str, Any]) -> None:
        converted = handlers.candidate_from_doc(doc)
        if converted is None:
            self.candidates.remove(doc["_id"])
        else:
            self.candidates.upsert(*converted)

    def _apply_opportunity(self, doc: dict[str, Any]) -> None:
        opening = handlers.opening_from_doc(doc)
        if opening is None:
            self.board.remove(doc["_id"])
        else:
            self.board.upsert(opening)

    def _collections(self) -> list[tuple[str, Callable[[dict[str, Any]], None]]]:
        return [
            (CandidateProfile._meta["collection"], self._apply_candidate),
            (OpportunityRequirements._meta["collection"], self._apply_opportunity),
        ]

    def load(self, attempts: int = 5) -> None:
        """Read the whole read model, or a snapshot and the changes since. Changes made meanwhile
        are picked up by the poll at the end, from the sequence number read before the scan. A
        connection lost midway (a store restarting or overloaded) starts it again from nothing."""
        for attempt in range(1, attempts + 1):
            try:
                return self._load()
            except ConnectionFailure as exc:
                if attempt == attempts:
                    raise
                log.warning("lost the matching store while loading the index; starting again: %s", exc)
                self.candidates, self.board = CandidateIndex(), OpportunityBoard()
                self._stop.wait(2.0 * attempt)

    def _load(self) -> None:
        started = time.monotonic()
        seen = self._counter()
        restored = self._restore(seen)
        if restored is not None:
            self.candidates, seen = restored
        people, opportunities = self._collections()
        for name, apply in [opportunities] if restored is not None else [people, opportunities]:
            batch: list[dict[str, Any]] = []
            for doc in self.db[name].find({}):
                batch.append(doc)
                if len(batch) >= BATCH:
                    with self.lock.writing():
                        for d in batch:
                            apply(d)
                    batch = []
            with self.lock.writing():
                for d in batch:
                    apply(d)
        self.seen = seen
        caught_up = self.poll()
        source = "store" if restored is None else "snapshot"
        seconds = time.monotonic() - started
        metrics.INDEX_PEOPLE.set(len(self.candidates))
        metrics.INDEX_LOAD_SECONDS.labels(source).set(seconds)
        log.info(
            "matching index loaded",
            extra={
                "source": source,
                "people": len(self.candidates),
                "opportunities": len(self.board),
                "changes_since": caught_up if restored is not None else None,
                "seconds": round(seconds, 1),
            },
        )

    def _restore(self, counter: int) -> tuple[CandidateIndex, int] | None:
        """The newest snapshot's index and sequence number, if there is a usable one."""
        if self.snapshots is None:
            return None
        try:
            info = self.snapshots.newest()
            if info is None:
                return None
            if info.seq > counter:  # the store was replaced or restored under it
                log.warning("index snapshot is ahead of the store; reading the store", extra={"seq": info.seq})
                return None
            return self.snapshots.load(info), info.seq
        except Exception:
            log.exception("could not read the index snapshot; reading the store instead")
            return None

    def _snapshot_if_due(self) -> None:
        """Called by the following thread between polls, when the index is exactly the changes up
        to `seen` (nobody else writes to it)."""
        if self.snapshots is None or self.snapshot_every <= 0 or self.seen == 0:
            return
        now = time.monotonic()
        busy = self._snapshot_writer is not None and self._snapshot_writer.is_alive()
        if busy or now < self._snapshot_check_at:
            return
        self._snapshot_check_at = now + min(SNAPSHOT_CHECK, self.snapshot_every)
        newest = self.snapshots.newest()
        if newest is not None and (
            newest.seq >= self.seen or utcnow() - newest.created < timedelta(seconds=self.snapshot_every)
        ):
            return
        if self.snapshot_lease is not None and not self.snapshot_lease.acquire():
            return  # another replica writes them
        frozen, seq = self.candidates.freeze(), self.seen
        self._snapshot_writer = threading.Thread(
            target=self._write_snapshot, args=(frozen, seq), name="matching-index-snapshot", daemon=True
        )
        self._snapshot_writer.start()

    def _write_snapshot(self, frozen: FrozenIndex, seq: int) -> None:
        assert self.snapshots is not None
        try:
            self.snapshots.save(frozen, seq)
        except Exception:
            log.exception("could not write the index snapshot; trying again later")
        finally:
            if self.snapshot_lease is not None:
                self.snapshot_lease.release()

    def poll(self) -> int:
        """Apply every change above the last sequence number seen; returns how many."""
        applied = 0
        while True:
            top = self.seen
            batches = []
            for name, apply in self._collections():
                docs = list(self.db[name].find({"seq": {"$gt": self.seen}}).sort([("seq", ASCENDING)]).limit(BATCH))
                batches.append((apply, docs))
                if docs:
                    top = max(top, int(docs[-1]["seq"]))
            if not any(docs for _, docs in batches):
                return applied
            # A collection that filled its batch may hold more below `top`: only go as far as
            # every collection has been read.
            for _, docs in batches:
                if len(docs) >= BATCH:
                    top = min(top, int(docs[-1]["seq"]))
            with self.lock.writing():
                for apply, docs in batches:
                    for d in docs:
                        if int(d["seq"]) <= top:
                            apply(d)
                            applied += 1
            self.seen = top
            metrics.INDEX_PEOPLE.set(len(self.candidates))
            if all(len(docs) < BATCH for _, docs in batches):
                return applied

    def refresh_taxonomy(self) -> None:
        if self.taxonomy is None:
            return
        graph = self.taxonomy()
        with self.lock.writing():
            self.candidates.set_graph(graph)
        self._has_taxonomy = True
        log.info("skills taxonomy loaded", extra={"skills": len(graph.labels)})

    def _follow(self) -> None:
        retry = 5.0
        while not self._stop.is_set():
            try:
                self.poll()
                self._snapshot_if_due()
            except Exception:
                log.exception("could not follow the matching store; trying again")
            now = time.monotonic()
            wait = self.taxonomy_refresh if self._has_taxonomy else retry
            if self.taxonomy is not None and now - self._taxonomy_at >= wait:
                self._taxonomy_at = now
                try:
                    self.refresh_taxonomy()
                except Exception as exc:
                    # Said once; until profiles answers, only exact skill matches count.
                    say = log.debug if self._taxonomy_failures else log.warning
                    say("skills taxonomy not available yet: %s", exc.code() if isinstance(exc, grpc.RpcError) else exc)
                    self._taxonomy_failures += 1
            self._stop.wait(self.poll_interval)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._follow, name="matching-index", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in (self._thread, self._snapshot_writer):
            if thread is not None:
                thread.join(5)

    # --- queries ----------------------------------------------------------------------------------
    def _facts(self, user_id: str) -> CandidateFacts | None:
        row = self.candidates.row_of(user_id)
        return None if row is None else self.candidates.record(row).facts

    def rank(self, opportunity_id: str, limit: int) -> tuple[list[Ranked], Counter[str]] | None:
        with self.lock.reading():
            opening = self.board.get(opportunity_id)
            if opening is None:
                return None
            req = with_poster(opening, self._facts(opening.poster_id))
            with metrics.RANKING_SECONDS.time():
                ranked, exclusions = self.candidates.rank(
                    req, exclude=[opening.poster_id], limit=limit, weights=self.weights, at=datetime.now(UTC)
                )
        metrics.MATCHES_FOUND.inc(len(ranked))
        return ranked, exclusions

    def recommend(self, user_id: str, limit: int) -> list[Recommended] | None:
        with self.lock.reading():
            row = self.candidates.row_of(user_id)
            if row is None:
                return None
            member = self.candidates.record(row)
            with metrics.RECOMMENDING_SECONDS.time():
                return self.board.recommend(
                    member,
                    self._facts,
                    limit=limit,
                    graph=self.candidates.graph,
                    weights=self.weights,
                    at=datetime.now(UTC),
                )
