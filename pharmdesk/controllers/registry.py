"""Operations by name: who may call them, what params they take, and the call itself.

Controller modules declare their operations with ``@operation``; ``api.call`` runs one.
Checks run in API.md's order: sign-in, password change, permission, params, then the
operation's own existence and state checks inside its transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from pharmdesk.controllers import audit
from pharmdesk.controllers.validation import Param

if TYPE_CHECKING:
    from pharmdesk.controllers.session import DeskSession

FRONTDESK = "frontdesk"
PHARMACIST = "pharmacist"
ADMIN = "admin"
ROLES = (ADMIN, PHARMACIST, FRONTDESK)
EVERYONE = frozenset(ROLES)
PHARMACISTS = frozenset({PHARMACIST, ADMIN})
ADMINS = frozenset({ADMIN})


@dataclass
class Op:
    """What an operation's body gets: its transaction, who is calling, and the moment."""

    tx: Session
    desk: DeskSession
    now: dt.datetime

    @property
    def user(self) -> str:
        return self.desk.staff.username

    @property
    def role(self) -> str:
        return self.desk.staff.role

    @property
    def today(self) -> dt.date:
        return self.desk.clock.local_date(self.now)

    @property
    def naive_now(self) -> dt.datetime:
        """``now`` as stored in the database (naive UTC)."""
        return self.now.astimezone(dt.UTC).replace(tzinfo=None)

    @property
    def region(self) -> str:
        return str(self.desk.settings()["defaultRegion"])

    def audit(
        self,
        action: str,
        entity_type: str | None = None,
        entity_id: str | None = None,
        detail: dict[str, Any] | None = None,
        outcome: str = "success",
    ) -> None:
        audit.append(
            self.tx,
            at=self.now,
            user=self.user,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            outcome=outcome,
            detail=detail,
        )


Handler = Callable[[Op, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Operation:
    name: str
    handler: Handler
    params: Mapping[str, Param]
    roles: frozenset[str]
    allowed_before_password_change: bool = False


REGISTRY: dict[str, Operation] = {}


def operation(
    name: str,
    *,
    params: Mapping[str, Param],
    roles: frozenset[str] = EVERYONE,
    allowed_before_password_change: bool = False,
) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        if name in REGISTRY:
            raise RuntimeError(f"operation {name} registered twice")
        REGISTRY[name] = Operation(
            name, handler, dict(params), roles, allowed_before_password_change
        )
        return handler

    return register
