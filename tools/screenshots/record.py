"""Screenshots of the completed record: John Doe's profile with an HMO whose cover ran
out, his wife on file and a named caregiver; the payer, relationship, merge, access report
and erase dialogs."""

from __future__ import annotations

from pathlib import Path

from pharmdesk.ui.profile_dialog import ProfileDialog
from pharmdesk.ui.record.merge_dialog import MergeDialog
from pharmdesk.ui.record.payer_dialog import PayerDialog
from pharmdesk.ui.record.relationship_dialog import RelationshipDialog
from pharmdesk.ui.record.rights import AccessReportDialog, EraseDialog
from tools.screenshots.capture import save
from tools.screenshots.example import build_profile_example, example_desk


def record_screens(out: Path, folder: Path) -> None:
    desk, clock = example_desk(folder / "record")
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
    save(profile, out, "record-profile")
    details = profile.details
    for dialog, name in (
        (PayerDialog(desk, details, profile), "record-payer"),
        (RelationshipDialog(desk, details, profile), "record-relationship"),
        (MergeDialog(desk, john, twin, profile), "record-merge"),
        (AccessReportDialog(desk, details, profile), "record-access-report"),
        (EraseDialog(desk, details, profile), "record-erase"),
    ):
        dialog.show()
        save(dialog, out, name)
        dialog.close()
    profile.close()
    desk.close()
