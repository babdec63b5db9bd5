"""Forward-secure sealing of the audit log (API.md v3, "Audit additions").

The attacks are made as someone holding the database key would make them: straight SQL
and their own code, with every hash recomputed and the checkpoint rewritten to match,
and every seal they can compute (they can read the *current* epoch key in the database)
recomputed too. Only an admin's verify, which re-derives every key from the root kept in
the vault, can tell; it must name the first entry touched.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import delete, select, text, update

from pharmdesk.clock import FixedClock
from pharmdesk.controllers import audit, audit_seal
from pharmdesk.controllers.recovery import recovery_sign_in
from pharmdesk.controllers.session import DeskSession, create_database
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.schema import AuditEntry, AuditState
from pharmdesk.store.vault import Vault
from tests.conftest import ADMIN_PASSWORD, TEST_KDF

pytestmark = pytest.mark.single_pc(
    "the forward-secure seal is single-PC mode's; a branch server keeps its log append-only "
    "itself (docs/admin/server.md)"
)

Login = Callable[..., DeskSession]


def state(desk: DeskSession) -> tuple[int, str]:
    with desk.db.transaction() as tx:
        row = tx.scalars(select(AuditState)).one()
        return int(row.seal_epoch), str(row.seal_key)


def epochs(desk: DeskSession) -> list[tuple[int, str, int | None]]:
    with desk.db.transaction() as tx:
        rows = tx.execute(select(AuditEntry.id, AuditEntry.action, AuditEntry.epoch)).all()
        return [(r.id, r.action, r.epoch) for r in rows]


def forge(desk: DeskSession, change: Callable[[list[dict]], list[dict]]) -> None:
    """What a key holder can do: change entries, then make the chain whole again with
    recomputed detail hashes and hashes, every seal re-made under the current epoch key
    (the only one in the database), the seal state kept, and a matching checkpoint."""
    epoch, key_hex = state(desk)
    key = bytes.fromhex(key_hex)
    table = AuditEntry.__table__
    with desk.db.transaction() as tx:
        rows = [dict(r._mapping) for r in tx.execute(select(table).order_by(table.c.id))]
        original = [dict(r) for r in rows]
        kept = change(rows)
        # Entries before the first change stay exactly as they were (seals and all).
        same = next(
            (n for n, (a, b) in enumerate(zip(original, kept, strict=False)) if a != b),
            len(kept),
        )
        prev = kept[same - 1]["hash"] if same else audit.GENESIS
        for number, row in enumerate(kept[same:], start=same + 1):
            row["id"] = number
            row["prev_hash"] = prev
            row["detail_hash"] = audit.detail_digest(row["detail"])
            row["hash"] = audit.hash_of(SimpleNamespace(**row))
            if row["epoch"] is not None:
                row["epoch"] = epoch
                row["mac"] = audit_seal.entry_mac(key, number, epoch, row["hash"])
            prev = row["hash"]
        tx.execute(delete(table))
        tx.execute(table.insert(), kept)
        head = audit.Checkpoint(len(kept), prev)
    desk.files.checkpoint.unlink()
    audit.write_checkpoint(desk.files.checkpoint, head)


BISI = "bisi walks far 2026"


def add_admin(admin: DeskSession, username: str, password: str) -> None:
    params = {"username": username, "fullName": "Bisi", "role": "admin", "password": password}
    admin.call("addStaff", params)


def verify(desk: DeskSession) -> dict:
    return desk.call("verifyAuditLog")


def test_every_entry_is_sealed_and_each_sign_in_opens_an_epoch(
    admin: DeskSession, login: Login, clock: FixedClock
) -> None:
    admin.call("fetchCustomers")
    first_epoch, first_key = state(admin)
    second = login()
    second.call("fetchCustomers")
    epoch, key = state(second)
    assert epoch == first_epoch + 1 and key != first_key
    # The old key is gone from the database: only the current one is kept.
    assert first_key not in json.dumps(epochs(second))
    rows = epochs(second)
    assert all(e is not None for _id, _a, e in rows)
    sign_ins = [(i, e) for i, a, e in rows if a == "signIn"]
    for (entry_id, entry_epoch), (_prev_id, prev_epoch) in zip(
        sign_ins[1:], sign_ins, strict=False
    ):
        assert entry_epoch == prev_epoch + 1, entry_id
    answer = verify(second)
    assert answer["ok"] is True and answer["sealed"] == answer["checked"]


def test_the_epoch_moves_on_at_least_hourly(admin: DeskSession, clock: FixedClock) -> None:
    admin.call("fetchCustomers")
    epoch, _ = state(admin)
    clock.advance(minutes=59)
    admin.call("fetchCustomers")
    assert state(admin)[0] == epoch
    clock.advance(minutes=2)
    admin.call("fetchCustomers")
    assert state(admin)[0] == epoch + 1
    assert verify(admin)["ok"] is True


def test_the_root_is_not_in_the_database(admin: DeskSession) -> None:
    assert admin.seal is not None
    root = admin.seal.root.hex()
    with admin.db.transaction() as tx:
        dumped = [
            str(tuple(row))
            for table in ("audit_state", "audit_entry", "setting")
            for row in tx.execute(text(f"SELECT * FROM {table}"))
        ]
    assert all(root not in row for row in dumped)
    # In the vault it is only wrapped: never in the clear.
    assert root not in admin.files.vault.read_text()


def test_rewriting_an_entry_of_an_earlier_epoch_is_named(admin: DeskSession, login: Login) -> None:
    admin.call("addProviderCustomer", {"name": "Ada Obi", "phone": "08031234501"})
    target = epochs(admin)[-1][0]  # the create, sealed in the first session's epoch
    later = login()  # a later sign-in: a new epoch
    later.call("fetchCustomers")

    def edit(rows: list[dict]) -> list[dict]:
        for row in rows:
            if row["id"] == target:
                row["detail"] = json.dumps({"nothing": "to see"})
        return rows

    forge(later, edit)
    with later.db.transaction() as tx:
        checkpoint = audit.read_checkpoint(later.files.checkpoint)
        assert audit.verify_chain(tx, checkpoint).ok  # hashes and checkpoint agree
    answer = verify(later)
    assert answer["ok"] is False
    assert answer["firstBadEntry"] == f"AUD-{target}"
    assert "seal" in answer["reason"]


def test_deleting_an_entry_of_an_earlier_epoch_is_named(admin: DeskSession, login: Login) -> None:
    admin.call("addProviderCustomer", {"name": "Ada Obi", "phone": "08031234501"})
    admin.call("fetchCustomers")
    target = epochs(admin)[-2][0]
    later = login()
    forge(later, lambda rows: [r for r in rows if r["id"] != target])
    answer = verify(later)
    assert (answer["ok"], answer["firstBadEntry"]) == (False, f"AUD-{target}")


def test_cutting_back_to_an_earlier_epoch_is_named(admin: DeskSession, login: Login) -> None:
    """Remove everything from a past entry on and put an older epoch number in the
    database: the key there is the current one, not the older epoch's."""
    admin.call("fetchCustomers")
    keep = epochs(admin)[-1][0]
    later = login()
    later.call("fetchCustomers")
    with later.db.transaction() as tx:
        old_epoch = tx.scalar(select(AuditEntry.epoch).where(AuditEntry.id == keep))
        tx.execute(delete(AuditEntry).where(AuditEntry.id > keep))
        tx.execute(update(AuditState).values(seal_epoch=old_epoch))
        head = audit.chain_head(tx)
    later.files.checkpoint.unlink()
    audit.write_checkpoint(later.files.checkpoint, head)
    answer = verify(later)
    assert answer["ok"] is False
    assert answer["firstBadEntry"] == f"AUD-{keep + 1}"


