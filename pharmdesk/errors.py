"""The one error type that every layer raises and every front end renders.

Messages are written for a person at the front desk: what went wrong and what to do.
They never carry patient data beyond what the person just typed, and never a trace.
"""

from __future__ import annotations

from typing import Any, Final

VALIDATION_ERROR: Final = "VALIDATION_ERROR"
NOT_FOUND: Final = "NOT_FOUND"
DUPLICATE: Final = "DUPLICATE"
ALREADY_ENROLLED: Final = "ALREADY_ENROLLED"
CONFLICT: Final = "CONFLICT"
ARCHIVED: Final = "ARCHIVED"
PERMISSION_DENIED: Final = "PERMISSION_DENIED"
AUTH_FAILED: Final = "AUTH_FAILED"
LOCKED_OUT: Final = "LOCKED_OUT"
PASSWORD_CHANGE_REQUIRED: Final = "PASSWORD_CHANGE_REQUIRED"
DISK_FULL: Final = "DISK_FULL"
DATABASE_ERROR: Final = "DATABASE_ERROR"

CODES: Final = frozenset(
    {
        VALIDATION_ERROR,
        NOT_FOUND,
        DUPLICATE,
        ALREADY_ENROLLED,
        CONFLICT,
        ARCHIVED,
        PERMISSION_DENIED,
        AUTH_FAILED,
        LOCKED_OUT,
        PASSWORD_CHANGE_REQUIRED,
        DISK_FULL,
        DATABASE_ERROR,
    }
)


class PharmDeskError(Exception):
    """A refusal a person can act on: a code from API.md, a message, maybe a field."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        if code not in CODES:
            raise ValueError(f"unknown error code {code}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def to_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            error["field"] = self.field
        return {"success": False, "error": error}


def validation(message: str, field: str | None = None) -> PharmDeskError:
    return PharmDeskError(VALIDATION_ERROR, message, field)


def not_found(message: str, field: str | None = None) -> PharmDeskError:
    return PharmDeskError(NOT_FOUND, message, field)
