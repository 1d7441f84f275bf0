"""Where a segment's rule sits in leadflow.toml, so rule errors point at the file's line and column."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_HEADER = re.compile(r"^\s*\[\[\s*segments\s*\.\s*segment\s*\]\]\s*(#.*)?$")
_TABLE = re.compile(r"^\s*\[")
_RULE = re.compile(r"^(\s*rule\s*=\s*)('''|\"\"\"|'|\")")


@dataclass(frozen=True)
class Position:
    line: int
    column: int


def rule_position(text: str, segment_index: int, rule_line: int, rule_column: int) -> Position | None:
    """The file position of (``rule_line``, ``rule_column``) inside the rule of the n-th ``[[segments.segment]]``.

    Exact for literal strings ('...'); in a basic string escapes before the spot shift it a little.

    Example:
        >>> text = '[[segments.segment]]\\nname = "a"\\nrule = \\'fit >= x\\'\\n'
        >>> rule_position(text, 0, 1, 8)
        Position(line=3, column=16)
    """
    lines = text.splitlines()
    seen = -1
    inside = False
    for number, line in enumerate(lines, start=1):
        if _HEADER.match(line):
            seen += 1
            inside = seen == segment_index
            continue
        if inside and _TABLE.match(line):
            return None
        if not inside:
            continue
        match = _RULE.match(line)
        if match is None:
            continue
        quote = match.group(2)
        start_column = len(match.group(1)) + len(quote) + 1
        if len(quote) == 3 and line[len(match.group(1)) + 3 :].strip() == "":
            number, start_column = number + 1, 1  # a newline right after """ is not part of the string
        if rule_line == 1:
            return Position(number, start_column + rule_column - 1)
        return Position(number + rule_line - 1, rule_column)
    return None


def describe_position(file: Path | None, segment_index: int, rule_line: int, rule_column: int) -> str:
    """``leadflow.toml:12:27`` when the rule is found in the file, else ``rule line 1, column 8``."""
    if file is not None and file.exists():
        position = rule_position(file.read_text(encoding="utf-8"), segment_index, rule_line, rule_column)
        if position is not None:
            return f"{file}:{position.line}:{position.column}"
    return f"rule line {rule_line}, column {rule_column}"