def test_what_the_current_epoch_cannot_stop(admin: DeskSession) -> None:
    """Said plainly (README): whoever holds the database key now can add entries to the
    current epoch, sealed with its key. Sealing protects what came before."""
    epoch, key_hex = state(admin)
    with admin.db.transaction() as tx:
        head = audit.chain_head(tx)
        assert head is not None
        entry = AuditEntry(
            id=head.entry_id + 1,
            at=admin.clock.now().replace(tzinfo=None),
            user="admin",
            action="list",
            entity_type="customer",
            entity_id=None,
            outcome="success",
            detail="{}",
            prev_hash=head.hash,
            detail_hash=audit.detail_digest("{}"),
        )
        entry.hash = audit.hash_of(entry)
        entry.epoch = epoch
        entry.mac = audit_seal.entry_mac(bytes.fromhex(key_hex), entry.id, epoch, entry.hash)
        tx.add(entry)
    assert verify(admin)["ok"] is True


# -- who holds the root ---------------------------------------------------------------------
def test_an_admin_added_later_holds_the_root(admin: DeskSession, login: Login) -> None:
    admin.call(
        "addStaff",
        {
            "username": "bisi",
            "fullName": "Bisi",
            "role": "admin",
            "password": BISI,
        },
    )
    bisi = login("bisi", BISI)
    assert bisi.seal == admin.seal
    assert verify(bisi)["ok"] is True


