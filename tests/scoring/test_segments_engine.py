from __future__ import annotations

import json

import pyarrow as pa

from leadflow.config import SegmentSpec, SegmentsSettings
from leadflow.segments import APPLIED_SCHEMA, assign_segments, compile_segments

SEGMENTS = SegmentsSettings(
    tag_prefix="lf-",
    segment=[
        SegmentSpec(
            name="hot",
            rule="fit >= 70",
            zoho_tags=["hot", "lf-sales"],
            ghl_tags=["hot"],
            custom_field="Lead_Segment",
            custom_value="Hot",
        ),
        SegmentSpec(
            name="warm", rule="fit >= 40", zoho_tags=["warm"], custom_field="Lead_Segment", custom_value="Warm"
        ),
        SegmentSpec(name="dach", rule='country in ["DACH"]', ghl_tags=["dach"]),
        SegmentSpec(name="blocked", rule="suppressed", zoho_tags=["blocked"], outreach=False),
    ],
)
RECORDS = pa.table(
    {
        "golden_person_id": ["gp_1", "gp_2", "gp_3", "gp_4"],
        "fit": [80.0, 50.0, None, 90.0],
        "country": ["AT", "US", "ch", "DE"],
        "suppressed": [False, False, False, True],
    }
)


def run(applied: list[dict[str, object]] | None = None) -> dict[str, dict[str, object]]:
    compiled = compile_segments(SEGMENTS, regions={"DACH": ["DE", "AT", "CH"]})
    table = pa.Table.from_pylist(applied, schema=APPLIED_SCHEMA) if applied is not None else None
    return {row["golden_person_id"]: row for row in assign_segments(RECORDS, compiled, table).to_pylist()}


def test_members_get_prefixed_tags_per_target() -> None:
    out = run()
    assert out["gp_1"]["segments"] == ["hot", "warm", "dach"]
    assert out["gp_1"]["zoho_desired"] == ["lf-hot", "lf-sales", "lf-warm"]
    assert out["gp_1"]["ghl_desired"] == ["lf-dach", "lf-hot"]
    assert out["gp_3"]["segments"] == ["dach"]  # unscored fit is in no fit segment, region still matches


def test_suppressed_records_only_get_non_outreach_segments() -> None:
    out = run()
    assert out["gp_4"]["segments"] == ["blocked"]
    assert out["gp_4"]["zoho_desired"] == ["lf-blocked"]


def test_the_first_segment_in_order_sets_a_custom_field() -> None:
    out = run()
    assert json.loads(out["gp_1"]["custom_fields"]) == {"Lead_Segment": "Hot"}
    assert json.loads(out["gp_2"]["custom_fields"]) == {"Lead_Segment": "Warm"}
    assert json.loads(out["gp_3"]["custom_fields"]) == {"Lead_Segment": None}  # cleared when in none


def test_diff_adds_missing_owned_tags_and_removes_only_owned_ones() -> None:
    out = run(
        [
            {"golden_person_id": "gp_1", "target": "zoho", "applied": ["lf-hot", "lf-cold", "VIP", "hot"]},
            {"golden_person_id": "gp_2", "target": "ghl", "applied": ["lf-hot"]},
        ]
    )
    assert out["gp_1"]["zoho_add"] == ["lf-sales", "lf-warm"]
    assert out["gp_1"]["zoho_remove"] == ["lf-cold"]  # "VIP" and "hot" were added by hand: never touched
    assert out["gp_2"]["ghl_remove"] == ["lf-hot"]
    assert out["gp_2"]["ghl_add"] == []
    assert out["gp_3"]["ghl_add"] == ["lf-dach"]
