"""Report facts kept at write time: per person, per person and segment, events per day; and the change log that
triggers on the facts' input tables write, so no write path can leave the facts stale unnoticed.

Revision ID: 0020_report_facts
Revises: 0019_lead_conversions
Create Date: 2026-12-05
"""

from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa
from alembic import op

revision = "0020_report_facts"
down_revision = "0019_lead_conversions"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
LOG_COLUMNS = "kind, golden_person_id, event_type, occurred_at"


class Watched(NamedTuple):
    """A table whose writes change report facts, and the log row(s) each written row version gives: ``values``
    is a select list over the row version ``{r}``; ``via`` a (table, condition) the row is joined to first."""

    table: str
    values: str
    via: tuple[str, str] | None = None
    on_insert: bool = True


PERSON = "'person', {r}.%s, NULL, NULL"
WATCHED = (
    Watched("engagement_events", "'event', {r}.golden_person_id, {r}.event_type, {r}.occurred_at"),
    Watched("cluster_members", PERSON % "golden_person_id"),
    Watched("crm_cluster_members", PERSON % "golden_person_id"),
    Watched("golden_people", PERSON % "id"),
    Watched("sync_records", PERSON % "golden_id"),
    Watched("record_tags", PERSON % "golden_person_id"),
    Watched("scores", PERSON % "golden_person_id"),
    # A source row counts for the people it is clustered into (a new row counts once resolve clusters it).
    Watched(
        "source_records",
        "'person', m.golden_person_id, NULL, NULL",
        via=("cluster_members m", "m.source_record_id = {r}.id"),
        on_insert=False,
    ),
    # A Deal: the refresh looks up whom it was and is linked to.
    Watched("crm_deals", "'deal', NULL, NULL, NULL"),
)
OPERATIONS = {"INSERT": ("NEW",), "UPDATE": ("OLD", "NEW"), "DELETE": ("OLD",)}


def _trigger(watched: Watched, operation: str) -> str:
    return f"report_facts_{watched.table}_{operation.lower()}"


def _operations(watched: Watched) -> list[str]:
    return [name for name in OPERATIONS if name != "INSERT" or watched.on_insert]


def _sqlite_triggers() -> None:
    for watched in WATCHED:
        for operation in _operations(watched):
            inserts = []
            for row in OPERATIONS[operation]:
                values = watched.values.format(r=row)
                source = ""
                if watched.via is not None:
                    table, condition = watched.via
                    source = f" FROM {table} WHERE {condition.format(r=row)}"
                inserts.append(f"INSERT INTO report_facts_log ({LOG_COLUMNS}) SELECT {values}{source};")
            op.execute(
                f"CREATE TRIGGER {_trigger(watched, operation)} AFTER {operation} ON {watched.table} "
                f"BEGIN {' '.join(inserts)} END"
            )


def _postgres_triggers() -> None:
    """Statement triggers over the transition tables: one INSERT ... SELECT per statement, whatever its size
    (a COPY or a million-row update included); TRUNCATE logs a reset (the refresh rebuilds everything)."""
    for watched in WATCHED:
        function = f"report_facts_log_{watched.table}"
        branches = []
        for rows, operations in (("new_rows", ("INSERT", "UPDATE")), ("old_rows", ("UPDATE", "DELETE"))):
            source = f"{rows} r"
            if watched.via is not None:
                table, condition = watched.via
                source += f" JOIN {table} ON {condition.format(r='r')}"
            ops = ", ".join(f"'{name}'" for name in operations)
            branches.append(
                f"IF TG_OP IN ({ops}) THEN INSERT INTO report_facts_log ({LOG_COLUMNS}) "
                f"SELECT {watched.values.format(r='r')} FROM {source}; END IF;"
            )
        op.execute(
            f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {' '.join(branches)} "
            "RETURN NULL; END $$"
        )
        for operation in _operations(watched):
            referencing = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows"}.get(
                operation, "OLD TABLE AS old_rows NEW TABLE AS new_rows"
            )
            op.execute(
                f"CREATE TRIGGER {_trigger(watched, operation)} AFTER {operation} ON {watched.table} "
                f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )
    op.execute(
        "CREATE FUNCTION report_facts_log_reset() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"INSERT INTO report_facts_log ({LOG_COLUMNS}) VALUES ('reset', NULL, NULL, NULL); RETURN NULL; END $$"
    )
    for watched in WATCHED:
        op.execute(
            f"CREATE TRIGGER report_facts_{watched.table}_truncate AFTER TRUNCATE ON {watched.table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION report_facts_log_reset()"
        )


def upgrade() -> None:
    op.create_table(
        "report_person_facts",
        sa.Column("golden_person_id", sa.String(32), nullable=False),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in (
                "rows",
                "in_zoho",
                "contacted",
                "engaged",
                "replied",
                "met",
                "converted",
                "bounced",
                "won",
                "deals",
            )
        ),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("won_amount", sa.Float(), nullable=False),
        *(
            sa.Column(f"from_{kind}", sa.Integer(), nullable=False)
            for kind in ("apollo", "salesnav", "linkedin", "mapped", "crm")
        ),
        sa.Column("first_code", sa.Integer(), nullable=True),
        sa.Column("last_code", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("golden_person_id", name="pk_report_person_facts"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "report_person_segments",
        sa.Column("segment", sa.String(255), nullable=False),
        sa.Column("golden_person_id", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("segment", "golden_person_id", name="pk_report_person_segments"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_report_person_segments_golden_person_id", "report_person_segments", ["golden_person_id"])
    op.create_table(
        "report_event_days",
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "event_type", name="pk_report_event_days"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "report_facts_log",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("golden_person_id", sa.String(64), nullable=True),
        sa.Column("event_type", sa.String(64), nullable=True),
        sa.Column("occurred_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_report_facts_log"),
    )
    op.create_table(
        "report_facts_state",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("built_at", TS, nullable=False),
        sa.Column("refreshed_at", TS, nullable=False),
        sa.Column("changes_applied", ID, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_report_facts_state"),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgres_triggers()
    else:
        _sqlite_triggers()


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for watched in WATCHED:
        operations = _operations(watched) + (["TRUNCATE"] if postgres else [])
        for operation in operations:
            suffix = f" ON {watched.table}" if postgres else ""
            op.execute(f"DROP TRIGGER IF EXISTS {_trigger(watched, operation)}{suffix}")
        if postgres:
            op.execute(f"DROP FUNCTION IF EXISTS report_facts_log_{watched.table}()")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS report_facts_log_reset()")
    op.drop_table("report_facts_state")
    op.drop_table("report_facts_log")
    op.drop_table("report_event_days")
    op.drop_index("ix_report_person_segments_golden_person_id", table_name="report_person_segments")
    op.drop_table("report_person_segments")
    op.drop_table("report_person_facts")
