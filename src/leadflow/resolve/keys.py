"""Deterministic identity keys: rows sharing an email, LinkedIn slug, Sales Navigator id or Apollo contact id
are the same person. Computed as star edges in DuckDB (each row to the smallest row of its key group), so a
group of n rows gives n - 1 edges, not n².
"""

from __future__ import annotations

# Role addresses (info@, sales@) are shared by many people, so they are no identity.
IDENTITY_KEYS: dict[str, str] = {
    "email": "email IS NOT NULL AND email <> '' AND NOT coalesce(email_is_role, false)",
    "linkedin_slug": "linkedin_slug IS NOT NULL AND linkedin_slug <> ''",
    "salesnav_id": "salesnav_id IS NOT NULL AND salesnav_id <> ''",
    "apollo_contact_id": "apollo_contact_id IS NOT NULL AND apollo_contact_id <> ''",
}


def key_edges_sql(table: str) -> str:
    """SELECT of the edges ``(idx_l, idx_r, reason)`` between rows of ``table`` (which has an ``idx`` column)
    sharing a key, ordered by reason, then rows.

    Example:
        >>> import duckdb
        >>> con = duckdb.connect()
        >>> _ = con.execute("CREATE TABLE t AS SELECT * FROM (VALUES (0, 'a@x.com'), (1, 'a@x.com')) v(idx, email)")
        >>> _ = con.execute("ALTER TABLE t ADD COLUMN email_is_role BOOLEAN")
        >>> for k in ('linkedin_slug', 'salesnav_id', 'apollo_contact_id'):
        ...     _ = con.execute(f"ALTER TABLE t ADD COLUMN {k} VARCHAR")
        >>> con.sql(key_edges_sql("t")).fetchall()
        [(0, 1, 'email')]
    """
    parts = [
        f"""SELECT min(idx) OVER (PARTITION BY {key}) AS idx_l, idx AS idx_r, '{key}' AS reason
            FROM {table} WHERE {condition}"""
        for key, condition in IDENTITY_KEYS.items()
    ]
    return f"SELECT * FROM ({' UNION ALL '.join(parts)}) WHERE idx_l <> idx_r ORDER BY reason, idx_l, idx_r"
