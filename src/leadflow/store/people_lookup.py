"""Which golden person an incoming event is about: by the target's record id (the sync id map), by the CRM
record a golden person was matched to, or by e-mail."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Connection, and_, select

from leadflow.store.schema import golden_people, sync_records

CHUNK = 500


@dataclass
class PeopleIndex:
    """Golden ids found for remote ids and e-mails (absent keys: not known)."""

    by_remote: dict[tuple[str, str], str] = field(default_factory=dict)  # (target, remote id) -> golden id
    by_email: dict[str, str] = field(default_factory=dict)


def find_people(
    connection: Connection,
    *,
    remote_ids: Iterable[tuple[str, str]] = (),
    emails: Iterable[str] = (),
) -> PeopleIndex:
    """Golden ids of the people behind ``remote_ids`` (``(target, id)``, e.g. ``("ghl", contact id)`` or
    ``("zoho", record id)``) and ``emails`` (compared lower-case).

    Example:
        >>> from leadflow.store import open_store
        >>> with open_store("sqlite://").connect() as connection:
        ...     find_people(connection, emails=["nobody@example.com"]).by_email
        {}
    """
    index = PeopleIndex()
    wanted = sorted(set(remote_ids))
    for target in sorted({t for t, _ in wanted}):
        ids = [remote for t, remote in wanted if t == target]
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            query = select(sync_records.c.remote_id, sync_records.c.golden_id).where(
                and_(
                    sync_records.c.target == target,
                    sync_records.c.kind == "person",
                    sync_records.c.remote_id.in_(chunk),
                )
            )
            for remote, golden in connection.execute(query):
                index.by_remote[(target, str(remote))] = str(golden)
            if target == "zoho":  # people matched to a Zoho record leadflow never wrote
                linked = select(golden_people.c.crm_id, golden_people.c.id).where(golden_people.c.crm_id.in_(chunk))
                for remote, golden in connection.execute(linked):
                    index.by_remote.setdefault((target, str(remote)), str(golden))
    addresses = sorted({e.strip().lower() for e in emails if e and e.strip()})
    for start in range(0, len(addresses), CHUNK):
        chunk = addresses[start : start + CHUNK]
        # golden e-mails are stored lower-case (normalize), so the index on email serves this
        query = select(golden_people.c.email, golden_people.c.id).where(golden_people.c.email.in_(chunk))
        for email, golden in connection.execute(query):
            index.by_email.setdefault(str(email), str(golden))
    return index
