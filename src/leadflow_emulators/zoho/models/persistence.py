"""SQLite persistence for the Zoho emulator: records, recycle bin and settings survive a restart.

Writes are buffered by the backend and flushed once per request (one transaction, ``executemany``), never
per record. Without a file the emulator keeps everything in memory only.

Example:
    >>> store = SqliteStore(":memory:")
    >>> store.flush({("Leads", "1"): ({"id": "1"}, None)}, {"tags": [1]})
    >>> list(store.load_records())[0][:2]
    ('Leads', '1')
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY,
    module TEXT NOT NULL,
    data TEXT NOT NULL,
    deleted TEXT
);
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

# A pending record write: the record (None = purge) and, for the recycle bin, its deletion info.
PendingRecord = tuple[dict[str, Any] | None, dict[str, Any] | None]


class SqliteStore:
    """Records and settings in one SQLite file (WAL mode)."""

    def __init__(self, path: str) -> None:
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)

    def load_records(self) -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any] | None]]:
        """(module, id, record, deletion info or None) for every stored record, in insertion order."""
        with self._lock:
            rows = self._conn.execute("SELECT module, id, data, deleted FROM records ORDER BY rowid").fetchall()
        for module, record_id, data, deleted in rows:
            yield module, record_id, json.loads(data), json.loads(deleted) if deleted else None

    def load_settings(self) -> dict[str, Any]:
        with self._lock:
            rows = self._conn.execute("SELECT key, value FROM settings").fetchall()
        return {key: json.loads(value) for key, value in rows}

    def flush(self, records: Mapping[tuple[str, str], PendingRecord], settings: Mapping[str, Any]) -> None:
        """Write pending records and settings in one transaction."""
        upserts = []
        purges = []
        for (module, record_id), (record, deleted) in records.items():
            if record is None:
                purges.append((record_id,))
            else:
                upserts.append((record_id, module, json.dumps(record), json.dumps(deleted) if deleted else None))
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                if upserts:
                    self._conn.executemany(
                        "INSERT INTO records (id, module, data, deleted) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT(id) DO UPDATE SET data = excluded.data, deleted = excluded.deleted",
                        upserts,
                    )
                if purges:
                    self._conn.executemany("DELETE FROM records WHERE id = ?", purges)
                if settings:
                    self._conn.executemany(
                        "INSERT INTO settings (key, value) VALUES (?, ?) "
                        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        [(key, json.dumps(value)) for key, value in settings.items()],
                    )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def clear(self) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM records")
            self._conn.execute("DELETE FROM settings")

    def close(self) -> None:
        with self._lock:
            self._conn.close()
