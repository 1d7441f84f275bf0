"""Rank the review queue by how likely each pair is one person, from the evidence a reviewer would weigh.

Every pair in the queue was left apart by resolve, most of them (kind ``same_name``) sharing nothing but a
name. A reviewer reading them asks: how common is this name, do the rows live in one city, could the two
companies be one job after another, is the phone theirs and does it differ, what did the model score? Each
answer is a Bayes factor in bits (log2 of P(evidence | one person) / P(evidence | two people)), added to a
prior from the name's rarity; the sum is the pair's ``rank_weight`` (log2 odds of one person) and the
strongest parts are its ``rank_reason``.

The "two people" side (u) comes from the data: how often a city, a country or a seniority occurs among all
rows. The "one person" side (m) is fixed below, with the reason for each value. Pairs weaker than
:data:`LISTED_FROM_WEIGHT` are kept out of the default listing (`leadflow review list --all` shows them).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from leadflow.resolve.jaro_winkler import jaro_winkler_similarity

if TYPE_CHECKING:
    import duckdb

# Pairs below this many bits (probability of one person under 0.1) are not listed by default.
LISTED_FROM_WEIGHT = -math.log2(9)

# m: how often one person's two rows (left apart by resolve) show the evidence.
M_SAME_CITY = 0.9  # people rarely move; a stale row keeps the home city
M_SAME_COUNTRY = 0.95
M_SAME_SENIORITY = 0.4  # a job change is often a promotion
# A company in common, or not: resolve left these rows apart, so one person here is usually a job changer (two
# companies), and two people at one company with one name are what the namesake guard splits. Neither is
# strong evidence either way: a fixed bit each.
SAME_COMPANY_BITS = 1.0
OTHER_COMPANY_BITS = -1.0
# One person at two companies is seen at them one after the other (two exports, a job change); one export
# listing the name at two companies at once is two jobs held together or a vendor's stale duplicate: rare.
M_SEEN_APART = 0.95
# A direct line (no other name carries it) is the person's own: equal is nearly proof; different is strong
# evidence of two people at one company, weak across two companies (a desk line stays with the old job).
SAME_PHONE_BITS = 6.0
OTHER_PHONE_ONE_COMPANY_BITS = math.log2(0.2)
OTHER_PHONE_TWO_COMPANIES_BITS = math.log2(0.7)
SPELLED_NAME_BITS = 1.0  # an address spelling the other row's name confirms the name agreement
MODEL_WEIGHT_SHARE = 0.1  # the model's weight counts the same fields again: a tenth of it, capped
MODEL_WEIGHT_CAP = 20.0
SIMILAR = 0.9  # Jaro-Winkler from which two cities or two company keys are one, with a typo
MIN_SHARE = 0.001  # a value's share among all rows, at least: no agreement is worth more than 10 bits or so

RANK_FIELDS = (
    pa.field("rank_weight", pa.float64()),  # log2 odds of one person
    pa.field("rank_reason", pa.string()),  # the strongest evidence, in words
    pa.field("rank_evidence", pa.string()),  # JSON list of {evidence, bits, note}
)

_ROW_COLUMNS = (
    "rid", "first_name_key", "last_name_key", "first_name_forms", "email", "company_key", "company_domain",
    "city", "country", "seniority", "phone_e164", "file_name", "observed_at",
)  # fmt: skip


@dataclass(frozen=True)
class Evidence:
    name: str
    bits: float
    note: str


@dataclass(frozen=True)
class Frequencies:
    """How often values occur among all rows (u), and how many people carry each name."""

    city: Mapping[str, float]
    country: Mapping[str, float]
    seniority: Mapping[str, float]
    people_named: Mapping[tuple[str, str], int]
    direct_phones: frozenset[str]
    seen_together: float  # how often two rows come from one export (or one CRM snapshot time)


def rank_review_pairs(con: duckdb.DuckDBPyConnection, pairs: pa.Table) -> pa.Table:
    """``pairs`` (rid_l, rid_r, kind, match_weight, ...) with :data:`RANK_FIELDS` appended, most likely first.

    Needs the resolver's ``cand`` and ``row_cluster`` tables in ``con``."""
    if pairs.num_rows == 0:
        return _with_rank_columns(pairs, [])
    frequencies = _frequencies(con, pairs)
    con.register("ranked_pairs_arrow", pairs.select(["rid_l", "rid_r"]))
    columns = ", ".join(_ROW_COLUMNS)
    rows = {
        row["rid"]: row
        for row in con.sql(
            f"""SELECT {columns} FROM cand WHERE rid IN (SELECT rid_l FROM ranked_pairs_arrow
                                                        UNION SELECT rid_r FROM ranked_pairs_arrow)"""
        )
        .to_arrow_table()
        .to_pylist()
    }
    con.unregister("ranked_pairs_arrow")
    ranks = [
        pair_evidence(rows[p["rid_l"]], rows[p["rid_r"]], p.get("match_weight"), frequencies) for p in pairs.to_pylist()
    ]
    ranked = _with_rank_columns(pairs, ranks)
    order = sorted(range(ranked.num_rows), key=lambda i: (-_weight(ranks[i]), i))
    return ranked.take(pa.array(order, pa.int64()))


