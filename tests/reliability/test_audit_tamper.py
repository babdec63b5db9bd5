"""Item 10: editing, deleting, reordering or truncating audit rows is caught.

The tampering is done as an attacker with the database key would do it: straight SQL on
the file, no PharmDesk code involved. ``pharmdesk audit verify`` must then fail (exit 1)
and name the first bad entry; truncation is caught through the checkpoint kept outside
the database.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from pharmdesk import cli
from pharmdesk.controllers import audit
from pharmdesk.controllers.session import DeskSession
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.engine import Database, open_engine
from pharmdesk.store.schema import AuditEntry
from tests.conftest import ADMIN, ADMIN_PASSWORD, TEST_KDF


def _sql(files: DatabaseFiles, key: bytes, *statements: str) -> None:
    engine = open_engine(files.db, key)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def _head(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT max(id) FROM audit_entry")).scalar() or 0)


def _verify(
    files: DatabaseFiles, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, dict, str]:
    monkeypatch.setenv("PHARMDESK_USER", ADMIN)
    monkeypatch.setenv("PHARMDESK_PASSWORD", ADMIN_PASSWORD)
    capsys.readouterr()
    code = cli.main(["--db", str(files.db), "audit", "verify"], kdf=TEST_KDF)
    out, err = capsys.readouterr()
    return code, json.loads(out.strip().splitlines()[-1]), err


@pytest.fixture
def history(admin: DeskSession, db_files: DatabaseFiles) -> tuple[DatabaseFiles, bytes, int]:
    """A day's worth of entries; signed out, so the checkpoint holds the chain's head."""
    for i in range(6):
        created = admin.call(
            "addProviderCustomer", {"name": f"Tamper Test {i}", "phone": f"+23480300000{i:02d}"}
        )
        admin.call("viewProviderCustomerDetails", {"customerId": created["customerId"]})
    key = admin.key
    admin.sign_out()
    checkpoint = audit.read_checkpoint(db_files.checkpoint)
    assert checkpoint is not None
    return db_files, key, checkpoint.entry_id


def _rewrite_from(engine: Engine, first: int) -> None:
    """Recompute every hash from ``first`` on (detail hashes too): a self-consistent
    forged chain, as someone with the key and their own code would make it. Only what
    needs a key they do not have (the earlier epochs' seal keys) is left as it was."""
    with Database(Path("forged"), engine).transaction() as tx:
        entries = tx.scalars(
            select(AuditEntry).where(AuditEntry.id >= first - 1).order_by(AuditEntry.id)
        ).all()
        prev = entries[0].hash
        for entry in entries[1:]:
            entry.prev_hash = prev
            if entry.detail_hash is not None:
                entry.detail_hash = audit.detail_digest(entry.detail)
            entry.hash = audit.hash_of(entry)
            prev = entry.hash


def test_untouched_log_verifies(
    history: tuple[DatabaseFiles, bytes, int],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files, _key, head = history
    code, answer, _err = _verify(files, capsys, monkeypatch)
    assert code == 0
    assert answer["ok"] is True and answer["reason"] is None
    assert (answer["checked"], answer["firstBadEntry"]) == (head + 1, None)
    assert answer["sealed"] == head + 1  # every entry, from init on


TAMPERING: dict[str, tuple[Callable[[int], list[str]], Callable[[int], int]]] = {
    # name: (statements given the head id, expected first bad entry given the head id)
    "edit detail": (
        lambda h: ["UPDATE audit_entry SET detail = '{\"shown\": 0}' WHERE id = 5"],
        lambda h: 5,
    ),
    "edit user": (lambda h: ["UPDATE audit_entry SET user = 'nobody' WHERE id = 7"], lambda h: 7),
    "edit time": (
        lambda h: ["UPDATE audit_entry SET at = '2020-01-01 00:00:00.000000' WHERE id = 4"],
        lambda h: 4,
    ),
    "delete one": (lambda h: ["DELETE FROM audit_entry WHERE id = 6"], lambda h: 6),
    "reorder two": (
        lambda h: [
            "UPDATE audit_entry SET id = -1 WHERE id = 8",
            "UPDATE audit_entry SET id = 8 WHERE id = 9",
            "UPDATE audit_entry SET id = 9 WHERE id = -1",
        ],
        lambda h: 8,
    ),
    # The signed-in "audit verify" appends its own signIn entry after the cut, so the
    # chain ends one entry later than where it was cut; the checkpoint still catches it.
    # With nothing left, that signIn entry is AUD-1 and claims to continue a seal epoch
    # whose entries are gone: the seal names it first.
    "truncate the last three": (
        lambda h: [f"DELETE FROM audit_entry WHERE id > {h - 3}"],
        lambda h: h - 1,
    ),
    "truncate the last one": (lambda h: [f"DELETE FROM audit_entry WHERE id = {h}"], lambda h: h),
    "truncate everything": (lambda h: ["DELETE FROM audit_entry"], lambda h: 1),
}


@pytest.mark.parametrize("name", list(TAMPERING))
def test_tampering_is_named(
    name: str,
    history: tuple[DatabaseFiles, bytes, int],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files, key, head = history
    statements, first_bad = TAMPERING[name]
    _sql(files, key, *statements(head))
    code, answer, err = _verify(files, capsys, monkeypatch)
    assert code == 1
    assert answer["ok"] is False
    assert answer["firstBadEntry"] == f"AUD-{first_bad(head)}"
    assert "does NOT verify" in err and answer["firstBadEntry"] in err
    assert "Traceback" not in err


def test_a_forged_chain_with_recomputed_hashes_is_caught_by_the_seal_and_the_checkpoint(
    history: tuple[DatabaseFiles, bytes, int],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files, key, head = history
    checkpoint = audit.read_checkpoint(files.checkpoint)
    engine = open_engine(files.db, key)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE audit_entry SET detail = '{}' WHERE id = 3"))
        _rewrite_from(engine, 3)
        with Database(files.db, engine).transaction() as tx:
            assert audit.verify_chain(tx, None).ok  # self-consistent hashes
            # Without the seal keys (a backup check), the checkpoint catches it.
            assert audit.verify_chain(tx, checkpoint).first_bad_entry == head
    finally:
        engine.dispose()
    code, answer, _err = _verify(files, capsys, monkeypatch)
    assert code == 1
    # An admin's verify re-derives the seal keys: the first forged entry is named.
    assert answer["firstBadEntry"] == "AUD-3"


def test_the_verification_is_itself_audited(
    history: tuple[DatabaseFiles, bytes, int],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files, key, head = history
    _sql(files, key, "DELETE FROM audit_entry WHERE id = 6")
    _verify(files, capsys, monkeypatch)
    engine = open_engine(files.db, key)
    try:
        with engine.connect() as conn:
            detail = conn.execute(
                text("SELECT detail FROM audit_entry WHERE action = 'auditView' ORDER BY id DESC")
            ).scalar()
        assert _head(engine) >= head
    finally:
        engine.dispose()
    assert json.loads(str(detail))["firstBadEntry"] == "AUD-6"
