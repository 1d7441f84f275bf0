"""Read the desired state the sync engine pushes: golden records, scores, owned tags, the CRM mirror.

These tables belong to other stages (resolve, scoring); they are read by reflection so this module depends
only on the column names of the data contract, and a stage that has not run yet reads as empty.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, MetaData, Table, and_, bindparam, exists, func, inspect, select, text, update

from leadflow.store.kv import get_value, set_value
from leadflow.store.schema import sync_records

GOLDEN_PEOPLE = "golden_people"
GOLDEN_COMPANIES = "golden_companies"
SCORES = "scores"
RECORD_TAGS = "record_tags"
CRM_RECORDS = "crm_records"
ALWAYS_PERSON_COLUMNS = ("id", "company_id", "crm_module", "crm_id")


def reflect(connection: Connection, name: str) -> Table | None:
    """The table ``name`` as it is in the database, or None when it does not exist."""
    if not inspect(connection).has_table(name):
        return None
    return Table(name, MetaData(), autoload_with=connection)


def columns_of(connection: Connection, name: str) -> set[str]:
    table = reflect(connection, name)
    return set() if table is None else {column.name for column in table.columns}


def iter_people(
    connection: Connection,
    *,
    target: str,
    chunk: int = 2000,
    person_columns: Iterable[str] | None = None,
    score_columns: Iterable[str] | None = None,
    links: Iterable[str] = (),
    golden_ids: Collection[str] | None = None,
) -> Iterator[dict[str, Any]]:
    """Golden people (all, or those of ``golden_ids``) with ``score`` (their scores row or {}) and ``tags``
    ({desired, applied} for ``target``), and ``link`` ({other target: the person's record id there}) for the
    targets ``links`` names.

    ``person_columns`` and ``score_columns`` narrow what is read (the id and CRM link columns always come):
    large JSON columns such as ``provenance`` are not decoded when nobody needs them.
    """
    people = reflect(connection, GOLDEN_PEOPLE)
    if people is None:
        return
    scores = reflect(connection, SCORES)
    tags = reflect(connection, RECORD_TAGS)
    wanted = None if person_columns is None else {*person_columns, *ALWAYS_PERSON_COLUMNS}
    selected: list[Any] = [c for c in people.columns if wanted is None or c.name in wanted]
    joined: Any = people
    if scores is not None:
        wanted_scores = None if score_columns is None else {*score_columns, "golden_person_id"}
        selected += [
            column.label(f"score.{column.name}")
            for column in scores.columns
            if wanted_scores is None or column.name in wanted_scores
        ]
        joined = joined.outerjoin(scores, scores.c.golden_person_id == people.c.id)
    if tags is not None:
        selected += [tags.c.desired.label("tags.desired"), tags.c.applied.label("tags.applied")]
        joined = joined.outerjoin(tags, and_(tags.c.golden_person_id == people.c.id, tags.c.target == target))
    for other in dict.fromkeys(links):
        linked = sync_records.alias(f"link_{other}")
        selected.append(linked.c.remote_id.label(f"link.{other}"))
        joined = joined.outerjoin(
            linked,
            and_(linked.c.golden_id == people.c.id, linked.c.target == other, linked.c.kind == "person"),
        )
    query = select(*selected).select_from(joined).order_by(people.c.id)
    if golden_ids is not None:
        query = query.where(people.c.id.in_(sorted(set(golden_ids))))
    result = connection.execute(query.execution_options(yield_per=chunk)).mappings()
    for row in result:
        person: dict[str, Any] = {}
        score: dict[str, Any] = {}
        tag_state: dict[str, Any] = {}
        link: dict[str, Any] = {}
        for key, value in row.items():
            if key.startswith("link."):
                link[key[5:]] = value
            elif key.startswith("score."):
                score[key[6:]] = value
            elif key.startswith("tags."):
                tag_state[key[5:]] = value
            else:
                person[key] = value
        person["score"] = score if score.get("golden_person_id") is not None else {}
        person["tags"] = tag_state if tag_state.get("desired") is not None else {}
        person["link"] = link
        yield person


def load_companies(
    connection: Connection, *, columns: Iterable[str] | None = None, employing: Collection[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Every golden company by id (only ``columns`` of it, the id always, when given); with ``employing``, only
    the companies of those golden people."""
    companies = reflect(connection, GOLDEN_COMPANIES)
    if companies is None:
        return {}
    wanted = None if columns is None else {*columns, "id"}
    query = select(*(c for c in companies.columns if wanted is None or c.name in wanted)).order_by(companies.c.id)
    if employing is not None:
        people = reflect(connection, GOLDEN_PEOPLE)
        if people is None:
            return {}
        of_people = select(people.c.company_id).where(people.c.id.in_(sorted(set(employing))))
        query = query.where(companies.c.id.in_(of_people))
    return {row["id"]: dict(row) for row in connection.execute(query.execution_options(yield_per=2000)).mappings()}


def count_orphaned(connection: Connection, *, target: str) -> int:
    """Records pushed to ``target`` whose golden person or company no longer exists (merged away)."""
    people = reflect(connection, GOLDEN_PEOPLE)
    companies = reflect(connection, GOLDEN_COMPANIES)
    conditions = [
        sync_records.c.target == target,
        sync_records.c.kind.in_(("person", "account")),
        sync_records.c.remote_id.is_not(None),
    ]
    for table in (people, companies):
        if table is not None:
            conditions.append(~exists().where(table.c.id == sync_records.c.golden_id))
    return int(connection.execute(select(func.count()).where(and_(*conditions))).scalar_one())


def crm_fields(connection: Connection, *, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The mirrored Zoho field values of CRM records, by (module, crm id); {} when there is no mirror."""
    mirror = reflect(connection, CRM_RECORDS)
    if mirror is None or not keys:
        return {}
    found: dict[tuple[str, str], dict[str, Any]] = {}
    by_module: dict[str, list[str]] = {}
    for module, crm_id in keys:
        by_module.setdefault(module, []).append(crm_id)
    for module, ids in by_module.items():
        for start in range(0, len(ids), 500):
            query = select(mirror.c.module, mirror.c.crm_id, mirror.c.fields).where(
                and_(mirror.c.module == module, mirror.c.crm_id.in_(ids[start : start + 500]))
            )
            for row in connection.execute(query):
                found[(row.module, str(row.crm_id))] = dict(row.fields or {})
    return found


def set_applied_tags(connection: Connection, *, target: str, applied: dict[str, list[str]]) -> None:
    """Write ``record_tags.applied`` (golden person id -> tags) after the remote system confirmed them."""
    tags = reflect(connection, RECORD_TAGS)
    if tags is None or not applied:
        return
    statement = (
        update(tags)
        .where(and_(tags.c.golden_person_id == bindparam("person_id"), tags.c.target == target))
        .values(applied=bindparam("tags_applied", type_=tags.c.applied.type))
    )
    params = [{"person_id": person_id, "tags_applied": list(values)} for person_id, values in applied.items()]
    for start in range(0, len(params), 500):
        connection.execute(statement, params[start : start + 500])


MIRROR_LOADED_KEY = "crm_mirror:loaded_at:"


def note_mirror_loaded(connection: Connection, *, module: str) -> None:
    """Record that the CRM mirror of ``module`` is complete as of now (the sync trusts it for a while)."""
    set_value(connection, key=MIRROR_LOADED_KEY + module, value=datetime.now(UTC).isoformat())


def mirror_loaded_at(connection: Connection, *, module: str) -> datetime | None:
    """When the CRM mirror of ``module`` last finished loading; None when it never did."""
    value = get_value(connection, key=MIRROR_LOADED_KEY + module)
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def mirror_ids_by_email(connection: Connection, *, module: str, emails: Sequence[str]) -> dict[str, str]:
    """Lower-cased e-mail -> CRM id of the mirrored ``module`` records holding one of ``emails``."""
    mirror = reflect(connection, CRM_RECORDS)
    if mirror is None or not emails:
        return {}
    found: dict[str, str] = {}
    for start in range(0, len(emails), 500):
        chunk = [email.lower() for email in emails[start : start + 500]]
        query = select(mirror.c.crm_id, mirror.c.email).where(
            and_(mirror.c.module == module, func.lower(mirror.c.email).in_(chunk))
        )
        for crm_id, email in connection.execute(query):
            found.setdefault(str(email).lower(), str(crm_id))
    return found


SHARED_EMAILS_SQL = """
WITH holders AS (
    SELECT lower(email) AS email, id AS holder, 0 AS in_crm FROM golden_people WHERE email IS NOT NULL
    UNION
    SELECT lower(r.email), coalesce(m.golden_person_id, 'crm:' || r.module || ':' || r.crm_id), 1
    FROM crm_records r
    LEFT JOIN crm_cluster_members m ON m.crm_module = r.module AND m.crm_id = r.crm_id
    WHERE r.module IN ('Leads', 'Contacts') AND r.email IS NOT NULL
),
shared AS (SELECT email FROM holders GROUP BY email HAVING count(DISTINCT holder) > 1)
SELECT h.email, h.holder, h.in_crm FROM holders h JOIN shared s ON s.email = h.email
"""


def shared_email_owners(connection: Connection) -> dict[str, set[str]]:
    """E-mail addresses two or more people hold (golden people, or CRM person records not matched to them),
    each with the holders that keep it: those whose CRM record already holds it, else the first golden id.

    Two different people sharing an address (an assistant, a shared inbox, spouses) are two records, and an
    upsert whose duplicate check matches on e-mail would write the second person over the first's record.
    """
    if reflect(connection, GOLDEN_PEOPLE) is None or reflect(connection, CRM_RECORDS) is None:
        return {}
    in_crm: dict[str, set[str]] = {}
    golden: dict[str, set[str]] = {}
    for email, holder, from_crm in connection.execute(text(SHARED_EMAILS_SQL)):
        (in_crm if from_crm else golden).setdefault(str(email), set()).add(str(holder))
    return {email: in_crm.get(email) or {min(golden[email])} for email in in_crm.keys() | golden.keys()}
