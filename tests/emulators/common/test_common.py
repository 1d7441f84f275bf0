"""Shared emulator parts: the injectable clock, seeded ids, faults settings and JSON responses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadflow_emulators.common.clock import Clock, iso
from leadflow_emulators.common.faults import Faults
from leadflow_emulators.common.ids import IdGenerator
from leadflow_emulators.common.jsonresp import empty_response, json_response, parse_json_body


def test_frozen_clock_moves_only_when_advanced() -> None:
    clock = Clock(start=datetime(2026, 1, 1, tzinfo=UTC), frozen=True)
    assert clock.now() == clock.now()
    clock.advance(90)
    assert iso(clock.now()) == "2026-01-01T00:01:30+00:00"
    assert clock.timestamp() == datetime(2026, 1, 1, 0, 1, 30, tzinfo=UTC).timestamp()


def test_running_clock_follows_wall_time_plus_offset() -> None:
    clock = Clock()
    before = clock.now()
    clock.advance(3600)
    assert (clock.now() - before).total_seconds() >= 3600


def test_ids_are_seeded_increasing_19_digit_strings() -> None:
    first, second = IdGenerator(seed=5), IdGenerator(seed=5)
    ids = [first.next_id() for _ in range(3)]
    assert ids == [second.next_id() for _ in range(3)]
    assert all(len(value) == 19 and value.isdigit() for value in ids)
    assert ids == sorted(ids)
    assert IdGenerator(seed=6).next_id() != ids[0]
    first.bump_past("5725767999999999990")
    assert first.next_id() == "5725767999999999991"
    assert first.token(8) != first.token(8)


def test_faults_refuse_unknown_settings_and_count_down() -> None:
    faults = Faults(seed=1)
    with pytest.raises(ValueError, match="unknown fault settings"):
        faults.configure({"explode": True})
    faults.configure({"burst_429": 1, "drop_after_commit": 1})
    assert faults.take_429() is True
    assert faults.take_429() is False
    assert faults.take_drop("GET") is False  # only writes are dropped by default
    assert faults.take_drop("POST") is True
    assert faults.snapshot()["dropped"] == 1
    faults.clear()
    assert faults.snapshot()["throttled"] == 0


def test_json_helpers() -> None:
    response = json_response({"é": 1}, status=201)
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    assert response.body == '{"é":1}'.encode()
    assert empty_response().body == b""
    assert parse_json_body(b"  ") is None
    assert parse_json_body(b'{"data": []}') == {"data": []}
    with pytest.raises(ValueError, match="Expecting property name"):
        parse_json_body(b"{nope")
