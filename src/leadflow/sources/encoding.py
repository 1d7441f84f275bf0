"""Guess how a CSV file is encoded from its first bytes: BOMs, UTF-16 without BOM, UTF-8 or cp1252."""

from __future__ import annotations

import codecs

SAMPLE_BYTES = 4 * 1024 * 1024


def detect_encoding(sample: bytes) -> str:
    """The codec to read a file with, from a sample of its first bytes.

    UTF-8 wins when the sample decodes as UTF-8 (a few broken sequences in otherwise valid multi-byte text are
    treated as damaged rows, not as another encoding); bytes that are not UTF-8 and carry no valid
    multi-byte sequence mean cp1252, Excel's "CSV" on Windows.

    Example:
        >>> detect_encoding("Zoë".encode("cp1252"))
        'cp1252'
        >>> detect_encoding(codecs.BOM_UTF8 + b"a,b")
        'utf-8-sig'
        >>> detect_encoding("a,b".encode("utf-16"))
        'utf-16'
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith(codecs.BOM_UTF16_LE) or sample.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    head = sample[:512]  # the header row: column names are ASCII in every known export
    if len(head) >= 4:
        even_nuls = head[0::2].count(0)
        odd_nuls = head[1::2].count(0)
        half = len(head) // 2
        if odd_nuls > half * 0.3 and even_nuls < half * 0.05:
            return "utf-16-le"
        if even_nuls > half * 0.3 and odd_nuls < half * 0.05:
            return "utf-16-be"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 3 and exc.reason in {"unexpected end of data", "invalid continuation byte"}:
            try:
                sample[: exc.start].decode("utf-8")
                return "utf-8"
            except UnicodeDecodeError:
                pass
    text = sample.decode("utf-8", errors="replace")
    broken = text.count("\ufffd")
    multibyte = sum(1 for ch in text if ord(ch) > 0x7F and ch != "\ufffd")
    return "utf-8" if multibyte >= broken else "cp1252"
