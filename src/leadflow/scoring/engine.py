"""Account Fit, Persona Influence and Engagement for every record at once, compiled to one DuckDB query.

Rules come from :class:`leadflow.config.ScoringSettings`; text from config enters the query as parameters.
Every score carries its reasons (``score, rule, field, value, points``): their points add up to the score.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from leadflow.config import ScoringSettings
from leadflow.scoring.dimensions import Dimension, bands_dimension, points_dimension, signal_dimension
from leadflow.scoring.inputs import EVENTS_SCHEMA, PEOPLE_SCHEMA, conform, empty_events
from leadflow.scoring.sql import Params, in_list, key, key_sql, number, reason

SUMMARY_LIMIT = 2000
CHUNK_ROWS = 250_000

OUTPUT_COLUMNS = [
    "golden_person_id",
    "fit",
    "fit_coverage",
    "persona_influence",
    "persona_coverage",
    "persona",
    "engagement",
    "engagement_coverage",
    "grade",
    "priority",
    "suppressed",
    "suppression_reasons",
    "reasons",
    "summary",
]


@dataclass(frozen=True)
class CompiledScoring:
    """The query and its parameters; run it with :func:`score_records` or inspect ``sql``."""

    sql: str
    params: dict[str, object]
    event_weights: pa.Table


def compile_scoring(settings: ScoringSettings, *, now: datetime) -> CompiledScoring:
    """Build the scoring query over the tables ``people`` (PEOPLE_SCHEMA) and ``events`` (EVENTS_SCHEMA)."""
    params = Params()
    fit_dims = _fit_dimensions(settings, params)
    persona_dims, role_label = _persona_dimensions(settings, params)
    now_s = _epoch(now)
    parts = [
        _engagement_ctes(settings, params, now_s),
        _dimension_cte(fit_dims, persona_dims, role_label),
        _totals_cte(settings, fit_dims, persona_dims, params),
        _final_cte(settings, fit_dims, persona_dims, params),
    ]
    sql = (
        "WITH " + ",\n".join(parts) + "\nSELECT " + ", ".join(OUTPUT_COLUMNS) + " FROM final ORDER BY golden_person_id"
    )
    engagement = settings.engagement
    types = sorted(engagement.points)
    weights = pa.table(
        {
            "event_type": pa.array(types, pa.string()),
            "points": pa.array([float(engagement.points[t]) for t in types], pa.float64()),
            "daily_cap": pa.array([engagement.daily_caps.get(t, engagement.daily_cap) for t in types], pa.int64()),
        }
    )
    return CompiledScoring(sql=sql, params=params.values, event_weights=weights)


def score_records(
    people: pa.Table,
    events: pa.Table | None,
    settings: ScoringSettings,
    *,
    now: datetime,
    connection: duckdb.DuckDBPyConnection | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> pa.Table:
    """Score every person in ``people`` against ``events``; one output row per person (OUTPUT_COLUMNS), in id order.

    ``now`` is the moment engagement decays to. Scores are 0-100 or null (unscored: too little known).
    Large inputs run in chunks of ``chunk_rows`` people (with their events) to bound memory.

    Example:
        >>> from leadflow.config import ScoringSettings
        >>> people = pa.table({"id": ["gp_1"], "industry": ["Computer Software"], "employees": [120],
        ...                    "country": ["US"], "seniority": ["Vp"], "department": ["Sales"]})
        >>> row = score_records(people, None, ScoringSettings(), now=datetime(2026, 1, 1, tzinfo=UTC)).to_pylist()[0]
        >>> row["fit"], row["grade"]
        (85.0, 'A4')
    """
    compiled = compile_scoring(settings, now=now)
    people = conform(people, PEOPLE_SCHEMA)
    events = conform(events if events is not None else empty_events(), EVENTS_SCHEMA)
    chunked = people.num_rows > chunk_rows
    if chunked:
        people = people.sort_by("id")  # chunks in id order keep the whole output in id order
    con = connection or duckdb.connect()
    if connection is None:
        con.execute("SET enable_progress_bar = false")  # no progress bar drawn over the CLI's output
    parts = []
    try:
        con.register("event_weights", compiled.event_weights)
        for start in range(0, max(people.num_rows, 1), chunk_rows):
            chunk = people.slice(start, chunk_rows)
            chunk_events = events
            if chunked:
                person = events.column("golden_person_id")
                chunk_events = events.filter(pc.or_(pc.is_in(person, value_set=chunk.column("id")), pc.is_null(person)))
            con.register("people", chunk)
            con.register("events", chunk_events)
            parts.append(con.sql(compiled.sql, params=compiled.params).to_arrow_table())
    finally:
        for name in ("people", "events", "event_weights"):
            con.unregister(name)
        if connection is None:
            con.close()
    return pa.concat_tables(parts)


def _epoch(moment: datetime) -> float:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _fit_dimensions(settings: ScoringSettings, params: Params) -> list[Dimension]:
    fit = settings.fit
    return [
        points_dimension("industry", "industry", fit.industry, params),
        bands_dimension("employees", "employees", fit.employees),
        bands_dimension("revenue", "annual_revenue", fit.revenue),
        points_dimension(
            "country", "coalesce(company_country, country)", fit.country, params, aliases=fit.regions, field="country"
        ),
        signal_dimension("technologies", "technologies", fit.technologies, params),
        signal_dimension("keywords", "keywords", fit.keywords, params),
    ]


def _persona_dimensions(settings: ScoringSettings, params: Params) -> tuple[list[Dimension], str]:
    persona = settings.persona
    persona_key = "k_persona"
    title_key = "k_title"
    unknown = [key(value) for value in persona.unknown_personas]
    whens = [
        f"WHEN {persona_key} = {params.add(key(role.name))} THEN {params.add(role.name)}" for role in persona.roles
    ]
    whens.append(f"WHEN {persona_key} IS NOT NULL THEN {persona_key}")
    for role in persona.roles:
        words = [key(word) for word in role.title_keywords if key(word)]
        if words:
            pattern = r"(^|[^a-z0-9])(" + "|".join(re.escape(word) for word in words) + r")([^a-z0-9]|$)"
            whens.append(f"WHEN regexp_matches({title_key}, {params.add(pattern)}) THEN {params.add(role.name)}")
    role_label = f"(CASE {' '.join(whens)} END)"
    role_points = {role.name: min(role.points, persona.role_max_points) for role in persona.roles}
    role_whens = " ".join(f"WHEN {params.add(k)} THEN {number(v)}" for k, v in role_points.items())
    role_earned = f"(CASE role_label {role_whens} ELSE {number(persona.role_other)} END)"
    role_dimension = Dimension(
        "role",
        "persona",
        f"({persona_key} IS NOT NULL OR {title_key} IS NOT NULL)",
        role_earned,
        "coalesce(role_label, CAST(title AS VARCHAR))",
        persona.role_max_points,
        prep=(
            (
                persona_key,
                f"CASE WHEN NOT {in_list(key_sql('persona'), unknown, params)} THEN {key_sql('persona')} END",
            ),
            (title_key, key_sql("title")),
        ),
    )
    dims = [
        points_dimension("seniority", "seniority", persona.seniority, params),
        points_dimension("department", "department", persona.department, params),
        role_dimension,
    ]
    return dims, role_label


def _engagement_ctes(settings: ScoringSettings, params: Params, now_s: float) -> str:
    engagement = settings.engagement
    now = number(now_s)
    lookback = number(engagement.lookback_days * 86400.0)
    half_life = number(engagement.half_life_days * 86400.0)
    suppress = in_list("event_type", list(settings.suppress_events), params)
    return f"""email_index AS (
    SELECT DISTINCT lower(trim(address)) AS address, id
    FROM (SELECT id, unnest(list_append(coalesce(emails, []), email)) AS address FROM people)
    WHERE address IS NOT NULL
),
ev AS (
    SELECT coalesce(e.golden_person_id, email_index.id) AS pid, e.event_type, epoch(e.occurred_at) AS t
    FROM events e LEFT JOIN email_index
      ON e.golden_person_id IS NULL AND lower(trim(e.email)) = email_index.address
),
weighted AS (
    SELECT ev.pid, ev.event_type, ev.t, w.points, w.daily_cap,
           row_number() OVER (PARTITION BY ev.pid, ev.event_type, floor(ev.t / 86400) ORDER BY ev.t DESC) AS rn
    FROM ev JOIN event_weights w ON w.event_type = ev.event_type
    WHERE ev.pid IS NOT NULL AND ev.t <= {now} AND (w.points < 0 OR ev.t >= {now} - {lookback})
),
per_type AS (
    SELECT pid, event_type, count(*) AS n, count(*) FILTER (WHERE rn <= daily_cap) AS kept,
           coalesce(sum(CASE WHEN rn > daily_cap THEN 0.0
                             WHEN points > 0 THEN points * pow(0.5, ({now} - t) / {half_life})
                             ELSE points END), 0.0) AS pts
    FROM weighted GROUP BY pid, event_type
),
eng AS (
    -- unordered aggregates sorted afterwards (cheaper than ORDER BY inside them): reasons and summary come out
    -- in event-type order, the same on every run
    SELECT pid, sum(pts) AS raw,
           list_sort(list(struct_pack(score := 'engagement', rule := event_type, field := 'event_type',
                            value := CASE WHEN n > kept
                                          THEN kept || ' counted of ' || n || ' (daily cap)'
                                          ELSE n || ' event' || CASE WHEN n > 1 THEN 's' ELSE '' END END,
                            points := round(pts, 1)))) AS reasons,
           nullif(array_to_string(list_sort(
               list(event_type || CASE WHEN pts >= 0 THEN ' +' ELSE ' ' END
                    || CAST(CAST(round(pts) AS BIGINT) AS VARCHAR)) FILTER (WHERE round(pts) <> 0)), ', '), '')
               AS summary
    FROM per_type GROUP BY pid
),
supp_events AS (
    SELECT pid, list(DISTINCT event_type ORDER BY event_type) AS types
    FROM ev WHERE pid IS NOT NULL AND {suppress} GROUP BY pid
)"""


def _dimension_cte(fit_dims: list[Dimension], persona_dims: list[Dimension], role_label: str) -> str:
    """``keyed``: each normalized value computed once (materialized); ``dims``: known/earned/value per dimension."""
    prep = [f"{sql} AS {name}" for dim in [*fit_dims, *persona_dims] for name, sql in dim.prep]
    columns = ["keyed.*", f"{role_label} AS role_label"]
    for prefix, dims in (("fit", fit_dims), ("persona", persona_dims)):
        for dim in dims:
            if dim.name != "role":
                columns += _dimension_columns(prefix, dim)
    role_columns = _dimension_columns("persona", persona_dims[-1])
    return (
        f"keyed AS MATERIALIZED (SELECT people.* EXCLUDE (emails), {', '.join(prep)} FROM people),\n"
        f"dims AS (SELECT {', '.join(columns)} FROM keyed),\n"
        f"dims2 AS (SELECT dims.*, {', '.join(role_columns)} FROM dims)"
    )


def _dimension_columns(prefix: str, dim: Dimension) -> list[str]:
    name = f"{prefix}_{dim.name}"
    return [
        f"{dim.known} AS {name}_known",
        f"CASE WHEN {dim.known} THEN {dim.earned} ELSE 0.0 END AS {name}_earned",
        f"{dim.value} AS {name}_value",
    ]


def _totals_cte(
    settings: ScoringSettings, fit_dims: list[Dimension], persona_dims: list[Dimension], params: Params
) -> str:
    fit = settings.fit
    columns = ["dims2.*"]
    for prefix, dims in (("fit", fit_dims), ("persona", persona_dims)):
        profile = [d for d in dims if not d.signal]
        known_max = " + ".join(
            f"CASE WHEN {prefix}_{d.name}_known THEN {number(d.max_points)} ELSE 0.0 END" for d in profile
        )
        all_known = " + ".join(
            f"CASE WHEN {prefix}_{d.name}_known THEN {number(d.max_points)} ELSE 0.0 END" for d in dims
        )
        total = number(sum(d.max_points for d in dims))
        columns.append(f"({known_max}) AS {prefix}_profile_max")
        columns.append(f"round(({all_known}) / {total}, 3) AS {prefix}_coverage")
    domain = "lower(trim(company_domain))"
    email_domain = "lower(split_part(email, '@', 2))"
    competitors = [c.lower().strip() for c in fit.competitor_domains]
    excluded: list[str] = []
    for name in fit.excluded_countries:
        region = {key(k): v for k, v in fit.regions.items()}.get(key(name))
        excluded += [key(c) for c in region] if region else [key(name)]
    country = key_sql("coalesce(company_country, country)")
    columns.append(
        f"({in_list(domain, competitors, params)} OR {in_list(email_domain, competitors, params)}) AS is_competitor"
    )
    columns.append("(coalesce(email_is_free, FALSE) AND nullif(trim(company_domain), '') IS NULL) AS is_free_mail_only")
    columns.append(f"coalesce({in_list(country, excluded, params)}, FALSE) AS is_excluded_country")
    return f"totals AS (SELECT {', '.join(columns)} FROM dims2)"


def _note(score: str, rule: str, field_sql: str, value_sql: str, points_sql: str) -> str:
    """A reason made by the engine itself (bounds, caps, coverage), from SQL pieces written in code."""
    return (
        f"struct_pack(score := '{score}', rule := '{rule}', field := CAST({field_sql} AS VARCHAR), "
        f"value := CAST({value_sql} AS VARCHAR), points := round(CAST({points_sql} AS DOUBLE), 1))"
    )


def _when(condition: str, expression: str) -> str:
    return f"CASE WHEN {condition} THEN {expression} END"


def _contribution(prefix: str, dim: Dimension, scale_sql: str) -> str:
    """The column holding the points a dimension adds to its score (computed once in the ``contrib`` step)."""
    return f"c_{prefix}_{dim.name}"


def _contribution_sql(prefix: str, dim: Dimension, scale_sql: str) -> str:
    """Points a dimension adds to its score: signals as earned, profile dimensions shared out over the known ones."""
    earned = f"{prefix}_{dim.name}_earned"
    if dim.signal:
        return earned
    return f"CASE WHEN {prefix}_profile_max > 0 THEN {scale_sql} * {earned} / {prefix}_profile_max ELSE 0.0 END"


def _dimension_reasons(prefix: str, dims: list[Dimension], scale_sql: str, params: Params) -> list[tuple[str, str]]:
    return [
        (
            f"{prefix}_{d.name}_known",
            reason(prefix, d.name, d.field, f"{prefix}_{d.name}_value", _contribution(prefix, d, scale_sql), params),
        )
        for d in dims
    ]


def _picked(items: list[tuple[str, str]]) -> str:
    """The reasons whose condition holds, as one list (``list_where``: no lambda per row)."""
    values = ", ".join(struct for _, struct in items)
    masks = ", ".join(f"coalesce({condition}, FALSE)" for condition, _ in items)
    return f"list_where([{values}], [{masks}])"


def _rarely(items: list[tuple[str, str]]) -> str:
    """Like :func:`_picked` for notes that seldom apply: the list is only built on rows where one does."""
    any_applies = " OR ".join(f"coalesce({condition}, FALSE)" for condition, _ in items)
    return f"CASE WHEN {any_applies} THEN {_picked(items)} ELSE [] END"


def _summary_dims(prefix: str, dims: list[Dimension], scale_sql: str) -> str:
    """``industry +30, employees +25`` from the contribution columns (config order, zero points left out)."""
    parts = []
    for d in dims:
        points = f"CAST(round({_contribution(prefix, d, scale_sql)}) AS BIGINT)"
        text = f"'{d.name}' || CASE WHEN {points} >= 0 THEN ' +' ELSE ' ' END || CAST({points} AS VARCHAR)"
        parts.append(f"CASE WHEN {prefix}_{d.name}_known AND {points} <> 0 THEN {text} END")
    return f"nullif(concat_ws(', ', {', '.join(parts)}), '')"


def _final_cte(
    settings: ScoringSettings, fit_dims: list[Dimension], persona_dims: list[Dimension], params: Params
) -> str:
    fit = settings.fit
    scale = number(100.0 - sum(d.max_points for d in fit_dims if d.signal))
    fit_raw = " + ".join(_contribution("fit", d, scale) for d in fit_dims)
    persona_raw = " + ".join(_contribution("persona", d, "100.0") for d in persona_dims)
    caps = [
        ("is_competitor", fit.competitor_cap, "competitor"),
        ("is_free_mail_only", fit.free_mail_only_cap, "free_mail_only"),
        ("is_excluded_country", fit.excluded_country_cap, "excluded_country"),
    ]
    cap = "LEAST(" + ", ".join(f"CASE WHEN {flag} THEN {number(value)} ELSE 100.0 END" for flag, value, _ in caps) + ")"
    cap_names = "[" + ", ".join(_when(flag, f"'{name}'") for flag, _, name in caps) + "]"
    floor = number(settings.engagement.floor)
    fit_min, persona_min = number(fit.min_coverage), number(settings.persona.min_coverage)
    grades, digits = settings.fit_grade_min, settings.engagement_grade_min
    letter = (
        f"CASE WHEN fit >= {number(grades['A'])} THEN 'A' WHEN fit >= {number(grades['B'])} THEN 'B' "
        f"WHEN fit >= {number(grades['C'])} THEN 'C' ELSE 'D' END"
    )
    digit = (
        f"CASE WHEN engagement >= {number(digits['1'])} THEN '1' WHEN engagement >= {number(digits['2'])} THEN '2' "
        f"WHEN engagement >= {number(digits['3'])} THEN '3' ELSE '4' END"
    )
    dimension_reasons = [
        *_dimension_reasons("fit", fit_dims, scale, params),
        *_dimension_reasons("persona", persona_dims, "100.0", params),
    ]
    notes = [
        ("fit_raw > 100", _note("fit", "maximum", "NULL", "'100'", "100.0 - fit_raw")),
        ("fit_raw < 0", _note("fit", "minimum", "NULL", "'0'", "-fit_raw")),
        (
            "fit_cap < fit_bounded",
            _note(
                "fit",
                "disqualifier",
                f"array_to_string(list_filter({cap_names}, lambda x: x IS NOT NULL), ', ')",
                "'capped at ' || CAST(fit_cap AS VARCHAR)",
                "fit_cap - fit_bounded",
            ),
        ),
        (
            "fit IS NULL",
            _note("fit", "unscored", "'coverage'", f"CAST(fit_coverage AS VARCHAR) || ' < {fit_min}'", "0.0"),
        ),
        ("persona_raw > 100", _note("persona", "maximum", "NULL", "'100'", "100.0 - persona_raw")),
        ("persona_raw < 0", _note("persona", "minimum", "NULL", "'0'", "-persona_raw")),
        (
            "persona_influence IS NULL",
            _note(
                "persona", "unscored", "'coverage'", f"CAST(persona_coverage AS VARCHAR) || ' < {persona_min}'", "0.0"
            ),
        ),
    ]
    engagement_notes = [
        ("engagement_raw > 100", _note("engagement", "maximum", "NULL", "'100'", "100.0 - engagement_raw")),
        (f"engagement_raw < {floor}", _note("engagement", "floor", "NULL", floor, f"{floor} - engagement_raw")),
    ]
    suppression = "coalesce(supp_events.types, [])"
    flags = [
        (settings.suppress_do_not_call, "coalesce(do_not_call, FALSE)", "do_not_call"),
        (settings.suppress_role_addresses, "coalesce(email_is_role, FALSE)", "role_address"),
        (settings.suppress_competitors, "is_competitor", "competitor"),
    ]
    for enabled, condition, name in flags:
        if enabled:
            suppression = f"list_concat({suppression}, CASE WHEN {condition} THEN ['{name}'] ELSE [] END)"
    priority = in_list("grade", list(settings.priority_grades), params)
    fit_summary = _summary_part("fit", "fit", "fit_coverage", _summary_dims("fit", fit_dims, scale))
    persona_dims_summary = _summary_dims("persona", persona_dims, "100.0")
    persona_summary = _summary_part("persona", "persona_influence", "persona_coverage", persona_dims_summary)
    min_persona = number(settings.priority_min_persona)
    contributions = [
        f"{_contribution_sql(prefix, d, scale_sql)} AS {_contribution(prefix, d, scale_sql)}"
        for prefix, dims, scale_sql in (("fit", fit_dims, scale), ("persona", persona_dims, "100.0"))
        for d in dims
    ]
    return f"""contrib AS (SELECT totals.*, {", ".join(contributions)} FROM totals),
