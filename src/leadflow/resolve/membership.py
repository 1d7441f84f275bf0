"""Cluster membership and golden ids at a million rows: Python only for the rows that need a decision.

Most candidate rows share no key and no scored edge with any other row: each is its own cluster and keeps
(or derives) its id. Those are handled as columns in DuckDB. The guarded union-find of :mod:`clustering` runs
only on the rows some edge touches, and :func:`leadflow.resolve.ids.assign_ids` only on the clusters that
compete for an earlier id; every other cluster's choice does not depend on the order ids are handed out in, so
the result equals running both over every row.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from leadflow.resolve.clustering import cluster, with_cannot_links
from leadflow.resolve.ids import PERSON_ID_PREFIX, assign_ids


def derived_id_sql(prefix: str, seed: str) -> str:
    """DuckDB expression equal to :func:`leadflow.resolve.ids.derived_id` of the text expression ``seed``."""
    return f"'{prefix}' || substr(sha256({seed}), 1, 16)"


def cluster_members(
    con: duckdb.DuckDBPyConnection, *, strong_weight: float, cannot_link: str | None = None
) -> tuple[int, int]:
    """Create ``row_cluster(idx, label, partner_idx, match_weight, match_reason)`` for every row of ``cand`` from
    the ``key_edges`` and ``edges`` tables, and ``guard_rejected(idx_l, idx_r, match_weight)``; returns (scored
    edges, scored edges refused by the namesake guard). ``cannot_link`` names a table ``(idx_l, idx_r)`` of
    pairs never to be put in one cluster.

    A row no edge touches is its own cluster (label = its idx, reason ``single``).
    """
    con.execute(
        """CREATE TABLE touched AS
           SELECT idx, (row_number() OVER (ORDER BY idx) - 1)::BIGINT AS local FROM (
             SELECT idx_l AS idx FROM key_edges UNION SELECT idx_r FROM key_edges
             UNION SELECT idx_l FROM edges UNION SELECT idx_r FROM edges)"""
    )
    globals_ = [r[0] for r in con.sql("SELECT idx FROM touched ORDER BY local").fetchall()]
    slots = _slots(con)
    if cannot_link:
        pairs = con.sql(
            f"""SELECT l.local, r.local FROM {cannot_link} c
                JOIN touched l ON l.idx = c.idx_l JOIN touched r ON r.idx = c.idx_r ORDER BY 1, 2"""
        ).fetchall()
        slots = with_cannot_links(slots, [(int(a), int(b)) for a, b in pairs])
    key_list: list[tuple[int, int, str]] = _local_edges(con, "key_edges", "reason", "e.reason, e.idx_l, e.idx_r")
    scored_list: list[tuple[int, int, float]] = _local_edges(con, "edges", "match_weight", "e.idx_l, e.idx_r")
    result = cluster(
        len(globals_), slots=slots, key_edges=key_list, scored_edges=scored_list, strong_weight=strong_weight
    )
    # local order is idx order, so a cluster's smallest local member is its smallest row
    local_members = pa.table(
        {
            "idx": pa.array(globals_, pa.int64()),
            "label": pa.array([globals_[label] for label in result.labels], pa.int64()),
            "partner_idx": pa.array([globals_[p] if p >= 0 else None for p in result.partners], pa.int64()),
            "match_weight": pa.array(result.weights, pa.float64()),
            "match_reason": pa.array(result.reasons, pa.string()),
        }
    )
    con.register("touched_members", local_members)
    con.execute(
        """CREATE TABLE row_cluster AS
           SELECT c.idx, coalesce(t.label, c.idx) AS label, t.partner_idx, t.match_weight,
                  coalesce(t.match_reason, 'single') AS match_reason
           FROM cand c LEFT JOIN touched_members t USING (idx)"""
    )
    con.unregister("touched_members")
    rejected = pa.table(
        {
            "idx_l": pa.array([globals_[a] for a, _b, _w in result.rejected_pairs], pa.int64()),
            "idx_r": pa.array([globals_[b] for _a, b, _w in result.rejected_pairs], pa.int64()),
            "match_weight": pa.array([w for _a, _b, w in result.rejected_pairs], pa.float64()),
        }
    )
    con.register("rejected_arrow", rejected)
    con.execute("CREATE TABLE guard_rejected AS SELECT * FROM rejected_arrow")
    con.unregister("rejected_arrow")
    return len(scored_list), result.rejected


def _local_edges(con: duckdb.DuckDBPyConnection, table: str, third: str, order: str) -> list[Any]:
    """``table``'s edges as (local l, local r, ``third``) in ``order``, with touched-local row numbers."""
    edges = con.sql(
        f"""SELECT l.local AS l, r.local AS r, e.{third} AS third FROM {table} e
            JOIN touched l ON l.idx = e.idx_l JOIN touched r ON r.idx = e.idx_r ORDER BY {order}"""
    ).to_arrow_table()
    return list(zip(*(edges.column(c).to_pylist() for c in ("l", "r", "third")), strict=True))


