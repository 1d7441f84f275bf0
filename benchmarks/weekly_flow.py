"""The weekly flow against a seeded Zoho: do files arriving one at a time end where one run over all of them ends?

Generates Apollo 2024/2025 and Sales Navigator exports with ground truth (``--level hard``: the messy generator)
and a Zoho seed of Leads and Contacts, some of them the same people as in the files; seeds the Zoho emulator
(its own process) and runs ingest → mirror → resolve --against-crm → score → sync either once over every file
(``one-shot``) or once per file, three "weeks" (``weekly``). Then it reads Zoho's live Leads and Contacts and
counts, against the generator's truth:

- ``records_holding_two_people``: Zoho records whose data came from two different people (the people behind a
  record are the seeded record's own person plus the people of every row of each golden person that was synced
  to it, or linked to it by resolve, in any week);
- ``people_split``: people held by two or more live Zoho records (a Lead and a Contact count as two);
- ``emails_held_twice``: e-mail addresses carried by two or more live Leads/Contacts;
- ``leadflow_ids_held_twice``: ``Leadflow_ID`` values carried by two or more live Leads/Contacts.

``offenders`` lists each such record or person with its ground truth. Run:

    PYTHONPATH=src python -m benchmarks.weekly_flow --people 300 --seed 11 [--level hard] [--mode both]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from leadflow import pipeline
from leadflow.config import Settings
from leadflow.log import configure_logging
from leadflow.pipeline.emulator import EmulatorProcess
from leadflow.resolve.jaro_winkler import jaro_winkler_similarity
from leadflow.runtime import open_store
from leadflow.sampledata import GeneratorConfig, generate
from leadflow.sampledata.generator import APOLLO_2024_FILE, APOLLO_2025_FILE, SALESNAV_FILE, SampleData, hard_config
from leadflow.zoho.client import ZohoClient

EXPORTS = (APOLLO_2024_FILE, APOLLO_2025_FILE, SALESNAV_FILE)
PERSON_MODULES = ("Leads", "Contacts")
RecordRef = tuple[str, str]  # (module, Zoho id)


@dataclass
class FlowOutcome:
    """What the CRM holds after a flow, judged against the generator's truth."""

    mode: str
    records: dict[str, int]
    records_holding_two_people: int
    people_split: int
    emails_held_twice: int
    leadflow_ids_held_twice: int
    seconds: float
    people_split_within_one_golden: int = 0  # the golden person holds both records: a Zoho merge is pending
    # people resolve left in two golden people although rows of each share an e-mail, LinkedIn, Sales Navigator
    # or Apollo id, or a phone that rows with clearly different last names do not also carry (the rest share only
    # a name: job changers with a stale row, left apart on purpose and listed for review)
    people_split_sharing_a_key: int = 0
    # the other people split: the records' golden people (or unmatched CRM records) joined by pairs waiting in the
    # review queue (`leadflow review list`), or not (unseen: nobody is asked); those sharing a key are among them
    people_split_in_review: int = 0
    people_split_unseen: int = 0
    leads_converted: int = 0  # Leads leadflow wrote, converted into the Contact their person was matched to
    review: ReviewWork | None = None  # with ``review``: what the simulated reviewer read and decided
    # people seeded with a Contact who hold no live Contact at the end (a Contact merged into a Lead, or lost)
    contacts_lost: int = 0
    offenders: list[dict[str, Any]] = field(default_factory=list)
    partition: dict[str, str] = field(default_factory=dict)  # row or seeded record -> golden id, at the end

    def counts(self) -> tuple[int, int, int, int]:
        return (
            self.records_holding_two_people,
            self.people_split,
            self.emails_held_twice,
            self.leadflow_ids_held_twice,
        )


def sample(people: int, seed: int, level: str) -> SampleData:
    """The exports, their truth and the Zoho seed: many CRM people and job changes, the weekly flow's hard case."""
    if level == "hard":
        return generate(hard_config(people, seed))
    return generate(GeneratorConfig(people=people, seed=seed, p_crm=0.4, job_change_rate=0.2))


