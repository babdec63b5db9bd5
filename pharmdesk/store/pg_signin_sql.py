"""Failed sign-ins on a branch server: counted by the server, for every desk at once.

A person who is not signed in cannot connect as themself, so a desk reports a refused
login through the database's *sign-in gate*: the login role ``pd_<database>:signin``
(``gate_role``), whose only rights are CONNECT to its database and EXECUTE on two
SECURITY DEFINER functions owned by the database's owner:

- ``pharmdesk_sign_in_check(username)``: the time the account is locked until (or
  NULL) and the failures so far; a try while locked is entered into the audit log as
  ``lockedOut``;
- ``pharmdesk_sign_in_failed(username)``: one more consecutive failure; the
  ``signInFailed`` entry, and at the fifth the lock-out (``lockedOut`` with ``until``).

The rules and the entries are those of single-PC mode (``store/attempts``,
``session_parts.record_pending_failures``): ``MAX_FAILURES`` failures lock the account
for ``LOCKOUT``; a lock-out that is over starts the count again; the entries name the
username tried, as ``staff`` entity, outcome ``failed``, with the time of the try in the
detail. They are appended through ``pharmdesk_audit_append``, so the chain stays one.
Times are the server's clock (to the second, UTC): no desk's clock, and no caller of
the gate, can end a lock-out early or start the count again.

``pharmdesk_sign_in_clear(username)`` forgets a username's failures: each person
after their own successful sign-in, admins for anyone (unlockStaff); not the gate.
``sign_in_counter`` is read by admins (listStaff) and written by these functions only.

The gate's password is derived from the database's name (``gate_password``): it is no
secret and needs none. The gate may do what the sign-in screen of any PharmDesk that
knows the server's address does (count a failed try, ask whether an account is locked),
and nothing else: it reads no table (tests/server/test_pg_lockout).

No percent signs below: the statements go through the driver's parameter formatting.
"""

from __future__ import annotations

import hashlib

from pharmdesk.store.attempts import LOCKOUT, MAX_FAILURES
from pharmdesk.store.pg_audit_sql import IS_OWNER, TRANSACTION_LOCK

GATE_CONNECTION_LIMIT = 20  # short connections, one per sign-in; a cap on misuse
USERNAME_CHARS = 64  # as record_pending_failures cuts the name tried

CHECK_SIGNATURE = "pharmdesk_sign_in_check(text)"
FAILED_SIGNATURE = "pharmdesk_sign_in_failed(text)"
CLEAR_SIGNATURE = "pharmdesk_sign_in_clear(text)"
# The server's own clock decides, to the second (whatever the session's time zone): a
# desk's clock, or a caller of the gate, can neither end a lock-out early nor reset it.
SERVER_NOW = "date_trunc('second', now() AT TIME ZONE 'UTC')"


def gate_password(database: str) -> str:
    """The sign-in gate's password: the same at every desk, from the database's name."""
    digest = hashlib.sha256(b"pharmdesk sign-in gate\x00" + database.encode("utf-8"))
    return "pharmdesk-sign-in-gate-" + digest.hexdigest()[:32]


def _failure_entry(action: str, with_until: bool) -> str:
    """One entry of ``pharmdesk_audit_append``'s array, as SQL. The detail is the text
    ``canonical_detail`` makes of ``{"at": ...}`` (and ``"until"``): keys sorted,
    compact (the times are ASCII, so ``to_json`` quotes them as Python does)."""
    detail = "'{\"at\":' || to_json(v_iso)::text"
    if with_until:
        detail += " || ',\"until\":' || to_json(v_until_iso)::text"
    detail += " || '}'"
    return (
        f"jsonb_build_object('action', '{action}', 'entityType', 'staff', "
        f"'entityId', left(v_user, 24), 'outcome', 'failed', 'detail', {detail})"
    )


