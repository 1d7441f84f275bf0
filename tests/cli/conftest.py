"""Tests here may run the CLI's entry point in this process; it sets up logging on the stream pytest captures
for that one test, so the set-up is undone after each test."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog


@pytest.fixture(autouse=True)
def _logging_set_up_by_the_cli_is_undone() -> Iterator[None]:
    handlers, level, config = list(logging.getLogger().handlers), logging.getLogger().level, structlog.get_config()
    yield
    structlog.configure(**config)
    logging.getLogger().handlers = handlers
    logging.getLogger().setLevel(level)
