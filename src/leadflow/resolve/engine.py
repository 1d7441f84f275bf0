"""``resolve()``: candidate rows in, golden people, golden companies and cluster membership out.

Steps: identity keys whose names agree (:mod:`keys`) → splink scoring (:mod:`matching`) → guarded clustering
(:mod:`clustering`, with reviewers' must-link / cannot-link pairs) → stable ids (:mod:`ids`) → companies by domain,
then name → field merge with provenance (:mod:`merge`). Pairs left uncertain (between the review and the match
threshold, or refused by the namesake guard) come back in ``ResolveResult.review``.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from leadflow.normalize.names import first_name_forms
from leadflow.resolve.columns import COMPANY_FIELDS, PERSON_FIELDS, conform
from leadflow.resolve.ids import derived_id
from leadflow.resolve.keys import (
    FIRST_NAME_SIMILARITY,
    MAX_KEY_GROUP,
    at_least,
    key_edges_sql,
    names_agree_sql,
    typo_agreement_sql,
)
from leadflow.resolve.matching import EDGE_SCHEMA, MatchOptions, score_pairs
from leadflow.resolve.membership import cluster_members, golden_ids
from leadflow.resolve.merge import (
    COMPANY_MERGE_FIELDS,
    PERSON_MERGE_FIELDS,
    PROVENANCE_SQL,
    MergePolicy,
    grouped_provenance,
    merged_select,
    single_source_provenance,
    source_item,
)
from leadflow.resolve.model import PEOPLE_MODEL, MatchModel
from leadflow.resolve.review_rank import RANK_FIELDS, rank_review_pairs


@dataclass(frozen=True)
class Constraints:
    """Reviewers' decisions on pairs of rows (rids): must-link pairs are one person whatever the evidence,
    cannot-link pairs are never put in one cluster, not even by a shared key."""

    must_link: tuple[tuple[str, str], ...] = ()
    cannot_link: tuple[tuple[str, str], ...] = ()
    # (a CRM record leadflow created, a row of the person it was created for): the record is a copy of that
    # person's merged values, so it joins that row (reason ``leadflow_id``) and is evidence for nothing else;
    # matching on it would let files arriving one by one join what one run over all of them does not
    attached: tuple[tuple[str, str], ...] = ()


REVIEW_SCHEMA = pa.schema(
    [
        pa.field("rid_l", pa.string()),
        pa.field("rid_r", pa.string()),
        pa.field("kind", pa.string()),  # uncertain | namesake_guard | same_name
        pa.field("match_weight", pa.float64()),
        pa.field("match_probability", pa.float64()),
        pa.field("detail", pa.string()),
        *RANK_FIELDS,  # how likely one person (review_rank): the queue's order
    ]
)


@dataclass(frozen=True)
class ResolveOptions:
    match: MatchOptions = field(default_factory=MatchOptions)
    constraints: Constraints = field(default_factory=Constraints)
    strong_evidence_weight: float = 22.0
    merge: MergePolicy = field(default_factory=MergePolicy)
    model: MatchModel = PEOPLE_MODEL
    memory_limit: str | None = None


@dataclass
class ResolveResult:
    people: pa.Table
    companies: pa.Table
    members: pa.Table  # one row per prospect row: rid, source_record_id, golden_person_id, match_*
    crm_links: pa.Table  # one row per CRM person record matched into a golden record, match_* as in members
    stats: dict[str, Any]
    # pairs for a reviewer (REVIEW_SCHEMA): scored between the review and the match threshold and left apart,
    # or refused by the namesake guard; pairs already decided are not listed
    review: pa.Table = field(default_factory=REVIEW_SCHEMA.empty_table)


def resolve(
    candidates: pa.Table,
    *,
    accounts: pa.Table | None = None,
    previous: Mapping[str, str] | None = None,
    options: ResolveOptions | None = None,
) -> ResolveResult:
    """Resolve candidate rows (see :mod:`leadflow.resolve.columns`) into golden records.

    ``previous`` maps rids to the golden person ids of an earlier run, so ids stay stable. ``accounts`` are
    CRM Accounts (rid, crm_id, company columns) that golden companies link to by domain, then name.

    Example:
        >>> t = pa.table({"rid": ["p:1", "p:2"], "source_record_id": [1, 2], "source_kind": ["apollo"] * 2,
        ...               "email": ["jo@acme.com"] * 2, "first_name": ["Jo", None]})
        >>> result = resolve(t)
        >>> result.people.num_rows, result.people.column("first_name").to_pylist()
        (1, ['Jo'])
    """
    options = options or ResolveOptions()
    previous = previous or {}
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute("SET preserve_insertion_order = false")  # every result that needs an order says ORDER BY
    if options.memory_limit:
        con.execute(f"SET memory_limit = '{options.memory_limit}'")
        con.execute(f"SET temp_directory = '{tempfile.gettempdir()}/leadflow-duckdb'")
    rows = conform(candidates)
    con.register("cand_arrow", rows)
    con.execute(
        f"""CREATE TABLE cand AS SELECT (row_number() OVER (ORDER BY rid) - 1)::BIGINT AS idx, *,
              {MATCH_KEYS_SQL},
              {options.merge.source_rank_sql()} AS source_rank,
              {PROVENANCE_SQL} AS prov,
              ({" + ".join(f'(CASE WHEN "{f}" IS NULL THEN 0 ELSE 1 END)' for f in PERSON_FIELDS)}) AS completeness
            FROM cand_arrow"""
    )
    con.unregister("cand_arrow")
    del rows, candidates  # DuckDB has its own copy; a caller that handed over its only reference frees the input
    size = int(con.execute("SELECT count(*) FROM cand").fetchall()[0][0])
    duplicate = next(
        iter(con.execute("SELECT rid FROM cand GROUP BY rid HAVING count(*) > 1 LIMIT 1").fetchall()), None
    )
    if duplicate:
        raise ValueError(f"candidate rid {duplicate[0]!r} appears more than once")

    _add_name_forms_and_phone_key(con)
    con.execute(f"CREATE TABLE key_edges AS {key_edges_sql('cand')}")
    scored = score_pairs(con, "cand", options.model, options.match) if size > 1 else None
    edge_table = scored.edges if scored is not None else EDGE_SCHEMA.empty_table()
    con.register("edges_arrow", edge_table)
    con.execute("CREATE TABLE edges AS SELECT * FROM edges_arrow")
    con.unregister("edges_arrow")
    model_parameters = scored.parameters if scored is not None else {}
    del edge_table, scored
    con.execute(
        f"CREATE TABLE below_threshold AS SELECT * FROM edges WHERE match_probability < {options.match.threshold}"
    )
    con.execute(f"DELETE FROM edges WHERE match_probability < {options.match.threshold}")
    _constraint_tables(con, options.constraints)

    scored_count, rejected = cluster_members(
        con, strong_weight=options.strong_evidence_weight, cannot_link="cannot_link"
    )
    golden_ids(
        con,
        pa.table(
            {
                "rid": pa.array(list(previous), pa.string()),
                "golden_person_id": pa.array(list(previous.values()), pa.string()),
            }
        ),
    )
    con.execute(
        """CREATE TABLE membership AS
           SELECT rc.idx, ci.golden_person_id, p.rid AS partner_rid, rc.match_weight, rc.match_reason,
                  e.detail AS match_detail
           FROM row_cluster rc
           JOIN cluster_id ci USING (label)
           LEFT JOIN cand p ON p.idx = rc.partner_idx
           LEFT JOIN edges e ON rc.match_reason = 'splink'
                AND e.idx_l = least(rc.idx, rc.partner_idx) AND e.idx_r = greatest(rc.idx, rc.partner_idx)"""
    )
    # clusters holding a prospect row make golden people (CRM-only clusters do not), with their sizes
    con.execute(
        """CREATE TABLE golden_clusters AS
           SELECT m.golden_person_id, count(*) AS cluster_size FROM membership m JOIN cand c USING (idx)
           GROUP BY m.golden_person_id HAVING bool_or(c.crm_id IS NULL)"""
    )
    con.execute(
        """CREATE TABLE people_rows AS SELECT c.*, m.golden_person_id, g.cluster_size
           FROM cand c JOIN membership m USING (idx) JOIN golden_clusters g USING (golden_person_id)"""
    )
    companies = _companies(con, accounts, options.merge)
    people = _people(con, options.merge)
    members = con.sql(
        f"""SELECT c.rid, c.source_record_id, m.golden_person_id, m.match_weight, m.match_reason, m.partner_rid,
                   {PARTNER_COLUMNS}, m.match_detail
            FROM membership m JOIN cand c USING (idx) WHERE c.crm_id IS NULL ORDER BY c.source_record_id, c.rid"""
    ).to_arrow_table()
    crm_links = con.sql(
        f"""SELECT c.crm_module, c.crm_id, m.golden_person_id, m.match_weight, m.match_reason, m.partner_rid,
                   {PARTNER_COLUMNS}, m.match_detail
            FROM people_rows c JOIN membership m USING (idx)
            WHERE c.crm_id IS NOT NULL ORDER BY c.crm_module, c.crm_id"""
    ).to_arrow_table()
    review = _review_pairs(con)
    stats = {
        "candidates": size,
        "review_pairs": review.num_rows,
        "key_edges": int(con.execute("SELECT count(*) FROM key_edges").fetchall()[0][0]),
        "scored_edges": scored_count,
        "rejected_by_namesake_guard": rejected,
        "golden_people": people.num_rows,
        "golden_companies": companies.num_rows,
        "crm_matched": crm_links.num_rows,
        "model": model_parameters,
    }
    con.close()
    return ResolveResult(
        people=people, companies=companies, members=members, crm_links=crm_links, stats=stats, review=review
    )


def _constraint_tables(con: duckdb.DuckDBPyConnection, constraints: Constraints) -> None:
    """``cannot_link(idx_l, idx_r)`` and ``decided(idx_l, idx_r)``; must-link pairs become key edges (reason
    ``review``). Pairs naming a row not among the candidates are ignored."""
    for name, pairs in (("must_arrow", constraints.must_link), ("cannot_arrow", constraints.cannot_link)):
        con.register(
            name,
            pa.table(
                {"a": pa.array([p[0] for p in pairs], pa.string()), "b": pa.array([p[1] for p in pairs], pa.string())}
            ),
        )
    pair_sql = """SELECT DISTINCT least(l.idx, r.idx) AS idx_l, greatest(l.idx, r.idx) AS idx_r
                  FROM {} x JOIN cand l ON l.rid = x.a JOIN cand r ON r.rid = x.b WHERE l.idx <> r.idx"""
    con.execute(f"CREATE TABLE cannot_link AS {pair_sql.format('cannot_arrow')}")
    con.execute(f"CREATE TABLE must_link AS {pair_sql.format('must_arrow')}")
    con.unregister("must_arrow")
    con.unregister("cannot_arrow")
    con.execute("INSERT INTO key_edges SELECT idx_l, idx_r, 'review' FROM must_link")
    con.execute("CREATE TABLE decided AS SELECT * FROM cannot_link UNION SELECT * FROM must_link")
    con.execute("CREATE TEMP TABLE attached (own BIGINT, anchor BIGINT)")
    _attach_own_records(con, constraints.attached)


def _attach_own_records(con: duckdb.DuckDBPyConnection, attached: tuple[tuple[str, str], ...]) -> None:
    """Drop every edge (key, scored, below threshold) of the records leadflow created, then join each to its
    person's row by a key edge (reason ``leadflow_id``). Pairs naming a row not among the candidates are ignored."""
    if not attached:
        return
    con.register(
        "attached_arrow",
        pa.table({"a": pa.array([p[0] for p in attached], pa.string()),
                  "b": pa.array([p[1] for p in attached], pa.string())}),
    )  # fmt: skip
    con.execute(
        """CREATE OR REPLACE TEMP TABLE attached AS SELECT DISTINCT l.idx AS own, r.idx AS anchor
           FROM attached_arrow x JOIN cand l ON l.rid = x.a JOIN cand r ON r.rid = x.b WHERE l.idx <> r.idx"""
    )
    con.unregister("attached_arrow")
    for table in ("key_edges", "edges", "below_threshold"):
        con.execute(
            f"""DELETE FROM {table} WHERE idx_l IN (SELECT own FROM attached) OR idx_r IN (SELECT own FROM attached)"""
        )
    con.execute("INSERT INTO key_edges SELECT least(own, anchor), greatest(own, anchor), 'leadflow_id' FROM attached")


