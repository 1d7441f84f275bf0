"""Checking what a user hands a command (files to read, option values) before any work: one line each."""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from difflib import get_close_matches
from pathlib import Path

from leadflow.errors import InputError
from leadflow.sources.csvfile import printable

ROW_ID_MAX = 2**63 - 1
"""The largest id (or row count) a database integer holds: the ``max`` of options such as ``--run``/``--limit``."""


def shown(path: Path | str) -> str:
    """A path as a message shows it: bytes of a name that is not UTF-8 as ``\\xNN`` (printable on any terminal)."""
    return printable(str(path))


def check_input_file(path: Path) -> None:
    """Raise :class:`InputError` (exit 2) unless ``path`` is a regular file this process may read.

    Example:
        >>> check_input_file(Path("/"))
        Traceback (most recent call last):
        ...
        leadflow.errors.InputError: /: is a directory, not a file
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InputError(f"{shown(path)}: no such file") from None
    except OSError as exc:
        raise InputError(f"{shown(path)}: cannot read: {(exc.strerror or type(exc).__name__).lower()}") from None
    if stat.S_ISDIR(mode):
        raise InputError(f"{shown(path)}: is a directory, not a file")
    if not stat.S_ISREG(mode):
        raise InputError(f"{shown(path)}: not a regular file")
    if not os.access(path, os.R_OK):
        raise InputError(f"{shown(path)}: cannot read: permission denied")


def choice_option(value: str | None, option: str, choices: Sequence[str]) -> str | None:
    """``value`` when it is one of ``choices`` (or None); otherwise a one-line error listing them.

    Example:
        >>> choice_option("bogus", "--reason", ["no_identity", "undecodable"])
        Traceback (most recent call last):
        ...
        leadflow.errors.InputError: --reason must be one of no_identity, undecodable, not 'bogus'
    """
    if value is None or value in choices:
        return value
    close = get_close_matches(value, choices, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise InputError(f"{option} must be one of {', '.join(choices)}, not {value!r}{hint}")


def country_option(value: str, where: str) -> str:
    """The ISO 3166 alpha-2 code of a country code or name given as ``where``; a one-line error otherwise.

    Example:
        >>> country_option("de", "--country"), country_option("Germany", "--country")
        ('DE', 'DE')
    """
    from leadflow.normalize.geo import country_code

    code = country_code(value)
    if code is None:
        raise InputError(
            f"{where}: {value!r} is not a country: give an ISO 3166 alpha-2 code (e.g. US, GB, DE, FR, IN, AU) "
            "or a country name"
        )
    return code
