"""Segments from config -> per-record segment lists, desired owned tags per target, custom fields, and the diff
against the tags already applied. One DuckDB query over all records; no Python loop per record."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from leadflow.config import SegmentSpec, SegmentsSettings
from leadflow.errors import ConfigError
from leadflow.segments.fields import FIELDS
from leadflow.segments.locate import describe_position
from leadflow.segments.rules import RuleError, SqlParams, compile_rule

TARGETS = ("zoho", "ghl")

APPLIED_SCHEMA = pa.schema(
    [
        pa.field("golden_person_id", pa.string(), nullable=False),
        pa.field("target", pa.string(), nullable=False),
        pa.field("applied", pa.list_(pa.string())),
    ]
)
"""What the sync confirmed per record and target (``record_tags.applied``)."""

OUTPUT_COLUMNS = [
    "golden_person_id",
    "segments",
    "zoho_desired",
    "ghl_desired",
    "custom_fields",
    "zoho_add",
    "zoho_remove",
    "ghl_add",
    "ghl_remove",
]


@dataclass(frozen=True)
class CompiledSegment:
    spec: SegmentSpec
    condition: str
    zoho_tags: tuple[str, ...]
    ghl_tags: tuple[str, ...]


@dataclass(frozen=True)
class CompiledSegments:
    """Every segment's SQL condition and tags (with the owned prefix), ready for :func:`assign_segments`."""

    segments: tuple[CompiledSegment, ...]
    params: dict[str, object]
    tag_prefix: str

    @property
    def fields(self) -> list[str]:
        return list(FIELDS)


WORKFLOW_MARK = "workflow:"


def workflow_membership(workflow: str, prefix: str) -> str:
    """A GHL workflow enrolment as an owned membership kept with the owned tags (``lf-workflow:<id or name>``).

    The GHL target enrols (or unenrols) instead of tagging when it meets one; no other target gets them.

    Example:
        >>> workflow_membership("Hot sequence", "lf-")
        'lf-workflow:Hot sequence'
    """
    return f"{prefix}{WORKFLOW_MARK}{workflow.strip()}"


def owned_tag(tag: str, prefix: str) -> str:
    """The tag as leadflow writes it: with the owned prefix.

    Example:
        >>> owned_tag("hot", "lf-"), owned_tag("lf-hot", "lf-")
        ('lf-hot', 'lf-hot')
    """
    tag = tag.strip()
    return tag if tag.startswith(prefix) else f"{prefix}{tag}"


def compile_segments(
    settings: SegmentsSettings,
    *,
    regions: dict[str, list[str]] | None = None,
    config_file: Path | None = None,
) -> CompiledSegments:
    """Parse every segment rule; a bad rule raises :class:`ConfigError` naming the file, line and column.

    Example:
        >>> from leadflow.config import SegmentsSettings, SegmentSpec
        >>> compiled = compile_segments(SegmentsSettings(segment=[SegmentSpec(name="hot", rule="fit >= 70",
        ...                                                                  zoho_tags=["hot"])]))
        >>> compiled.segments[0].zoho_tags
        ('lf-hot',)
    """
    params = SqlParams({})
    compiled = []
    for index, spec in enumerate(settings.segment):
        try:
            rule = compile_rule(spec.rule, params, regions=regions)
        except RuleError as exc:
            where = describe_position(config_file, index, exc.line, exc.column)
            pointer = _pointer(spec.rule, exc.line, exc.column)
            raise ConfigError(f"{where}: segment {spec.name!r}: {exc.message}\n{pointer}") from None
        condition = rule.sql
        if spec.outreach:
            condition = f'({condition} AND NOT coalesce("suppressed", FALSE))'
        compiled.append(
            CompiledSegment(
                spec=spec,
                condition=condition,
                zoho_tags=tuple(owned_tag(tag, settings.tag_prefix) for tag in spec.zoho_tags),
                ghl_tags=tuple(owned_tag(tag, settings.tag_prefix) for tag in spec.ghl_tags)
                + ((workflow_membership(spec.ghl_workflow, settings.tag_prefix),) if spec.ghl_workflow else ()),
            )
        )
    return CompiledSegments(segments=tuple(compiled), params=params.values, tag_prefix=settings.tag_prefix)


def _pointer(rule: str, line: int, column: int) -> str:
    lines = rule.splitlines() or [""]
    text = lines[min(line, len(lines)) - 1]
    return f"  {text}\n  {' ' * (column - 1)}^"


