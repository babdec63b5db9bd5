"""These controller tests run on both stores, as tests/controllers does (see its conftest):
a single-PC SQLCipher file and a database on a branch server."""

from __future__ import annotations

import pytest

from tests.controllers.conftest import STORES


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest) -> str:
    return str(request.param)