def test_a_promoted_admin_receives_the_root_at_their_next_sign_in(
    admin: DeskSession, login: Login
) -> None:
    password = "femi likes long walks 2026"
    admin.call(
        "addStaff",
        {"username": "femi", "fullName": "Femi", "role": "frontdesk", "password": password},
    )
    femi = login("femi", password)
    assert femi.seal is None
    admin.call("setStaffRole", {"username": "femi", "role": "admin"})
    femi = login("femi", password)
    assert femi.seal == admin.seal
    # From then on it is wrapped under their own password (no longer a pending grant).
    entry = audit_seal.entry_of(Vault(femi.files.vault, TEST_KDF), "femi")
    assert entry is not None and entry["grant"] and not entry["pendingGrant"]
    assert verify(femi)["ok"] is True
    admin.call("setStaffRole", {"username": "femi", "role": "frontdesk"})
    assert login("femi", password).seal is None


def test_password_changes_and_resets_keep_the_root(admin: DeskSession, login: Login) -> None:
    new = "a brand new admin phrase 2026"
    admin.call("changeMyPassword", {"oldPassword": ADMIN_PASSWORD, "newPassword": new})
    again = login("admin", new)
    assert again.seal == admin.seal
    admin.call(
        "addStaff",
        {
            "username": "bisi",
            "fullName": "Bisi",
            "role": "admin",
            "password": BISI,
        },
    )
    again.call("resetStaffPassword", {"username": "bisi", "password": "bisi has a new one 2026"})
    assert login("bisi", "bisi has a new one 2026").seal == admin.seal


def test_a_rewrite_of_the_key_slots_leaves_the_seal_entries_alone(
    admin: DeskSession, login: Login
) -> None:
    """A rekey re-wraps the database-key slots; the sealKey entries are another kind."""
    vault = Vault(admin.files.vault, TEST_KDF)
    before = audit_seal.entries(vault)
    vault.set_staff_password("admin", ADMIN_PASSWORD, admin.key)
    assert audit_seal.entries(vault) == before
    assert login().seal == admin.seal


def test_disabling_an_admin_removes_their_seal_entry(admin: DeskSession) -> None:
    admin.call(
        "addStaff",
        {
            "username": "bisi",
            "fullName": "Bisi",
            "role": "admin",
            "password": BISI,
        },
    )
    vault = Vault(admin.files.vault, TEST_KDF)
    assert audit_seal.entry_of(vault, "bisi") is not None
    admin.call("disableStaff", {"username": "bisi"})
    assert audit_seal.entry_of(vault, "bisi") is None


def test_a_forged_handover_is_refused_and_recorded(admin: DeskSession, login: Login) -> None:
    """A key holder who hands an admin a root of their own making (to re-seal the whole
    log with it) is caught: it does not lead to the database's current key."""
    password = "femi likes long walks 2026"
    admin.call(
        "addStaff",
        {"username": "femi", "fullName": "Femi", "role": "frontdesk", "password": password},
    )
    login("femi", password)  # their key pair
    admin.call("setStaffRole", {"username": "femi", "role": "admin"})
    vault = Vault(admin.files.vault, TEST_KDF)
    entry = audit_seal.entry_of(vault, "femi")
    assert entry is not None
    fake = audit_seal.SealRoot(audit_seal.new_root(), 1)
    audit_seal.put(vault, {**entry, "pendingGrant": audit_seal.pending_grant(entry, fake)})
    femi = login("femi", password)
    assert femi.seal is None
    with femi.db.transaction() as tx:
        found = tx.scalars(select(AuditEntry).where(AuditEntry.action == "tamper")).all()
    assert [json.loads(e.detail)["found"] for e in found] == ["sealStateMismatch"]


def test_the_recovery_key_holds_the_root(tmp_path: Path) -> None:
    files = DatabaseFiles(tmp_path / "pharmdesk.db")
    clock = FixedClock()
    recovery = create_database(
        files, admin="ada", full_name="Ada", password=ADMIN_PASSWORD, clock=clock, kdf=TEST_KDF
    )
    session = recovery_sign_in(
        files, recovery, "Ada forgot her password today", clock=clock, kdf=TEST_KDF
    )
    try:
        assert session._session.seal is not None
        answer = session._session.call("verifyAuditLog")
        assert answer["ok"] is True and answer["sealed"] == answer["checked"]
    finally:
        session.close()


@pytest.mark.parametrize("role", ["frontdesk", "pharmacist"])
def test_other_roles_never_unwrap_the_root(make_staff: Callable, role: str) -> None:
    desk = make_staff("kemi", role)
    assert desk.seal is None
