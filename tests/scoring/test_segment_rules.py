from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from leadflow.config import SegmentSpec, SegmentsSettings, load_settings
from leadflow.errors import ConfigError
from leadflow.pipeline.score import compile_configured_segments
from leadflow.segments import RuleError, assign_segments, compile_rule, compile_segments, parse_rule
from leadflow.segments.rules import SqlParams


@pytest.mark.parametrize(
    ("rule", "line", "column", "message"),
    [
        ("fit >= ", 1, 8, "ends too early"),
        ("fit >= 70 and", 1, 14, "ends too early"),
        ('fit >= 70 and\n  country in ["DE" "FR"]', 2, 20, "expected"),
        ("fit >= 70 )", 1, 11, "unexpected ')'"),
        ("fit >= 70 & engagement > 3", 1, 11, "unexpected character '&'"),
        ("fitt >= 70", 1, 1, "unknown field 'fitt' (did you mean 'fit'?)"),
        ('fit >= "high"', 1, 8, '"high" is text, but the field holds number'),
        ('country >= "DE"', 1, 9, "only == and != compare it"),
        ("fit", 1, 1, "compare it"),
        ('technologies == "x"', 1, 1, "is a list"),
        ("engagement > 3 and\n\n   zzz is null", 3, 4, "unknown field 'zzz'"),
    ],
)
def test_rule_errors_point_at_line_and_column(rule: str, line: int, column: int, message: str) -> None:
    with pytest.raises(RuleError) as info:
        compile_rule(rule, SqlParams({}))
    assert (info.value.line, info.value.column) == (line, column)
    assert message in info.value.message


def test_the_issue_example_compiles_with_parameters_and_quoted_fields() -> None:
    params = SqlParams({})
    compiled = compile_rule(
        'fit >= 70 and persona in ["economic buyer", "champion"] and country in ["DE", "FR"]', params
    )
    assert '"fit"' in compiled.sql
    assert '"persona"' in compiled.sql
    assert "economic buyer" not in compiled.sql
    assert list(params.values.values()) == [70.0, "economic buyer", "champion", "de", "fr"]
    assert compiled.fields == {"fit", "persona", "country"}


def test_keywords_are_case_insensitive_and_names_that_start_with_keywords_are_fields() -> None:
    assert str(parse_rule("NOT suppressed AND fit >= 1 OR priority").data) == "start"
    with pytest.raises(RuleError, match="unknown field 'android'"):
        compile_rule("android", SqlParams({}))


def test_hostile_text_is_only_ever_a_value() -> None:
    records = pa.table({"golden_person_id": ["gp_1", "gp_2"], "title": ["x' OR 1=1 --", "CEO"]})
    spec = SegmentSpec(name="odd", rule='title == "x\' OR 1=1 --"', zoho_tags=["odd"])
    out = assign_segments(records, compile_segments(SegmentsSettings(segment=[spec])))
    assert out.column("segments").to_pylist() == [["odd"], []]


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "leadflow.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_config_errors_name_the_file_line_and_column(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """[segments]
tag_prefix = "lf-"

[[segments.segment]]
name = "good"
rule = "fit >= 70"

[[segments.segment]]
name = "bad"
zoho_tags = ["bad"]
rule = 'fit >= 70 and contry in ["DE"]'
""",
    )
    settings = load_settings(path)
    with pytest.raises(ConfigError) as info:
        compile_configured_segments(settings, path)
    message = str(info.value)
    assert message.startswith(f"{path}:11:23: segment 'bad': unknown field 'contry' (did you mean 'country'?)")
    assert "^" in message


def test_multi_line_rules_map_to_the_right_file_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '''[[segments.segment]]
name = "multi"
rule = """
fit >= 70
  and engagement >> 3
"""
''',
    )
    with pytest.raises(ConfigError, match=r"leadflow.toml:5:19: segment 'multi': unexpected"):
        compile_configured_segments(load_settings(path), path)


def test_without_a_file_the_error_points_into_the_rule() -> None:
    settings = SegmentsSettings(segment=[SegmentSpec(name="x", rule="fit >=")])
    with pytest.raises(ConfigError, match="rule line 1, column 7: segment 'x': the rule ends too early"):
        compile_segments(settings)


def test_duplicate_segment_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        SegmentsSettings(segment=[SegmentSpec(name="a", rule="fit > 1"), SegmentSpec(name="a", rule="fit > 2")])


def test_the_default_config_rules_all_compile() -> None:
    settings = load_settings("/nonexistent/leadflow.toml")
    compiled = compile_configured_segments(settings)
    assert [segment.spec.name for segment in compiled.segments] == [
        "hot",
        "nurture",
        "champions-dach",
        "do-not-contact",
    ]
