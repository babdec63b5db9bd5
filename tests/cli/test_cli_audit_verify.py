"""``pharmdesk audit verify``: no checkpoint is a failure, and ``--backup`` / ``--code``
check the chain against checkpoints kept elsewhere (issue 16, item 4).

Each attack is one that the checkpoint beside the database and the seals cannot see on
their own: the newest entries removed by someone with the key, in the current seal epoch,
with the checkpoint file rewritten to match.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from sqlalchemy import text

from pharmdesk.controllers import audit
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.engine import Database, open_engine
from pharmdesk.store.vault import Vault
from tests.cli.conftest import Run
from tests.conftest import ADMIN, ADMIN_PASSWORD


def _key(files: DatabaseFiles) -> bytes:
    key = Vault(files.vault).unlock_staff(ADMIN, ADMIN_PASSWORD)
    assert key is not None
    return key


def _cut_newest(files: DatabaseFiles, count: int) -> None:
    """Delete the newest entries and rewrite the checkpoint file to the new head."""
    engine = open_engine(files.db, _key(files))
    try:
        with Database(files.db, engine).transaction() as tx:
            head = audit.chain_head(tx)
            assert head is not None
            tx.execute(text(f"DELETE FROM audit_entry WHERE id > {head.entry_id - count}"))
            new_head = audit.chain_head(tx)
    finally:
        engine.dispose()
    assert new_head is not None
    files.checkpoint.unlink()
    audit.write_checkpoint(files.checkpoint, new_head)


def _head(files: DatabaseFiles) -> int:
    stored = audit.read_checkpoint(files.checkpoint)
    assert stored is not None
    return stored.entry_id


def _activity(run: Run, files: DatabaseFiles, n: int = 3) -> None:
    for i in range(n):
        params = f'{{"name": "Verify Test {i}", "phone": "+2348030000{i:03d}"}}'
        assert run("call", "addProviderCustomer", params, f"--db={files.db}").code == 0


def test_a_sound_log_verifies(run: Run, db_files: DatabaseFiles) -> None:
    _activity(run, db_files)
    result = run("audit", "verify", f"--db={db_files.db}")
    assert result.code == 0
    answer = result.json
    assert answer["ok"] is True and answer["reason"] is None
    assert answer["sealed"] == answer["checked"]


def test_a_missing_checkpoint_is_a_failure(run: Run, db_files: DatabaseFiles) -> None:
    _activity(run, db_files)
    db_files.checkpoint.unlink()
    result = run("audit", "verify", f"--db={db_files.db}")
    assert result.code == 1
    assert result.json["ok"] is False
    assert result.json["reason"] == "checkpoint missing"
    assert "checkpoint missing" in result.err


def test_an_unreadable_checkpoint_is_a_failure(run: Run, db_files: DatabaseFiles) -> None:
    db_files.checkpoint.write_text("{not json")
    result = run("audit", "verify", f"--db={db_files.db}")
    assert result.code == 1
    assert result.json["reason"] == "checkpoint unreadable"


def test_the_checkpoint_inside_a_backup_catches_a_cut(
    run: Run, db_files: DatabaseFiles, tmp_path: Path
) -> None:
    _activity(run, db_files)
    copy = tmp_path / "before.pdbak"
    assert run("backup", str(copy), f"--db={db_files.db}").code == 0
    sound = run("audit", "verify", f"--backup={copy}", f"--db={db_files.db}")
    assert sound.code == 0
    assert any(c.startswith("backup AUD-") for c in sound.json["checkpoints"])
    carried = audit.Checkpoint.from_json(json.loads(_member(copy, "checkpoint.json")))
    _cut_newest(db_files, _head(db_files) - carried.entry_id + 1)  # back to before the backup
    # The backup's checkpoint alone (no seals) is enough to see it.
    engine = open_engine(db_files.db, _key(db_files))
    try:
        with Database(db_files.db, engine).transaction() as tx:
            assert not audit.verify_chain(tx, [carried]).ok
    finally:
        engine.dispose()
    result = run("audit", "verify", f"--backup={copy}", f"--db={db_files.db}")
    assert result.code == 1
    assert result.json["ok"] is False


def _member(archive: Path, name: str) -> bytes:
    with zipfile.ZipFile(archive) as zf:
        return zf.read(name)


def test_a_printed_code_catches_a_cut(run: Run, db_files: DatabaseFiles) -> None:
    _activity(run, db_files)
    stored = audit.read_checkpoint(db_files.checkpoint)
    assert stored is not None
    code = stored.code()  # what an admin printed and kept off the PC
    assert run("audit", "verify", f"--code={code}", f"--db={db_files.db}").code == 0
    _cut_newest(db_files, 2)
    result = run("audit", "verify", f"--code={code}", f"--db={db_files.db}")
    assert result.code == 1 and result.json["ok"] is False


def test_a_wrong_code_or_backup_is_a_clear_error(
    run: Run, db_files: DatabaseFiles, tmp_path: Path
) -> None:
    bad_code = run("audit", "verify", "--code=hello", f"--db={db_files.db}")
    assert bad_code.code != 0
    assert bad_code.error["field"] == "code"
    missing = run("audit", "verify", f"--backup={tmp_path / 'none.pdbak'}", f"--db={db_files.db}")
    assert missing.code != 0
    assert missing.error["field"] == "backup"
