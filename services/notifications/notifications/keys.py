"""The key that signs unsubscribe links: NOTIFICATIONS_UNSUBSCRIBE_KEY if set, otherwise one
generated once and kept in the service's database, so the api (which verifies) and every worker
(which signs) share it without a secret to deploy."""

from __future__ import annotations

import contextlib
import secrets

from pymongo.errors import DuplicateKeyError

from tandem_kit.storage import JOURNALED, Store

_KEY_ID = "unsubscribe"
_cache: dict[str, bytes] = {}


def unsubscribe_key(store: Store, configured: str) -> bytes:
    if configured:
        return configured.encode()
    cached = _cache.get(store.database_name)
    if cached is not None:
        return cached
    keys = store.db.get_collection("keys", write_concern=JOURNALED)
    doc = keys.find_one({"_id": _KEY_ID})
    if doc is None:
        # Another process may make it first: then we use theirs.
        with contextlib.suppress(DuplicateKeyError):
            keys.insert_one({"_id": _KEY_ID, "secret": secrets.token_urlsafe(48)})
        doc = keys.find_one({"_id": _KEY_ID})
    assert doc is not None
    key = str(doc["secret"]).encode()
    _cache[store.database_name] = key
    return key
