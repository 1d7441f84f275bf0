"""The emulator's records as JSON documents by kind and id: in memory, mirrored to SQLite with ``--db``.

Writes inside ``transaction()`` are buffered and written in one SQLite transaction when the outermost
block ends (one commit per API call, never per record). Without a file nothing touches the disk.

Example:
    >>> docs = Documents(None)
    >>> with docs.transaction():
    ...     _ = docs.put("contact", {"id": "c1", "email": "a@b.co"})
    >>> docs.get("contact", "c1")["email"], docs.count("contact")
    ('a@b.co', 1)
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
"""

Doc = dict[str, Any]


class _SqliteMirror:
    def __init__(self, path: str) -> None:
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)

    def load(self) -> list[tuple[str, str, Doc]]:
        rows = self._conn.execute("SELECT kind, id, data FROM documents ORDER BY rowid").fetchall()
        return [(kind, doc_id, json.loads(data)) for kind, doc_id, data in rows]

    def write(self, pending: dict[tuple[str, str], Doc | None]) -> None:
        upserts = [(kind, doc_id, json.dumps(doc)) for (kind, doc_id), doc in pending.items() if doc is not None]
        deletes = [(kind, doc_id) for (kind, doc_id), doc in pending.items() if doc is None]
        self._conn.execute("BEGIN")
        try:
            if upserts:
                self._conn.executemany(
                    "INSERT INTO documents (kind, id, data) VALUES (?, ?, ?) "
                    "ON CONFLICT(kind, id) DO UPDATE SET data = excluded.data",
                    upserts,
                )
            if deletes:
                self._conn.executemany("DELETE FROM documents WHERE kind = ? AND id = ?", deletes)
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise

    def clear(self) -> None:
        self._conn.execute("DELETE FROM documents")

    def close(self) -> None:
        self._conn.close()


class Documents:
    """All records by kind (insertion ordered), thread-safe through ``lock``."""

    def __init__(self, db_path: str | None) -> None:
        self.lock = threading.RLock()
        self._mirror = _SqliteMirror(db_path) if db_path else None
        self._kinds: dict[str, dict[str, Doc]] = {}
        self._pending: dict[tuple[str, str], Doc | None] = {}
        self._depth = 0

    def load(self) -> list[tuple[str, str, Doc]]:
        """Read the file into memory (once, at start); returns what was loaded."""
        rows = self._mirror.load() if self._mirror else []
        with self.lock:
            for kind, doc_id, doc in rows:
                self._kinds.setdefault(kind, {})[doc_id] = doc
        return rows

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.lock:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._pending:
                    pending, self._pending = self._pending, {}
                    if self._mirror is not None:
                        self._mirror.write(pending)

    def put(self, kind: str, doc: Doc) -> Doc:
        with self.lock:
            self._kinds.setdefault(kind, {})[doc["id"]] = doc
            if self._mirror is not None:
                self._pending[(kind, doc["id"])] = doc
            if self._depth == 0:
                with self.transaction():
                    pass
        return doc

    def delete(self, kind: str, doc_id: str) -> Doc | None:
        with self.lock:
            doc = self._kinds.get(kind, {}).pop(doc_id, None)
            if doc is not None and self._mirror is not None:
                self._pending[(kind, doc_id)] = None
            if self._depth == 0:
                with self.transaction():
                    pass
            return doc

    def get(self, kind: str, doc_id: str) -> Doc | None:
        return self._kinds.get(kind, {}).get(doc_id)

    def all(self, kind: str) -> list[Doc]:
        with self.lock:
            return list(self._kinds.get(kind, {}).values())

    def count(self, kind: str) -> int:
        return len(self._kinds.get(kind, {}))

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {kind: len(docs) for kind, docs in sorted(self._kinds.items())}

    def clear(self) -> None:
        with self.lock:
            self._kinds.clear()
            self._pending.clear()
            if self._mirror is not None:
                self._mirror.clear()

    def close(self) -> None:
        with self.lock:
            if self._mirror is not None:
                self._mirror.close()
                self._mirror = None
