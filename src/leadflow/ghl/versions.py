"""The ``Version`` header each GoHighLevel API v2 endpoint declares in GHL's OpenAPI specs.

Conversations and calendars use ``2021-04-15``; everything else leadflow calls uses ``2021-07-28``.
"""

from __future__ import annotations

DEFAULT = "2021-07-28"
CONVERSATIONS = "2021-04-15"
_BY_PREFIX = (("/conversations", CONVERSATIONS), ("/calendars", CONVERSATIONS))


def version_for(path: str) -> str:
    """The Version header value for ``path``.

    Example:
        >>> version_for("/conversations/messages"), version_for("/contacts/upsert")
        ('2021-04-15', '2021-07-28')
    """
    for prefix, version in _BY_PREFIX:
        if path.startswith(prefix):
            return version
    return DEFAULT