def _with_rank_columns(pairs: pa.Table, ranks: list[list[Evidence]]) -> pa.Table:
    weights = [_weight(evidence) for evidence in ranks]
    reasons = [reason(evidence) for evidence in ranks]
    details = [json.dumps([{"evidence": e.name, "bits": round(e.bits, 2), "note": e.note} for e in ev]) for ev in ranks]
    columns = [pa.array(weights, pa.float64()), pa.array(reasons, pa.string()), pa.array(details, pa.string())]
    for spec, column in zip(RANK_FIELDS, columns, strict=True):
        pairs = pairs.append_column(spec, column)
    return pairs


def _weight(evidence: list[Evidence]) -> float:
    return round(sum(e.bits for e in evidence), 4)


def probability(weight: float) -> float:
    """log2 odds as a probability.

    Example:
        >>> probability(0.0), round(probability(LISTED_FROM_WEIGHT), 3)
        (0.5, 0.1)
    """
    return float(1.0 / (1.0 + 2.0 ** (-weight)))


def reason(evidence: list[Evidence], *, parts: int = 3) -> str:
    """The strongest few pieces of evidence, for or against, in words.

    Example:
        >>> reason([Evidence("city", 3.2, "both in Boston"), Evidence("name", -1.0, "3 people named so")])
        '+3.2 both in Boston; -1.0 3 people named so'
    """
    strongest = sorted(evidence, key=lambda e: -abs(e.bits))[:parts]
    return "; ".join(f"{e.bits:+.1f} {e.note}" for e in strongest if abs(e.bits) >= 0.05)


def pair_evidence(
    left: Mapping[str, Any], right: Mapping[str, Any], match_weight: float | None, frequencies: Frequencies
) -> list[Evidence]:
    """The evidence on two rows being one person, each piece in bits (see the module's docstring)."""
    found = [_name_rarity(left, right, frequencies)]
    same_company = _same_company(left, right)
    for check in _CHECKS:
        piece = check(left, right, frequencies, same_company)
        if piece is not None:
            found.append(piece)
    if match_weight is not None:
        capped = max(-MODEL_WEIGHT_CAP, min(MODEL_WEIGHT_CAP, match_weight))
        found.append(Evidence("model", MODEL_WEIGHT_SHARE * capped, f"model weight {match_weight:.1f}"))
    return found


def _name_rarity(left: Mapping[str, Any], right: Mapping[str, Any], frequencies: Frequencies) -> Evidence:
    """The prior: among k people carrying a name, a given two are one person about once in k - 1."""
    people = max(frequencies.people_named.get((r["first_name_key"], r["last_name_key"]), 1) for r in (left, right))
    bits = -math.log2(max(people - 1, 1))
    return Evidence("name", bits, f"{people} people named so" if people > 2 else "a rare name")


