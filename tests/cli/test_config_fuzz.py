"""The root options and the commands that only read settings, fuzzed: any config path (missing, a folder, a
huge or non-UTF-8 file, broken TOML) and any log level end in exit 0 only when the input is good, otherwise in
one line and exit 2; never in a traceback. Runs the CLI's own entry point in this process (faster than one
process per example); ``tests/cli/test_cli.py`` runs the same cases as subprocesses."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadflow.cli.app import main

VALID_TOML = ['[logging]\nlevel = "error"\n', "", '[zoho]\ndata_centre = "eu"\n']
CONFIG_KINDS = st.sampled_from(["missing", "folder", "valid", "broken toml", "bytes", "huge", "default absent"])
LEVELS = st.one_of(st.none(), st.sampled_from(["debug", "INFO", "warning", "error"]), st.text(max_size=12))


def _exit_code(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as stopped:
        main(args)
    code = stopped.value.code
    return (code if isinstance(code, int) else (0 if code is None else 1)), capsys.readouterr().err


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=CONFIG_KINDS,
    level=LEVELS,
    content=st.binary(max_size=200),
    command=st.sampled_from(["doctor", "init"]),
)
def test_root_options_and_reading_commands_fail_loudly(
    capsys: pytest.CaptureFixture[str], kind: str, level: str | None, content: bytes, command: str
) -> None:
    previous = Path.cwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        try:
            args: list[str] = []
            good_config = True
            if kind == "missing":
                args, good_config = ["--config", "missing.toml"], command == "init"  # init writes the named file
            elif kind == "folder":
                Path("conf").mkdir()
                args, good_config = ["--config", "conf"], False
            elif kind == "valid":
                Path("c.toml").write_text(VALID_TOML[len(content) % len(VALID_TOML)])
                args, good_config = ["--config", "c.toml"], command == "doctor"  # init refuses to overwrite
            elif kind == "broken toml":
                Path("c.toml").write_text("[zoho\nkey = ")
                args, good_config = ["--config", "c.toml"], False
            elif kind == "bytes":
                Path("c.toml").write_bytes(content)
                args = ["--config", "c.toml"]
                good_config = None  # arbitrary bytes may happen to be valid TOML; then any exit is fine
            elif kind == "huge":
                Path("c.toml").write_text("# comment\n" * 200_000)
                args, good_config = ["--config", "c.toml"], command == "doctor"
            if level is not None:
                args += ["--log-level", level]
            good_level = level is None or level.lower() in ("debug", "info", "warning", "error")
            code, err = _exit_code([*args, command], capsys)
            assert "Traceback" not in err
            assert code in (0, 1, 2), err
            if not good_level:
                assert code == 2, err
            elif good_config is False:
                assert code == 2, err
                assert err.strip().startswith("error:") or "Invalid value" in err, err
            elif good_config is True:
                assert code == 0, err
            assert not Path("leadflow.db").exists()  # neither doctor nor init creates the store
        finally:
            os.chdir(previous)
