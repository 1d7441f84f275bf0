"""Fuzzing the command line's argument surface: option values and paths (missing, a directory, unreadable,
unwritable, huge, non-UTF-8 names and bytes) never end in a traceback, and a failure never exits 0.

The real app runs in this process (typer's runner, as ``leadflow.cli.app.main`` would run it): an error
leadflow raises on purpose is a ``LeadflowError`` (printed as one line by ``main``) or a usage error (exit 2);
any other exception is a traceback the user would have seen.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from leadflow.cli.app import app
from leadflow.errors import LeadflowError

APOLLO_HEADER = ["First Name", "Last Name", "Title", "Company Name", "Email", "Email Status"]


@dataclass(frozen=True)
class Playground:
    """A store with data in it and paths of every kind, built once for all examples."""

    root: Path
    env: dict[str, str]
    inputs: dict[str, Path]  # kind -> a path to read
    outputs: dict[str, Path]  # kind -> a path to write

    def input_fails(self, kind: str) -> bool:
        return kind in {"missing", "directory", "huge", "binary", "empty"} or (
            kind == "unreadable" and os.geteuid() != 0
        )

    def output_fails(self, kind: str) -> bool:
        return kind in {"directory", "missing_folder", "unwritable", "under_a_file"}


@pytest.fixture(scope="module")
def playground() -> Iterator[Playground]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        good = root / "apollo.csv"
        with good.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(APOLLO_HEADER)
            for i in range(30):
                writer.writerow([f"Ann{i}", "Lee", "VP Sales", "Acme", f"ann{i}@acme.io", "Verified"])
        cp1252 = root / "zoë.csv"
        cp1252.write_bytes(good.read_bytes().replace(b"Ann1,", "Zoë,".encode("cp1252")))
        odd_name = root / os.fsdecode(b"caf\xe9-\xff.csv")  # not UTF-8: kept as surrogate escapes
        odd_name.write_bytes(good.read_bytes())
        (root / "adir").mkdir()
        huge = root / "huge.csv"
        with huge.open("wb") as handle:
            handle.truncate(3 * 1024**3)  # 3 GiB of NUL bytes, sparse on disk
        binary = root / "photo.png"
        binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
        empty = root / "empty.csv"
        empty.write_bytes(b"")
        unreadable = root / "secret.csv"
        unreadable.write_bytes(good.read_bytes())
        unreadable.chmod(0)
        locked = root / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        env = {"LEADFLOW_DATABASE_URL": f"sqlite:///{root / 'store' / 'leadflow.db'}", "COLUMNS": "200"}
        (root / "store").mkdir()
        runner = CliRunner()
        ingested = runner.invoke(app, ["ingest", str(good)], env=env)
        assert ingested.exit_code == 0, ingested.output
        resolved = runner.invoke(app, ["resolve"], env=env)
        assert resolved.exit_code == 0, resolved.output
        yield Playground(
            root=root,
            env=env,
            inputs={
                "good": good,
                "cp1252": cp1252,
                "odd_name": odd_name,
                "missing": root / "nope.csv",
                "directory": root / "adir",
                "huge": huge,
                "binary": binary,
                "empty": empty,
                "unreadable": unreadable,
            },
            outputs={
                "new": root / "out" / "new.csv",
                "odd_name": root / "out" / os.fsdecode(b"r\xe9sultat.csv"),
                "directory": root / "adir",
                "missing_folder": root / "no" / "such" / "out.csv",
                "unwritable": Path("/proc/version") if os.geteuid() == 0 else locked / "out.csv",
                "under_a_file": good / "out.csv",
            },
        )
        locked.chmod(0o755)
        unreadable.chmod(0o644)


texts = st.one_of(
    st.sampled_from(["", " ", "-", "--", "XX", "de", "Germany", "bogus", "no_identity", "apollo", "zoho", "gp_1"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
)
numbers = st.one_of(st.integers(-3, 3), st.sampled_from([2**31, 2**63, 10**30]))


@st.composite
def invocations(draw: st.DrawFn, inputs: list[str], outputs: list[str]) -> tuple[list[str], str | None, str | None]:
    """Arguments, the kind of input path given (if any) and the kind of output path given (if any)."""
    command = draw(
        st.sampled_from(
            ["ingest", "quarantine list", "quarantine export", "export clusters", "export scores",
             "export sync-map", "resolve --explain", "score --explain", "runs list", "report", "help"]
        )
    )  # fmt: skip
    args = command.split()
    read = wrote = None
    if command == "ingest":
        read = draw(st.sampled_from(inputs))
        args.append(read)
        if draw(st.booleans()):
            args += ["--country", draw(texts)]
        if draw(st.booleans()):
            args += ["--format", draw(texts)]
        if draw(st.booleans()):
            args += ["--format", "mapped", "--mapping", draw(st.sampled_from(inputs))]
    elif command in {"quarantine export", "export clusters", "export scores", "export sync-map"}:
        wrote = draw(st.sampled_from(outputs))
        args += ["--out", wrote]
        if command == "quarantine export" and draw(st.booleans()):
            args += ["--reason", draw(texts)]
        if command == "export sync-map" and draw(st.booleans()):
            args += ["--target", draw(texts)]
    elif command == "quarantine list":
        for option, values in (("--reason", texts), ("--run", numbers), ("--limit", numbers)):
            if draw(st.booleans()):
                args += [option, str(draw(values))]
    elif command in {"resolve --explain", "score --explain"}:
        args.append(draw(texts))
    elif command == "report":
        args.append(draw(st.sampled_from(["funnel", "pipeline", "sources", "segments", "engagement", "sync"])))
        for option in ("--since", "--until", "--segment", "--owner", "--source", "--format"):
            if draw(st.booleans()):
                args += [option, draw(st.one_of(texts, st.sampled_from(["2026-11-01", "csv", "json", "table"])))]
        if draw(st.booleans()):
            wrote = draw(st.sampled_from(outputs))
            args += ["--out", wrote]
    elif command == "runs list":
        for option, values in (("--kind", texts), ("--limit", numbers)):
            if draw(st.booleans()):
                args += [option, str(draw(values))]
    else:
        args = [*draw(st.sampled_from([[], ["ingest"], ["export"], ["export", "scores"], ["runs"]])), "--help"]
    return args, read, wrote


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_traceback_and_no_success_on_failure(playground: Playground, data: st.DataObject) -> None:
    kinds_in = sorted(playground.inputs)
    kinds_out = sorted(playground.outputs)
    args, read_kind, write_kind = data.draw(invocations(kinds_in, kinds_out))
    paths = {**{k: str(v) for k, v in playground.inputs.items()}}
    argv = [paths.get(a, a) if i and args[i - 1] not in {"--out"} else a for i, a in enumerate(args)]
    if write_kind is not None:
        argv[argv.index("--out") + 1] = str(playground.outputs[write_kind])
    result = CliRunner().invoke(app, argv, env=playground.env)
    exception = result.exception
    if exception is not None and not isinstance(exception, SystemExit | LeadflowError):
        raise AssertionError(f"leadflow {argv} ended in a traceback: {exception!r}") from exception
    code = result.exit_code if not isinstance(exception, LeadflowError) else exception.exit_code
    if read_kind is not None and playground.input_fails(read_kind):
        assert code != 0, f"leadflow {argv} read a {read_kind} path and exited 0:\n{result.output}"
    if "--mapping" in args:
        mapping_kind = args[args.index("--mapping") + 1]
        if playground.input_fails(mapping_kind) or mapping_kind in kinds_in:
            assert code != 0  # no CSV export is a valid mapping file
    if write_kind is not None and playground.output_fails(write_kind):
        assert code != 0, f"leadflow {argv} wrote to a {write_kind} path and exited 0:\n{result.output}"
        assert not (playground.root / "no").exists()