def run_flow(
    data: SampleData,
    folder: Path,
    *,
    mode: str,
    configure: Callable[[Settings], Settings] | None = None,
    between_weeks: Callable[[Settings, sa.Engine], None] | None = None,
    review: str | None = None,
) -> FlowOutcome:
    """Seed a fresh emulator with ``data.crm_seed`` and run the flow (``one-shot`` or ``weekly``) in ``folder``.

    ``review`` (``listed``: the pairs `leadflow review list` shows; ``all``: with ``--all``, the weak ones too):
    then a reviewer works the queue (:func:`work_review_queue`) and the pipeline runs once more with no new file,
    as many rounds as the queue has pairs to read (at most :data:`REVIEW_ROUNDS`)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = data.write(folder / "samples")
    started = time.perf_counter()
    with EmulatorProcess(folder / "zoho.db") as emulator:
        seed = "\n".join(json.dumps(item) for item in data.crm_seed)
        emulator.http.post("/_emulator/seed", content=seed).raise_for_status()
        settings = emulator.settings_for(Settings(), database_url=f"sqlite:///{folder / 'lf.db'}")
        if configure is not None:
            settings = configure(settings)
        engine = open_store(settings)
        weeks = [[files[name] for name in EXPORTS]] if mode == "one-shot" else [[files[name]] for name in EXPORTS]
        held: dict[RecordRef, set[str]] = defaultdict(set)
        try:
            for week, paths in enumerate(weeks):
                if week and between_weeks is not None:
                    between_weeks(settings, engine)
                pipeline.run(settings, engine, files=paths)
                for ref, people in people_behind_records(engine, data).items():
                    held[ref] |= people
            work = ReviewWork(listing=review) if review else None
            before_review = _zoho_changes(engine)
            while work is not None and work.rounds < REVIEW_ROUNDS:
                if not work_review_queue(str(settings.database_url), truth_of_rids(engine, data), work):
                    break
                pipeline.run(settings, engine)
                for ref, people in people_behind_records(engine, data).items():
                    held[ref] |= people
            if work is not None:
                _check_decisions_held(engine, work)
                _count_zoho_changes(engine, before_review, work)
            with ZohoClient.from_settings(settings, engine) as zoho:
                live = live_people_records(zoho)
            partition = golden_partition(engine)
            goldens_of = goldens_of_records(engine)
            keys = identity_keys(engine)
            queued = review_links(engine)
            with engine.connect() as connection:
                converted = connection.execute(
                    sa.text("select count(*) from lead_conversions where state = 'done'")
                ).scalar_one()
        finally:
            engine.dispose()
    outcome = judge(mode, data, live, held, time.perf_counter() - started, goldens_of)
    outcome.people_split_sharing_a_key = _split_sharing_a_key(data, outcome, keys)
    _count_split_in_review(outcome, queued)
    outcome.leads_converted = int(converted)
    outcome.review = work
    seeded = {f"crm:{module}:{crm_id}" for module, crm_id in data.crm_truth}
    # records leadflow created are not in the one-shot run's CRM: compare rows and the seeded records only
    outcome.partition = {
        key: golden for key, golden in partition.items() if not key.startswith("crm:") or key in seeded
    }
    return outcome


REVIEW_ROUNDS = 3


@dataclass
class ReviewWork:
    """What the simulated reviewer did: rounds of (list, decide, run the pipeline), pairs read and decided."""

    listing: str = "listed"  # listed: what `leadflow review list` shows; all: `--all`, the weak pairs too
    rounds: int = 0
    read: int = 0
    accepted: int = 0
    rejected: int = 0
    left_unread: int = 0  # weak pairs the default listing leaves out (listing "listed"), at the end
    one_person_left_unread: int = 0  # of them, pairs truly one person
    accepted_apart: int = 0  # at the end: accepted pairs whose rows are in two golden people (must be 0)
    rejected_together: int = 0  # rejected pairs whose rows are in one golden person (must be 0)
    # what the runs after the review did in Zoho: "<module> <action> <state>" -> merges (record_merges), and
    # Leads converted into the Contact their person was matched to (lead_conversions)
    zoho_merges: dict[str, int] = field(default_factory=dict)
    leads_converted: int = 0


def work_review_queue(database_url: str, truth: dict[str, str], work: ReviewWork) -> bool:
    """Work the queue as a user does, through the CLI: ``leadflow review list --json`` (rank order; ``--all``
    with listing "all"), then ``review accept`` the pairs that are one person and ``review reject`` the others,
    deciding each pair by the generator's truth. Returns whether there was anything to decide."""
    every = _review_list(database_url, "--all")
    unknown = [p for p in every if p["rid_l"] not in truth or p["rid_r"] not in truth]
    if unknown:
        raise RuntimeError(f"review pairs naming rows without a known person: {unknown[:5]}")
    pairs = every if work.listing == "all" else _review_list(database_url)
    listed = {p["id"] for p in pairs}
    unread = [p for p in every if p["id"] not in listed]
    work.left_unread = len(unread)
    work.one_person_left_unread = sum(truth[p["rid_l"]] == truth[p["rid_r"]] for p in unread)
    if not pairs:
        return False
    one_person = [str(p["id"]) for p in pairs if truth[p["rid_l"]] == truth[p["rid_r"]]]
    two_people = [str(p["id"]) for p in pairs if truth[p["rid_l"]] != truth[p["rid_r"]]]
    if one_person:
        _leadflow_cli(database_url, "review", "accept", *one_person)
    if two_people:
        _leadflow_cli(database_url, "review", "reject", *two_people)
    work.rounds += 1
    work.read += len(pairs)
    work.accepted += len(one_person)
    work.rejected += len(two_people)
    return True


