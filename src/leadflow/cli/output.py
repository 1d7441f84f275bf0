"""Opening a file a command writes (``--out``): one line naming the path and the reason when it cannot be.

A command opens its output before it does any work, so a bad path costs nothing, and never creates a folder the
user did not ask for: a missing folder is an error, not a surprise.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from leadflow.cli.inputs import shown
from leadflow.errors import InputError


def check_output(path: Path) -> None:
    """Raise :class:`InputError` (exit 2) when ``path`` cannot be written as a new or replaced file.

    Example:
        >>> check_output(Path("/"))
        Traceback (most recent call last):
        ...
        leadflow.errors.InputError: /: is a directory; give a file name to write
    """
    if path.is_dir():
        raise InputError(f"{shown(path)}: is a directory; give a file name to write")
    folder = path.parent
    if not folder.exists():
        raise InputError(f"{shown(path)}: the folder {shown(folder)} does not exist (create it first)")
    if not folder.is_dir():
        raise InputError(f"{shown(path)}: {shown(folder)} is not a folder")
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError(f"{shown(path)}: cannot write: permission denied")
    if not path.exists() and not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{shown(path)}: cannot write: permission denied in {shown(folder)}")


@contextmanager
def open_output(path: Path, *, newline: str | None = "") -> Iterator[TextIO]:
    """``path`` opened for writing UTF-8 text (``newline=""`` suits :mod:`csv`); any failure to open, write or
    close it (directory, missing folder, permission, full disk, ...) is a one-line :class:`InputError` naming
    the path and the reason.

    Example:
        >>> with open_output(Path(tmp) / "scores.csv") as handle:  # doctest: +SKIP
        ...     handle.write("a,b\\n")
    """
    check_output(path)
    try:
        with path.open("w", encoding="utf-8", newline=newline) as handle:
            yield handle
    except OSError as exc:
        raise InputError(f"{shown(path)}: cannot write: {_reason(exc)}") from exc


def _reason(exc: OSError) -> str:
    if exc.errno is not None and exc.errno in errno.errorcode:
        return os.strerror(exc.errno).lower()
    return exc.strerror or type(exc).__name__
