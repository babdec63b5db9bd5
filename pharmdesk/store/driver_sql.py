"""The few statements of every operation on a file, run on the SQLite driver itself;
and the reads of every click, prepared once, on either store's driver.

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

from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlcipher3.dbapi2 as sqlcipher
from sqlalchemy import CompoundSelect, Connection, Select
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


def _server_execute(conn: Connection, sql: str, params: Mapping[str, Any]) -> Any:
    """One statement with ``%(name)s`` parameters on the server driver (psycopg), in
    ``conn``'s transaction, planned for its values (never prepared: see store/server.py)."""
    driver: Any = conn.connection.driver_connection
    try:
        return driver.execute(sql, params, prepare=False)
    except psycopg_error() as exc:
        raise DBAPIError.instance(sql, None, exc, psycopg_error(), hide_parameters=True) from None


def psycopg_error() -> type[Exception]:
    import psycopg  # only on a server: a desk on a file never loads the server driver

    return psycopg.Error


# -- prepared reads ------------------------------------------------------------------------
# A statement built once (a module-level ``select``) is compiled once per dialect and then
# run on the driver: its SQL text (on SQLite kept prepared by the driver's statement
# cache), its parameters with their bind conversions, and rows as named tuples with the
# same result conversions SQLAlchemy applies (dates, booleans, JSON). SQLAlchemy's own
# work per execution was most of a small read's time on either store (on a server, a
# profile's nine reads took 8 ms through it, against 2 ms sent bare).
@dataclass(frozen=True)
class _Prepared:
    sql: str
    names: tuple[str, ...]  # in placeholder order on SQLite, by name on a server
    positional: bool
    defaults: dict[str, Any]
    binds: tuple[Callable[[Any], Any] | None, ...]
    row: Callable[..., Any]
    results: tuple[Callable[[Any], Any] | None, ...]


Read = Select[*tuple[Any, ...]] | CompoundSelect[*tuple[Any, ...]]
_PREPARED: dict[tuple[int, str], tuple[Read, _Prepared]] = {}


def _prepare(conn: Connection, statement: Read) -> _Prepared:
    dialect = conn.dialect
    known = _PREPARED.get((id(statement), dialect.name))
    if known is not None and known[0] is statement:
        return known[1]
    compiled: Any = statement.compile(dialect=dialect)
    defaults = compiled.construct_params(_check=False)
    positional = compiled.positiontup is not None
    names = tuple(compiled.positiontup if positional else defaults)
    bind_processors = compiled._bind_processors
    keys = [column[0] for column in compiled._result_columns]
    row_class: Any = namedtuple("Row", keys, rename=True)  # type: ignore[misc]
    prepared = _Prepared(
        sql=compiled.string,
        names=names,
        positional=positional,
        defaults=defaults,
        binds=tuple(bind_processors.get(name) for name in names),
        row=row_class._make,
        results=tuple(
            column[3]._cached_result_processor(dialect, None) for column in compiled._result_columns
        ),
    )
    _PREPARED[(id(statement), dialect.name)] = (statement, prepared)  # lives as long
    return prepared


def rows(conn: Connection, statement: Read, params: Mapping[str, Any]) -> list[Any]:
    """All rows of a prepared read (see above), each with attribute access by column."""
    prepared = _prepare(conn, statement)
    values = {**prepared.defaults, **params}
    converted = [
        value if convert is None else convert(value)
        for value, convert in zip(
            (values[name] for name in prepared.names), prepared.binds, strict=True
        )
    ]
    if prepared.positional:
        found = execute(conn, prepared.sql, converted).fetchall()
    else:
        bound = dict(zip(prepared.names, converted, strict=True))
        found = _server_execute(conn, prepared.sql, bound).fetchall()
    results = prepared.results
    make = prepared.row
    if not any(results):
        return [make(one) for one in found]
    return [
        make(
            [value if convert is None or value is None else convert(value)
             for value, convert in zip(one, results, strict=True)]
        )
        for one in found
    ]  # fmt: skip