def _city(left: Mapping[str, Any], right: Mapping[str, Any], f: Frequencies, _: bool) -> Evidence | None:
    a, b = _lower(left["city"]), _lower(right["city"])
    if not a or not b:
        return None
    # a typo'd spelling is rare, the city is not: the commoner spelling tells how often people live there
    share, shown = max((f.city.get(a, 0.0), left["city"]), (f.city.get(b, 0.0), right["city"]))
    share = max(share, MIN_SHARE)
    if _similar(a, b):
        return Evidence("city", math.log2(M_SAME_CITY / share), f"both in {shown}")
    return Evidence("city", math.log2((1 - M_SAME_CITY) / max(1 - share, 1e-6)), f"{left['city']} / {right['city']}")


def _country(left: Mapping[str, Any], right: Mapping[str, Any], f: Frequencies, _: bool) -> Evidence | None:
    if _lower(left["city"]) and _lower(right["city"]):
        return None  # the city said it
    a, b = _lower(left["country"]), _lower(right["country"])
    if not a or not b:
        return None
    share = max(f.country.get(a, 0.0), MIN_SHARE)
    if a == b:
        return Evidence("country", math.log2(M_SAME_COUNTRY / share), f"both in {left['country']}")
    return Evidence(
        "country", math.log2((1 - M_SAME_COUNTRY) / max(1 - share, 1e-6)), f"{left['country']} / {right['country']}"
    )


def _seniority(left: Mapping[str, Any], right: Mapping[str, Any], f: Frequencies, _: bool) -> Evidence | None:
    a, b = left["seniority"], right["seniority"]
    if not a or not b:
        return None
    share = max(f.seniority.get(a, 0.0), MIN_SHARE)
    if a == b:
        return Evidence("seniority", math.log2(M_SAME_SENIORITY / share), f"both {a}")
    return Evidence("seniority", math.log2((1 - M_SAME_SENIORITY) / max(1 - share, 1e-6)), f"{a} / {b}")


def _company(left: Mapping[str, Any], right: Mapping[str, Any], _: Frequencies, same: bool) -> Evidence | None:
    if same:
        return Evidence("company", SAME_COMPANY_BITS, f"both at {left['company_key'] or left['company_domain']}")
    if not _company_of(left) or not _company_of(right):
        return None
    return Evidence("company", OTHER_COMPANY_BITS, f"{_company_of(left)} / {_company_of(right)}")


def _time_order(left: Mapping[str, Any], right: Mapping[str, Any], f: Frequencies, same: bool) -> Evidence | None:
    """Two companies seen at once (one export) is two jobs held together or two people; seen one after the
    other it is a job change (no evidence either way, but the reviewer is told which came first)."""
    if same or not _company_of(left) or not _company_of(right):
        return None
    together = min(max(f.seen_together, 1e-6), 1 - 1e-6)
    if _seen_together(left, right):
        bits = math.log2((1 - M_SEEN_APART) / together)
        return Evidence("time", bits, f"at two companies at once ({left['file_name'] or 'one snapshot'})")
    older, newer = sorted((left, right), key=lambda r: r["observed_at"] or 0.0)
    bits = math.log2(M_SEEN_APART / (1 - together))
    return Evidence("time", bits, f"job change? {_company_of(older)}, later {_company_of(newer)}")


def _phone(left: Mapping[str, Any], right: Mapping[str, Any], f: Frequencies, same: bool) -> Evidence | None:
    a, b = left["phone_e164"], right["phone_e164"]
    if not a or not b or a not in f.direct_phones or b not in f.direct_phones:
        return None
    if a == b:
        return Evidence("phone", SAME_PHONE_BITS, f"one direct phone {a}")
    bits = OTHER_PHONE_ONE_COMPANY_BITS if same else OTHER_PHONE_TWO_COMPANIES_BITS
    return Evidence("phone", bits, f"direct phones differ ({a} / {b})")


def _spelled_name(left: Mapping[str, Any], right: Mapping[str, Any], _: Frequencies, __: bool) -> Evidence | None:
    """One row's e-mail address spells the other row's name (``ann.lee@`` for Ann Lee, ``alee@``)."""
    for mail_row, named in ((left, right), (right, left)):
        local = _lower(mail_row["email"]).partition("@")[0]
        if local and spells_name(local, named):
            return Evidence(
                "e-mail", SPELLED_NAME_BITS, f"{local}@ spells {named['first_name_key']} {named['last_name_key']}"
            )
    return None


