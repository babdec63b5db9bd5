"""Display ids (CUST-n, ...) are the same on both stores: a write that is rolled back
leaves no gap, as SQLite gives the next row the highest id plus one."""

from __future__ import annotations

from typing import Any

import pytest

from pharmdesk.controllers import audit
from pharmdesk.controllers.session import DeskSession


def test_a_rolled_back_create_leaves_no_gap_in_the_ids(
    admin: DeskSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = admin.call("addProviderCustomer", {"name": "Ada Obi", "phone": "08031110001"})
    assert first["customerId"] == "CUST-1"

    def fails(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the audit write failed")

    with monkeypatch.context() as patch:
        patch.setattr(audit, "append_many", fails)
        with pytest.raises(RuntimeError):  # after the customer row was inserted
            admin.call("addProviderCustomer", {"name": "Bola Ade", "phone": "08031110002"})
    second = admin.call("addProviderCustomer", {"name": "Bola Ade", "phone": "08031110002"})
    assert second["customerId"] == "CUST-2"
