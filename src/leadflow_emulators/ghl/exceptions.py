"""GHL's error answers: ``GhlError`` carries the status and body; every body gets a ``traceId``.

The bodies follow the common schemas of GHL's OpenAPI specs (``statusCode``, ``message``, ``error``) and
the messages GHL's API v2 answers with (missing ``Version`` header, whitelist validation, duplicates).

Example:
    >>> error = GhlError.unprocessable(["property foo should not exist"])
    >>> body = error.body("trace-1")
    >>> body["statusCode"], body["message"], body["traceId"]
    (422, ['property foo should not exist'], 'trace-1')
"""

from __future__ import annotations

from typing import Any


class GhlError(Exception):
    """An API error: HTTP ``status`` and the JSON body GHL answers with (``traceId`` added on render)."""

    def __init__(self, status: int, message: str | list[str], *, error: str | None = None, **extra: Any) -> None:
        super().__init__(message if isinstance(message, str) else "; ".join(message))
        self.status = status
        self.message = message
        self.error = error
        self.extra = extra

    def body(self, trace_id: str) -> dict[str, Any]:
        payload: dict[str, Any] = {"statusCode": self.status, "message": self.message}
        if self.error is not None:
            payload["error"] = self.error
        payload.update(self.extra)
        payload["traceId"] = trace_id
        return payload

    # ------------------------------------------------------------- 400
    @classmethod
    def bad_request(cls, message: str, **extra: Any) -> GhlError:
        return cls(400, message, **extra)

    @classmethod
    def not_found(cls, what: str) -> GhlError:
        """GHL answers an unknown id with 400 (its specs list no 404 for these routes)."""
        return cls(400, f"{what} not found", error="Bad Request")

    @classmethod
    def duplicate_contact(cls, existing: dict[str, Any], matching_field: str) -> GhlError:
        return cls(
            400,
            "This location does not allow duplicated contacts.",
            error="Bad Request",
            meta={
                "contactName": existing.get("name") or "",
                "contactId": existing["id"],
                "matchingField": matching_field,
            },
        )

    @classmethod
    def duplicate_opportunity(cls, existing_id: str) -> GhlError:
        return cls(
            400,
            "Can not create duplicate opportunity for the contact.",
            error="OPPORTUNITY_NO_DUPLICATE",
            meta={"existingId": existing_id},
        )

    @classmethod
    def dnd_active(cls, channel: str) -> GhlError:
        return cls(400, f"Cannot send message as DND is active for {channel}.", error="Bad Request")

    # ------------------------------------------------------------- 401
    @classmethod
    def version_missing(cls) -> GhlError:
        return cls(401, "version header was not found.", error="Unauthorized")

    @classmethod
    def version_invalid(cls) -> GhlError:
        return cls(401, "version header is invalid", error="Unauthorized")

    @classmethod
    def invalid_token(cls) -> GhlError:
        return cls(401, "Invalid JWT", error="Unauthorized")

    @classmethod
    def token_expired(cls) -> GhlError:
        return cls(401, "Invalid token: access token is invalid", error="Unauthorized")

    @classmethod
    def scope_missing(cls) -> GhlError:
        return cls(401, "The token is not authorized for this scope.", error="Unauthorized")

    @classmethod
    def wrong_token_class(cls) -> GhlError:
        return cls(
            401,
            "This authClass type is not allowed to access this scope. "
            "Please reach out to the Platform team to get it added.",
            error="Unauthorized",
        )

    @classmethod
    def location_forbidden(cls) -> GhlError:
        return cls(403, "The token does not have access to this location.", error="Forbidden")

    # ------------------------------------------------------------- 422 / 429
    @classmethod
    def unprocessable(cls, messages: list[str]) -> GhlError:
        return cls(422, messages, error="Unprocessable Entity")

    @classmethod
    def too_many_requests(cls) -> GhlError:
        return cls(429, "Too Many Requests", error="Too Many Requests")

    @classmethod
    def internal(cls) -> GhlError:
        return cls(500, "Internal server error", error="Internal Server Error")
