"""The plan file: JSON lines a person can read with ``head``; the first line holds counts and examples.

Line 1: ``{"type": "plan", "plan_id", "target", "created_at", "counts", "examples": [...]}``;
every further line: ``{"type": "operation", ...}`` with the operation's key, module, action, the fields
it sends and each changed field as ``[old, new]``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from leadflow.errors import InputError
from leadflow.sync.plan import Operation, Plan, PlanTally


def describe_diff(op: Operation, *, external_id_field: str = "") -> list[str]:
    """``field: old -> new`` lines of one operation.

    Example:
        >>> from leadflow.sync.plan import Operation
        >>> op = Operation("k", "person", "update", "update", "gp_1", "people", "1", None, {}, {}, "h", 0,
        ...                diff={"title": ["CTO", "VP Engineering"]})
        >>> describe_diff(op)
        ['title: CTO -> VP Engineering']
    """
    if op.action == "create" and not op.diff:
        return [f"{name}: (empty) -> {_show(value)}" for name, value in op.payload.items() if name != external_id_field]
    return [f"{name}: {_show(old)} -> {_show(new)}" for name, (old, new) in op.diff.items()]


def _show(value: Any) -> str:
    if value is None or value == []:
        return "(empty)"
    if isinstance(value, dict):
        return f"<account {next(iter(value.values()), '?')}>"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def write_plan(plan: Plan, path: Path) -> None:
    """Write an in-memory ``plan`` to ``path`` as JSON lines."""
    write_plan_stream(iter([plan.operations]), plan.tally, path)


def write_plan_stream(chunks: Iterator[list[Operation]], tally: PlanTally, path: Path) -> None:
    """Write a plan as it streams: operations go to a file beside ``path`` first (the header's counts are
    known only at the end), then the header and those lines to ``path``. No folder is created.

    Raises :class:`InputError` naming the path when it cannot be written.
    """
    _check_writable(path)
    body = path.with_name(f".{path.name}.operations")
    try:
        with body.open("w", encoding="utf-8") as handle:
            for operations in chunks:
                for op in operations:
                    handle.write(json.dumps({"type": "operation", **op.to_json()}, default=str) + "\n")
        header = {
            "type": "plan",
            "plan_id": tally.plan_id,
            "target": tally.target,
            "created_at": tally.created_at,
            "external_id_field": tally.external_id_field,
            "counts": tally.counts(),
            "examples": [
                {
                    "key": op.key,
                    "module": op.module,
                    "action": op.action,
                    "changes": describe_diff(op, external_id_field=tally.external_id_field),
                    "invalid": op.invalid,
                }
                for op in tally.examples
            ],
        }
        with path.open("w", encoding="utf-8") as out, body.open(encoding="utf-8") as lines:
            out.write(json.dumps(header, default=str) + "\n")
            shutil.copyfileobj(lines, out, 1 << 20)
    except OSError as exc:
        raise InputError(f"{path}: cannot write the plan ({exc.strerror or exc})") from exc
    finally:
        body.unlink(missing_ok=True)


def _check_writable(path: Path) -> None:
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give a file name for the plan")
    if not path.parent.is_dir():
        raise InputError(f"{path}: the folder {path.parent} does not exist (it is not created for you)")


def read_plan(path: Path) -> Plan:
    """Read a plan written by :func:`write_plan`; a clear error when the file is not one."""
    if not path.is_file():
        raise InputError(f"{path}: no such plan file" if not path.exists() else f"{path}: not a plan file (a folder?)")
    operations: list[Operation] = []
    header: dict[str, Any] | None = None
    number = 0
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                data = json.loads(line)
                if not isinstance(data, dict):
                    raise ValueError("not a JSON object")
                if number == 1:
                    if data.get("type") != "plan" or not isinstance(data.get("counts"), dict):
                        raise ValueError("the first line is not a plan header")
                    header = data
                elif data.get("type") == "operation":
                    operations.append(Operation.from_json(data))
                else:
                    raise ValueError(f"unknown line type {data.get('type')!r}")
    except (ValueError, TypeError, KeyError) as exc:
        raise InputError(f"{path}:{max(number, 1)}: not a leadflow plan line ({exc})") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read the plan ({exc.strerror or exc})") from exc
    if header is None:
        raise InputError(f"{path}: empty plan file")
    plan = Plan.of(str(header["target"]), operations, unchanged=int(header["counts"].get("unchanged records", 0)))
    plan.tally.created_at = str(header.get("created_at", plan.created_at))
    plan.tally.external_id_field = str(header.get("external_id_field", ""))
    if plan.plan_id != header.get("plan_id"):
        raise InputError(f"{path}: operations do not match the plan id in the header (edited by hand?)")
    return plan
