"""Customers ▸ Find duplicates…: a few customers typed in a second time, the pairs after a
scan."""

from __future__ import annotations

from pathlib import Path

from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.main_window import MainWindow
from tools.screenshots.capture import save, wait_for


def plant_duplicates(desk: DeskContext, count: int = 6) -> None:
    """A few customers typed in a second time (a typo, swapped names, another phone form)."""
    rows = desk.call("fetchCustomers", {"limit": count, "sort": "createdAt"})["customers"]
    for n, row in enumerate(rows):
        words = row["name"].split()
        last = words[-1]
        if n % 3 == 0 and len(last) >= 4:
            words[-1] = last[:-2] + last[-1] + last[-2]  # two letters swapped
        elif n % 3 == 1:
            words = [words[-1], *words[:-1]]
        else:
            words.insert(1, "Tola")
        phone = "0" + row["phone"][4:7] + " " + row["phone"][7:10] + " " + row["phone"][10:]
        try:
            desk.call("addProviderCustomer", {"name": " ".join(words), "phone": phone})
        except PharmDeskError:
            continue  # that variant is a relative's name on the same phone


def duplicate_screens(out: Path, window: MainWindow) -> None:
    """The pairs after a scan, one compared side by side."""
    plant_duplicates(window.desk)
    window.duplicates.action.trigger()
    dialog = window.duplicates.dialog
    assert dialog is not None
    wait_for(dialog)
    save(dialog, out, "duplicates")
    dialog.close()
