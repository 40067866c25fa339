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
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import grpc
from pymongo import ASCENDING
from pymongo.database import Database

from matching import handlers, metrics
from matching.domain.board import OpportunityBoard, Recommended, with_poster
from matching.domain.index import CandidateIndex
from matching.domain.ranking import DEFAULT_WEIGHTS, CandidateFacts, Ranked, SkillGraph, Weights
from matching.store import CandidateProfile, ChangeSequence, OpportunityRequirements

log = logging.getLogger(__name__)

BATCH = 5_000
TaxonomySource = Callable[[], SkillGraph]


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

    def load(self) -> None:
        """Read the whole read model. Changes made meanwhile are picked up by the next poll,
        from the sequence number read before the scan."""
        started = time.monotonic()
        seen = self._counter()
        for name, apply in self._collections():
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
        metrics.INDEX_PEOPLE.set(len(self.candidates))
        log.info(
            "matching index loaded",
            extra={
                "people": len(self.candidates),
                "opportunities": len(self.board),
                "seconds": round(time.monotonic() - started, 1),
            },
        )

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
        if self._thread is not None:
            self._thread.join(5)

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
