"""Zoho's errors, carrying Zoho's own codes, and the one place that renders their wire format.

Request-level errors are flat: ``{"code", "details", "message", "status": "error"}`` with an HTTP status.
Per-record errors use the same shape inside ``data[]`` (see ``RecordResult``).

Example:
    >>> err = ZohoError.invalid_module()
    >>> err.status, err.body()["code"]
    (400, 'INVALID_MODULE')
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from leadflow_emulators.common.jsonresp import json_response


class ZohoError(Exception):
    """A request-level Zoho error (the whole call fails)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The flat error envelope."""
        return {"code": self.code, "details": self.details, "message": self.message, "status": "error"}

    # Constructors for the errors raised in more than one place, with Zoho's wording.
    @classmethod
    def invalid_module(cls, index: int = 0) -> ZohoError:
        return cls(400, "INVALID_MODULE", "The module name given seems to be invalid", {"resource_path_index": index})

    @classmethod
    def invalid_url(cls) -> ZohoError:
        return cls(404, "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one")

    @classmethod
    def invalid_token(cls) -> ZohoError:
        return cls(401, "INVALID_TOKEN", "invalid oauth token")

    @classmethod
    def auth_failure(cls) -> ZohoError:
        return cls(401, "AUTHENTICATION_FAILURE", "Authentication failed")

    @classmethod
    def scope_mismatch(cls) -> ZohoError:
        return cls(401, "OAUTH_SCOPE_MISMATCH", "invalid oauth scope to access this URL")

    @classmethod
    def required_param(cls, param: str) -> ZohoError:
        # Zoho names the parameter twice (common.json ParamDetails requires both keys).
        return cls(
            400,
            "REQUIRED_PARAM_MISSING",
            "One of the expected parameter is missing",
            {"param_name": param, "param": param},
        )

    @classmethod
    def invalid_param(cls, param: str, message: str = "invalid data", **extra: Any) -> ZohoError:
        return cls(400, "INVALID_DATA", message, {"param": param, **extra})

    @classmethod
    def invalid_body(cls) -> ZohoError:
        return cls(400, "INVALID_DATA", "body")

    @classmethod
    def mandatory_missing(cls, api_name: str) -> ZohoError:
        return cls(400, "MANDATORY_NOT_FOUND", "required field not found", {"api_name": api_name})

    @classmethod
    def too_many_requests(cls, kind: str, limit: int) -> ZohoError:
        return cls(
            429,
            "TOO_MANY_REQUESTS",
            "concurrency limit exceeded" if kind == "concurrency" else "sub-concurrency limit exceeded",
            {"limit": limit, "type": kind},
            headers={"Retry-After": "1"},
        )


def render_error(error: ZohoError, headers: dict[str, str] | None = None) -> Response:
    """Zoho's wire format for a request-level error."""
    return json_response(error.body(), status=error.status, headers={**error.headers, **(headers or {})})
