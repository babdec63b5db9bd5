"""Every controller test runs on both stores: a single-PC SQLCipher file and a database
on a branch server (PostgreSQL, started by the ``pg`` fixture).

A test about the SQLCipher file itself (its key, its pages, its backup copies, SQLite's
query plans) carries ``@pytest.mark.single_pc("why")`` and runs on the file only.
"""

from __future__ import annotations

import pytest

STORES = ["sqlcipher", "postgresql"]


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest) -> str:
    return str(request.param)
