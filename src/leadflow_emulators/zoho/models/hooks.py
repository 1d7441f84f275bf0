"""Write hooks: features that react to record writes (deal rules, stage history, notifications).

The backend calls ``prepare`` before a record is created or changed (a hook may add derived values,
e.g. a Deal's probability from its stage), ``written`` after (``operation`` is ``create``, ``edit`` or
``delete``) and ``committed`` when the outermost transaction ends, so that a hook can act once per
batch (notifications are sent per API call, as Zoho does).

Example:
    >>> hooks = WriteHooks()
    >>> seen = []
    >>> hooks.after.append(lambda change: seen.append((change.module, change.operation)))
    >>> hooks.written("Leads", "create", {"id": "1"}, {"Last_Name"})
    >>> seen
    [('Leads', 'create')]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Change:
    """One record write as hooks see it: the stored record after the write and the fields it set."""

    module: str
    operation: str
    record: dict[str, Any]
    fields: frozenset[str]


Prepare = Callable[[str, dict[str, Any], dict[str, Any] | None], dict[str, Any]]
Observer = Callable[[Change], None]


class WriteHooks:
    """Ordered lists of callbacks; each feature installs its own."""

    def __init__(self) -> None:
        self.before: list[Prepare] = []
        self.after: list[Observer] = []
        self.on_commit: list[Callable[[], None]] = []

    def prepare(self, module: str, changes: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        for hook in self.before:
            changes = hook(module, changes, existing)
        return changes

    def written(self, module: str, operation: str, record: dict[str, Any], fields: set[str] | frozenset[str]) -> None:
        change = Change(module, operation, record, frozenset(fields))
        for hook in self.after:
            hook(change)

    def committed(self) -> None:
        for hook in self.on_commit:
            hook()