def segment_sql(
    compiled: CompiledSegments, *, records: str = "records", applied: str = "applied"
) -> tuple[str, dict[str, object]]:
    """The query and its parameters over ``records`` (whitelisted fields + ``golden_person_id``) and ``applied``."""
    params = SqlParams(dict(compiled.params), prefix="t")
    flags = [f"{segment.condition} AS seg_{index}" for index, segment in enumerate(compiled.segments)]

    def tag_list(tags: tuple[str, ...]) -> str:
        return "[" + ", ".join(params.add(tag) for tag in tags) + "]::VARCHAR[]"

    names = [
        f"CASE WHEN seg_{index} THEN {params.add(segment.spec.name)} END"
        for index, segment in enumerate(compiled.segments)
    ]
    desired = {}
    for target in TARGETS:
        parts = [
            f"CASE WHEN seg_{index} THEN {tag_list(getattr(segment, f'{target}_tags'))} ELSE []::VARCHAR[] END"
            for index, segment in enumerate(compiled.segments)
        ]
        desired[target] = f"list_sort(list_distinct(flatten([{', '.join(parts) or '[]::VARCHAR[]'}])))"
    custom: dict[str, list[str]] = {}
    for index, segment in enumerate(compiled.segments):
        spec = segment.spec
        if spec.custom_field:
            value = params.add(spec.custom_value) if spec.custom_value is not None else "NULL"
            custom.setdefault(spec.custom_field, []).append(f"CASE WHEN seg_{index} THEN {value} END")
    custom_sql = (
        "json_object("
        + ", ".join(f"{params.add(field)}, coalesce({', '.join(values)}, NULL)" for field, values in custom.items())
        + ")"
        if custom
        else "'{}'"
    )
    prefix = params.add(compiled.tag_prefix)
    select_flags = ", ".join(flags) if flags else "TRUE AS no_segments"
    name_list = f"list_filter([{', '.join(names)}]::VARCHAR[], lambda x: x IS NOT NULL)" if names else "[]::VARCHAR[]"
    diffs = []
    for target in TARGETS:
        applied_list = f"coalesce(a_{target}.applied, []::VARCHAR[])"
        diffs.append(
            f"list_sort(list_filter({target}_desired, lambda x: NOT list_contains({applied_list}, x))) AS {target}_add"
        )
        diffs.append(
            f"list_sort(list_filter({applied_list}, lambda x: starts_with(x, {prefix}) "
            f"AND NOT list_contains({target}_desired, x))) AS {target}_remove"
        )
    joins = " ".join(
        f"LEFT JOIN (SELECT golden_person_id, applied FROM {applied} WHERE target = '{target}') a_{target} "
        f"ON a_{target}.golden_person_id = d.golden_person_id"
        for target in TARGETS
    )
    sql = f"""WITH flags AS (SELECT golden_person_id, {select_flags} FROM {records}),
desired AS (
    SELECT golden_person_id, {name_list} AS segments,
           {desired["zoho"]} AS zoho_desired, {desired["ghl"]} AS ghl_desired,
           CAST({custom_sql} AS VARCHAR) AS custom_fields
    FROM flags
)
SELECT d.golden_person_id, d.segments, d.zoho_desired, d.ghl_desired, d.custom_fields, {", ".join(diffs)}
FROM desired d {joins}
ORDER BY d.golden_person_id"""
    return sql, params.values


def assign_segments(
    records: pa.Table,
    compiled: CompiledSegments,
    applied: pa.Table | None = None,
    *,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> pa.Table:
    """Segments, desired tags, custom fields and the tag diff for every record (OUTPUT_COLUMNS).

    ``records`` needs ``golden_person_id`` and the fields the rules name (missing fields count as unknown);
    ``applied`` holds the owned tags the sync confirmed (APPLIED_SCHEMA). Tags without the owned prefix are
    never removed.

    Example:
        >>> from leadflow.config import SegmentsSettings, SegmentSpec
        >>> compiled = compile_segments(SegmentsSettings(segment=[SegmentSpec(name="hot", rule="fit >= 70",
        ...                                                                  zoho_tags=["hot"])]))
        >>> out = assign_segments(pa.table({"golden_person_id": ["gp_1"], "fit": [80.0]}), compiled)
        >>> out.column("zoho_add").to_pylist()
        [['lf-hot']]
    """
    con = connection or duckdb.connect()
    if connection is None:
        con.execute("SET enable_progress_bar = false")  # no progress bar drawn over the CLI's output
    try:
        con.register("records", _with_fields(records))
        con.register("applied", applied if applied is not None else APPLIED_SCHEMA.empty_table())
        sql, params = segment_sql(compiled)
        result: pa.Table = con.sql(sql, params=params).to_arrow_table()
    finally:
        for name in ("records", "applied"):
            con.unregister(name)
        if connection is None:
            con.close()
    return result


def _with_fields(records: pa.Table) -> pa.Table:
    """Add the whitelisted fields ``records`` lacks as nulls, so a rule over them sees "unknown"."""
    kinds = {"number": pa.float64(), "text": pa.string(), "true/false": pa.bool_(), "list": pa.list_(pa.string())}
    for name, spec in FIELDS.items():
        if name not in records.column_names:
            records = records.append_column(name, pa.nulls(records.num_rows, kinds[spec.kind.value]))
    return records
