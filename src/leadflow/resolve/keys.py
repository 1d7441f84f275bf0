"""Deterministic identity keys: rows sharing an email, LinkedIn slug, Sales Navigator id or Apollo contact id
are the same person, as long as their names agree.

A key alone is not enough: an assistant's rows carry the executive's address, a shared inbox serves a team,
spouses share a family address. So two rows sharing a key are joined only when their names do not clearly
differ (:func:`names_agree_sql`: a typo, a cut-short first name, a nickname or a missing name all agree). The
edges are made in DuckDB per pair inside each key group; a value more than :data:`MAX_KEY_GROUP` rows share is
no one's identity and joins nothing.
"""

from __future__ import annotations

from collections.abc import Callable

# Role addresses (info@, sales@) are shared by many people, so they are no identity.
IDENTITY_KEYS: dict[str, str] = {
    "email": "email IS NOT NULL AND email <> '' AND NOT coalesce(email_is_role, false)",
    "linkedin_slug": "linkedin_slug IS NOT NULL AND linkedin_slug <> ''",
    "salesnav_id": "salesnav_id IS NOT NULL AND salesnav_id <> ''",
    "apollo_contact_id": "apollo_contact_id IS NOT NULL AND apollo_contact_id <> ''",
}

MAX_KEY_GROUP = 50


def names_agree_sql(left: str, right: str) -> str:
    """SQL true unless the rows aliased ``left`` and ``right`` carry clearly different names.

    First names agree when either is missing, one starts with the other (``Ci`` / ``Cian``), they are close
    (Jaro-Winkler >= 0.8: a typo) or one is a nickname of the other (their ``first_name_forms`` meet); last
    names when either is missing, one starts with the other, or Jaro-Winkler >= 0.85.
    """
    return names_agree_columns_sql(lambda column: f"{left}.{column}", lambda column: f"{right}.{column}")


def names_agree_columns_sql(left: Callable[[str], str], right: Callable[[str], str]) -> str:
    """:func:`names_agree_sql` with each side's column named by a function (splink names them ``x_l`` / ``x_r``)."""
    lf, rf = left("first_name_key"), right("first_name_key")
    ll, rl = left("last_name_key"), right("last_name_key")
    first = (
        f"({lf} IS NULL OR {rf} IS NULL OR starts_with({lf}, {rf}) OR starts_with({rf}, {lf})"
        f" OR jaro_winkler_similarity({lf}, {rf}) >= 0.8"
        f" OR list_has_any({left('first_name_forms')}, {right('first_name_forms')}))"
    )
    last = (
        f"({ll} IS NULL OR {rl} IS NULL OR starts_with({ll}, {rl}) OR starts_with({rl}, {ll})"
        f" OR jaro_winkler_similarity({ll}, {rl}) >= 0.85)"
    )
    return f"({first} AND {last})"


def key_edges_sql(table: str) -> str:
    """SELECT of the edges ``(idx_l, idx_r, reason)`` between rows of ``table`` sharing a key whose names agree,
    ordered by reason, then rows. ``table`` has ``idx``, the key columns, ``first_name_key``,
    ``last_name_key`` and ``first_name_forms`` (a list).

    Example:
        >>> import duckdb
        >>> con = duckdb.connect()
        >>> _ = con.execute('''CREATE TABLE t AS SELECT * FROM (VALUES (0, 'a@x.com', 'jo', 'lee'),
        ...     (1, 'a@x.com', 'jo', 'leee'), (2, 'a@x.com', 'ann', 'kim'))
        ...     v(idx, email, first_name_key, last_name_key)''')
        >>> _ = con.execute("ALTER TABLE t ADD COLUMN email_is_role BOOLEAN")
        >>> _ = con.execute("ALTER TABLE t ADD COLUMN first_name_forms VARCHAR[]")
        >>> for k in ('linkedin_slug', 'salesnav_id', 'apollo_contact_id'):
        ...     _ = con.execute(f"ALTER TABLE t ADD COLUMN {k} VARCHAR")
        >>> con.sql(key_edges_sql("t")).fetchall()
        [(0, 1, 'email')]
    """
    parts = [
        f"""SELECT l.idx AS idx_l, r.idx AS idx_r, '{key}' AS reason
            FROM (SELECT * FROM {table} WHERE {condition}
                  QUALIFY count(*) OVER (PARTITION BY {key}) <= {MAX_KEY_GROUP}) l
            JOIN (SELECT * FROM {table} WHERE {condition}) r ON l.{key} = r.{key} AND l.idx < r.idx
            WHERE {names_agree_sql("l", "r")}"""
        for key, condition in IDENTITY_KEYS.items()
    ]
    return f"SELECT * FROM ({' UNION ALL '.join(parts)}) ORDER BY reason, idx_l, idx_r"
