"""Segments: rules in a small safe expression language -> segment membership, owned tags and their diff.

Pure: Arrow tables in, an Arrow table out, one DuckDB query (no Python loop per record).
"""

from leadflow.segments.engine import (
    APPLIED_SCHEMA,
    OUTPUT_COLUMNS,
    TARGETS,
    CompiledSegments,
    assign_segments,
    compile_segments,
    owned_tag,
)
from leadflow.segments.fields import FIELDS
from leadflow.segments.rules import RuleError, compile_rule, parse_rule

__all__ = [
    "APPLIED_SCHEMA",
    "FIELDS",
    "OUTPUT_COLUMNS",
    "TARGETS",
    "CompiledSegments",
    "RuleError",
    "assign_segments",
    "compile_rule",
    "compile_segments",
    "owned_tag",
    "parse_rule",
]
