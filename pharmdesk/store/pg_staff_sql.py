"""The server function that keeps a person's login role in step with their staff row.

``pharmdesk_staff_login(username, verifier)`` (SECURITY DEFINER, owned by the database's
owner, which has CREATEROLE) creates the login role ``pharmdesk_login_role(username)``
when missing, makes it a member of exactly the group of the row's role, lets it log in
while the row is active (NOLOGIN, and no password, once disabled) and sets its password
when a SCRAM-SHA-256 verifier is given (computed at the desk: the password itself never
reaches the server). Only an admin (or the owner) may call it for anyone; everyone may
call it for themself, and then it only sets the password (and clears their
``must_change_password``: staff logins may not update the staff table). Admin logins
therefore need no CREATEROLE: this function is the narrower right (a role attribute is
not inherited).

No percent signs below: the statement goes through the driver's parameter formatting.
"""

from __future__ import annotations

from pharmdesk.store.pg_audit_sql import IS_OWNER

SCRAM_PREFIX = "SCRAM-SHA-256$"


def staff_login_function(search_path: str, groups: dict[str, str]) -> str:
    def literal(value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    admin = literal(groups["admin"])
    memberships = "\n".join(
        f"""    IF v_staff.role = {literal(role)} THEN
        EXECUTE 'GRANT ' || quote_ident({literal(group)}) || ' TO ' || quote_ident(v_role);
    ELSIF pg_has_role(v_role, {literal(group)}, 'MEMBER') THEN
        EXECUTE 'REVOKE ' || quote_ident({literal(group)}) || ' FROM ' || quote_ident(v_role);
    END IF;"""
        for role, group in groups.items()
    )
    return f"""
CREATE OR REPLACE FUNCTION pharmdesk_staff_login(p_username text, p_verifier text)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {search_path} AS $fn$
DECLARE
    v_owner boolean;
    v_role text := pharmdesk_login_role(p_username);
    v_staff record;
BEGIN
{IS_OWNER}
    IF p_verifier IS NOT NULL AND left(p_verifier, 14) <> '{SCRAM_PREFIX}' THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = 'a password is given to the server as a SCRAM-SHA-256 verifier only';
    END IF;
    SELECT s.role, s.disabled INTO v_staff FROM staff s WHERE s.username = p_username;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = 'no staff account is named ' || quote_literal(p_username);
    END IF;
    IF NOT v_owner AND NOT pg_has_role(session_user, {admin}, 'MEMBER') THEN
        IF v_role IS DISTINCT FROM session_user::text THEN
            RAISE EXCEPTION USING ERRCODE = '42501',
                MESSAGE = 'permission denied: only admins manage other people''s logins';
        END IF;
        IF p_verifier IS NOT NULL THEN
            EXECUTE 'ALTER ROLE ' || quote_ident(v_role)
                    || ' PASSWORD ' || quote_literal(p_verifier);
            -- Their own choice: a one-time password is one no more.
            UPDATE staff SET must_change_password = false WHERE username = p_username;
        END IF;
        RETURN v_role;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_role) THEN
        EXECUTE 'CREATE ROLE ' || quote_ident(v_role) || ' NOLOGIN INHERIT';
    END IF;
{memberships}
    IF v_staff.disabled THEN
        EXECUTE 'ALTER ROLE ' || quote_ident(v_role) || ' NOLOGIN PASSWORD NULL';
    ELSE
        EXECUTE 'ALTER ROLE ' || quote_ident(v_role) || ' LOGIN';
        IF p_verifier IS NOT NULL THEN
            EXECUTE 'ALTER ROLE ' || quote_ident(v_role)
                    || ' PASSWORD ' || quote_literal(p_verifier);
        END IF;
    END IF;
    RETURN v_role;
END
$fn$
"""


def signed_in_function(search_path: str) -> str:
    """A sign-in notes its time on the person's own staff row, and only there (staff
    logins may not change the staff table)."""
    return f"""
CREATE OR REPLACE FUNCTION pharmdesk_signed_in(p_at timestamp)
RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = {search_path} AS $fn$
    UPDATE staff SET last_sign_in = p_at
    WHERE pharmdesk_login_role(username) = session_user::text
$fn$
"""