def _check_decisions_held(engine: sa.Engine, work: ReviewWork) -> None:
    """Count the decisions the last resolve did not honour: accepted pairs apart, rejected pairs together."""
    with engine.connect() as connection:
        decided = connection.execute(sa.text("select rid_l, rid_r, decision from review_decisions")).all()
    golden_of = {rid: golden for golden, rids in review_links(engine).rids_of_golden.items() for rid in rids}
    for rid_l, rid_r, decision in decided:
        together = golden_of.get(rid_l) is not None and golden_of.get(rid_l) == golden_of.get(rid_r)
        work.accepted_apart += decision == "accept" and not together
        work.rejected_together += decision == "reject" and together


def _zoho_changes(engine: sa.Engine) -> tuple[int, int]:
    """The last record merge id and the number of Lead conversions done, to count what later runs add."""
    with engine.connect() as connection:
        merges = connection.execute(sa.text("select coalesce(max(id), 0) from record_merges")).scalar_one()
        converted = connection.execute(
            sa.text("select count(*) from lead_conversions where state = 'done'")
        ).scalar_one()
    return int(merges), int(converted)


def _count_zoho_changes(engine: sa.Engine, before: tuple[int, int], work: ReviewWork) -> None:
    with engine.connect() as connection:
        merges = connection.execute(
            sa.text(
                "select module, action, state, count(*) from record_merges where target = 'zoho' and id > :last"
                " group by module, action, state"
            ),
            {"last": before[0]},
        ).all()
    work.zoho_merges = {f"{module} {action} {state}": int(count) for module, action, state, count in merges}
    work.leads_converted = _zoho_changes(engine)[1] - before[1]


def _review_list(database_url: str, *options: str) -> list[dict[str, Any]]:
    listed = _leadflow_cli(database_url, "review", "list", "--json", "--limit", "1000000", *options)
    return [json.loads(line) for line in listed.splitlines() if line.strip()]


def _leadflow_cli(database_url: str, *args: str) -> str:
    """Run a ``leadflow`` command in-process on the store at ``database_url``; its output, or a loud failure."""
    from typer.testing import CliRunner

    from leadflow.cli.app import app

    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "leadflow.toml"
        config.write_text("", encoding="utf-8")
        environment = {"LEADFLOW_DATABASE_URL": database_url, "LEADFLOW_CONFIG": str(config), "COLUMNS": "250"}
        result = CliRunner().invoke(app, list(args), env=environment)
    if result.exit_code != 0:
        raise RuntimeError(f"leadflow {' '.join(args[:3])} failed ({result.exit_code}): {result.output[-2000:]}")
    return result.stdout