def spells_name(local: str, row: Mapping[str, Any]) -> bool:
    """Whether an address's local part carries the row's last name and its first name or first initial.

    Example:
        >>> spells_name("rebecca.martin", {"first_name_key": "becky", "last_name_key": "martin",
        ...                                "first_name_forms": ["rebecca"]})
        True
        >>> spells_name("martin", {"first_name_key": "ann", "last_name_key": "martin", "first_name_forms": None})
        False
    """
    last, first = row["last_name_key"], row["first_name_key"]
    if not last or not first or last not in local:
        return False
    rest = local.replace(last, " ", 1)
    firsts = {first, *(row["first_name_forms"] or ())}
    return any(name in rest for name in firsts) or any(part[:1] == first[:1] for part in _parts(rest))


_CHECKS: tuple[Callable[[Mapping[str, Any], Mapping[str, Any], Frequencies, bool], Evidence | None], ...] = (
    _city, _country, _company, _time_order, _seniority, _phone, _spelled_name,
)  # fmt: skip


def _parts(text: str) -> list[str]:
    return [p for p in "".join(c if c.isalpha() else " " for c in text).split() if p]


def _seen_together(left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
    if left["file_name"] and right["file_name"]:
        return bool(left["file_name"] == right["file_name"])
    return left["observed_at"] is not None and left["observed_at"] == right["observed_at"]


def _same_company(left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
    if left["company_domain"] and left["company_domain"] == right["company_domain"]:
        return True
    a, b = left["company_key"], right["company_key"]
    return bool(a and b and _similar(a, b))


def _company_of(row: Mapping[str, Any]) -> str:
    return str(row["company_key"] or row["company_domain"] or "")


def _similar(a: str, b: str) -> bool:
    return a == b or (jaro_winkler_similarity(a, b) or 0.0) >= SIMILAR


def _lower(value: Any) -> str:
    return str(value).strip().lower() if value else ""


def _frequencies(con: duckdb.DuckDBPyConnection, pairs: pa.Table) -> Frequencies:
    def shares(expression: str) -> dict[str, float]:
        found = con.sql(
            f"""SELECT v, count(*) / sum(count(*)) OVER () FROM (SELECT {expression} AS v FROM cand)
                WHERE v IS NOT NULL AND v <> '' GROUP BY v"""
        ).fetchall()
        return {str(v): float(share) for v, share in found}

    con.register("ranked_rids_arrow", pa.table({"rid": pa.concat_arrays([
        pairs.column("rid_l").combine_chunks(), pairs.column("rid_r").combine_chunks()])}))  # fmt: skip
    people_named = {
        (str(first), str(last)): int(people)
        for first, last, people in con.sql(
            """SELECT c.first_name_key, c.last_name_key, count(DISTINCT rc.label)
               FROM cand c JOIN row_cluster rc USING (idx)
               JOIN (SELECT DISTINCT q.first_name_key, q.last_name_key FROM cand q JOIN ranked_rids_arrow USING (rid)) n
                 ON n.first_name_key = c.first_name_key AND n.last_name_key = c.last_name_key
               GROUP BY ALL"""
        ).fetchall()
    }
    # a number only one last name carries is that person's own line (a switchboard is carried by colleagues)
    direct = frozenset(
        str(phone)
        for (phone,) in con.sql(
            """SELECT phone_e164 FROM cand WHERE phone_e164 IN (
                 SELECT phone_e164 FROM cand JOIN ranked_rids_arrow USING (rid))
               GROUP BY phone_e164 HAVING count(DISTINCT coalesce(last_name_key, '')) = 1"""
        ).fetchall()
    )
    con.unregister("ranked_rids_arrow")
    seen = shares("coalesce(file_name, observed_at::VARCHAR)")
    return Frequencies(
        city=shares("lower(trim(city))"),
        country=shares("lower(trim(country))"),
        seniority=shares("seniority"),
        people_named=people_named,
        direct_phones=direct,
        seen_together=sum(share * share for share in seen.values()),
    )
