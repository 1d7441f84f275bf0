"""How much the store holds: ingested rows, golden people, and how many of them Zoho already has."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from leadflow.store.schema import golden_people, prospects


@dataclass(frozen=True)
class StoreCounts:
    prospect_rows: int  # normalized rows from the exports (every ingested row that was not quarantined)
    golden_people: int  # one per real person, after resolve
    matched_to_crm: int  # golden people linked to a Zoho record

    @property
    def rows_merged(self) -> int:
        """Rows that turned out to describe a person another row already described."""
        return self.prospect_rows - self.golden_people


def store_counts(connection: Connection) -> StoreCounts:
    """Counts of prospects and golden people, in two aggregate queries.

    Example:
        >>> with engine.connect() as connection:  # doctest: +SKIP
        ...     store_counts(connection)
        StoreCounts(prospect_rows=2960, golden_people=1004, matched_to_crm=337)
    """
    rows = connection.execute(select(func.count()).select_from(prospects)).scalar_one()
    people, matched = connection.execute(
        select(func.count(), func.count(golden_people.c.crm_id)).select_from(golden_people)
    ).one()
    return StoreCounts(prospect_rows=int(rows), golden_people=int(people), matched_to_crm=int(matched))
