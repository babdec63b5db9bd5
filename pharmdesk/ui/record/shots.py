"""Screenshots of the completed record (called by ``pharmdesk.ui.screenshots``):

    python -m pharmdesk.ui.record.shots OUTDIR [--screen 1366x768]

John Doe's profile with an HMO whose cover ran out, his wife on file and a named
caregiver; the payer, relationship, merge, access report and erase dialogs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def record_screens(out: Path, folder: Path) -> None:
    from pharmdesk.ui.profile_dialog import ProfileDialog
    from pharmdesk.ui.record.merge_dialog import MergeDialog
    from pharmdesk.ui.record.payer_dialog import PayerDialog
    from pharmdesk.ui.record.relationship_dialog import RelationshipDialog
    from pharmdesk.ui.record.rights import AccessReportDialog, EraseDialog
    from pharmdesk.ui.screenshots import _example_desk, _save, build_profile_example

    desk, clock = _example_desk(folder / "record")
    john = build_profile_example(desk, clock)
    wife = desk.call("addProviderCustomer", {"name": "Mary Doe", "phone": "0802 345 6789"})
    desk.call(
        "setPayer",
        {
            "customerId": john,
            "payer": "Hygeia HMO",
            "memberId": "HYG/88213/01",
            "planName": "Hyprime",
            "validUntil": "2026-03-31",
        },
    )
    desk.call(
        "addRelationship",
        {
            "customerId": john,
            "relatedCustomerId": wife["customerId"],
            "kind": "spouse",
            "canCollect": True,
            "consentMethod": "verbal",
        },
    )
    desk.call(
        "addRelationship",
        {
            "customerId": john,
            "name": "Musa Ibrahim",
            "phone": "0803 555 6666",
            "kind": "caregiver",
            "canCollect": True,
            "consentMethod": "written",
        },
    )
    twin = desk.call(
        "addProviderCustomer",
        {
            "name": "Jon Doe",
            "phone": "0801 234 5679",
            "address": "12 Admiralty Way, Lekki",
            "dateOfBirth": "1980-03-25",
            "allergies": ["Sulfonamides"],
        },
    )["customerId"]
    profile = ProfileDialog(desk, john)
    profile.show()
    bar = profile.body_scroll.verticalScrollBar()
    bar.setValue(profile.record_panel.y() - 40)
    _save(profile, out, "record-profile")
    details = profile.details
    for dialog, name in (
        (PayerDialog(desk, details, profile), "record-payer"),
        (RelationshipDialog(desk, details, profile), "record-relationship"),
        (MergeDialog(desk, john, twin, profile), "record-merge"),
        (AccessReportDialog(desk, details, profile), "record-access-report"),
        (EraseDialog(desk, details, profile), "record-erase"),
    ):
        dialog.show()
        _save(dialog, out, name)
        dialog.close()
    profile.close()
    desk.close()


def main(argv: list[str] | None = None) -> int:
    from pharmdesk.ui.app import make_application
    from pharmdesk.ui.screenshots import _offscreen_screen

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--screen", help="WIDTHxHEIGHT of the offscreen screen")
    args = parser.parse_args(argv)
    if args.screen:
        _offscreen_screen(args.screen, args.outdir)
    args.outdir.mkdir(parents=True, exist_ok=True)
    make_application()
    with tempfile.TemporaryDirectory() as tmp:
        record_screens(args.outdir, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
