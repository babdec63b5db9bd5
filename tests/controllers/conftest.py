"""Every controller test runs on both stores: a single-PC SQLCipher file and a database
on a branch server (PostgreSQL, started by the ``pg`` fixture).

A test about the SQLCipher file itself (its key, its pages, its backup copies, SQLite's
query plans) carries ``@pytest.mark.single_pc("why")`` and runs on the file only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event

from pharmdesk.controllers.session import DeskSession

STORES = ["sqlcipher", "postgresql"]


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest) -> str:
    return str(request.param)


StatementsOf = Callable[[DeskSession, Callable[[], Any]], list[str]]


@pytest.fixture
def statements_of() -> StatementsOf:
    """``statements_of(desk, run)``: every statement ``run`` sends, in order. On a file as
    SQLite itself sees them (some run on the driver, not through SQLAlchemy; parameters
    appear inlined), on a server as SQLAlchemy sends them."""

    def watch(desk: DeskSession, run: Callable[[], Any]) -> list[str]:
        statements: list[str] = []
        if desk.db.engine.dialect.name == "sqlite":
            raw = desk.db.engine.raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            driver.set_trace_callback(statements.append)
            try:
                run()
            finally:
                driver.set_trace_callback(None)
                raw.close()
            return statements

        def seen(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
            statements.append(statement)

        event.listen(desk.db.engine, "before_cursor_execute", seen)
        try:
            run()
        finally:
            event.remove(desk.db.engine, "before_cursor_execute", seen)
        return statements

    return watch
