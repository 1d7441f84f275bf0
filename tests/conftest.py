"""Shared fixtures: a fresh store on SQLite and on PostgreSQL for every test that asks for one; where the
public API specs are (``tests/specs.py``) is said once in the report header."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.specs import SPEC_DIR_ENV, in_ci, spec_root

POSTGRES_URL = os.environ.get("LEADFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("LEADFLOW_REQUIRE_POSTGRES") == "1" or os.environ.get("CI") == "true"


def pytest_report_header(config: pytest.Config) -> str:
    root = spec_root()
    if root.is_dir():
        return f"API specs: {root}"
    consequence = "spec validation tests will FAIL (CI=true)" if in_ci() else "spec validation tests are skipped"
    return f"API specs: not found at {root}; {consequence}. Set {SPEC_DIR_ENV} to the reference folder to run them."


def _postgres_reachable() -> str | None:
    try:
        engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:
        return str(exc).splitlines()[0]
    return None


@pytest.fixture(scope="session")
def postgres_available() -> None:
    problem = _postgres_reachable()
    if problem is None:
        return
    if REQUIRE_POSTGRES:
        pytest.fail(f"PostgreSQL is required here but unreachable at {POSTGRES_URL}: {problem}")
    pytest.skip(f"PostgreSQL unreachable: {problem}")


@pytest.fixture
def postgres_url(postgres_available: None) -> Iterator[str]:
    """A URL whose connections live in a schema of their own, dropped after the test."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: os.PathLike[str]) -> str:
    return f"sqlite:///{os.path.join(tmp_path, 'leadflow.db')}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """The same test on both backends."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))
