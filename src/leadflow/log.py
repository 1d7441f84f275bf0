"""Logging with structlog: console text on a terminal, JSON lines otherwise; secrets redacted.

Redaction happens in a processor that every event passes through, so no call site has to remember it:
values of secret-looking keys, ``SecretStr`` values, registered secret strings and credentials embedded in
text (``Zoho-oauthtoken ...``, ``Bearer ...``, ``refresh_token=...``) are replaced by ``[REDACTED]``.
"""

from __future__ import annotations

import io
import logging
import re
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any, TextIO, cast

import structlog
from pydantic import SecretStr

REDACTED = "[REDACTED]"
_SECRET_KEY = re.compile(r"(secret|token|password|passwd|api_key|apikey|authorization|cookie|signature)", re.I)
_INLINE_SECRETS = [
    re.compile(r"(?i)(Zoho-oauthtoken|Bearer)\s+[A-Za-z0-9._~+/=-]+"),
    # ``code`` only as a URL parameter (an OAuth grant code), not the ``code=`` of an API error's vendor code.
    re.compile(r"(?i)((?:refresh|access)_token|client_secret|(?<=[?&])code|api_key)=([^&\s\"']+)"),
    re.compile(r'(?i)"((?:refresh|access)_token|client_secret|api_key)"\s*:\s*"[^"]*"'),
]


class SecretRedactor:
    """A structlog processor that removes secrets from every event before it is rendered."""

    def __init__(self, known_secrets: Iterable[str] = ()) -> None:
        self._known: set[str] = {s for s in known_secrets if len(s) >= 4}

    def register(self, *secrets: str | SecretStr | None) -> None:
        for secret in secrets:
            value = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
            if value and len(value) >= 4:
                self._known.add(value)

    def __call__(self, _logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        return {key: self._clean(key, value) for key, value in event_dict.items()}

    def _clean(self, key: str, value: Any) -> Any:
        if isinstance(value, SecretStr):
            return REDACTED
        if key != "event" and _SECRET_KEY.search(key) and value not in (None, ""):
            return REDACTED
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {k: self._clean(str(k), v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self._clean(key, item) for item in value)
        return value

    def scrub(self, text: str) -> str:
        for secret in self._known:
            if secret in text:
                text = text.replace(secret, REDACTED)
        text = _INLINE_SECRETS[0].sub(lambda m: f"{m.group(1)} {REDACTED}", text)
        text = _INLINE_SECRETS[1].sub(lambda m: f"{m.group(1)}={REDACTED}", text)
        return _INLINE_SECRETS[2].sub(lambda m: f'"{m.group(1)}": "{REDACTED}"', text)


redactor = SecretRedactor()


def configure_logging(*, level: str = "info", json_output: bool | None = None, stream: TextIO | None = None) -> None:
    """Set up structlog (and the stdlib root logger, for libraries) for this process.

    ``json_output=None`` picks JSON when ``stream`` is not a terminal.
    """
    out: TextIO = stream or cast(TextIO, _CurrentStderr())
    use_json = (not out.isatty()) if json_output is None else json_output
    numeric_level = logging.getLevelNamesMapping()[level.upper()]
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redactor,
    ]
    renderer: Any = structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(_RedactingFormatter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(max(numeric_level, logging.WARNING))


class _CurrentStderr(io.TextIOBase):
    """Whatever ``sys.stderr`` is when a line is written, not when logging was set up: a stream swapped in for a
    while (a test runner's capture, a redirected CLI call) and closed after must not take the logs with it."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def isatty(self) -> bool:
        return sys.stderr.isatty()


class _RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redactor.scrub(super().format(record))


def get_logger(name: str | None = None) -> Any:
    """A structlog logger; ``name`` is bound as ``logger``."""
    logger = structlog.get_logger()
    return logger.bind(logger=name) if name else logger