raw AS (
    SELECT contrib.*, ({fit_raw}) AS fit_raw, ({persona_raw}) AS persona_raw, {cap} AS fit_cap,
           eng.raw AS engagement_raw, eng.reasons AS engagement_reasons, eng.summary AS engagement_summary,
           {suppression} AS suppression_reasons
    FROM contrib
    LEFT JOIN eng ON eng.pid = contrib.id
    LEFT JOIN supp_events ON supp_events.pid = contrib.id
),
clamped AS (
    SELECT raw.*,
           LEAST(100.0, GREATEST(0.0, fit_raw)) AS fit_bounded,
           LEAST(100.0, GREATEST(0.0, persona_raw)) AS persona_bounded,
           {_when("engagement_raw IS NOT NULL", f"LEAST(100.0, GREATEST({floor}, engagement_raw))")}
               AS engagement_bounded
    FROM raw
),
scored AS (
    SELECT clamped.*,
           {_when(f"fit_coverage >= {fit_min}", "round(LEAST(fit_bounded, fit_cap), 1)")} AS fit,
           {_when(f"persona_coverage >= {persona_min}", "round(persona_bounded, 1)")} AS persona_influence,
           round(engagement_bounded, 1) AS engagement,
           CASE WHEN engagement_raw IS NULL THEN 0.0 ELSE 1.0 END AS engagement_coverage,
           len(suppression_reasons) > 0 AS suppressed
    FROM clamped
),
graded AS (
    SELECT scored.*, {_when("fit IS NOT NULL", f"({letter}) || ({digit})")} AS grade
    FROM scored
),
explained AS (
    SELECT graded.*,
           coalesce({priority}, FALSE) AND NOT suppressed
             AND (persona_influence IS NULL OR persona_influence >= {min_persona}) AS priority,
           list_concat(
               {_picked(dimension_reasons)},
               {_rarely(notes)},
               coalesce(engagement_reasons, []),
               {_rarely(engagement_notes)}
           ) AS reasons
    FROM graded
),
final AS (
    SELECT CAST(id AS VARCHAR) AS golden_person_id,
           CAST(fit AS DOUBLE) AS fit,
           CAST(fit_coverage AS DOUBLE) AS fit_coverage,
           CAST(persona_influence AS DOUBLE) AS persona_influence,
           CAST(persona_coverage AS DOUBLE) AS persona_coverage,
           role_label AS persona,
           CAST(engagement AS DOUBLE) AS engagement,
           CAST(engagement_coverage AS DOUBLE) AS engagement_coverage,
           grade, priority, suppressed,
           CAST(suppression_reasons AS VARCHAR[]) AS suppression_reasons,
           reasons,
           left(concat_ws(' | ',
                coalesce(grade, 'ungraded') || CASE WHEN priority THEN ' priority' ELSE '' END,
                {fit_summary},
                {persona_summary} || coalesce(' ' || role_label, ''),
                CASE WHEN engagement IS NULL THEN 'engagement: no events'
                     ELSE {_summary_part("engagement", "engagement", "engagement_coverage", "engagement_summary")} END,
                CASE WHEN suppressed THEN 'suppressed: ' || array_to_string(suppression_reasons, ', ') END
           ), {SUMMARY_LIMIT}) AS summary
    FROM explained
)"""


def _summary_part(score: str, column: str, coverage: str, details_sql: str) -> str:
    """``fit 62 (industry +25, employees +20)`` or ``fit unscored (30% known)``."""
    unscored = f"'{score} unscored (' || CAST(round({coverage} * 100) AS INTEGER) || '% known)'"
    scored = f"'{score} ' || CAST(round({column}) AS INTEGER) || coalesce(' (' || {details_sql} || ')', '')"
    return f"CASE WHEN {column} IS NULL THEN {unscored} ELSE {scored} END"
