"""Who can open a branch server's backup: the backup key sealed to keyslots.

Each server backup is encrypted under a fresh random backup key. That key is sealed
(``keyslots.seal``: X25519, HKDF, AES-GCM) to the public key of every admin's keyslot and
of the recovery key's; a slot's private half stays wrapped under its owner's password or
the recovery key (Argon2id). Sealing needs no password, so a scheduled task seals each
new backup to every admin without knowing anyone's secret, and a slot removed from the
list (an admin disabled or demoted) is not sealed to again.

The slots live on the server in ``backup_keyslot`` (migration 0009) and, sealed, inside
each backup file. They are the public parts of the sign-in keyslots this desk holds
(its vault): the desk that makes a backup brings the slots it knows for the current
admins and the recovery key up to date (the signed-in person's own slot always, others
only when the server has none), and drops slots of people who are no longer admins.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, delete, insert, inspect, select

from pharmdesk.errors import DATABASE_ERROR, PharmDeskError
from pharmdesk.store.keyslots import (
    RECOVERY,
    STAFF,
    KdfParams,
    derive,
    is_legacy,
    normalize_password,
    normalize_recovery_key,
    open_slot_secret,
    seal,
    unseal,
)
from pharmdesk.store.schema import BackupKeyslot, Staff

PUBLIC_FIELDS = ("kind", "owner", "kdf", "nonce", "wrappedIdentity", "publicKey")
NO_SLOTS = (
    "No admin or recovery key can open a backup of this server yet: sign in once as an "
    "admin on a desk joined to it, then back up again. Nothing was written."
)
NO_RECOVERY = (
    "The recovery key's keyslot is missing, so a backup could be opened only with an "
    "admin's password. Back up from a desk that holds the recovery keyslot (the one "
    "'pharmdesk init' ran on), or set a new recovery key there. Nothing was written."
)


def public_part(slot: dict[str, Any]) -> dict[str, Any]:
    """A keyslot without the keys sealed to it: what a backup may be sealed to."""
    return {name: slot[name] for name in PUBLIC_FIELDS}


def _usable(slot: dict[str, Any]) -> bool:
    return slot.get("kind") in (STAFF, RECOVERY) and not is_legacy(slot)


def admins(conn: Connection) -> set[str]:
    rows = conn.execute(
        select(Staff.username).where(Staff.role == "admin", Staff.disabled.is_(False))
    )
    return {str(name) for name in rows.scalars()}


def has_table(conn: Connection) -> bool:
    return BackupKeyslot.__tablename__ in set(inspect(conn).get_table_names())


def stored(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(select(BackupKeyslot.slot).order_by(BackupKeyslot.id)).scalars()
    return [json.loads(text) for text in rows]


def wanted(slots: Iterable[dict[str, Any]], holders: set[str]) -> list[dict[str, Any]]:
    """The usable slots of the recovery key and of current admins, public parts only."""
    return [
        public_part(slot)
        for slot in slots
        if _usable(slot) and (slot["kind"] == RECOVERY or slot["owner"] in holders)
    ]


def refresh(
    conn: Connection, known: Iterable[dict[str, Any]], *, signed_in: str | None, now: dt.datetime
) -> list[dict[str, Any]]:
    """Bring ``backup_keyslot`` up to date from the slots this desk knows (``known``: its
    vault's) and return the slots a backup is to be sealed to. Works on a database
    still without the table (the backup before the upgrade that adds it)."""
    holders = admins(conn)
    mine = wanted(known, holders)
    if not has_table(conn):
        return _checked(mine)
    current = {(s["kind"], s["owner"]): s for s in stored(conn)}
    naive = now.astimezone(dt.UTC).replace(tzinfo=None)
    for slot in mine:
        place = (slot["kind"], slot["owner"])
        if place in current and slot["owner"] != signed_in:
            continue  # another desk may hold a newer slot for this person
        if current.get(place) == slot:
            continue
        conn.execute(
            delete(BackupKeyslot).where(
                BackupKeyslot.kind == slot["kind"], BackupKeyslot.owner == slot["owner"]
            )
        )
        conn.execute(
            insert(BackupKeyslot).values(
                kind=slot["kind"], owner=slot["owner"], slot=json.dumps(slot), updated_at=naive
            )
        )
        current[place] = slot
    gone = [o for (kind, o) in current if kind == STAFF and o not in holders]
    if gone:
        conn.execute(
            delete(BackupKeyslot).where(BackupKeyslot.kind == STAFF, BackupKeyslot.owner.in_(gone))
        )
    return _checked([s for s in current.values() if s["kind"] == RECOVERY or s["owner"] in holders])


def _checked(slots: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not any(s["kind"] == STAFF for s in slots):
        raise PharmDeskError(DATABASE_ERROR, NO_SLOTS)
    if not any(s["kind"] == RECOVERY for s in slots):
        raise PharmDeskError(DATABASE_ERROR, NO_RECOVERY)
    return sorted(slots, key=lambda s: (s["kind"], s["owner"]))


def seal_to(slots: Iterable[dict[str, Any]], backup_key: bytes) -> list[dict[str, Any]]:
    """The slots a backup file carries: each with the backup key sealed to it."""
    return [{**public_part(slot), "sealed": seal(slot, backup_key)} for slot in slots]


def open_with_password(slots: list[dict[str, Any]], username: str, password: str) -> bytes | None:
    """The backup key, or None. A name without a slot costs the same key derivation as a
    wrong password, so the answer's time does not tell which admins a backup knows."""
    slot = next((s for s in slots if s["kind"] == STAFF and s["owner"] == username), None)
    secret = normalize_password(password)
    if slot is None:
        decoy = next((s for s in slots if s["kind"] == STAFF), None)
        if decoy is not None:
            derive(secret, os.urandom(16), KdfParams.from_json(decoy["kdf"]))
        return None
    return _open(slot, secret)


def open_with_recovery_key(slots: list[dict[str, Any]], recovery_key: str) -> bytes | None:
    slot = next((s for s in slots if s["kind"] == RECOVERY), None)
    secret = normalize_recovery_key(recovery_key).encode("ascii")
    return None if slot is None else _open(slot, secret)


def _open(slot: dict[str, Any], secret: bytes) -> bytes | None:
    opened = open_slot_secret(slot, secret)
    if opened is None or opened.identity is None:
        return None
    return unseal(slot, opened.identity, slot["sealed"])
