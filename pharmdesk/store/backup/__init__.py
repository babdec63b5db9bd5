"""Encrypted, verified backups in one file, and restoring them.

A backup is one zip archive, stored rather than compressed (an encrypted database is
noise that does not compress), holding:

- ``manifest.json``: format, app version, schema revision, time, row counts, the
  database copy's size and SHA-256, the audit checkpoint. Counts only: no patient data.
- ``database.sqlcipher``: a page-by-page copy made with SQLite's online backup API into a
  new SQLCipher file keyed with the same database key (``sqlcipher_export`` works too,
  but rebuilds every table and index; the backup API copies pages and reports
  progress). The copy is never plaintext: SQLCipher encrypts every page it writes, and
  the copy is checked not to start with SQLite's plaintext header.
- ``vault.json``: the keyslots, so the same passwords and recovery key open the copy.
- ``checkpoint.json``: the audit chain's head at the moment of the copy.

Every copy is verified before it counts as a backup (opened with the key,
``integrity_check``, ``cipher_integrity_check``, row counts equal to the source's in the
same snapshot, audit chain checked by the caller's ``ChainCheck``), and a restore verifies
the same things again before it touches the target. Files are written beside their
destination and renamed into place, so a crash leaves the old state or the new one.

This package knows files and SQLCipher; signing in and the audit chain are the caller's
(the controllers'), handed in as callbacks.

The parts: ``format`` (what the file holds, the manifest, shared helpers), ``copy``
(making and verifying a backup), ``restore`` (reading one back, installing it, checking
it without restoring) and ``pre_upgrade`` (the safety copy before a schema upgrade).

A branch server's backups are the same kind of file holding an encrypted ``pg_dump``
instead of a SQLCipher copy: ``server`` (writing), ``server_restore`` (reading, checking
in a scratch database, restoring into a new one), ``server_keys`` (the keyslots that open
them), ``stream`` (the chunked AES-GCM) and ``pgtools`` (PostgreSQL's own programs).
"""

from __future__ import annotations

from pharmdesk.store.backup.copy import (
    VerifiedCopy,
    copy_database,
    create_backup,
    verify_copy,
    writing_to,
)
from pharmdesk.store.backup.format import (
    CHECKPOINT,
    COPY_STEP_PAGES,
    DATABASE,
    FORMAT,
    FORMAT_VERSION,
    LIMITS,
    MANIFEST,
    MEMBERS,
    READ_BLOCK,
    SQLITE_PLAINTEXT_HEADER,
    VAULT,
    ChainCheck,
    Damaged,
    Manifest,
    Progress,
    chain_head,
    damaged,
    is_plaintext_sqlite,
    no_progress,
    origin_of,
    place_new_file,
    read_json_member,
    row_counts,
    sha256_file,
    staging_folder,
)
from pharmdesk.store.backup.pre_upgrade import (
    BACKUP_SUFFIX,
    PRE_UPGRADE_MARK,
    pre_upgrade_backup,
    pre_upgrade_name,
    pre_upgrade_server_backup,
)
from pharmdesk.store.backup.restore import (
    BackupArchive,
    CheckedBackup,
    aside_name,
    check_carried_vault,
    install,
    read_manifest,
    target_in_use,
    verify_archive,
)
from pharmdesk.store.backup.server import (
    DUMP,
    KEYSLOTS,
    SERVER_LIMITS,
    ServerBackup,
    create_server_backup,
)
from pharmdesk.store.backup.server_restore import (
    CheckedServerBackup,
    ServerArchive,
    check_restored,
    discard_target,
    prepare_target,
    read_server_manifest,
    verify_server_archive,
)

__all__ = [
    "BACKUP_SUFFIX",
    "CHECKPOINT",
    "COPY_STEP_PAGES",
    "DATABASE",
    "DUMP",
    "FORMAT",
    "FORMAT_VERSION",
    "KEYSLOTS",
    "LIMITS",
    "MANIFEST",
    "MEMBERS",
    "PRE_UPGRADE_MARK",
    "READ_BLOCK",
    "SERVER_LIMITS",
    "SQLITE_PLAINTEXT_HEADER",
    "VAULT",
    "BackupArchive",
    "ChainCheck",
    "CheckedBackup",
    "CheckedServerBackup",
    "Damaged",
    "Manifest",
    "Progress",
    "ServerArchive",
    "ServerBackup",
    "VerifiedCopy",
    "aside_name",
    "chain_head",
    "check_carried_vault",
    "check_restored",
    "copy_database",
    "create_backup",
    "create_server_backup",
    "damaged",
    "discard_target",
    "install",
    "is_plaintext_sqlite",
    "no_progress",
    "origin_of",
    "place_new_file",
    "pre_upgrade_backup",
    "pre_upgrade_name",
    "pre_upgrade_server_backup",
    "prepare_target",
    "read_json_member",
    "read_manifest",
    "read_server_manifest",
    "row_counts",
    "sha256_file",
    "staging_folder",
    "target_in_use",
    "verify_archive",
    "verify_copy",
    "verify_server_archive",
    "writing_to",
]
