"""Building the CLI (``leadflow --version``, ``--help``) must not load the heavy libraries the commands use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = ("splink", "duckdb", "pandas", "phonenumbers.geodata")

PROBE = """
import json, sys
import leadflow.cli.app
print(json.dumps(sorted(name for name in sys.modules if name in {heavy!r})))
"""


def test_importing_the_cli_app_loads_no_heavy_library() -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    environment["PYTHONPATH"] = str(Path(__file__).resolve().parents[2] / "src")
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=set(HEAVY))],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(result.stdout) == []