def _slots(con: duckdb.DuckDBPyConnection) -> list[dict[str, str]]:
    """Each touched row's exclusive values (see :mod:`clustering`), in local order."""
    result = con.sql(
        """SELECT
             CASE WHEN c.email IS NOT NULL AND NOT coalesce(c.email_is_role, false)
                   AND (c.email_status = 'verified' OR c.crm_id IS NOT NULL)
                  THEN c.email END AS verified_email,
             c.salesnav_id, c.linkedin_slug
           FROM touched t JOIN cand c USING (idx) ORDER BY t.local"""
    ).fetchall()
    slots: list[dict[str, str]] = []
    for email, salesnav, slug in result:
        slot: dict[str, str] = {}
        if email:
            slot["email@" + email.rsplit("@", 1)[-1]] = email
        if salesnav:
            slot["salesnav"] = salesnav
        if slug:
            slot["linkedin"] = slug
        slots.append(slot)
    return slots


def golden_ids(con: duckdb.DuckDBPyConnection, previous: pa.Table) -> None:
    """Create ``cluster_id(label, golden_person_id)`` for the clusters of ``row_cluster``.

    ``previous`` (``rid``, ``golden_person_id``) holds the ids of an earlier run. A cluster whose earlier ids no
    other cluster also held takes the one most of its rows had (ties: the smallest); a cluster with none takes
    the id derived from its smallest rid. Clusters sharing an earlier id go through :func:`assign_ids` (larger
    clusters choose first). Should a derived id collide with another id (never seen; 64 bits), every cluster
    goes through :func:`assign_ids`, which settles collisions.
    """
    con.register("previous_arrow", previous)
    con.execute("CREATE TABLE previous_ids AS SELECT rid, golden_person_id AS gid FROM previous_arrow")
    con.unregister("previous_arrow")
    con.execute(
        """CREATE TABLE cluster_votes AS
           SELECT rc.label, p.gid, count(*) AS votes
           FROM row_cluster rc JOIN cand c USING (idx) JOIN previous_ids p ON p.rid = c.rid
           GROUP BY ALL"""
    )
    con.execute(
        """CREATE TABLE contested AS SELECT DISTINCT label FROM cluster_votes
           WHERE gid IN (SELECT gid FROM cluster_votes GROUP BY gid HAVING count(*) > 1)"""
    )
    con.execute(
        f"""CREATE TABLE cluster_id AS
            SELECT k.label, coalesce(v.gid, {derived_id_sql(PERSON_ID_PREFIX, "k.min_rid")}) AS golden_person_id,
                   v.gid IS NULL AS derived
            FROM (SELECT rc.label, min(c.rid) AS min_rid FROM row_cluster rc JOIN cand c USING (idx)
                  WHERE rc.label NOT IN (SELECT label FROM contested) GROUP BY rc.label) k
            LEFT JOIN (SELECT label, first(gid ORDER BY votes DESC, gid) AS gid FROM cluster_votes GROUP BY label) v
              USING (label)"""
    )
    collision = con.sql(
        """SELECT 1 FROM cluster_id WHERE derived AND golden_person_id IN (SELECT gid FROM previous_ids)
           UNION ALL SELECT 1 FROM cluster_id GROUP BY golden_person_id HAVING count(*) > 1 LIMIT 1"""
    ).fetchall()
    chosen = "rc.label IN (SELECT label FROM contested)"
    if collision:
        con.execute("DELETE FROM cluster_id")
        chosen = "true"
    groups = con.sql(
        f"""SELECT rc.label, list(c.rid ORDER BY c.rid) AS rids FROM row_cluster rc JOIN cand c USING (idx)
            WHERE {chosen} GROUP BY rc.label ORDER BY rc.label"""
    ).fetchall()
    if not groups:
        return
    earlier = dict(
        con.sql(
            f"""SELECT p.rid, p.gid FROM row_cluster rc JOIN cand c USING (idx) JOIN previous_ids p ON p.rid = c.rid
                WHERE {chosen}"""
        ).fetchall()
    )
    reserved = {
        r[0] for r in con.sql("SELECT gid FROM previous_ids UNION SELECT golden_person_id FROM cluster_id").fetchall()
    }
    ids = assign_ids([members for _label, members in groups], earlier, reserved=reserved)
    assigned = pa.table({"label": pa.array([label for label, _ in groups], pa.int64()), "golden_person_id": ids})
    con.register("assigned", assigned)
    con.execute("INSERT INTO cluster_id SELECT label, golden_person_id, false FROM assigned")
    con.unregister("assigned")
