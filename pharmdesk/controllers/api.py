"""Operation name + JSON params -> controller -> JSON answer. The CLI and the GUI both
come through here, so role checks, validation and audit are the same for both.
"""

from __future__ import annotations

import logging
from typing import Any

# Importing the controller modules registers their operations.
from pharmdesk.controllers import (  # noqa: F401
    audit_export,
    auditlog,
    backup_jobs,
    duplicates,
    imports,
    lookups,
    orders,
    plan_acknowledgements,
    recovery_key,
    run_sheet,
    segment_summary,
    settings,
    staff,
    subscriptions,
)
from pharmdesk.controllers.consent import ops as consent_ops  # noqa: F401
from pharmdesk.controllers.customers import (  # noqa: F401
    archive,
    create,
    export,
    marketing_consent,
    profile,
    search,
    update,
)
from pharmdesk.controllers.plans import (  # noqa: F401
    catalog,
    enrollment,
    lifecycle,
    review,
)
from pharmdesk.controllers.record import (  # noqa: F401
    access_report,
    erase,
    merge,
    payer,
    relationships,
    undo_merge,
)
from pharmdesk.controllers.registry import REGISTRY
from pharmdesk.controllers.reminders import (  # noqa: F401
    outbox,
    queue,
    replies,
)
from pharmdesk.controllers.segments import campaign, lists  # noqa: F401
from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import DATABASE_ERROR, PharmDeskError

log = logging.getLogger(__name__)


def operation_names() -> list[str]:
    return sorted(REGISTRY)


def call(desk: DeskSession, name: str, params: Any = None) -> dict[str, Any]:
    """Run an operation; refusals raise ``PharmDeskError``."""
    return desk.call(name, params)


def answer(desk: DeskSession, name: str, params: Any = None) -> tuple[bool, dict[str, Any]]:
    """Run an operation and always return a JSON-ready answer (success flag, body)."""
    try:
        return True, desk.call(name, params)
    except PharmDeskError as exc:
        return False, exc.to_json()
    except Exception as exc:  # a bug must not leak data or a trace to the desk
        log.error("operation %s failed unexpectedly: %s", name, type(exc).__name__)
        return False, PharmDeskError(
            DATABASE_ERROR,
            "Something went wrong and nothing was saved. Try again; if it happens again, "
            "contact your IT person.",
        ).to_json()
