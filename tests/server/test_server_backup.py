"""Server backups against the real test server."""

from __future__ import annotations

from pathlib import Path

import pytest

from pharmdesk.controllers import backups
from pharmdesk.controllers.session import DeskSession


@pytest.fixture
def store() -> str:
    return "postgresql"


def test_smoke(admin: DeskSession, tmp_path: Path) -> None:
    admin.call("addProviderCustomer", {"name": "Ada Obi", "phone": "08031110000"})
    answer = backups.run_backup(admin, tmp_path / "a.pdbak")
    print(answer)
    assert answer["verified"]
