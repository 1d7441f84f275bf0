"""A TOML mapping file turns any CSV into a source: which column holds which canonical field.

Example mapping file::

    # leadflow mapping: columns of our trade-show export
    source_kind = "mapped"          # optional; one of apollo, salesnav, linkedin, mapped
    default_country = "DE"          # optional: region for phone numbers without +country
    [columns]
    first_name = "Vorname"
    last_name = "Nachname"
    email = "E-Mail"
    company_name = "Firma"
    phone_direct = ["Telefon", "Tel."]   # several columns: the first non-empty cell wins
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from leadflow.errors import InputError
from leadflow.model import SourceKind
from leadflow.normalize.prospect import RAW_FIELDS
from leadflow.sources.csvfile import printable
from leadflow.sources.formats import FormatSpec, header_key


def load_mapping(path: Path, header: list[str] | None = None) -> FormatSpec:
    """Read a mapping file into a format; with ``header``, check that the columns it names exist.

    Raises :class:`InputError` with the file name and what is wrong.
    """
    where = printable(str(path))
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"{where}: mapping file not found") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{where}: not a valid TOML mapping file: {exc}") from exc
    except OSError as exc:
        raise InputError(
            f"{where}: cannot read the mapping file: {(exc.strerror or type(exc).__name__).lower()}"
        ) from exc
    columns = data.get("columns")
    if not isinstance(columns, dict) or not columns:
        raise InputError(f"{where}: a [columns] table mapping fields to column names is required")
    unknown = sorted(set(columns) - set(RAW_FIELDS))
    if unknown:
        raise InputError(f"{where}: unknown fields {', '.join(unknown)}; known fields: {', '.join(RAW_FIELDS)}")
    mapping: dict[str, tuple[str, ...]] = {}
    for name, value in columns.items():
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
            raise InputError(f"{where}: columns.{name} must be a column name or a list of column names")
        mapping[name] = tuple(names)
    kind_text = str(data.get("source_kind", SourceKind.MAPPED.value))
    try:
        kind = SourceKind(kind_text)
    except ValueError as exc:
        raise InputError(
            f"{where}: source_kind {kind_text!r} is not one of apollo, salesnav, linkedin, mapped"
        ) from exc
    country = data.get("default_country")
    if country is not None and (not isinstance(country, str) or len(country) != 2):
        raise InputError(f'{where}: default_country must be an ISO 3166 alpha-2 code such as "DE"')
    spec = FormatSpec(
        name=f"mapped:{printable(path.name)}",
        kind=kind,
        description=f"mapped by {printable(path.name)}",
        columns=tuple(n for names in mapping.values() for n in names),
        required=(),
        mapping=mapping,
        default_country=country.upper() if isinstance(country, str) else None,
    )
    if header is not None:
        present = {header_key(h) for h in header}
        absent = sorted({n for names in mapping.values() for n in names if header_key(n) not in present})
        if absent:
            raise InputError(f"{where}: the file has no column(s) {', '.join(absent)} (header: {', '.join(header)})")
    return spec
