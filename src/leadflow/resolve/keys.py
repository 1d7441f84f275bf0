"""Deterministic identity keys: rows sharing an email, LinkedIn slug, Sales Navigator id, Apollo contact id or
direct phone are the same person, as long as their names agree.

A key alone is not enough: an assistant's rows carry the executive's address, a shared inbox serves a team,
spouses share a family address. So two rows sharing a key are joined only when their names do not clearly
differ (:func:`names_agree_sql`: a typo, a cut-short first name, a nickname or a missing name all agree), or when
the key itself spells one name both rows carry (``richard.ryan@`` for "Rik Ryan" and "Richard Ryan",
``margaret-khan-39687d`` for "Margaret Kan" and "Margaret Khaan": :func:`key_names_both_sql`).

A phone is a key only as ``phone_key`` (a number people with clearly different names share is a switchboard and
no key), only between rows that both carry a full name, and not between two addresses at one domain (namesakes
at one company sharing its number). The edges are made in DuckDB per pair inside each key group; a value more
than :data:`MAX_KEY_GROUP` rows share is no one's identity and joins nothing.
"""

from __future__ import annotations

from collections.abc import Callable

# Role addresses (info@, sales@) are shared by many people, so they are no identity.
IDENTITY_KEYS: dict[str, str] = {
    "email": "email IS NOT NULL AND email <> '' AND NOT coalesce(email_is_role, false)",
    "linkedin_slug": "linkedin_slug IS NOT NULL AND linkedin_slug <> ''",
    "salesnav_id": "salesnav_id IS NOT NULL AND salesnav_id <> ''",
    "apollo_contact_id": "apollo_contact_id IS NOT NULL AND apollo_contact_id <> ''",
    "phone_key": "phone_key IS NOT NULL AND first_name_key IS NOT NULL AND last_name_key IS NOT NULL",
}

# The part of a key that can spell its holder's name: an address's local part, a LinkedIn slug.
NAMED_KEYS: dict[str, str] = {"email": "split_part(lower({row}.email), '@', 1)", "linkedin_slug": "{row}.linkedin_slug"}

MAX_KEY_GROUP = 50
FIRST_NAME_SIMILARITY = 0.8  # Jaro-Winkler from which two first names are one with a typo
LAST_NAME_SIMILARITY = 0.85
KEY_LAST_NAME_SIMILARITY = 0.8  # a last name against the name a shared key spells
# Jaro-Winkler of "jin" / "jon" is 0.7999999999999999 in floating point: thresholds are met within this.
ROUNDING = 1e-9
MIN_EDITED_LENGTH = 3  # "jo" / "ja" are one edit apart and two names
MIN_TWO_EDITS_LENGTH = 6  # "ssnchez" / "sanhcez" are one name; "kim" / "lin", two edits apart, are two
MAX_CUT_SHORT_LENGTH = 3  # a first name cut short in an export: "Ja", "Wi", "Chr"


def at_least(similarity: float) -> str:
    """A threshold as SQL, lowered by :data:`ROUNDING` so a similarity of exactly ``similarity`` meets it."""
    return repr(round(similarity - ROUNDING, 12))


def names_agree_sql(left: str, right: str) -> str:
    """SQL true unless the rows aliased ``left`` and ``right`` carry clearly different names.

    First names agree when either is missing, one starts with the other (``Ci`` / ``Cian``), they are close
    (Jaro-Winkler >= 0.8: a typo) or one is a nickname of the other (their ``first_name_forms`` meet); last
    names when either is missing, one starts with the other, or Jaro-Winkler >= 0.85. Beyond those, a name one
    edit away from the other (a dropped, changed or doubled letter, two letters swapped: ``Ima`` / ``Mia``,
    ``Ele`` / ``Lee``, which Jaro-Winkler scores low on short names) and a cut-short nickname (``Ja`` for Jimmy,
    a form of James) agree too: :func:`typo_agreement_sql`.
    """
    return names_agree_columns_sql(lambda column: f"{left}.{column}", lambda column: f"{right}.{column}", typos=True)