def truth_of_rids(engine: sa.Engine, data: SampleData) -> dict[str, str]:
    """The generator's person behind each resolver rid: ``p:<source_record_id>`` and each seeded record."""
    person_of_row = {(file, row): person for file, row, person in data.truth}
    with engine.connect() as connection:
        rows = connection.execute(sa.text("select source_record_id, file_name, row_number from prospects")).all()
    truth = {f"p:{srid}": person_of_row[(file_name, number)] for srid, file_name, number in rows}
    truth.update({f"crm:{module}:{crm_id}": person for (module, crm_id), person in data.crm_truth.items()})
    return truth


KEY_COLUMNS = ("email", "linkedin_slug", "phone_e164", "salesnav_id", "apollo_contact_id")


def identity_keys(engine: sa.Engine) -> dict[str, tuple[str, set[str]]]:
    """``file:row`` of every clustered row and ``crm:module:id`` of every matched CRM record -> (its golden id,
    its identity key values). A value rows with clearly different last names carry (a switchboard, a shared
    inbox) is evidence of no one and left out."""
    found: dict[str, tuple[str, set[str]]] = {}
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "select p.file_name || ':' || p.row_number, m.golden_person_id, p.last_name_key, "
                + ", ".join(f"p.{c}" for c in KEY_COLUMNS)
                + " from cluster_members m join prospects p on p.source_record_id = m.source_record_id"
                " union all select 'crm:' || m.crm_module || ':' || m.crm_id, m.golden_person_id,"
                " lower(r.last_name), r.email, r.linkedin_slug, r.phone_e164, null, null from crm_cluster_members m"
                " join crm_records r on r.module = m.crm_module and r.crm_id = m.crm_id"
            )
        ).all()
    last_names: dict[str, set[str]] = defaultdict(set)
    for key, golden, last_name, *values in rows:
        held = {f"{c}={str(v).lower()}" for c, v in zip(KEY_COLUMNS, values, strict=True) if v}
        found[str(key)] = (str(golden), held)
        for value in held:
            if last_name:
                last_names[value].add(str(last_name))
    shared = {value for value, names in last_names.items() if not _one_name(names)}
    return {key: (golden, held - shared) for key, (golden, held) in found.items()}


def _one_name(last_names: set[str]) -> bool:
    """Whether these last names could all be one person's (equal, cut short or a typo: Jaro-Winkler >= 0.85)."""
    names = sorted(last_names)
    return all(
        a.startswith(b) or b.startswith(a) or (jaro_winkler_similarity(a, b) or 0.0) >= 0.85
        for i, a in enumerate(names)
        for b in names[i + 1 :]
    )


def _split_sharing_a_key(data: SampleData, outcome: FlowOutcome, keys: dict[str, tuple[str, set[str]]]) -> int:
    split = {o["person"] for o in outcome.offenders if o["problem"] == "person split"}
    truth = {f"{file}:{row}": person for file, row, person in data.truth}
    truth.update({f"crm:{module}:{crm_id}": person for (module, crm_id), person in data.crm_truth.items()})
    by_person: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for key, (golden, values) in keys.items():
        person = truth.get(key)
        if person in split:
            by_person[person][golden] |= values
    sharing = 0
    shared_of: dict[str, list[str]] = {}
    for person, goldens in by_person.items():
        groups = list(goldens.values())
        shared = {v for i in range(len(groups)) for j in range(i + 1, len(groups)) for v in groups[i] & groups[j]}
        sharing += bool(shared)
        shared_of[person] = sorted(shared)
    for offender in outcome.offenders:
        if offender["problem"] == "person split" and shared_of.get(offender["person"]):
            offender["shared_keys"] = shared_of[offender["person"]]
    return sharing


