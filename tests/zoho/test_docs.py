"""The examples in the public docstrings of leadflow.http and leadflow.zoho run (those needing a live org are
marked to skip)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import leadflow.http
import leadflow.zoho
from leadflow.log import configure_logging

SUBMODULES = sorted(
    f"{package.__name__}.{info.name}"
    for package in (leadflow.http, leadflow.zoho)
    for info in pkgutil.iter_modules(package.__path__)
)
MODULES = [*SUBMODULES, "leadflow.http", "leadflow.zoho"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    configure_logging(level="warning")
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0
