"""People's own login roles for a database that came onto a branch server whole (a file
moved there, a server backup restored): roles are the server's, not the database's, so
they are made for it. An active person gets a one-time password, to be changed at their
first sign-in, unless the role is already there (a restore onto the same server keeps
the passwords people have) or they are the admin doing the restore with their own
password; a disabled person's role is ``NOLOGIN`` with no password. In the caller's
transaction: a failure leaves no role changed. The passwords are in the answer only."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, select, update

from pharmdesk.controllers.passwords import generate_one_time_password
from pharmdesk.store import pg_roles
from pharmdesk.store.schema import Staff


@dataclass(frozen=True)
class Login:
    """A person's new server login and its one-time password (kept out of ``repr``)."""

    username: str
    db_role: str
    one_time_password: str = field(repr=False)

    def to_json(self) -> dict[str, str]:
        return {
            "username": self.username,
            "dbRole": self.db_role,
            "oneTimePassword": self.one_time_password,
        }


def make_logins(conn: Connection, staff: list[tuple[str, bool]]) -> list[Login]:
    """Each of ``staff`` (username, disabled): an active person's login role with a fresh
    one-time password; a disabled person's role ``NOLOGIN``."""
    logins: list[Login] = []
    for username, disabled in staff:
        if disabled:
            pg_roles.sync_login(conn, username)
            continue
        conn.execute(
            update(Staff).where(Staff.username == username).values(must_change_password=True)
        )
        password = generate_one_time_password()
        logins.append(Login(username, pg_roles.sync_login(conn, username, password), password))
    return logins


def restored_logins(conn: Connection, restorer: str | None, password: str | None) -> list[Login]:
    """The login roles of a restored database's staff: a role the server already has is
    brought in step with the row (its password kept); the restoring admin's made with
    the password they restored with; everyone else's by ``make_logins``."""
    database = pg_roles.current_database(conn)
    staff = [(str(u), bool(d)) for u, d in conn.execute(select(Staff.username, Staff.disabled))]
    roles = {username: pg_roles.login_role(database, username) for username, _d in staff}
    existing = pg_roles.existing_roles(conn, list(roles.values()))
    fresh: list[tuple[str, bool]] = []
    for username, disabled in staff:
        if roles[username] in existing:
            pg_roles.sync_login(conn, username)
        elif username == restorer and not disabled and password is not None:
            pg_roles.sync_login(conn, username, password)
        else:
            fresh.append((username, disabled))
    return make_logins(conn, fresh)
