"""First-run setup: a new database (a file, or a branch server's) with its first admin."""

from __future__ import annotations

import logging
import os
import re
from typing import Any

from pharmdesk.clock import Clock
from pharmdesk.controllers import audit, sealing
from pharmdesk.controllers.audit_seal import (
    RECOVERY_OWNER,
    SealRoot,
    new_root,
    recovery_secret,
    staff_secret,
)
from pharmdesk.controllers.passwords import check_new_password
from pharmdesk.controllers.registry import (
    ADMIN,
)
from pharmdesk.controllers.settings_store import DEFAULT_SETTINGS, save_settings
from pharmdesk.controllers.validation import clean_text
from pharmdesk.errors import (
    validation,
)
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store import migrate, pg_roles, upgrade
from pharmdesk.store.attempts import SignInAttempts
from pharmdesk.store.engine import KEY_BYTES, Database, new_engine
from pharmdesk.store.schema import Staff
from pharmdesk.store.vault import DEFAULT_KDF, KdfParams, Vault, normalize_recovery_key

log = logging.getLogger(__name__)

USERNAME_PATTERN = r"[a-z0-9][a-z0-9._-]{1,31}"


# -- first-run setup ----------------------------------------------------------------------
def validate_username(value: str, field: str = "username") -> str:
    name = value.strip().lower()
    if not re.fullmatch(USERNAME_PATTERN, name):
        raise validation(
            "Usernames are 2 to 32 characters: lowercase letters, digits, '.', '_' or '-', "
            "starting with a letter or digit.",
            field,
        )
    return name


def create_database(
    files: DatabaseFiles,
    *,
    admin: str,
    full_name: str,
    password: str,
    branch_name: str | None = None,
    clock: Clock | None = None,
    kdf: KdfParams = DEFAULT_KDF,
    check_password: bool = True,
) -> str:
    """Create a new encrypted database with its first admin. Returns the recovery key.

    Refuses, changing nothing, when a database (or its key file) is already there.
    """
    clock = clock or Clock()
    if files.exists():
        raise validation(
            f"A PharmDesk database already exists at {files.where}; nothing was changed.", "db"
        )
    username = validate_username(admin, "admin")
    name = clean_text(full_name or username)
    if not 1 <= len(name) <= 120:
        raise validation("The full name must be 1 to 120 characters.", "fullName")
    if check_password:
        check_new_password(password, username=username)
    files.db.parent.mkdir(parents=True, exist_ok=True)
    key = os.urandom(KEY_BYTES)
    # The first entry below is the first sealed one; a branch server keeps its log
    # append-only itself and is not sealed (docs/admin/server.md).
    seal = SealRoot(new_root(), 1) if files.server is None else None
    created: list[Any] = []
    try:
        engine = new_engine(files, key)
        created.append(engine)
        if files.server is not None and migrate.current_revision(engine) is not None:
            raise validation(
                "This server database already holds a PharmDesk schema; nothing was changed.",
                "db",
            )
        upgrade.upgrade(engine)
        db = Database(files.db, engine)
        with db.transaction() as tx:
            now = clock.now()
            naive = now.replace(tzinfo=None)
            settings = dict(DEFAULT_SETTINGS)
            if branch_name:
                settings["branchName"] = clean_text(branch_name)[:120]
            save_settings(tx, settings)
            tx.add(
                Staff(
                    username=username,
                    full_name=name,
                    role=ADMIN,
                    disabled=False,
                    must_change_password=False,
                    created_at=naive,
                )
            )
            audit.append(
                tx,
                at=now,
                user=username,
                action="staff",
                entity_type="staff",
                entity_id=username,
                detail={"event": "init", "role": ADMIN},
                start=seal,
            )
            if files.server is not None:  # the first admin's own login role
                tx.flush()
                pg_roles.sync_login(tx.connection(), username, password)
            head = audit.chain_head(tx)
        SignInAttempts.beside(files).seq()  # the counter file exists from the start
        vault = Vault(files.vault, kdf)
        recovery = vault.create(key, username, password)
        if seal is not None:
            sealing.password_set(vault, username, staff_secret(password), seal)
            sealing.password_set(
                vault, RECOVERY_OWNER, recovery_secret(normalize_recovery_key(recovery)), seal
            )
        if head is not None and audit.write_checkpoint(files.checkpoint, head):
            with db.transaction() as tx:
                sealing.remember_checkpoint(tx, head.entry_id)
        db.close()
        return recovery
    except BaseException:
        for engine in created:
            engine.dispose()
        for path in [*files.all_files(), *files.lock_files()]:
            if path.exists():
                path.unlink()
        raise
