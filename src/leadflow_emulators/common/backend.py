"""What the shared control plane needs from an emulator's backend, and the base of its limit settings.

An emulator (Zoho, GHL) keeps all of its state in one backend object without HTTP. The control plane
(``common.control``) is written once against ``EmulatorBackend``; each backend implements it:

- ``clock``: the backend's ``Clock`` (``/_emulator/clock`` reads and advances it);
- ``faults``: its ``Faults`` (``/_emulator/faults``; the ``FaultMiddleware`` applies them);
- ``reset()``: forget every record, job, counter and fault (registered API clients may stay);
- ``seed(items)``: load parsed seed lines (one JSON object each, shape chosen by the emulator) and
  return a JSON-able summary such as ``{"inserted": n, "skipped": n, "errors": [...]}``;
- ``state()``: JSON-able counts for tests (records per resource, requests, limits in use...);
- ``get_limits()`` / ``set_limits(changes)``: the limit settings as JSON, and a partial update of them
  (``ValueError`` for an unknown name or a bad value). ``LimitSettings`` does the usual part.

Example:
    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class DemoLimits(LimitSettings):
    ...     per_minute: int = 100
    ...     enabled: bool = True
    >>> limits = DemoLimits()
    >>> limits.update({"per_minute": "7", "enabled": False})
    >>> limits.snapshot()
    {'per_minute': 7, 'enabled': False}
    >>> limits.update({"per_hour": 1})
    Traceback (most recent call last):
    ...
    ValueError: unknown limit settings: ['per_hour'] (known: ['enabled', 'per_minute'])
"""

from __future__ import annotations

import dataclasses
import threading
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from leadflow_emulators.common.clock import Clock
from leadflow_emulators.common.faults import Faults

_SETTINGS_LOCK = threading.Lock()


@runtime_checkable
class EmulatorBackend(Protocol):
    """The control plane's view of an emulator's state (see the module docstring)."""

    @property
    def clock(self) -> Clock: ...

    @property
    def faults(self) -> Faults: ...

    def reset(self) -> None: ...

    def seed(self, items: Sequence[Any]) -> dict[str, Any]: ...

    def state(self) -> dict[str, Any]: ...

    def get_limits(self) -> dict[str, Any]: ...

    def set_limits(self, changes: Mapping[str, Any]) -> None: ...


def _coerce(name: str, kind: Any, value: Any) -> Any:
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise ValueError(f"limit {name} expects true or false, got {value!r}")
    if kind is int:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError(f"limit {name} expects an integer, got {value!r}")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ValueError(f"limit {name} expects an integer, got {value!r}") from None
    if kind is float:
        if isinstance(value, bool):
            raise ValueError(f"limit {name} expects a number, got {value!r}")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ValueError(f"limit {name} expects a number, got {value!r}") from None
    return value


@dataclasses.dataclass
class LimitSettings:
    """Base of an emulator's limits: a dataclass whose fields are the limits, all settable at run time.

    Subclass it with typed fields and defaults equal to the real service's limits; the backend owns one
    instance and reads it on every request, so a change through ``/_emulator/limits`` applies at once.
    """

    def snapshot(self) -> dict[str, Any]:
        """The current values, by name."""
        return dataclasses.asdict(self)

    def update(self, changes: Mapping[str, Any]) -> None:
        """Set some limits (values coerced to the field's type); all or nothing.

        Raises ``ValueError`` naming the unknown settings or the bad value.
        """
        known = {field.name: field for field in dataclasses.fields(self)}
        unknown = sorted(set(changes) - set(known))
        if unknown:
            raise ValueError(f"unknown limit settings: {unknown} (known: {sorted(known)})")
        hints = typing.get_type_hints(type(self))
        coerced = {name: _coerce(name, hints.get(name), value) for name, value in changes.items()}
        for name, value in coerced.items():
            if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
                raise ValueError(f"limit {name} cannot be negative, got {value!r}")
        with _SETTINGS_LOCK:
            for name, value in coerced.items():
                setattr(self, name, value)