def names_agree_columns_sql(left: Callable[[str], str], right: Callable[[str], str], *, typos: bool = False) -> str:
    """:func:`names_agree_sql` with each side's column named by a function (splink names them ``x_l`` / ``x_r``).

    ``typos`` adds :func:`typo_agreement_sql` (DuckDB only: ``damerau_levenshtein`` has no Spark counterpart,
    so the match model, which also runs on Spark, leaves it out).
    """
    lf, rf = left("first_name_key"), right("first_name_key")
    ll, rl = left("last_name_key"), right("last_name_key")
    first_typo = last_typo = ""
    if typos:
        first_typo, last_typo = typo_agreement_sql(left, right)
        first_typo, last_typo = f" OR {first_typo}", f" OR {last_typo}"
    first = (
        f"({lf} IS NULL OR {rf} IS NULL OR starts_with({lf}, {rf}) OR starts_with({rf}, {lf})"
        f" OR jaro_winkler_similarity({lf}, {rf}) >= {at_least(FIRST_NAME_SIMILARITY)}"
        f" OR list_has_any({left('first_name_forms')}, {right('first_name_forms')}){first_typo})"
    )
    last = (
        f"({ll} IS NULL OR {rl} IS NULL OR starts_with({ll}, {rl}) OR starts_with({rl}, {ll})"
        f" OR jaro_winkler_similarity({ll}, {rl}) >= {at_least(LAST_NAME_SIMILARITY)}{last_typo})"
    )
    return f"({first} AND {last})"


def one_edit_sql(a: str, b: str) -> str:
    """SQL true when two names are one edit apart: a letter dropped, added or changed, or two neighbouring
    letters swapped (``ima`` / ``mia``: Jaro-Winkler 0.56). Two-letter names only by a dropped letter
    (``jn`` / ``jon``): ``jo`` / ``ja`` are two names."""
    shorter = f"least(length({a}), length({b}))"
    return (
        f"(CASE WHEN abs(length({a}) - length({b})) <= 1"
        f" AND ({shorter} >= {MIN_EDITED_LENGTH} OR ({shorter} = 2 AND length({a}) <> length({b})))"
        f" THEN damerau_levenshtein({a}, {b}) <= 1 ELSE false END)"
    )


def typo_agreement_sql(left: Callable[[str], str], right: Callable[[str], str]) -> tuple[str, str]:
    """(first names, last names) SQL: agreement a typo explains where Jaro-Winkler does not.

    First names: one edit apart, or one cut short (to two or three letters) from a form of the other (``Ja`` /
    ``Jimmy``, a form of James; ``Wi`` / ``Bill``, a form of William). A typo in a nickname (``Rbeecca`` /
    ``Becky``) is in the forms already (:func:`leadflow.normalize.names.first_name_forms`). Last names: one edit
    apart, or two when both have :data:`MIN_TWO_EDITS_LENGTH` letters or more (a typo in each row).
    """
    lf, rf = left("first_name_key"), right("first_name_key")

    def cut_short(name: str, forms: str) -> str:
        # CASE, so the list is searched only for the few short names (DuckDB evaluates a CASE branch lazily)
        return (
            f"(CASE WHEN length({name}) BETWEEN 2 AND {MAX_CUT_SHORT_LENGTH}"
            f" THEN len(list_filter({forms}, lambda f: starts_with(f, {name}))) > 0 ELSE false END)"
        )

    first = (
        f"({one_edit_sql(lf, rf)} OR {cut_short(lf, right('first_name_forms'))}"
        f" OR {cut_short(rf, left('first_name_forms'))})"
    )
    ll, rl = left("last_name_key"), right("last_name_key")
    # each of two rows with its own typo in a long last name (Ssnchez / Sanhcez): two edits apart
    two_edits = (
        f"(CASE WHEN least(length({ll}), length({rl})) >= {MIN_TWO_EDITS_LENGTH}"
        f" AND abs(length({ll}) - length({rl})) <= 2 THEN damerau_levenshtein({ll}, {rl}) <= 2 ELSE false END)"
    )
    return first, f"({one_edit_sql(ll, rl)} OR {two_edits})"


