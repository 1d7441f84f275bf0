"""The domain vocabulary shared by every layer. Pure: no I/O."""

from __future__ import annotations

from enum import StrEnum


class SourceKind(StrEnum):
    """Where a source row came from."""

    APOLLO = "apollo"
    SALESNAV = "salesnav"
    LINKEDIN = "linkedin"
    MAPPED = "mapped"
    CRM = "crm"


class RunStatus(StrEnum):
    """The state of one pipeline run."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    STOPPED = "stopped"


class QuarantineReason(StrEnum):
    """Why a row was set aside instead of stored."""

    WRONG_COLUMN_COUNT = "wrong_column_count"
    UNDECODABLE = "undecodable"
    NO_IDENTITY = "no_identity"
    INVALID_VALUE = "invalid_value"
