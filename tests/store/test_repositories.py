from __future__ import annotations

import pytest
import sqlalchemy as sa

from leadflow.model import RunStatus
from leadflow.store import kv, open_store, runs
from leadflow.store.schema import source_records


def test_run_lifecycle(database_url: str) -> None:
    engine = open_store(database_url)
    with engine.begin() as connection:
        run_id = runs.start_run(connection, kind="ingest")
    with engine.begin() as connection:
        runs.finish_run(connection, run_id=run_id, status=RunStatus.SUCCEEDED, counters={"read": 10, "quarantined": 1})
    with engine.connect() as connection:
        run = runs.get_run(connection, run_id=run_id)
        assert run is not None
        assert run["status"] == "succeeded"
        assert run["counters"] == {"read": 10, "quarantined": 1}
        assert run["finished_at"] is not None
        assert [r["id"] for r in runs.list_runs(connection, kind="ingest")] == [run_id]
    engine.dispose()


def test_kv_upsert(database_url: str) -> None:
    engine = open_store(database_url)
    with engine.begin() as connection:
        assert kv.get_value(connection, key="cursor", default="none") == "none"
        kv.set_value(connection, key="cursor", value={"modified_time": "2026-11-26T10:00:00+00:00", "ids": ["1"]})
        kv.set_value(connection, key="cursor", value={"modified_time": "2026-11-26T11:00:00+00:00", "ids": []})
    with engine.connect() as connection:
        assert kv.get_value(connection, key="cursor")["modified_time"].startswith("2026-11-26T11")
    with engine.begin() as connection:
        kv.delete_value(connection, key="cursor")
        assert kv.get_value(connection, key="cursor") is None
    engine.dispose()


def test_foreign_keys_are_enforced(database_url: str) -> None:
    engine = open_store(database_url)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.execute(
            sa.insert(source_records).values(
                run_id=999_999,
                source_kind="apollo",
                file_name="x.csv",
                file_sha256="0" * 64,
                row_number=1,
                raw={},
                ingested_at=runs.utcnow(),
            )
        )
    engine.dispose()
