"""The examples in the GHL emulator's docstrings run."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import leadflow_emulators.ghl
import leadflow_emulators.ghl.models

MODULES = sorted(
    f"{package.__name__}.{info.name}"
    for package in (leadflow_emulators.ghl, leadflow_emulators.ghl.models)
    for info in pkgutil.iter_modules(package.__path__)
    if not info.ispkg
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0


def test_the_backend_speaks_the_kits_protocol() -> None:
    from leadflow_emulators.common.backend import EmulatorBackend
    from leadflow_emulators.ghl.models import GhlBackend

    backend = GhlBackend()
    assert isinstance(backend, EmulatorBackend)
    backend.close()
