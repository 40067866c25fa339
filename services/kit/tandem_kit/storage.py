"""MongoDB storage for one service: its own database, journaled writes, and a unit of work that
commits a state change together with the events announcing it (the transactional outbox) and,
for consumers, the record that an event was applied (the inbox).

mongoengine defines the documents (schema, validation, indexes). It has no transaction API, so a
unit of work writes through pymongo with a session, on the very client mongoengine uses.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import mongoengine
from google.protobuf.message import Message
from pymongo import ASCENDING, MongoClient, ReturnDocument
from pymongo.client_session import ClientSession
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from tandem_kit.config import ServiceConfig
from tandem_kit.events import Envelope, utcnow

log = logging.getLogger(__name__)

T = TypeVar("T")
D = TypeVar("D", bound=mongoengine.Document)

OUTBOX = "outbox"
INBOX = "inbox"

JOURNALED = WriteConcern(w=1, j=True)


def journaled_uri(uri: str) -> str:
    """The URI with `journal=true`, so every write waits for the journal (STACK-NOTES: without it,
    a kill -9 lost acknowledged writes)."""
    parts = urlsplit(uri)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k.lower() != "journal"]
    query.append(("journal", "true"))
    return urlunsplit(parts._replace(query=urlencode(query)))


class UnitOfWork:
    """One transaction. Handlers load, decide and write through it; events they raise are
    written to the outbox in the same transaction."""

    def __init__(
        self,
        store: Store,
        session: ClientSession,
        causation: Envelope[Any] | None = None,
    ) -> None:
        self.store = store
        self.session = session
        self.causation = causation
        self.events: list[Envelope[Any]] = []

    # --- documents ------------------------------------------------------------------------------
    def collection(self, doc_cls: type[mongoengine.Document]) -> Collection[dict[str, Any]]:
        coll: Collection[dict[str, Any]] = doc_cls._get_collection()
        return coll

    def insert(self, doc: D) -> D:
        doc.validate()
        son = doc.to_mongo()
        result = self.collection(type(doc)).insert_one(son, session=self.session)
        doc.pk = result.inserted_id
        return doc

    def replace(self, doc: D, *, where: Mapping[str, Any] | None = None) -> bool:
        """Replace a whole document; `where` adds conditions (an optimistic version check)."""
        doc.validate()
        filt = {"_id": doc.pk, **(where or {})}
        result = self.collection(type(doc)).replace_one(filt, doc.to_mongo(), session=self.session)
        return result.matched_count == 1

    def find_one(self, doc_cls: type[D], filt: Mapping[str, Any]) -> D | None:
        raw = self.collection(doc_cls).find_one(dict(filt), session=self.session)
        return None if raw is None else doc_cls._from_son(raw)

    def find(self, doc_cls: type[D], filt: Mapping[str, Any], *, sort: list[tuple[str, int]] | None = None) -> list[D]:
        cursor = self.collection(doc_cls).find(dict(filt), session=self.session)
        if sort:
            cursor = cursor.sort(sort)
        return [doc_cls._from_son(raw) for raw in cursor]

    def update_one(
        self, doc_cls: type[D], filt: Mapping[str, Any], update: Mapping[str, Any], *, upsert: bool = False
    ) -> int:
        result = self.collection(doc_cls).update_one(dict(filt), dict(update), upsert=upsert, session=self.session)
        return result.matched_count + (1 if result.upserted_id is not None else 0)

    def find_one_and_update(self, doc_cls: type[D], filt: Mapping[str, Any], update: Mapping[str, Any]) -> D | None:
        """Atomically apply `update` to the document matching `filt` and return it as it is now,
        or None when nothing matched: the primitive for guarded counters such as open slots."""
        raw = self.collection(doc_cls).find_one_and_update(
            dict(filt), dict(update), return_document=ReturnDocument.AFTER, session=self.session
        )
        return None if raw is None else doc_cls._from_son(raw)

    # --- events ---------------------------------------------------------------------------------
    def publish(self, event_type: str, payload: Message, *, version: int = 1) -> Envelope[Any]:
        envelope = Envelope.new(
            type=event_type,
            source=self.store.service,
            payload=payload,
            version=version,
            causation_id=self.causation.id if self.causation else "",
            correlation_id=self.causation.correlation_id if self.causation else "",
        )
        self.store.outbox.insert_one(
            {
                "_id": envelope.id,
                "type": event_type,
                "envelope": envelope.to_dict(),
                "created_at": envelope.time,
                "published": False,
            },
            session=self.session,
        )
        self.events.append(envelope)
        return envelope


class Lease:
    """At most one holder at a time, across every process of a service, for work that must not
    run twice at once (relaying the outbox, sending email). A holder that dies loses the lease
    when it expires; one that stops cleanly hands it back at once."""

    def __init__(self, collection: Collection[dict[str, Any]], name: str, ttl: float):
        self.collection = collection
        self.name = name
        self.ttl = ttl
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def acquire(self) -> bool:
        """Take or renew the lease; False while someone else holds it."""
        now = utcnow()
        try:
            doc = self.collection.find_one_and_update(
                {"_id": self.name, "$or": [{"holder": self.holder}, {"expires_at": {"$lt": now}}]},
                {"$set": {"holder": self.holder, "expires_at": now + timedelta(seconds=self.ttl)}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            return False  # it exists, and is held by someone else
        return doc is not None and doc.get("holder") == self.holder

    def release(self) -> None:
        self.collection.delete_one({"_id": self.name, "holder": self.holder})


class Store:
    """A service's database. Built once per process."""

    def __init__(self, config: ServiceConfig, documents: Iterable[type[mongoengine.Document]] = ()):
        self.service = config.service
        self.database_name = config.database
        # One client for mongoengine and for our sessions: a session only works on its own client.
        mongoengine.disconnect()
        self.client: MongoClient[dict[str, Any]] = mongoengine.connect(
            db=config.database,
            host=journaled_uri(config.mongo_uri),
            tz_aware=True,
            uuidRepresentation="standard",
            serverSelectionTimeoutMS=10_000,
        )
        self.db: Database[dict[str, Any]] = self.client[config.database]
        self.outbox = self.db.get_collection(OUTBOX, write_concern=JOURNALED)
        self.inbox = self.db.get_collection(INBOX, write_concern=JOURNALED)
        self.documents = tuple(documents)
        self.leases = self.db.get_collection("leases", write_concern=JOURNALED)
        self._leases: dict[str, Lease] = {}

    def lease(self, name: str, ttl: float = 10.0) -> Lease:
        """This process's claim on the lease `name` (one object per name and process)."""
        if name not in self._leases:
            self._leases[name] = Lease(self.leases, name, ttl)
        return self._leases[name]

    @classmethod
    def open(cls, config: ServiceConfig, documents: Iterable[type[mongoengine.Document]] = ()) -> Store:
        """Connect and make sure every index exists: what each process does at start."""
        store = cls(config, documents)
        store.ensure_indexes()
        return store

    def ensure_indexes(self) -> None:
        self.outbox.create_index([("published", ASCENDING), ("created_at", ASCENDING)])
        for doc_cls in self.documents:
            doc_cls.ensure_indexes()

    def release_leases(self) -> None:
        """Hand back every lease this process holds, so a replacement need not wait for expiry."""
        for lease in self._leases.values():
            lease.release()

    def close(self) -> None:
        mongoengine.disconnect()

    # --- units of work --------------------------------------------------------------------------
    def run(self, work: Callable[[UnitOfWork], T], *, causation: Envelope[Any] | None = None) -> T:
        """Run `work` in one transaction, retried as a whole on transient errors (so `work` must
        only touch the database through the unit of work)."""
        with self.client.start_session() as session:

            def attempt(s: ClientSession) -> T:
                return work(UnitOfWork(self, s, causation))

            return session.with_transaction(attempt, read_concern=ReadConcern("snapshot"), write_concern=JOURNALED)

    def apply_once(self, event: Envelope[Any], handler: str, work: Callable[[UnitOfWork], object]) -> bool:
        """Apply `work` for `event` unless `handler` already did: the inbox record and the effect
        commit together. Returns False for a duplicate delivery."""
        key = f"{handler}:{event.id}"

        def attempt(uow: UnitOfWork) -> bool:
            if self.inbox.find_one({"_id": key}, session=uow.session) is not None:
                return False
            self.inbox.insert_one(
                {"_id": key, "handler": handler, "event_id": event.id, "applied_at": utcnow()},
                session=uow.session,
            )
            work(uow)
            return True

        try:
            return self.run(attempt, causation=event)
        except DuplicateKeyError:
            # Another delivery of the same event committed first, or the handler's own write hit
            # a unique index: only the first is a duplicate delivery.
            if self.inbox.find_one({"_id": key}) is not None:
                return False
            raise

    # --- outbox relay support -------------------------------------------------------------------
    def pending_events(self, limit: int) -> list[dict[str, Any]]:
        return list(
            self.outbox.find({"published": False}).sort([("created_at", ASCENDING), ("_id", ASCENDING)]).limit(limit)
        )

    def mark_published(self, event_id: str, when: datetime) -> None:
        self.outbox.update_one({"_id": event_id}, {"$set": {"published": True, "published_at": when}})

    def oldest_pending(self) -> datetime | None:
        doc = self.outbox.find_one({"published": False}, sort=[("created_at", ASCENDING)])
        return None if doc is None else doc["created_at"]

    def pending_count(self) -> int:
        return self.outbox.count_documents({"published": False})
