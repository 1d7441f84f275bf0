"""Match models: the comparisons splink scores, their blocking rules and the rules used to train them.

A model is data, so the people model (B2B prospects) and the FEBRL benchmark model share one engine
(:mod:`leadflow.resolve.matching`). Each comparison lists its levels from most to least similar; the first
level is the null level. ``m`` and ``u`` are the starting probabilities (used as they are when the input is
too small to train on).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from leadflow.resolve.keys import names_agree_columns_sql


@dataclass(frozen=True)
class Level:
    label: str
    sql: str
    m: float
    u: float


@dataclass(frozen=True)
class Comparison:
    name: str
    null_sql: str
    levels: tuple[Level, ...]

    def level_label(self, gamma: int) -> str:
        """Splink numbers non-null levels from ``len(levels) - 1`` (first) down to 0 (else); null is -1."""
        if gamma < 0:
            return "null"
        return self.levels[len(self.levels) - 1 - gamma].label

    def as_splink(self) -> dict[str, object]:
        levels: list[dict[str, object]] = [
            {"sql_condition": self.null_sql, "label_for_charts": "null", "is_null_level": True}
        ]
        levels += [
            {"sql_condition": lv.sql, "label_for_charts": lv.label, "m_probability": lv.m, "u_probability": lv.u}
            for lv in self.levels
        ]
        return {"output_column_name": self.name, "comparison_levels": levels}


@dataclass(frozen=True)
class MatchModel:
    comparisons: tuple[Comparison, ...]
    blocking_rules: tuple[str, ...]
    training_blocks: tuple[str, ...]
    deterministic_rules: tuple[str, ...]
    prior: float = 1e-4
    retain: tuple[str, ...] = field(default_factory=tuple)


def _null(column: str) -> str:
    return f'"{column}_l" IS NULL OR "{column}_r" IS NULL'


def _exact(column: str) -> str:
    return f'"{column}_l" = "{column}_r"'


def _jw(column: str, threshold: float) -> str:
    return f'jaro_winkler_similarity("{column}_l", "{column}_r") >= {threshold}'


def name_comparison(name: str, column: str, *, initial: bool, forms: str | None = None) -> Comparison:
    """Exact, close (Jaro-Winkler), optionally a nickname (the ``forms`` list columns meet: Bob / Robert) or a
    cut-short name (one starts with the other: Ci / Cian), optionally the same initial, else different."""
    levels = [Level("exact", _exact(column), 0.85, 0.01)]
    if forms:
        # a nickname (Bob / Robert, Steve / Steven) is nearly as telling as the same name: checked before the
        # Jaro-Winkler levels, which would otherwise take Steve / Steven as a mere near-spelling
        levels.append(Level("nickname", f'list_has_any("{forms}_l", "{forms}_r")', 0.1, 0.0012))
    levels.append(Level("jaro-winkler >= 0.92", _jw(column, 0.92), 0.07, 0.003))
    if forms:
        cut_short = f'starts_with("{column}_l", "{column}_r") OR starts_with("{column}_r", "{column}_l")'
        levels.append(Level("prefix", cut_short, 0.01, 0.002))
    levels.append(Level("jaro-winkler >= 0.80", _jw(column, 0.80), 0.03, 0.02))
    if initial:
        levels.append(Level("same initial", f'substr("{column}_l", 1, 1) = substr("{column}_r", 1, 1)', 0.02, 0.05))
    levels.append(Level("different", "ELSE", 0.03, 0.9))
    return Comparison(name, _null(column), tuple(levels))


def exact_comparison(name: str, column: str, *, m: float, u: float) -> Comparison:
    return Comparison(
        name,
        _null(column),
        (Level("exact", _exact(column), m, u), Level("different", "ELSE", 1 - m, 1 - u)),
    )


# departments a title names ("other": it names none, or the title is mistyped past the rules)
_KNOWN_DEPARTMENTS = """coalesce("department_l", 'other') <> 'other' AND coalesce("department_r", 'other') <> 'other'"""
_NAMES_AGREE = names_agree_columns_sql(lambda c: f'"{c}_l"', lambda c: f'"{c}_r"')
_NOT_LETTERS = "0123456789._-+"
_LETTERS_L, _LETTERS_R = (f"translate(\"email_local_{s}\", '{_NOT_LETTERS}', '')" for s in "lr")
_OTHERS_L, _OTHERS_R = (f"translate(\"email_local_{s}\", 'abcdefghijklmnopqrstuvwxyz', '')" for s in "lr")

PEOPLE_MODEL = MatchModel(
    comparisons=(
        name_comparison("first_name", "first_name_key", initial=True, forms="first_name_forms"),
        name_comparison("last_name", "last_name_key", initial=False),
        Comparison(
            "company",
            '("company_key_l" IS NULL AND "company_domain_l" IS NULL) '
            'OR ("company_key_r" IS NULL AND "company_domain_r" IS NULL)',
            (
                Level("same domain", _exact("company_domain"), 0.6, 0.005),
                Level("same name", _exact("company_key"), 0.25, 0.004),
                Level("similar name", _jw("company_key", 0.9), 0.05, 0.004),
                Level("different", "ELSE", 0.1, 0.987),
            ),
        ),
        Comparison(
            "email",
            _null("email"),
            (
                # one address, clearly different names: an assistant, a shared inbox, spouses (keys.py)
                Level("exact, names differ", f"{_exact('email')} AND NOT {_NAMES_AGREE}", 0.002, 0.00005),
                Level("exact", _exact("email"), 0.6, 0.0001),
                # a typo in the domain (examplj.com); at two unrelated domains one local part is only a name
                # format (priya@, rrodriguez@) that namesakes at two companies share
                Level("same local part", f"{_exact('email_local')} AND {_jw('email_domain', 0.9)}", 0.15, 0.001),
                # a typo in the local part at the same domain: one letter apart. Namesakes' addresses differ by
                # a number (jo.smith2) or a separator (jo_smith / jo.smith): those are no typo.
                Level(
                    "same domain, local part one letter apart",
                    f'{_exact("email_domain")} AND length("email_local_l") >= 4 '
                    f"AND levenshtein({_LETTERS_L}, {_LETTERS_R}) = 1 AND {_OTHERS_L} = {_OTHERS_R}",
                    0.08,
                    0.0005,
                ),
                Level("different", "ELSE", 0.17, 0.9969),
            ),
        ),
        exact_comparison("linkedin", "linkedin_slug", m=0.97, u=0.0001),
        exact_comparison("salesnav", "salesnav_id", m=0.97, u=0.0001),
        # phone_key: the phone unless people with clearly different names share it (a switchboard, see engine.py);
        # with switchboards left out, two random rows almost never share a number
        exact_comparison("phone", "phone_key", m=0.5, u=0.0001),
        Comparison(
            "title",
            _null("title_key"),
            (
                Level("exact", _exact("title_key"), 0.5, 0.01),
                Level("jaro-winkler >= 0.85", _jw("title_key", 0.85), 0.2, 0.04),
                # one role written two ways (CTO / Chief Technology Officer): same seniority and department
                Level(
                    "same role",
                    f"{_exact('seniority')} AND {_exact('department')} AND {_KNOWN_DEPARTMENTS}",
                    0.12,
                    0.03,
                ),
                # a role and a related one (CEO / CEO & Founder), or two roles in one department
                Level("same department", f"{_exact('department')} AND {_KNOWN_DEPARTMENTS}", 0.06, 0.08),
                # two roles in two departments: namesakes at one company hold two; the same person's rows
                # rarely disagree on the department
                Level("different department", _KNOWN_DEPARTMENTS, 0.03, 0.55),
                Level("different", "ELSE", 0.12, 0.3),
            ),
        ),
        exact_comparison("city", "city_key", m=0.75, u=0.05),
    ),
    blocking_rules=(
        # name alone makes huge blocks at a million rows (every John Smith): pair it with a place
        "l.first_name_key = r.first_name_key AND l.last_name_key = r.last_name_key AND l.city_key = r.city_key",
        "l.last_name_key = r.last_name_key AND l.company_key = r.company_key",
        "l.last_name_key = r.last_name_key AND l.company_domain = r.company_domain",
        "l.first_name_key = r.first_name_key AND l.company_domain = r.company_domain",
        "l.first_name_key = r.first_name_key AND l.company_key = r.company_key",
        "l.phone_key = r.phone_key",
        # a typo in the last name and a nickname (Bob Peetrov / Robert Petrov) within one company
        "l.company_domain = r.company_domain AND substr(l.last_name_key, 1, 2) = substr(r.last_name_key, 1, 2)",
        "l.company_key = r.company_key AND substr(l.last_name_key, 1, 2) = substr(r.last_name_key, 1, 2)",
        # two letters swapped in each name (eWi Zahng / Wei Zhang): the names' letters in order agree
        "l.first_name_letters = r.first_name_letters AND l.last_name_letters = r.last_name_letters "
        "AND l.city_key = r.city_key",
        # a typo in an address's domain, or in its local part
        "l.email_local = r.email_local AND substr(l.last_name_key, 1, 1) = substr(r.last_name_key, 1, 1)",
        "l.email_domain = r.email_domain AND substr(l.email_local, 1, 2) = substr(r.email_local, 1, 2)",
        # typos in first name, last name and company at once: their beginnings still agree
        "substr(l.first_name_key, 1, 2) = substr(r.first_name_key, 1, 2) "
        "AND substr(l.last_name_key, 1, 2) = substr(r.last_name_key, 1, 2) "
        "AND substr(l.company_key, 1, 3) = substr(r.company_key, 1, 3)",
        "substr(l.first_name_key, 1, 1) = substr(r.first_name_key, 1, 1) "
        "AND substr(l.last_name_key, 1, 3) = substr(r.last_name_key, 1, 3) AND l.city_key = r.city_key",
    ),
    training_blocks=(
        "l.first_name_key = r.first_name_key AND l.last_name_key = r.last_name_key AND l.city_key = r.city_key",
        "l.company_key = r.company_key AND substr(l.last_name_key, 1, 2) = substr(r.last_name_key, 1, 2)",
    ),
    deterministic_rules=("l.email = r.email", "l.linkedin_slug = r.linkedin_slug"),
    prior=1e-4,
)
