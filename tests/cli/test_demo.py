from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROPOSAL_SENT = "5b1c0f6e-0a7e-4f43-9d1e-000000000003"  # the demo pipeline's stage mapped to Proposal/Price Quote


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    env["PYTHONPATH"] = str(REPO / "src")
    env["COLUMNS"] = "200"
    return env


def _demo(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leadflow", "demo", "--workdir", "demo", *args],
        cwd=tmp_path,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_demo_runs_end_to_end_then_finds_nothing_to_change(tmp_path: Path) -> None:
    # The default size (1,000 people): the sample data that once made the second run update a Contact.
    first = _demo(tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Zoho Leads created" in first.stdout
    assert "people matched to Zoho records" in first.stdout
    assert "a naive one-call-per-record sync" in first.stdout
    assert (tmp_path / "demo" / "leadflow.db").exists()
    # numbers carry thousands separators; golden people and credits are explained once
    assert re.search(r"scored / suppressed\W+\d{1,3},\d{3} / \d", first.stdout), first.stdout
    assert first.stdout.count("golden people: one record per real person") == 1
    assert first.stdout.count("credits: Zoho's API allowance") == 1
    assert (tmp_path / "demo" / "zoho.db").exists()
    assert (tmp_path / "demo" / "ghl.db").exists()
    # it ends with the HTML report (self-contained: no script, nothing fetched) and the funnel on the terminal
    report = (tmp_path / "demo" / "report.html").read_text(encoding="utf-8")
    assert 'data-report="funnel"' in report
    assert "<script" not in report
    assert f"HTML report (opens offline): {(tmp_path / 'demo' / 'report.html').resolve()}" in first.stdout
    assert re.search(r"Unique people\W+[\d,]+\W+", first.stdout), first.stdout
    assert re.search(r"GHL contacts created\W+\d", first.stdout), first.stdout
    assert re.search(r"GHL now holds\W+[\d,]+ contacts, [1-9]\d* enrolled", first.stdout), first.stdout
    with sqlite3.connect(tmp_path / "demo" / "leadflow.db") as db:
        states = dict(
            db.execute("select state, count(*) from sync_outbox where target = 'zoho' group by state").fetchall()
        )
        ghl_states = dict(
            db.execute("select state, count(*) from sync_outbox where target = 'ghl' group by state").fetchall()
        )
        people = db.execute("select count(*) from golden_people").fetchone()[0]
        synced = db.execute("select count(*) from sync_records where kind = 'person' and target = 'zoho'").fetchone()[0]
        in_ghl = db.execute("select count(*) from sync_records where kind = 'person' and target = 'ghl'").fetchone()[0]
        outbox_after_first = db.execute("select count(*) from sync_outbox").fetchone()[0]
    assert set(states) <= {"confirmed", "superseded"}
    assert synced == people
    # people with neither an e-mail nor a phone cannot be GHL contacts: planned as invalid, never sent
    assert set(ghl_states) <= {"confirmed", "superseded", "invalid"}
    assert in_ghl == people - ghl_states.get("invalid", 0)
    week = _the_week_came_back(tmp_path / "demo", first.stdout)
    # The very next run ingests nothing new, plans no operation, makes no call to Zoho, and says so.
    second = _demo(tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert re.search(r"new / already ingested before\W+0 / ", second.stdout)
    assert re.search(r"API calls / credits for the sync\W+0 / 0", second.stdout)
    assert re.search(r"GHL requests for the sync\W+0 ", second.stdout)
    assert not re.search(r"Zoho (Leads|Contacts|Accounts) (created|updated|tags)", second.stdout)
    assert "nothing changed since the last run" in second.stdout
    with sqlite3.connect(tmp_path / "demo" / "leadflow.db") as db:
        assert db.execute("select count(*) from sync_outbox").fetchone()[0] == outbox_after_first
    # the same week again: the emulator absorbs every step (same keys), nothing new is stored or written
    assert re.search(r"engagement simulated on GoHighLevel\W+none new", second.stdout), second.stdout
    assert "the week had already come back: nothing new simulated, no delivery to process, no record written" in (
        second.stdout
    )
    assert re.search(r"Zoho Notes / Tasks / Calls / Events written\W+0 / 0 / 0 / 0", second.stdout)
    assert _week_state(tmp_path / "demo") == week
    # the closing hints work as printed, pasted into a shell in the same folder
    hint = re.search(
        r"\(e\.g\. (LEADFLOW_DATABASE_URL=\S+ .+ runs list), or (LEADFLOW_DATABASE_URL=\S+ .+ track status)\)",
        second.stdout,
    )
    assert hint is not None, second.stdout
    for command, expected in ((hint.group(1), "succeeded"), (hint.group(2), "backlog      0 deliveries waiting")):
        listed = subprocess.run(
            ["bash", "-c", command], cwd=tmp_path, env=_environment(), capture_output=True, text=True, timeout=120
        )
        assert listed.returncode == 0, command + listed.stderr
        assert expected in listed.stdout, listed.stdout


def test_fresh_never_deletes_files_the_demo_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    result = subprocess.run(
        [sys.executable, "-m", "leadflow", "demo", "--workdir", ".", "--fresh"],
        cwd=tmp_path,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "--fresh would delete ., which holds files the demo did not write (precious.txt)" in result.stderr
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_a_workdir_that_is_a_file_is_one_line_exit_2(tmp_path: Path) -> None:
    (tmp_path / "demo").write_text("")
    result = _demo(tmp_path)
    assert result.returncode == 2
    assert [line for line in result.stderr.splitlines() if line.strip()] == [
        "error: --workdir demo is a file, not a folder"
    ]


@dataclass
class WeekState:
    """What the week left in leadflow's store and in both emulators' files."""

    events: dict[str, int]
    deliveries: dict[str, int]
    actions: dict[str, int]  # "kind state" -> how many
    snippets: list[str]
    suppressed: int
    zoho: dict[str, int]
    notes: list[str]
    stages: dict[str, int]
    opted_out: int
    dnd: int
    rep_moved_stage: str  # the GHL stage of the opportunity linked to the Deal "a sales rep" moved in Zoho


def _week_state(demo: Path) -> WeekState:
    def counts(db: sqlite3.Connection, query: str) -> dict[str, int]:
        return {str(key): int(n) for key, n in db.execute(query).fetchall()}

    with sqlite3.connect(demo / "leadflow.db") as db:
        events = counts(db, "select event_type, count(*) from engagement_events group by event_type")
        deliveries = counts(db, "select state, count(*) from webhook_deliveries group by state")
        actions = counts(db, "select kind || ' ' || state, count(*) from tracking_actions group by 1")
        replies = db.execute("select payload from engagement_events where event_type = 'email_replied'").fetchall()
        suppressed = db.execute("select count(*) from scores where suppressed").fetchone()[0]
        [rep_moved] = db.execute(
            "select ghl_opportunity_id from deal_links where zoho_deal_id ="
            " (select json_extract(value, '$') from kv where key = 'demo.rep_moved_deal')"
        ).fetchone()
    with sqlite3.connect(demo / "zoho.db") as db:
        zoho = counts(db, "select module, count(*) from records where deleted is null group by module")
        notes = [row[0] for row in db.execute("select data from records where module = 'Notes' and deleted is null")]
        stages = counts(
            db, "select json_extract(data, '$.Stage'), count(*) from records where module = 'Deals' group by 1"
        )
        opted_out = db.execute(
            "select count(*) from records where module in ('Leads', 'Contacts') and deleted is null"
            " and json_extract(data, '$.Email_Opt_Out') = 1"
        ).fetchone()[0]
    with sqlite3.connect(demo / "ghl.db") as db:
        [rep_moved_stage] = db.execute(
            "select json_extract(data, '$.pipelineStageId') from documents where kind = 'opportunity' and id = ?",
            (rep_moved,),
        ).fetchone()
        dnd = db.execute(
            "select count(*) from documents where kind = 'contact'"
            " and json_extract(data, '$.dndSettings.Email.status') = 'active'"
        ).fetchone()[0]
    snippets = [json.loads(payload)["snippet"] for (payload,) in replies]
    return WeekState(
        events, deliveries, actions, snippets, suppressed, zoho, notes, stages, opted_out, dnd, rep_moved_stage
    )


def _the_week_came_back(demo: Path, stdout: str) -> WeekState:
    """The first run's week: realistic rates, every delivery and action done once, its effects in Zoho and GHL."""
    state = _week_state(demo)
    events, zoho, actions = state.events, state.zoho, state.actions
    sent = events["email_sent"]
    assert sent > 500
    assert 0.3 < events["email_opened"] / sent < 0.5
    assert 0.04 < events["email_clicked"] / sent < 0.12
    assert 0.01 < events["email_replied"] / sent < 0.06
    assert events.get("email_bounced_hard", 0) + events.get("email_bounced_soft", 0) > 0
    assert events["unsubscribed"] == 1
    assert events["meeting_booked"] > 0
    calls = events.get("call_connected", 0) + events.get("call_missed", 0)
    assert calls > 0
    assert events["deal_stage_changed"] > 0
    # every delivery processed (none waiting or failed), every action performed or knowingly skipped
    assert set(state.deliveries) <= {"processed", "ignored", "parked"}, state.deliveries
    assert not [key for key in actions if key.endswith((" pending", " in_flight", " failed"))], actions
    # in Zoho (the emulator's own state): one Note and one Task per reply, with its snippet; a Call per call,
    # an Event per booking, conversions with their Deals, a Deal moved by a GHL stage move, opt-outs
    replies = events["email_replied"]
    assert zoho["Notes"] == replies
    assert zoho["Tasks"] == replies
    assert zoho["Calls"] == calls
    assert zoho["Events"] == events["meeting_booked"]
    notes = " ".join(state.notes)
    assert all(snippet in notes for snippet in state.snippets)
    assert actions["convert done"] == zoho["Deals"] > 0
    assert actions["ghl_opportunity done"] == zoho["Deals"]
    assert actions.get("zoho_deal_stage done", 0) > 0
    assert set(state.stages) - {"Qualification"}, state.stages
    # and the other way: the Deal "a sales rep" moved in Zoho moved its GHL opportunity, once
    assert actions["ghl_opportunity_stage done"] == 1
    assert state.rep_moved_stage == PROPOSAL_SENT
    # suppression: each hard bounce or unsubscribe is an opt-out in Zoho and Email DND in GHL
    suppressing = events.get("email_bounced_hard", 0) + events["unsubscribed"]
    assert state.suppressed == state.opted_out == state.dnd == suppressing
    # the summary says what came back
    assert re.search(r"engagement simulated on GoHighLevel \(7 days to .+\)\W+[\d,]+ \([\d,]+ send", stdout), stdout
    assert re.search(rf"Zoho Notes / Tasks / Calls / Events written\W+{replies} / {replies} / ", stdout)
    assert re.search(r"Leads converted \(Contact \+ Account \+ Deal\)\W+[1-9]", stdout)
    assert re.search(r"Deals moved \(GHL opportunity stage -> Zoho Deal Stage\)\W+[1-9]", stdout)
    assert re.search(r"GHL opportunities moved \(Zoho Deal Stage -> GHL stage\)\W+1 \(a sales rep moved Deal", stdout)
    assert re.search(r"people whose score changed\W+[1-9]", stdout)
    assert re.search(r" -> [A-D][1-4] \(engagement", stdout)
    assert re.search(rf"people newly suppressed \(hard bounce, unsubscribe\)\W+{suppressing}; ", stdout)
    return state
