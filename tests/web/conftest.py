"""``create_app`` sets up logging on the stream of the moment (pytest's capture); undone after each test."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog


@pytest.fixture(autouse=True)
def _logging_set_up_by_the_app_is_undone() -> Iterator[None]:
    handlers, level, config = list(logging.getLogger().handlers), logging.getLogger().level, structlog.get_config()
    yield
    structlog.configure(**config)
    logging.getLogger().handlers = handlers
    logging.getLogger().setLevel(level)


# the GHL emulator fixture of the client tests, shared (webhook deliveries come from it)
from tests.ghl.conftest import emulator  # noqa: E402

__all__ = ["emulator"]
