"""The few statements of every operation on a file, run on the SQLite driver itself.

Each operation on a SQLCipher file begins its transaction, reads the signed-in person's
staff row with the audit chain's head and seal state, and ends with its audit entry.
Through SQLAlchemy each of these statements costs several times the work SQLite does
for it (at a million customers, a third of a search by id). Run on the driver's own
connection (whose statement cache keeps them prepared), inside the same transaction,
they cost what they do. A failure becomes SQLAlchemy's ``DBAPIError`` like any other
statement's, so ``Database.transaction`` reports it the same way (a full disk, a damaged
page, a busy database), and the parameters (patient data) stay out of its text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlcipher3.dbapi2 as sqlcipher
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError


def _driver(conn: Connection) -> sqlcipher.Connection:
    driver = conn.connection.driver_connection
    assert driver is not None
    return driver


def execute(conn: Connection, sql: str, params: Sequence[Any] = ()) -> sqlcipher.Cursor:
    """One statement with ``?`` parameters, in ``conn``'s transaction."""
    try:
        return _driver(conn).execute(sql, params)
    except sqlcipher.Error as exc:
        raise DBAPIError.instance(sql, None, exc, sqlcipher.Error, hide_parameters=True) from None


def executemany(conn: Connection, sql: str, rows: Iterable[Sequence[Any]]) -> None:
    """The same statement for each of ``rows``, in ``conn``'s transaction."""
    try:
        _driver(conn).executemany(sql, rows)
    except sqlcipher.Error as exc:
        raise DBAPIError.instance(sql, None, exc, sqlcipher.Error, hide_parameters=True) from None
