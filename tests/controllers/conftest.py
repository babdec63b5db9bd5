"""Every controller test runs on both stores: a single-PC SQLCipher file and a database
on a branch server (PostgreSQL, started by the ``pg`` fixture).

A test about the SQLCipher file itself (its key, its pages, its backup copies, SQLite's
query plans) carries ``@pytest.mark.single_pc("why")`` and runs on the file only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

STORES = ["sqlcipher", "postgresql"]


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """This hook sees every collected item of the run: it judges only this folder's."""
    here = Path(__file__).parent
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_server = callspec is not None and callspec.params.get("store") == "postgresql"
        if (
            on_server
            and item.path.is_relative_to(here)
            and item.get_closest_marker("single_pc") is not None
        ):
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