_DECLARE = """
    v_user text := left(p_username, {chars});
    v_at timestamp := {now};
    v_iso text := to_char({now}, 'YYYY-MM-DD"T"HH24:MI:SS"Z"');
    v_until timestamp;
    v_until_iso text;
    v_failures integer;
"""
_ARGUMENTS = """
    IF p_username IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'a username is needed';
    END IF;
"""
# Counting takes the desks' transaction lock first (two desks failing at once both
# count); checking takes it only to enter a try while locked (the append takes it).
_LOCK = f"    PERFORM pg_advisory_xact_lock({TRANSACTION_LOCK});\n"


def check_function(search_path: str) -> str:
    """The lock-out's end (NULL when not locked) and the failures counted so far."""
    return f"""
CREATE OR REPLACE FUNCTION pharmdesk_sign_in_check(p_username text)
RETURNS TABLE (locked_until timestamp, failures integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {search_path} AS $fn$
DECLARE{_DECLARE.format(chars=USERNAME_CHARS, now=SERVER_NOW)}BEGIN{_ARGUMENTS}
    SELECT c.failures, c.locked_until INTO v_failures, v_until
    FROM sign_in_counter c WHERE c.username = v_user;
    IF v_until IS NOT NULL AND v_until <= v_at THEN
        v_failures := 0;  -- a lock-out that is over: the count starts again
        v_until := NULL;
    END IF;
    IF v_until IS NOT NULL THEN
        PERFORM pharmdesk_audit_append(v_at, v_user,
            jsonb_build_array({_failure_entry("lockedOut", False)}));
    END IF;
    RETURN QUERY SELECT v_until, coalesce(v_failures, 0);
END
$fn$
"""


def failed_function(search_path: str) -> str:
    lockout_seconds = int(LOCKOUT.total_seconds())
    return f"""
CREATE OR REPLACE FUNCTION pharmdesk_sign_in_failed(p_username text)
RETURNS TABLE (failures integer, locked_until timestamp)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {search_path} AS $fn$
DECLARE{_DECLARE.format(chars=USERNAME_CHARS, now=SERVER_NOW)}    v_entries jsonb;
BEGIN{_ARGUMENTS}{_LOCK}
    SELECT c.failures, c.locked_until INTO v_failures, v_until
    FROM sign_in_counter c WHERE c.username = v_user;
    IF v_failures IS NULL OR (v_until IS NOT NULL AND v_until <= v_at) THEN
        v_failures := 0;  -- no failures yet, or a lock-out that is over
    END IF;
    v_failures := v_failures + 1;
    v_until := NULL;
    v_entries := jsonb_build_array({_failure_entry("signInFailed", False)});
    IF v_failures >= {MAX_FAILURES} THEN
        v_until := v_at + make_interval(secs => {lockout_seconds});
        v_until_iso := to_char(v_until, 'YYYY-MM-DD"T"HH24:MI:SS"Z"');
        v_entries := v_entries || jsonb_build_array({_failure_entry("lockedOut", True)});
    END IF;
    INSERT INTO sign_in_counter AS c (username, failures, locked_until)
    VALUES (v_user, v_failures, v_until)
    ON CONFLICT (username) DO UPDATE SET failures = EXCLUDED.failures,
                                         locked_until = EXCLUDED.locked_until;
    PERFORM pharmdesk_audit_append(v_at, v_user, v_entries);
    RETURN QUERY SELECT v_failures, v_until;
END
$fn$
"""


def clear_function(search_path: str, admin_group: str) -> str:
    """Returns whether the account was locked."""
    return f"""
CREATE OR REPLACE FUNCTION pharmdesk_sign_in_clear(p_username text)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {search_path} AS $fn$
DECLARE
    v_owner boolean;
    v_until timestamp;
BEGIN
{IS_OWNER}
    IF NOT v_owner AND NOT pg_has_role(session_user, '{admin_group}', 'MEMBER')
       AND pharmdesk_login_role(p_username) IS DISTINCT FROM session_user::text THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = 'permission denied: only admins clear other people''s sign-in failures';
    END IF;
    DELETE FROM sign_in_counter c WHERE c.username = p_username
    RETURNING c.locked_until INTO v_until;
    RETURN v_until IS NOT NULL AND v_until > {SERVER_NOW};
END
$fn$
"""