@dataclass
class ReviewLinks:
    """The review queue as the harness reads it: its pairs of rids, and the rids each golden person holds."""

    pairs: list[tuple[str, str]]
    rids_of_golden: dict[str, set[str]]


def review_links(engine: sa.Engine) -> ReviewLinks:
    """The pairs waiting in the review queue and the rows (rids, as the queue names them) of every golden person."""
    with engine.connect() as connection:
        pairs = connection.execute(sa.text("select rid_l, rid_r from review_pairs")).all()
        members = connection.execute(
            sa.text(
                "select golden_person_id, 'p:' || source_record_id from cluster_members"
                " union all select golden_person_id, 'crm:' || crm_module || ':' || crm_id from crm_cluster_members"
            )
        ).all()
    rids_of_golden: dict[str, set[str]] = defaultdict(set)
    for golden, rid in members:
        rids_of_golden[str(golden)].add(str(rid))
    return ReviewLinks([(str(a), str(b)) for a, b in pairs], dict(rids_of_golden))


def _count_split_in_review(outcome: FlowOutcome, queued: ReviewLinks) -> None:
    """Mark each person split over golden people of their own (not within one golden, sharing no key) as waiting
    in review when review pairs join all their records, unseen otherwise; count both."""
    for offender in outcome.offenders:
        if offender["problem"] != "person split" or offender.get("within_one_golden"):
            continue
        groups: list[set[str]] = []
        for (module, crm_id), goldens in zip(offender["records"], offender["goldens"], strict=True):
            rids = {f"crm:{module}:{crm_id}"}
            for golden in goldens:
                rids |= queued.rids_of_golden.get(golden, set())
            groups.append(rids)
        offender["in_review"] = _joined(groups, queued.pairs)
        if offender["in_review"]:
            outcome.people_split_in_review += 1
        else:
            outcome.people_split_unseen += 1