def key_names_both_sql(left: str, right: str, key: str) -> str:
    """SQL true when the value of ``key`` (``email`` or ``linkedin_slug``) the rows share spells a name both rows
    carry: a token of it is each row's last name (Jaro-Winkler >= 0.8: a typo; or a token of four letters or
    more made of the row's first name, or a form of it, and its last initial, ``jonathanb``), and a token starts
    with each row's first initial and is a whole name (two letters or more). "Rik Ryan" and "Richard Ryan" at
    ``richard.ryan@zendata.com`` agree; "Rachel Ryan" at ``richard.ryan@`` would too, which is why the first
    names must otherwise agree (:func:`names_agree_sql`) for keys that spell no name.
    """
    tokens = f"regexp_split_to_array({NAMED_KEYS[key].format(row=left)}, '[^a-z]+')"

    def spelt(row: str) -> str:
        last = (
            f"len(list_filter({tokens}, lambda t: (length(t) >= 2"
            f" AND jaro_winkler_similarity(t, {row}.last_name_key) >= {at_least(KEY_LAST_NAME_SIMILARITY)})"
            # the first name (or a form of it) and the last initial in one token: jonathanb@ for Jon Bianchi;
            # first and last initials alone would let charlesc@ spell Ciara Carter
            f" OR (length(t) >= 4 AND right(t, 1) = left({row}.last_name_key, 1)"
            f" AND len(list_filter(list_append(coalesce({row}.first_name_forms, []), {row}.first_name_key),"
            f" lambda f: starts_with(t, f))) > 0))) > 0"
        )
        first = (
            f"len(list_filter({tokens}, lambda t: length(t) >= 2 AND NOT (t = {row}.last_name_key)"
            f" AND left(t, 1) = left({row}.first_name_key, 1))) > 0"
        )
        return f"coalesce({last} AND {first}, false)"

    return f"({spelt(left)} AND {spelt(right)})"


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
        >>> for k in ('linkedin_slug', 'salesnav_id', 'apollo_contact_id', 'phone_key'):
        ...     _ = con.execute(f"ALTER TABLE t ADD COLUMN {k} VARCHAR")
        >>> con.sql(key_edges_sql("t")).fetchall()
        [(0, 1, 'email')]
    """
    parts = [
        f"""SELECT l.idx AS idx_l, r.idx AS idx_r, '{key}' AS reason
            FROM (SELECT * FROM {table} WHERE {condition}
                  QUALIFY count(*) OVER (PARTITION BY {key}) <= {MAX_KEY_GROUP}) l
            JOIN (SELECT * FROM {table} WHERE {condition}) r ON l.{key} = r.{key} AND l.idx < r.idx
            WHERE {_key_agrees(key)}"""
        for key, condition in IDENTITY_KEYS.items()
    ]
    return f"SELECT * FROM ({' UNION ALL '.join(parts)}) ORDER BY reason, idx_l, idx_r"


def _key_agrees(key: str) -> str:
    agree = names_agree_sql("l", "r")
    if key == "phone_key":
        # two addresses at one domain: namesakes at one company sharing its number (the namesake guard's case)
        return f"({agree} AND NOT {different_addresses_at_one_domain_sql('l', 'r')})"
    return f"({agree} OR {key_names_both_sql('l', 'r', key)})" if key in NAMED_KEYS else agree


def different_addresses_at_one_domain_sql(left: str, right: str) -> str:
    """SQL true when both rows carry an e-mail address, at one domain, and the addresses differ."""
    return (
        f"coalesce(lower({left}.email) <> lower({right}.email) AND split_part(lower({left}.email), '@', 2)"
        f" = split_part(lower({right}.email), '@', 2), false)"
    )
