"""Job titles to seniority, department and persona, by the ordered regex rules in ``titles.toml``."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from leadflow.normalize.text import ascii_fold, clean_cell, strip_decorations

_NON_WORD = re.compile(r"[^0-9a-z]+")


@dataclass(frozen=True)
class TitleInfo:
    """What a title says about its holder; ``None`` where the title says nothing."""

    seniority: str | None
    department: str | None
    persona: str


@dataclass(frozen=True)
class _Override:
    seniority: str | None
    department: str | None
    title: re.Pattern[str] | None
    persona: str


@dataclass(frozen=True)
class TitleRules:
    """The compiled rules of a titles file."""

    seniority: tuple[tuple[str, re.Pattern[str]], ...]
    seniority_default: str
    seniority_apollo: dict[str, str]
    department: tuple[tuple[str, re.Pattern[str]], ...]
    department_default: str
    department_apollo: dict[str, str]
    persona_by_seniority: dict[str, str]
    persona_default: str
    persona_overrides: tuple[_Override, ...]
    vocabulary: dict[str, tuple[str, ...]]

    @classmethod
    def from_toml(cls, text: str) -> TitleRules:
        """Compile rules from TOML text; unknown vocabulary values are an error, not a silent miss."""
        data: dict[str, Any] = tomllib.loads(text)
        vocabulary = {k: tuple(v) for k, v in data["vocabulary"].items()}

        def compiled(section: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
            rules = []
            for value, pattern in data[section]["rules"]:
                if value not in vocabulary[section]:
                    raise ValueError(f"titles: {section} rule value {value!r} is not in the vocabulary")
                rules.append((str(value), re.compile(pattern)))
            return tuple(rules)

        persona = data["persona"]
        overrides = tuple(
            _Override(
                o.get("seniority"),
                o.get("department"),
                re.compile(o["title"]) if "title" in o else None,
                o["persona"],
            )
            for o in persona.get("overrides", [])
        )
        for value in [*persona["by_seniority"].values(), *(o.persona for o in overrides)]:
            if value not in vocabulary["persona"]:
                raise ValueError(f"titles: persona {value!r} is not in the vocabulary")
        return cls(
            seniority=compiled("seniority"),
            seniority_default=data["seniority"]["default"],
            seniority_apollo=dict(data["seniority"].get("apollo", {})),
            department=compiled("department"),
            department_default=data["department"]["default"],
            department_apollo=dict(data["department"].get("apollo", {})),
            persona_by_seniority=dict(persona["by_seniority"]),
            persona_default=persona["default"],
            persona_overrides=overrides,
            vocabulary=vocabulary,
        )


@lru_cache(maxsize=1)
def default_rules() -> TitleRules:
    """The rules shipped in ``leadflow/normalize/titles.toml``."""
    text = resources.files("leadflow.normalize").joinpath("titles.toml").read_text(encoding="utf-8")
    return TitleRules.from_toml(text)


def title_text(title: str) -> str:
    """A title as the rules see it: ASCII, lower-case, ``&`` as ``and``, punctuation as single spaces.

    Example:
        >>> title_text("VP, Sales & Marketing (EMEA)")
        'vp sales and marketing emea'
    """
    folded = ascii_fold(title).replace("&", " and ")
    return _NON_WORD.sub(" ", folded).strip()


def clean_title(value: str | None) -> str | None:
    """The display form of a title: trimmed, decorations removed.

    Example:
        >>> clean_title(" 🚀 Head of Growth | ex-Google ")
        'Head of Growth | ex-Google'
    """
    text = clean_cell(value)
    if text is None:
        return None
    return strip_decorations(text) or None


def _first(rules: tuple[tuple[str, re.Pattern[str]], ...], text: str) -> str | None:
    for value, pattern in rules:
        if pattern.search(text):
            return value
    return None


@lru_cache(maxsize=300_000)
def classify_title(
    title: str | None,
    apollo_seniority: str | None = None,
    apollo_departments: str | None = None,
    rules: TitleRules | None = None,
) -> TitleInfo:
    """Seniority, department and persona of a title; Apollo's own labels fill in what the title leaves open.

    Example:
        >>> classify_title("SVP, Global Sales")
        TitleInfo(seniority='vp', department='sales', persona='decision_maker')
        >>> classify_title("Co-Founder & CEO")
        TitleInfo(seniority='founder', department='executive', persona='economic_buyer')
        >>> classify_title(None)
        TitleInfo(seniority=None, department=None, persona='unknown')
    """
    rules = rules or default_rules()
    text = title_text(title) if title else ""
    seniority = _first(rules.seniority, text) if text else None
    if seniority is None and apollo_seniority:
        seniority = rules.seniority_apollo.get(title_text(apollo_seniority))
    if seniority is None and text:
        seniority = rules.seniority_default
    department = _first(rules.department, text) if text else None
    if department is None and apollo_departments:
        for part in re.split(r"[,;|]", apollo_departments):
            department = rules.department_apollo.get(title_text(part))
            if department:
                break
    if department is None and text:
        department = rules.department_default
    persona = rules.persona_by_seniority.get(seniority, rules.persona_default) if seniority else rules.persona_default
    for override in rules.persona_overrides:
        if (
            (override.seniority is None or override.seniority == seniority)
            and (override.department is None or override.department == department)
            and (override.title is None or override.title.search(text))
        ):
            persona = override.persona
            break
    return TitleInfo(seniority, department, persona)