def _joined(groups: list[set[str]], pairs: list[tuple[str, str]]) -> bool:
    """Whether review pairs connect every group of rids to every other."""
    parent = list(range(len(groups)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    where: dict[str, list[int]] = defaultdict(list)
    for index, rids in enumerate(groups):
        for rid in rids:
            where[rid].append(index)
    for left, right in pairs:
        for i in where.get(left, []):
            for j in where.get(right, []):
                parent[root(i)] = root(j)
    return len({root(i) for i in range(len(groups))}) == 1


def golden_partition(engine: sa.Engine) -> dict[str, str]:
    """``file:row`` of every clustered row and ``crm:module:id`` of every matched CRM record -> its golden id."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "select p.file_name || ':' || p.row_number, m.golden_person_id from cluster_members m"
                " join prospects p on p.source_record_id = m.source_record_id"
                " union all select 'crm:' || crm_module || ':' || crm_id, golden_person_id from crm_cluster_members"
            )
        ).all()
    return {str(key): str(golden) for key, golden in rows}


def goldens_of_records(engine: sa.Engine) -> dict[RecordRef, set[str]]:
    """The golden people each Zoho person record is linked to now (resolve's match, the golden's crm id)."""
    with engine.connect() as connection:
        links = connection.execute(
            sa.text(
                "select id, crm_module, crm_id from golden_people where crm_id is not null"
                " union select golden_person_id, crm_module, crm_id from crm_cluster_members"
                " union select golden_id, module, remote_id from sync_records"
                " where target = 'zoho' and kind = 'person' and remote_id is not null"
            )
        ).all()
    found: dict[RecordRef, set[str]] = defaultdict(set)
    for golden_id, module, crm_id in links:
        found[(str(module), str(crm_id))].add(str(golden_id))
    return found


def partition_disagreement(first: dict[str, str], second: dict[str, str]) -> dict[str, int]:
    """Pairs of rows (and CRM records) one partition puts in one golden person and the other does not."""
    together_first = _pairs(first)
    together_second = _pairs(second)
    return {
        "pairs_only_in_first": len(together_first - together_second),
        "pairs_only_in_second": len(together_second - together_first),
    }


def joined_pairs(first: dict[str, str], second: dict[str, str]) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """The pairs only ``first`` puts in one golden person, and those only ``second`` does."""
    together_first, together_second = _pairs(first), _pairs(second)
    return together_first - together_second, together_second - together_first


def _pairs(partition: dict[str, str]) -> set[tuple[str, str]]:
    members: dict[str, list[str]] = defaultdict(list)
    for key, golden in partition.items():
        members[golden].append(key)
    return {(a, b) for keys in members.values() for a in keys for b in keys if a < b}


def people_behind_records(engine: sa.Engine, data: SampleData) -> dict[RecordRef, set[str]]:
    """For every Zoho person record leadflow links to a golden person now, the true people of that golden person."""
    person_of_row = {(file, row): person for file, row, person in data.truth}
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "select m.golden_person_id, p.file_name, p.row_number from cluster_members m"
                " join prospects p on p.source_record_id = m.source_record_id"
            )
        ).all()
        links = connection.execute(
            sa.text(
                "select id, crm_module, crm_id from golden_people where crm_id is not null"
                " union select golden_person_id, crm_module, crm_id from crm_cluster_members"
                " union select golden_id, module, remote_id from sync_records"
                " where target = 'zoho' and kind = 'person' and remote_id is not null"
            )
        ).all()
    people_of_golden: dict[str, set[str]] = defaultdict(set)
    for golden_id, file_name, row_number in rows:
        people_of_golden[golden_id].add(person_of_row[(file_name, row_number)])
    behind: dict[RecordRef, set[str]] = defaultdict(set)
    for golden_id, module, crm_id in links:
        if module in PERSON_MODULES:
            behind[(module, str(crm_id))] |= people_of_golden.get(golden_id, set())
    return behind


def live_people_records(zoho: ZohoClient) -> dict[RecordRef, dict[str, Any]]:
    """Zoho's live Leads (not converted) and Contacts, by (module, id)."""
    fields = ["Email", "First_Name", "Last_Name", "Leadflow_ID"]
    live: dict[RecordRef, dict[str, Any]] = {}
    for record in zoho.leads.iter(fields, converted=False):
        live[("Leads", str(record["id"]))] = record
    for record in zoho.contacts.iter(fields):
        live[("Contacts", str(record["id"]))] = record
    return live


def judge(
    mode: str,
    data: SampleData,
    live: dict[RecordRef, dict[str, Any]],
    held: dict[RecordRef, set[str]],
    seconds: float,
    goldens_of: dict[RecordRef, set[str]] | None = None,
) -> FlowOutcome:
    """Count the records holding two people, the people split, and e-mails and leadflow ids held twice."""
    people_of: dict[RecordRef, set[str]] = {}
    for ref in live:
        seeded = data.crm_truth.get(ref)
        people_of[ref] = held.get(ref, set()) | ({seeded} if seeded else set())
    offenders: list[dict[str, Any]] = []
    two_people = [ref for ref, people in people_of.items() if len(people) > 1]
    for ref in two_people:
        offenders.append({"problem": "record holds two people", "record": ref, "people": sorted(people_of[ref]),
                          "name": _name(live[ref]), "seeded": ref in data.crm_truth})  # fmt: skip
    records_of: dict[str, list[RecordRef]] = defaultdict(list)
    for ref, people in people_of.items():
        for person in people:
            records_of[person].append(ref)
    split = {person: refs for person, refs in records_of.items() if len(refs) > 1}
    within_one_golden = 0
    for person, refs in sorted(split.items()):
        goldens = [sorted((goldens_of or {}).get(ref, set())) for ref in sorted(refs)]
        shared = set.intersection(*(set(g) for g in goldens)) if goldens else set()
        within_one_golden += bool(shared)
        offenders.append({"problem": "person split", "person": person, "records": sorted(refs),
                          "names": [_name(live[ref]) for ref in sorted(refs)], "goldens": goldens,
                          "within_one_golden": bool(shared)})  # fmt: skip
    emails = _held_twice(live, "Email", lambda value: str(value).strip().lower())
    for email, refs in emails.items():
        offenders.append({"problem": "e-mail held twice", "email": email, "records": refs,
                          "people": [sorted(people_of[ref]) for ref in refs]})  # fmt: skip
    leadflow_ids = _held_twice(live, "Leadflow_ID", str)
    for golden_id, refs in leadflow_ids.items():
        offenders.append({"problem": "Leadflow_ID held twice", "leadflow_id": golden_id, "records": refs,
                          "people": [sorted(people_of[ref]) for ref in refs]})  # fmt: skip
    with_contact = {person for ref in live if ref[0] == "Contacts" for person in people_of[ref]}
    seeded_contacts = {person for (module, _), person in data.crm_truth.items() if module == "Contacts"}
    for person in sorted(seeded_contacts - with_contact):
        offenders.append({"problem": "Contact lost", "person": person})
    modules = defaultdict(int)
    for module, _ in live:
        modules[module] += 1
    return FlowOutcome(
        mode=mode,
        records=dict(modules),
        records_holding_two_people=len(two_people),
        people_split=len(split),
        emails_held_twice=len(emails),
        leadflow_ids_held_twice=len(leadflow_ids),
        people_split_within_one_golden=within_one_golden,
        contacts_lost=len(seeded_contacts - with_contact),
        seconds=round(seconds, 1),
        offenders=offenders,
    )


def _held_twice(
    live: dict[RecordRef, dict[str, Any]], field_name: str, normal: Callable[[Any], str]
) -> dict[str, list[RecordRef]]:
    by_value: dict[str, list[RecordRef]] = defaultdict(list)
    for ref, record in live.items():
        if record.get(field_name):
            by_value[normal(record[field_name])].append(ref)
    return {value: sorted(refs) for value, refs in by_value.items() if len(refs) > 1}


def _name(record: dict[str, Any]) -> str:
    return f"{record.get('First_Name') or ''} {record.get('Last_Name') or ''} <{record.get('Email') or ''}>".strip()


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--level", choices=("standard", "hard"), default="standard")
    parser.add_argument("--mode", choices=("one-shot", "weekly", "both"), default="both")
    parser.add_argument("--offenders", action="store_true", help="print every offending record with its truth")
    parser.add_argument(
        "--review",
        choices=("listed", "all"),
        help="then work the review queue by the truth (leadflow review list [--all], accept, reject) and run again",
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    configure_logging(level="warning", stream=sys.stderr)
    data = sample(args.people, args.seed, args.level)
    modes = ("one-shot", "weekly") if args.mode == "both" else (args.mode,)
    outcomes: list[FlowOutcome] = []
    with tempfile.TemporaryDirectory() as scratch:
        for mode in modes:
            outcome = run_flow(data, Path(scratch) / mode, mode=mode, review=args.review)
            outcomes.append(outcome)
            summary = {k: v for k, v in outcome.__dict__.items() if k not in ("offenders", "partition", "review")}
            print(json.dumps({**summary, "review": outcome.review.__dict__ if outcome.review else None}))
            if args.offenders:
                for offender in outcome.offenders:
                    print("  ", json.dumps(offender))
    if len(outcomes) == 2:
        disagreement = partition_disagreement(outcomes[0].partition, outcomes[1].partition)
        print(json.dumps({"one-shot vs weekly": disagreement}))
        if args.offenders:
            _print_disagreement(data, outcomes[0].partition, outcomes[1].partition)


def _print_disagreement(data: SampleData, first: dict[str, str], second: dict[str, str]) -> None:
    truth = {f"{file}:{row}": person for file, row, person in data.truth}
    truth.update({f"crm:{module}:{crm_id}": person for (module, crm_id), person in data.crm_truth.items()})
    for label, a, b in (("only one-shot", first, second), ("only weekly", second, first)):
        for x, y in sorted(_pairs(a) - _pairs(b)):
            print("  ", label, x, truth.get(x), y, truth.get(y), "| other:", b.get(x), b.get(y))


if __name__ == "__main__":
    main()
