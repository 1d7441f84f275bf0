"""REST API functions (``/crm/v7/functions/{name}/actions/execute``): Python stand-ins for Deluge functions.

Tests install a stand-in with ``backend.features.functions.register(name, callable)``; the control plane
(``POST /_emulator/functions``) installs the declarative ones: ``echo`` (returns the arguments),
``constant`` (returns ``output``) and ``fail`` (raises, as a Deluge runtime error does). A function may
have its own API key for ``auth_type=apikey`` calls.

Example:
    >>> functions = Functions()
    >>> functions.install({"name": "score_lead", "kind": "constant", "output": {"score": 7}}).run({})
    {'score': 7}
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

StandIn = Callable[[dict[str, Any]], Any]
KINDS = ("echo", "constant", "fail")


class FunctionFailed(Exception):
    """A stand-in's own failure (a Deluge script error)."""


@dataclass
class Function:
    name: str
    run: StandIn
    api_key: str


def _fail(arguments: dict[str, Any]) -> Any:
    raise FunctionFailed(f"function failed with arguments {sorted(arguments)}")


class Functions:
    """The org's executable functions by API name."""

    def __init__(self) -> None:
        self._functions: dict[str, Function] = {}

    def clear(self) -> None:
        self._functions.clear()

    def register(self, name: str, run: StandIn, *, api_key: str | None = None) -> Function:
        function = Function(name, run, api_key or secrets.token_hex(16))
        self._functions[name] = function
        return function

    def install(self, spec: dict[str, Any]) -> Function:
        """A declarative stand-in: ``{"name", "kind": "echo"|"constant"|"fail", "output"?, "api_key"?}``."""
        name, kind = spec.get("name"), spec.get("kind", "constant")
        if not isinstance(name, str) or not name or kind not in KINDS:
            raise ValueError(f"expected a name and kind in {KINDS}")
        output = spec.get("output")
        runs: dict[str, StandIn] = {"echo": dict, "constant": lambda arguments: output, "fail": _fail}
        return self.register(name, runs[str(kind)], api_key=spec.get("api_key"))

    def get(self, name: str) -> Function | None:
        return self._functions.get(name)
