"""The server-side audit functions (SECURITY DEFINER, owned by the database's owner).

``pharmdesk_audit_append`` is the only way a staff login adds to the audit chain: it takes
the desks' transaction lock (``store/desk_lock.TRANSACTION_LOCK``), reads the head, computes
each entry's hash exactly as ``store/audit_chain.entry_hash`` does (chain format 2: the
JSON array ``[2, id, at, user, action, entityType, entityId, outcome, detailHash,
prevHash]``, compact, not ASCII-escaped; PostgreSQL's ``to_json`` escapes a string as
Python's ``json.dumps`` does), inserts the entries and the customers they name, and
returns the new head.

The user of every entry is the person signed in: the username whose login role
(``pharmdesk_login_role``) is ``session_user``. Two kinds of entry name someone else and
may be written by any staff login, as in single-PC mode: failed sign-ins and lock-outs
(``signInFailed`` / ``lockedOut``, outcome ``failed``: the name that was tried; the
server's sign-in gate writes them at once, ``store/pg_signin_sql.py``, and a desk enters
those it counted itself at its next successful sign-in) and ``tamper`` entries found at
sign-in (user
``(pharmdesk)``, which is no username). The
database's owner (and a superuser) writes as any user: ``pharmdesk init``, the move of a
single-PC file, and desks that still connect with the owner's login.

No percent signs below: the statements go through the driver's parameter formatting.
"""

from __future__ import annotations

from pharmdesk.store.desk_lock import TRANSACTION_LOCK  # the desks' transaction lock

IS_OWNER = """
    SELECT r.rolsuper OR r.oid = d.datdba INTO v_owner
    FROM pg_roles r, pg_database d
    WHERE r.rolname = session_user AND d.datname = current_database();
    v_owner := coalesce(v_owner, false);
"""


def append_function(search_path: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION pharmdesk_audit_append(p_at timestamp, p_user text, p_entries jsonb)
RETURNS TABLE (head_id integer, head_hash text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {search_path} AS $fn$
DECLARE
    v_owner boolean;
    v_id integer;
    v_prev text;
    v_at timestamp := date_trunc('second', p_at);
    v_entry jsonb;
    v_action text;
    v_outcome text;
    v_etype text;
    v_eid text;
    v_detail text;
    v_dhash text;
    v_hash text;
    v_material text;
BEGIN
    IF p_at IS NULL OR p_user IS NULL OR jsonb_typeof(p_entries) IS DISTINCT FROM 'array'
       OR jsonb_array_length(p_entries) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = 'pharmdesk_audit_append needs a time, a user and a non-empty array';
    END IF;
    PERFORM pg_advisory_xact_lock({TRANSACTION_LOCK});
{IS_OWNER}
    SELECT e.id, e.hash INTO v_id, v_prev FROM audit_entry e ORDER BY e.id DESC LIMIT 1;
    IF v_id IS NULL THEN
        v_id := 0;
        v_prev := repeat('0', 64);
    END IF;
    FOR v_entry IN
        SELECT t.e FROM jsonb_array_elements(p_entries) WITH ORDINALITY AS t(e, n) ORDER BY t.n
    LOOP
        v_action := v_entry->>'action';
        v_outcome := coalesce(v_entry->>'outcome', 'success');
        v_etype := v_entry->>'entityType';
        v_eid := v_entry->>'entityId';
        v_detail := coalesce(v_entry->>'detail', '{{}}');
        IF v_action IS NULL OR v_detail::jsonb IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'an audit entry needs an action';
        END IF;
        IF NOT v_owner
           AND pharmdesk_login_role(p_user) IS DISTINCT FROM session_user::text
           AND NOT (v_action IN ('signInFailed', 'lockedOut') AND v_outcome = 'failed')
           AND NOT (v_action = 'tamper' AND p_user = '(pharmdesk)') THEN
            RAISE EXCEPTION USING ERRCODE = '42501',
                MESSAGE = 'permission denied: the login ' || session_user
                          || ' may not write audit entries as ' || quote_literal(p_user);
        END IF;
        v_id := v_id + 1;
        v_dhash := encode(sha256(convert_to(v_detail, 'UTF8')), 'hex');
        v_material := '[2,' || v_id::text
            || ',' || to_json(to_char(v_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))::text
            || ',' || to_json(p_user)::text
            || ',' || to_json(v_action)::text
            || ',' || coalesce(to_json(v_etype)::text, 'null')
            || ',' || coalesce(to_json(v_eid)::text, 'null')
            || ',' || to_json(v_outcome)::text
            || ',' || to_json(v_dhash)::text
            || ',' || to_json(v_prev)::text || ']';
        v_hash := encode(sha256(convert_to(v_material, 'UTF8')), 'hex');
        INSERT INTO audit_entry (id, at, "user", action, entity_type, entity_id, outcome,
                                 detail, prev_hash, hash, detail_hash, epoch, mac)
        VALUES (v_id, v_at, p_user, v_action, v_etype, v_eid, v_outcome,
                v_detail, v_prev, v_hash, v_dhash, NULL, NULL);
        INSERT INTO audit_customer (customer_id, entry_id)
        SELECT DISTINCT c::integer, v_id
        FROM jsonb_array_elements_text(coalesce(v_entry->'customers', '[]'::jsonb)) AS c;
        v_prev := v_hash;
    END LOOP;
    RETURN QUERY SELECT v_id, v_prev;
END
$fn$
"""


def redact_function(search_path: str, admin_group: str) -> str:
    """Replace one entry's detail by its redacted form (erasure): admins only; the
    entry's detail hash (which the chain covers) stays, so the chain still verifies."""
    return f"""
CREATE OR REPLACE FUNCTION pharmdesk_audit_redact(p_id integer, p_detail text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {search_path} AS $fn$
DECLARE
    v_owner boolean;
BEGIN
{IS_OWNER}
    IF NOT v_owner AND NOT pg_has_role(session_user, '{admin_group}', 'MEMBER') THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = 'permission denied: only admins redact audit entries';
    END IF;
    IF p_detail IS NULL OR left(p_detail, 12) <> '{{"redacted":' OR p_detail::jsonb IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'not a redacted audit detail';
    END IF;
    PERFORM pg_advisory_xact_lock({TRANSACTION_LOCK});
    UPDATE audit_entry SET detail = p_detail WHERE id = p_id AND detail_hash IS NOT NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = 'no audit entry with a detail hash has the id ' || p_id::text;
    END IF;
END
$fn$
"""


def head_function(search_path: str) -> str:
    """The newest entry's id, hash and time: what every desk needs of the chain (its
    checkpoint, the clock check at sign-in) without reading the log itself."""
    return f"""
CREATE OR REPLACE FUNCTION pharmdesk_audit_head()
RETURNS TABLE (head_id integer, head_hash text, head_at timestamp)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {search_path} AS $fn$
    SELECT e.id, e.hash, e.at FROM audit_entry e ORDER BY e.id DESC LIMIT 1
$fn$
"""
