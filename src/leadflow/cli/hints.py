"""Commands to suggest to the user, spelled so that they work when pasted into the same shell.

``leadflow`` alone only works when the shell finds it on its ``PATH``; run from a project's ``.venv`` that is
not activated (``make demo`` runs ``.venv/bin/leadflow``), the hint has to say ``.venv/bin/leadflow``. The
spelling is taken from how this process was started (``sys.argv[0]`` and ``sys.executable``).
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path


def leadflow_command() -> str:
    """How to run leadflow again from here: ``leadflow``, ``.venv/bin/leadflow`` or ``python -m leadflow``.

    Example:
        >>> leadflow_command()  # doctest: +SKIP
        '.venv/bin/leadflow'
    """
    started_as = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if started_as is not None and started_as.name == "leadflow" and started_as.is_file():
        return _spelled(started_as)
    return f"{python_command()} -m leadflow"


def python_command() -> str:
    """How to run this Python (the one with leadflow installed) from here."""
    return _spelled(Path(sys.executable))


def command_hint(arguments: str) -> str:
    """``arguments`` after the leadflow command, e.g. ``command_hint("runs list")``."""
    return f"{leadflow_command()} {arguments}"


def _spelled(program: Path) -> str:
    """The shortest way to name ``program`` that the shell resolves to it: its bare name when ``PATH`` finds
    this very file, else a path relative to the working folder when it lies below it, else its absolute path."""
    # compared without following symlinks: a venv's python is a link to a system python that lacks leadflow
    absolute = Path(os.path.normpath(program.absolute()))
    on_path = shutil.which(program.name)
    if on_path is not None and Path(os.path.normpath(Path(on_path).absolute())) == absolute:
        return program.name
    try:
        relative = absolute.relative_to(Path.cwd())
    except ValueError:
        return shlex.quote(str(absolute))
    return shlex.quote(str(relative) if os.sep in str(relative) else f".{os.sep}{relative}")
