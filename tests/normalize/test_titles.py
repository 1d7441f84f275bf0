from __future__ import annotations

import pytest

from leadflow.normalize.titles import TitleInfo, classify_title, default_rules


@pytest.mark.parametrize(
    ("title", "seniority", "department", "persona"),
    [
        ("CEO", "c_suite", "executive", "economic_buyer"),
        ("Chief Financial Officer", "c_suite", "finance", "economic_buyer"),
        ("Co-Founder & CTO", "founder", "engineering", "economic_buyer"),
        ("Owner", "owner", "executive", "economic_buyer"),
        ("Product Owner", "entry", "product", "user"),
        ("Managing Partner", "partner", "other", "economic_buyer"),
        ("Partner Manager", "manager", "other", "champion"),
        ("SVP, Global Sales", "vp", "sales", "decision_maker"),
        ("Vice President of Finance", "vp", "finance", "economic_buyer"),
        ("Head of Growth", "head", "marketing", "decision_maker"),
        ("Director of Engineering", "director", "engineering", "decision_maker"),
        ("Senior Account Executive", "senior", "sales", "champion"),
        ("Marketing Manager", "manager", "marketing", "champion"),
        ("Software Engineer", "entry", "engineering", "user"),
        ("Marketing Intern", "intern", "marketing", "user"),
        ("Chief of Staff", "c_suite", "other", "decision_maker"),
        ("Directrice Générale", "c_suite", "other", "economic_buyer"),
        ("Geschäftsführer", "c_suite", "executive", "economic_buyer"),
        ("HR Business Partner", "entry", "hr", "user"),
    ],
)
def test_classify_title(title: str, seniority: str, department: str, persona: str) -> None:
    assert classify_title(title) == TitleInfo(seniority, department, persona)


def test_apollo_labels_fill_in_when_the_title_is_empty() -> None:
    assert classify_title(None, "C suite", "master_sales") == TitleInfo("c_suite", "sales", "economic_buyer")
    assert classify_title("", "Vp", "C-Suite, Sales") == TitleInfo("vp", "executive", "decision_maker")


def test_every_rule_value_is_in_the_vocabulary() -> None:
    rules = default_rules()
    assert {v for v, _ in rules.seniority} <= set(rules.vocabulary["seniority"])
    assert set(rules.seniority_apollo.values()) <= set(rules.vocabulary["seniority"])
    assert set(rules.department_apollo.values()) <= set(rules.vocabulary["department"])
    assert set(rules.persona_by_seniority) == set(rules.vocabulary["seniority"])