def _review_pairs(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Pairs scored between the review and the match threshold whose rows ended in different clusters, pairs
    the namesake guard refused, and one pair per two people left apart who share only a full name (kind
    ``same_name``, see :data:`SAME_NAME_PAIRS_SQL`); undecided ones only, the likeliest one person first
    (:func:`review_rank.rank_review_pairs`)."""
    pairs = (
        con.sql(
            f"""WITH scored AS (
             SELECT b.idx_l, b.idx_r, 'uncertain' AS kind, b.match_weight, b.match_probability, b.detail
             FROM below_threshold b
             UNION ALL
             SELECT g.idx_l, g.idx_r, 'namesake_guard', e.match_weight, e.match_probability, e.detail
             FROM guard_rejected g
             JOIN edges e ON e.idx_l = least(g.idx_l, g.idx_r) AND e.idx_r = greatest(g.idx_l, g.idx_r)),
           listed AS (
             SELECT s.*, cl.label AS label_l, cr.label AS label_r FROM scored s
             JOIN row_cluster cl ON cl.idx = s.idx_l JOIN row_cluster cr ON cr.idx = s.idx_r
             WHERE cl.label <> cr.label),
           same_name AS ({SAME_NAME_PAIRS_SQL}),
           pairs AS (
             SELECT idx_l, idx_r, kind, match_weight, match_probability, detail FROM listed
             UNION ALL
             SELECT n.idx_l, n.idx_r, 'same_name', NULL, NULL, n.detail FROM same_name n
             WHERE NOT EXISTS (SELECT 1 FROM listed x WHERE least(x.label_l, x.label_r) = n.label_lo
                                                        AND greatest(x.label_l, x.label_r) = n.label_hi))
           SELECT l.rid AS rid_l, r.rid AS rid_r, p.kind, p.match_weight, p.match_probability, p.detail
           FROM pairs p JOIN cand l ON l.idx = p.idx_l JOIN cand r ON r.idx = p.idx_r
           WHERE NOT EXISTS (SELECT 1 FROM decided d WHERE d.idx_l = least(p.idx_l, p.idx_r)
                                                       AND d.idx_r = greatest(p.idx_l, p.idx_r))
           ORDER BY p.match_weight DESC NULLS LAST, rid_l, rid_r"""
        )
        .to_arrow_table()
        .cast(pa.schema(list(REVIEW_SCHEMA)[: -len(RANK_FIELDS)]))
    )
    return rank_review_pairs(con, pairs)


# Two people resolve left apart whose rows carry one name and no identity key that tells them apart: a job
# changer whose old row shares only the name, or a namesake, equally likely, so a reviewer decides (one pair per
# two clusters). One name: first and last names agree (equal, a nickname form, one cut short of the other, or a
# typo: Jaro-Winkler at least keys.FIRST_NAME_SIMILARITY for first names, LAST_NAME_TYPO_SIMILARITY for last
# names, stricter than a key's check as nothing but the name links them; or one edit apart, or a cut-short
# nickname: keys.typo_agreement_sql). Told apart: both rows carry a LinkedIn slug or a Sales Navigator id and they
# differ, or both carry an e-mail at one domain and they differ (at two domains a job change explains it; Apollo
# gives one person a new id per export, so its ids tell nobody apart). A record leadflow created is a copy of its
# person's row and is left out; at least one of the two rows is a prospect.
#
# Compared within blocks: one full name; one last name and first initial (or first two letters, either order); one
# first-name form (a name or a formal name it may be a nickname of) and last initial (or two letters, either
# order); one first initial and two-letter last-name prefix, or the other way round (a typo in both names); one
# pair of names spelt with the same letters (letters swapped: "Ele" / "Lee", "Ulcas" / "Lucas"). A block more than
# MAX_SAME_NAME_GROUP rows share is left out: its pairs grow with the square of its rows (every pair sharing a last
# name, a first name or two initials, as before, was 46 million comparisons and 95 s on 100,000 rows from small
# name lists, and out of reach on a million), and a name that many people carry is weak evidence (ranked low,
# review_rank). On the generator's 5,000 people this leaves out 56 (hard) and 37 (standard) pairs of two namesakes
# and no pair of one person.
LAST_NAME_TYPO_SIMILARITY = 0.88
MAX_SAME_NAME_GROUP = MAX_KEY_GROUP
_NAMES_AGREE = """({a} = {b} OR jaro_winkler_similarity({a}, {b}) >= {similarity}
                   OR (least(length({a}), length({b})) >= 2 AND (starts_with({a}, {b}) OR starts_with({b}, {a}))))"""
_FIRST, _LAST = at_least(FIRST_NAME_SIMILARITY), at_least(LAST_NAME_TYPO_SIMILARITY)
_PAIR_COLUMNS = {"first_name_key": "f", "last_name_key": "l", "first_name_forms": "forms"}
_FIRST_TYPO, _LAST_TYPO = typo_agreement_sql(lambda c: f"l{_PAIR_COLUMNS[c]}", lambda c: f"r{_PAIR_COLUMNS[c]}")
# The first name a row's own address spells beside its last name ("Lia Green" <elizabeth.green@...>: Elizabeth),
# a form of the name for review only: the match model and the keys never read it (a spouse's or an assistant's
# address spells another person's name, and must not join rows).
_LOCAL_PART = "split_part(lower({0}.email), '@', 1)"
_ADDRESS_FIRST_NAME = f"""CASE WHEN regexp_extract({_LOCAL_PART}, '^([a-z]{{{{3,}}}})[._-]([a-z]+)$', 2)
                               = {{0}}.last_name_key
                          THEN nullif(regexp_extract({_LOCAL_PART}, '^([a-z]{{{{3,}}}})[._-]', 1), {{0}}.first_name_key)
                          END"""
_NAMED = f"""(SELECT idx, first_name_key, last_name_key, first_name_forms, first_name_letters, last_name_letters,
                    {_ADDRESS_FIRST_NAME.format("cand")} AS address_first_name
             FROM cand
             WHERE first_name_key IS NOT NULL AND last_name_key IS NOT NULL
               AND idx NOT IN (SELECT own FROM attached))"""
_FORMS = f"""(SELECT DISTINCT idx, last_name_key, form
             FROM (SELECT idx, last_name_key,
                          unnest(list_append(list_append(coalesce(first_name_forms, []), first_name_key),
                                             address_first_name)) AS form FROM {_NAMED})
             WHERE form IS NOT NULL)"""
_SWAPPED_START = "least(substr({0}, 1, 1), substr({0}, 2, 1)) || greatest(substr({0}, 1, 1), substr({0}, 2, 1))"
_BLOCKS = (
    (_NAMED, "first_name_key, last_name_key"),  # still compared when a common last name fills the next block
    (_NAMED, "last_name_key, left(first_name_key, 1)"),
    (_NAMED, f"last_name_key, {_SWAPPED_START.format('first_name_key')}"),  # Deward / Edward
    (_FORMS, "form, left(last_name_key, 1)"),
    (_FORMS, f"form, {_SWAPPED_START.format('last_name_key')}"),  # Yran / Ryan
    (_NAMED, "left(first_name_key, 2), left(last_name_key, 1)"),  # a typo in both names
    (_NAMED, "left(first_name_key, 1), left(last_name_key, 2)"),
    (_NAMED, "first_name_letters, last_name_letters"),  # letters swapped: Ele / Lee
)


def _block_pairs_sql(source: str, key: str) -> str:
    return f"""SELECT l.idx AS a, r.idx AS b
               FROM (SELECT idx, [{key}] AS k FROM {source}
                     QUALIFY count(*) OVER (PARTITION BY [{key}]) <= {MAX_SAME_NAME_GROUP}) l
               JOIN (SELECT idx, [{key}] AS k FROM {source}) r ON l.k = r.k AND l.idx < r.idx"""


SAME_NAME_PAIRS_SQL = f"""
    WITH compared AS MATERIALIZED (
      -- the candidate pairs with the columns they are checked on; checked outside this join, which is several
      -- times faster in DuckDB
      SELECT least(l.idx, r.idx) AS idx_l, greatest(l.idx, r.idx) AS idx_r,
             least(cl.label, cr.label) AS label_lo, greatest(cl.label, cr.label) AS label_hi,
             l.first_name_key AS lf, r.first_name_key AS rf, l.last_name_key AS ll, r.last_name_key AS rl,
             l.first_name_forms AS lforms, r.first_name_forms AS rforms,
             {_ADDRESS_FIRST_NAME.format("l")} AS laddress, {_ADDRESS_FIRST_NAME.format("r")} AS raddress,
             l.crm_id IS NULL OR r.crm_id IS NULL AS prospect,
             coalesce(l.linkedin_slug <> r.linkedin_slug, false) OR coalesce(l.salesnav_id <> r.salesnav_id, false)
               AS ids_differ, lower(l.email) AS email_l, lower(r.email) AS email_r
      FROM ({" UNION ".join(_block_pairs_sql(source, key) for source, key in _BLOCKS)}) n
      JOIN cand l ON l.idx = n.a JOIN cand r ON r.idx = n.b
      JOIN row_cluster cl ON cl.idx = l.idx JOIN row_cluster cr ON cr.idx = r.idx
      WHERE cl.label <> cr.label)
    SELECT idx_l, idx_r, label_lo, label_hi,
           json_object('first_name', json_object('level', CASE WHEN lf = rf THEN 'exact' ELSE 'similar' END),
                       'last_name', json_object('level', CASE WHEN ll = rl THEN 'exact' ELSE 'similar' END)
           )::VARCHAR AS detail
    FROM compared l
    WHERE prospect AND NOT ids_differ
      -- two addresses at one domain: two people (keys.different_addresses_at_one_domain_sql)
      AND NOT coalesce(email_l <> email_r AND split_part(email_l, '@', 2) = split_part(email_r, '@', 2), false)
      AND ({_NAMES_AGREE.format(a="ll", b="rl", similarity=_LAST)} OR {_LAST_TYPO})
      AND ({_NAMES_AGREE.format(a="lf", b="rf", similarity=_FIRST)} OR list_has_any(lforms, rforms) OR {_FIRST_TYPO}
           OR laddress = rf OR raddress = lf OR list_contains(rforms, laddress) OR list_contains(lforms, raddress))
    QUALIFY row_number() OVER (PARTITION BY label_lo, label_hi ORDER BY idx_l, idx_r) = 1"""


# Columns the match model compares or blocks on besides the candidate's own (see model.py); a name's letters in
# alphabetical order are one key for the name and its spellings with two letters swapped; first_name_forms and
# phone_key are added by _add_name_forms_and_phone_key.
MATCH_KEYS_SQL = """nullif(lower(trim(title)), '') AS title_key, nullif(lower(trim(city)), '') AS city_key,
    array_to_string(list_sort(string_split(first_name_key, '')), '') AS first_name_letters,
    array_to_string(list_sort(string_split(last_name_key, '')), '') AS last_name_letters,
    nullif(split_part(email, '@', 1), '') AS email_local, nullif(split_part(email, '@', 2), '') AS email_domain,
    NULL::VARCHAR[] AS first_name_forms, NULL::VARCHAR AS phone_key"""


def _add_name_forms_and_phone_key(con: duckdb.DuckDBPyConnection) -> None:
    """``first_name_forms``: a first name with the formal names it may be a nickname of (computed once per
    distinct name). ``phone_key``: the phone, unless rows with clearly different names share it (a company's
    switchboard, Apollo's Corporate Phone): then it is no evidence that two rows are one person. A typo or a
    cut-short first name (``Ci`` / ``Cian``) does not make a number shared (:func:`keys.names_agree_sql`)."""
    names = [
        r[0] for r in con.sql("SELECT DISTINCT first_name_key FROM cand WHERE first_name_key IS NOT NULL").fetchall()
    ]
    con.register(
        "forms_arrow",
        pa.table(
            {"name": pa.array(names, pa.string()), "forms": pa.array([list(first_name_forms(n)) for n in names])},
            schema=pa.schema([("name", pa.string()), ("forms", pa.list_(pa.string()))]),
        ),
    )
    con.execute("UPDATE cand SET first_name_forms = f.forms FROM forms_arrow f WHERE cand.first_name_key = f.name")
    con.unregister("forms_arrow")
    con.execute(
        f"""CREATE TABLE shared_phones AS
            WITH held AS (
              SELECT idx, phone_e164, first_name_key, last_name_key, first_name_forms FROM cand
              WHERE phone_e164 IS NOT NULL
              QUALIFY count(*) OVER (PARTITION BY phone_e164) BETWEEN 2 AND {MAX_KEY_GROUP})
            SELECT DISTINCT l.phone_e164 FROM held l JOIN held r ON l.phone_e164 = r.phone_e164 AND l.idx < r.idx
            WHERE NOT {names_agree_sql("l", "r")}
            UNION SELECT phone_e164 FROM cand WHERE phone_e164 IS NOT NULL
            GROUP BY phone_e164 HAVING count(*) > {MAX_KEY_GROUP}"""
    )
    con.execute(
        """UPDATE cand SET phone_key = phone_e164
           WHERE phone_e164 IS NOT NULL AND phone_e164 NOT IN (SELECT phone_e164 FROM shared_phones)"""
    )


# The partner rid ("p:<source_record_id>" or "crm:<module>:<id>", see columns.py) split into columns.
PARTNER_COLUMNS = """
    CASE WHEN starts_with(m.partner_rid, 'p:') THEN substr(m.partner_rid, 3)::BIGINT END AS partner_source_record_id,
    CASE WHEN starts_with(m.partner_rid, 'crm:') THEN split_part(m.partner_rid, ':', 2) END AS partner_crm_module,
    CASE WHEN starts_with(m.partner_rid, 'crm:')
         THEN substr(m.partner_rid, length(split_part(m.partner_rid, ':', 2)) + 6) END AS partner_crm_id"""

# A golden company linked to a Zoho Account takes the Account's values under every merge policy (see merge.py).
ACCOUNT_FIRST = "CASE WHEN is_account THEN 0 ELSE 1 END"


def _companies(con: duckdb.DuckDBPyConnection, accounts: pa.Table | None, policy: MergePolicy) -> pa.Table:
    """Golden companies by domain, then normalized name; people rows get ``company_id``."""
    account_rows = conform(accounts if accounts is not None else pa.table({"rid": pa.array([], pa.string())}))
    con.register("accounts_arrow", account_rows)
    con.execute(
        f"""CREATE TABLE company_rows AS
            SELECT idx, rid, source_kind, crm_module, crm_id, observed_at, source_rank, prov, completeness,
                   {", ".join(f'"{f}"' for f in COMPANY_FIELDS)}, country, false AS is_account
            FROM people_rows
            UNION ALL
            SELECT -(row_number() OVER (ORDER BY rid)) AS idx, rid, 'crm', 'Accounts', crm_id, observed_at,
                   -1 AS source_rank, json_object('crm_module', 'Accounts', 'crm_id', crm_id)::VARCHAR AS prov, 0,
                   {", ".join(f'"{f}"' for f in COMPANY_FIELDS)}, country, true
            FROM accounts_arrow"""
    )
    con.unregister("accounts_arrow")
    con.execute(
        f"""CREATE TABLE company_rows_ranked AS
            SELECT *, {policy.rank_columns(with_email=False, first=ACCOUNT_FIRST)} FROM company_rows"""
    )
    con.execute("DROP TABLE company_rows")
    con.execute("ALTER TABLE company_rows_ranked RENAME TO company_rows")
    # A name without a domain joins the domain most often seen with that name.
    con.execute(
        """CREATE TABLE key_domain AS
           SELECT company_key, arg_min(company_domain, [-n::DOUBLE]) AS company_domain FROM (
             SELECT company_key, company_domain, count(*) AS n FROM company_rows
             WHERE company_key IS NOT NULL AND company_domain IS NOT NULL GROUP BY ALL
           ) GROUP BY company_key"""
    )
    con.execute(
        """CREATE TABLE company_ident AS
           SELECT r.idx, CASE WHEN r.company_domain IS NOT NULL THEN 'd:' || r.company_domain
                              WHEN kd.company_domain IS NOT NULL THEN 'd:' || kd.company_domain
                              WHEN r.company_key IS NOT NULL THEN 'k:' || r.company_key END AS ident
           FROM company_rows r LEFT JOIN key_domain kd USING (company_key)"""
    )
    fields = COMPANY_MERGE_FIELDS
    con.execute(
        f"""CREATE TABLE merged_companies AS
            SELECT {merged_select(fields, policy, "i.ident")},
                   arg_min(r.company_domain, r.ord_default) AS domain,
                   arg_min(r.company_key, r.ord_default) AS company_key,
                   min(r.crm_id) FILTER (WHERE r.is_account) AS crm_account_id,
                   bool_or(NOT r.is_account) AS has_people
            FROM company_rows r JOIN company_ident i USING (idx) WHERE i.ident IS NOT NULL
            GROUP BY i.ident"""
    )
    idents = [r[0] for r in con.sql("SELECT ident FROM merged_companies WHERE has_people ORDER BY ident").fetchall()]
    con.register(
        "company_ids",
        pa.table({"ident": idents, "id": [derived_id("gc_", ident) for ident in idents]}),
    )
    table = con.sql(
        f"""SELECT ids.id, m.company_name AS name, m.domain, m.company_key, m.industry, m.employees,
                   m.annual_revenue, m.country, m.technologies, m.keywords, m.crm_account_id,
                   coalesce(p.provenance, '[]') AS provenance
            FROM merged_companies m JOIN company_ids ids USING (ident)
            LEFT JOIN ({grouped_provenance("merged_companies", "ident", fields)}) p USING (ident)
            ORDER BY ids.id"""
    ).to_arrow_table()
    con.execute(
        """CREATE TABLE row_company AS SELECT i.idx, ids.id AS company_id
           FROM company_ident i JOIN company_ids ids USING (ident) WHERE i.idx >= 0"""
    )
    con.execute(
        """CREATE TABLE company_names AS SELECT ids.id AS company_id, m.company_name AS name,
                  m.company_name__prov AS name_prov
           FROM merged_companies m JOIN company_ids ids USING (ident)"""
    )
    return table


def _people(con: duckdb.DuckDBPyConnection, policy: MergePolicy) -> pa.Table:
    """Golden people. A one-row cluster is its row (most clusters): only larger clusters are aggregated, which
    keeps the aggregation's memory to the rows that need it. A person linked to a golden company carries that
    company's name (what the sync writes as the CRM's company, so it reads back the same), otherwise the merged
    ``company_name``."""
    fields = PERSON_MERGE_FIELDS
    own_fields = [f for f in fields if f != "company_name"]
    company_key = policy.rank_column("company_name")
    # a view: two passes of a join cost less than a second copy of a million wide rows
    con.execute(
        """CREATE VIEW person_rows AS
           SELECT p.*, rc.company_id FROM people_rows p LEFT JOIN row_company rc USING (idx)"""
    )
    # only rows of clusters with more than one row need ranking (by the merge policy) to be merged
    con.execute(f"CREATE TABLE multi_rows AS SELECT *, {policy.rank_columns()} FROM person_rows WHERE cluster_size > 1")
    con.execute(
        f"""CREATE TABLE merged_people AS
            SELECT {merged_select(fields, policy, "golden_person_id")},
                   arg_min(company_id, {company_key}) FILTER (WHERE company_id IS NOT NULL) AS company_id,
                   to_json(list(DISTINCT email ORDER BY email) FILTER (WHERE email IS NOT NULL))::VARCHAR AS emails,
                   arg_min(crm_module, [CASE crm_module WHEN 'Contacts' THEN '0' ELSE '1' END, crm_id])
                     FILTER (WHERE crm_id IS NOT NULL) AS crm_module,
                   arg_min(crm_id, [CASE crm_module WHEN 'Contacts' THEN '0' ELSE '1' END, crm_id])
                     FILTER (WHERE crm_id IS NOT NULL) AS crm_id
            FROM multi_rows GROUP BY golden_person_id"""
    )
    con.execute(
        """UPDATE merged_people m SET company_name = cn.name, company_name__prov = cn.name_prov
           FROM company_names cn WHERE cn.company_id = m.company_id AND cn.name IS NOT NULL"""
    )
    columns = ", ".join(f'"{f}"' for f in fields)
    # a one-row cluster's values all come from its row, but for the company's name (see the docstring)
    own_and_company = f"""'[' || concat_ws(',', {source_item("prov", own_fields)},
                                            {source_item("company_name__prov", ["company_name"])}) || ']'"""
    return con.sql(
        f"""WITH singles AS (
              SELECT p.golden_person_id, p.* EXCLUDE (golden_person_id, company_name),
                     coalesce(cn.name, p.company_name) AS company_name,
                     CASE WHEN cn.name IS NOT NULL THEN cn.name_prov ELSE p.prov END AS company_name__prov
              FROM person_rows p LEFT JOIN company_names cn USING (company_id)
              WHERE p.cluster_size = 1),
            single_people AS (
              SELECT golden_person_id AS id, company_id, {columns},
                     CASE WHEN email IS NULL THEN '[]' ELSE to_json([email])::VARCHAR END AS emails,
                     crm_module, crm_id,
                     CASE WHEN company_name IS NULL OR company_name__prov = prov
                          THEN {single_source_provenance(fields)} ELSE {own_and_company} END AS provenance
              FROM singles),
            merged AS (
              SELECT m.golden_person_id AS id, m.company_id, {", ".join(f'm."{f}"' for f in fields)},
                     coalesce(m.emails, '[]') AS emails, m.crm_module, m.crm_id,
                     coalesce(p.provenance, '[]') AS provenance
              FROM merged_people m
              LEFT JOIN ({grouped_provenance("merged_people", "golden_person_id", fields)}) p USING (golden_person_id))
            SELECT * FROM single_people UNION ALL BY NAME SELECT * FROM merged ORDER BY id"""
    ).to_arrow_table()


def explain_detail(detail: str | None) -> dict[str, Any]:
    """The per-comparison breakdown stored with a splink-made membership."""
    return dict(json.loads(detail)) if detail else {}
