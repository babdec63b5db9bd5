"""The backup facts of the audit log, for every staff login of a branch server.

getBackupStatus (the status bar's note and the backup dialog, every role) is worked out
from the log's ``backup`` entries, and only admins read ``audit_entry`` on a server.
``pharmdesk_backup_history(limit)`` (SECURITY DEFINER, owned by the database's owner)
hands every staff login those entries' facts and nothing else: when, the outcome, the
backup file's name, whether it was scheduled, and the error. No other entry, and no
other field of a backup entry, leaves the function.

No percent signs below: the statement goes through the driver's parameter formatting.
"""

from __future__ import annotations

SIGNATURE = "pharmdesk_backup_history(integer)"
MAX_ROWS = 500  # as backups.history.HISTORY_LIMIT


def history_function(search_path: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION pharmdesk_backup_history(p_limit integer)
RETURNS TABLE (at timestamp, outcome text, file text, scheduled boolean, error text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {search_path} AS $fn$
    SELECT e.at, e.outcome::text, d.detail->>'file',
           coalesce(d.detail->'scheduled' = 'true'::jsonb, false), d.detail->>'error'
    FROM audit_entry e
    CROSS JOIN LATERAL (SELECT coalesce(e.detail, '{{}}')::jsonb AS detail) d
    WHERE e.action = 'backup'
    ORDER BY e.id DESC
    LIMIT least(greatest(coalesce(p_limit, 0), 0), {MAX_ROWS})
$fn$
"""
