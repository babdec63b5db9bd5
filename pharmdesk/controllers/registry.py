"""Operations and jobs by name: who may run them, what params they take, and the body.

Controller modules declare their operations with ``@operation`` (one transaction, one
JSON answer; ``DeskSession.call`` runs one) and their long work with ``@job`` (backups,
restore checks, restores: progress, their own connection, possibly another thread;
``DeskSession.prepare_job`` checks and binds one). Both go through the same checks, in
API.md's order: sign-in, password change, permission, params; ``allowed`` is the one
place that answers "may this role run that?", for the session and for the screens
(``DeskSession.may``), so no screen keeps a role list of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from pharmdesk.clock import Clock
from pharmdesk.controllers import audit
from pharmdesk.controllers.validation import Param
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.engine import Database, open_store
from pharmdesk.store.vault import KdfParams

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
    # Work that must follow the commit (outside any transaction), e.g. emptying the
    # write-ahead log after an erasure; run by ``DeskSession.call`` once it committed.
    after_commit: list[Callable[[], None]] = field(default_factory=list)

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

    def exclusive(self) -> None:
        """Before the first write of an operation registered with ``reads``: on a branch
        server it waits for the other desks' transactions from here on (on a file the
        transaction holds the write lock already)."""
        self.desk.db.exclusive(self.tx)

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
    reads: bool = False


REGISTRY: dict[str, Operation] = {}


def operation(
    name: str,
    *,
    params: Mapping[str, Param],
    roles: frozenset[str] = EVERYONE,
    allowed_before_password_change: bool = False,
    reads: bool = False,
) -> Callable[[Handler], Handler]:
    """Register an operation. ``reads``: it only reads, besides its audit entry, and calls
    ``op.exclusive()`` before anything else it writes; on a branch server its transaction
    then runs beside the other desks' (``Database.transaction(shared=True)``)."""

    def register(handler: Handler) -> Handler:
        if name in REGISTRY:
            raise RuntimeError(f"operation {name} registered twice")
        REGISTRY[name] = Operation(
            name, handler, dict(params), roles, allowed_before_password_change, reads
        )
        return handler

    return register


# -- jobs ----------------------------------------------------------------------------------
# (stage, done, total): a GUI shows a bar, the CLI a line on stderr.
Progress = Callable[[str, int, int], None]


def no_progress(_stage: str, _done: int, _total: int) -> None:
    return None


@dataclass(frozen=True)
class JobRun:
    """What a job's body gets: who runs it and the database it may open for itself.

    The key stays inside the controllers: a screen holds only the bound job (a
    callable), never the key, and never opens the store.
    """

    files: DatabaseFiles
    user: str
    clock: Clock
    kdf: KdfParams
    key: bytes = field(repr=False)  # never in a log line or a traceback's locals repr

    def open_database(self) -> Database:
        """A connection of the job's own (SQLCipher connections are used from one thread
        at a time, so a job in a worker thread never shares the window's). The schema is
        current: the sign-in upgraded it."""
        return Database(self.files.db, open_store(self.files, self.key))


JobHandler = Callable[[JobRun, dict[str, Any], Progress], Any]


@dataclass(frozen=True)
class JobDefinition:
    name: str
    handler: JobHandler
    params: Mapping[str, Param]
    roles: frozenset[str]


JOBS: dict[str, JobDefinition] = {}


def job(
    name: str, *, params: Mapping[str, Param], roles: frozenset[str]
) -> Callable[[JobHandler], JobHandler]:
    """Register long work under ``name`` with the roles that may run it."""

    def register(handler: JobHandler) -> JobHandler:
        if name in JOBS or name in REGISTRY:
            raise RuntimeError(f"job {name} registered twice")
        JOBS[name] = JobDefinition(name, handler, dict(params), roles)
        return handler

    return register


def roles_for(name: str) -> frozenset[str] | None:
    """The roles that may run the operation or job ``name``; None if there is none."""
    found = REGISTRY.get(name) or JOBS.get(name)
    return None if found is None else found.roles


def allowed(name: str, role: str) -> bool:
    """The one role rule: may ``role`` run the operation or job ``name``?"""
    roles = roles_for(name)
    return roles is not None and role in roles
