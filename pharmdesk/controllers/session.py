"""The signed-in staff member: sign-in, first-run setup, running operations, lock.

The pieces live in their own modules; this one names them for the front ends:
``desk_session`` (``DeskSession``: operations, jobs, checkpoint, lock; its parts in
``session_parts``), ``signin`` (a keyslot sign-in on a single PC, the audited sign-in of
both stores), ``server_signin`` (a branch server: the person's own PostgreSQL login) and
``setup`` (a new database).
"""

from __future__ import annotations

from pharmdesk.controllers.desk_session import DeskSession
from pharmdesk.controllers.revocation import open_database
from pharmdesk.controllers.session_parts import (
    ACCOUNT_DISABLED,
    CHECKPOINT_EVERY,
    WRONG_PASSWORD,
    StaffInfo,
    _locked_message,
    record_pending_failures,
)
from pharmdesk.controllers.setup import USERNAME_PATTERN, create_database, validate_username
from pharmdesk.controllers.signin import _require_files, clock_is_behind, open_session, sign_in

__all__ = [
    "ACCOUNT_DISABLED",
    "CHECKPOINT_EVERY",
    "USERNAME_PATTERN",
    "WRONG_PASSWORD",
    "DeskSession",
    "StaffInfo",
    "_locked_message",
    "_require_files",
    "clock_is_behind",
    "create_database",
    "open_database",
    "open_session",
    "record_pending_failures",
    "sign_in",
    "validate_username",
]
