"""The completed record on screen: payer and relationships on the profile, the payer,
relationship, merge, access report and erase dialogs, driven as a person would and
checked against the database."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLabel, QPushButton, QRadioButton

from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.profile_dialog import ProfileDialog
from pharmdesk.ui.record.merge_dialog import MergeDialog
from pharmdesk.ui.record.payer_dialog import PayerDialog
from pharmdesk.ui.record.relationship_dialog import ReasonDialog, RelationshipDialog
from pharmdesk.ui.record.rights import AccessReportDialog, EraseDialog


def _customer(desk: DeskContext, name: str, phone: str, **fields: Any) -> str:
    return str(
        desk.call("addProviderCustomer", {"name": name, "phone": phone, **fields})["customerId"]
    )


def _view(desk: DeskContext, cid: str) -> dict[str, Any]:
    return desk.call("viewProviderCustomerDetails", {"customerId": cid})


def _click(qtbot, button) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_the_profile_shows_an_expired_cover_and_both_directions(
    qtbot, signed_in_desk: DeskContext
) -> None:
    desk = signed_in_desk
    mum = _customer(desk, "Funmi Adeyemi", "08031234567")
    son = _customer(desk, "Tobi Adeyemi", "08037654321")
    desk.call(
        "setPayer",
        {"customerId": mum, "payer": "Hygeia HMO", "memberId": "HY-9", "validUntil": "2020-01-01"},
    )
    desk.call(
        "addRelationship",
        {
            "customerId": mum,
            "relatedCustomerId": son,
            "kind": "child",
            "canCollect": True,
            "consentMethod": "verbal",
        },
    )
    profile = ProfileDialog(desk, mum)
    qtbot.addWidget(profile)
    panel = profile.record_panel
    assert "COVER EXPIRED" in panel.payer_label.text()
    assert panel.payer_label.property("state") == "expired"
    lines = [w.findChild(QLabel, "relationshipLine").text() for w in panel.relationship_rows]
    assert lines == [f"Child: Tobi Adeyemi ({son}), 0803 765 4321 — may collect"]
    other = ProfileDialog(desk, son)
    qtbot.addWidget(other)
    (row,) = other.record_panel.relationship_rows
    assert "Parent: Funmi Adeyemi" in row.findChild(QLabel).text()


def test_payer_dialog(qtbot, signed_in_desk: DeskContext) -> None:
    desk = signed_in_desk
    cid = _customer(desk, "Ifeoma Nwosu", "08032223333")
    dialog = PayerDialog(desk, _view(desk, cid))
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.fields.member_id.isEnabled()  # cash first
    dialog.fields.payer.setCurrentIndex(dialog.fields.payer.findText("Leadway Health"))
    _click(qtbot, dialog.save_button)
    assert dialog.error.isVisible() and "member id" in dialog.error.text()
    qtbot.keyClicks(dialog.fields.member_id, "LW/0091/22")
    qtbot.keyClicks(dialog.fields.plan_name, "Gold")
    dialog.fields.has_end.setChecked(True)
    with qtbot.waitSignal(dialog.saved):
        _click(qtbot, dialog.save_button)
    payer = _view(desk, cid)["payer"]
    assert (payer["payer"], payer["memberId"], payer["planName"]) == (
        "Leadway Health",
        "LW/0091/22",
        "Gold",
    )
    assert payer["validUntil"] == "2027-04-18"


def test_relationship_dialog_on_file_and_named(qtbot, signed_in_desk: DeskContext) -> None:
    desk = signed_in_desk
    gran = _customer(desk, "Kudirat Bello", "08021112222")
    grandson = _customer(desk, "Musa Bello", "08021113333")
    dialog = RelationshipDialog(desk, _view(desk, gran))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.name, "Aminat Bello")
    qtbot.keyClicks(dialog.phone, "0803 555 6666")
    dialog.kind.setCurrentIndex(dialog.kind.findData("caregiver"))
    dialog.can_collect.setChecked(True)
    with qtbot.waitSignal(dialog.saved):
        _click(qtbot, dialog.save_button)
    dialog = RelationshipDialog(desk, _view(desk, gran))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.on_file.setChecked(True)
    qtbot.keyClicks(dialog.picker.search, "Musa")
    _click(qtbot, dialog.picker.find_button)
    assert dialog.picker.chosen() == grandson
    dialog.kind.setCurrentIndex(dialog.kind.findData("child"))
    with qtbot.waitSignal(dialog.saved):
        _click(qtbot, dialog.save_button)
    rels = _view(desk, gran)["relationships"]
    assert [(r["kind"], r["name"], r["phone"], r["canCollect"], r["customerId"]) for r in rels] == [
        ("caregiver", "Aminat Bello", "+2348035556666", True, None),
        ("child", "Musa Bello", "+2348021113333", False, grandson),
    ]
    # removing asks why
    profile = ProfileDialog(desk, gran)
    qtbot.addWidget(profile)
    remove = profile.record_panel.relationship_rows[0].findChild(QPushButton)
    _click(qtbot, remove)
    reason = profile.record_panel.dialog
    assert isinstance(reason, ReasonDialog)
    _click(qtbot, reason.save_button)
    assert reason.error.isVisible()  # a reason is required
    qtbot.keyClicks(reason.reason, "Moved away")
    _click(qtbot, reason.save_button)
    assert [r["kind"] for r in _view(desk, gran)["relationships"]] == ["child"]


def test_merge_dialog_and_undo(qtbot, signed_in_desk: DeskContext) -> None:
    desk = signed_in_desk
    keep = _customer(desk, "Adaeze Okonkwo", "08031230001", allergies=["Penicillin"])
    dup = _customer(
        desk, "Adaeze Okonkwoh", "08031230002", allergies=["Sulfonamides"], address="4 Allen Avenue"
    )
    before = _view(desk, keep)
    dialog = MergeDialog(desk, keep, dup)
    qtbot.addWidget(dialog)
    dialog.show()
    assert set(dialog.choices) == {"name", "phone", "address"}
    assert "Sulfonamides" in dialog.note.text()
    radio = dialog.findChild(QRadioButton, "address_merge")
    qtbot.mouseClick(radio, Qt.MouseButton.LeftButton, pos=QPoint(6, radio.height() // 2))
    _click(qtbot, dialog.save_button)
    assert "reason" in dialog.error.text().lower()
    qtbot.keyClicks(dialog.reason, "Same woman, two branches")
    with qtbot.waitSignal(dialog.merged) as merged:
        _click(qtbot, dialog.save_button)
    kept = _view(desk, keep)
    assert kept["address"] == "4 Allen Avenue" and kept["name"] == "Adaeze Okonkwo"
    assert kept["allergies"] == ["Penicillin", "Sulfonamides"]
    assert _view(desk, dup)["mergedInto"] == keep
    # an admin undoes it from the profile
    profile = ProfileDialog(desk, keep)
    qtbot.addWidget(profile)
    undo = profile.record_panel.findChild(QPushButton, "undoMerge")
    _click(qtbot, undo)
    reason = profile.record_panel.dialog
    assert isinstance(reason, ReasonDialog)
    qtbot.keyClicks(reason.reason, "Two different women")
    _click(qtbot, reason.save_button)
    after = _view(desk, keep)
    assert {k: v for k, v in after.items() if k != "merges"} == {
        k: v for k, v in before.items() if k != "merges"
    }
    assert _view(desk, dup)["archived"] is False and merged.args[0].startswith("MRG-")


def test_access_report_and_export(
    qtbot, qtmodeltester, signed_in_desk: DeskContext, tmp_path: Path
) -> None:
    desk = signed_in_desk
    cid = _customer(desk, "Obinna Eze", "08030005555")
    desk.call("fetchCustomers", {"search": "Obinna"})
    dialog = AccessReportDialog(desk, _view(desk, cid))
    qtbot.addWidget(dialog)
    dialog.show()
    qtmodeltester.check(dialog.model)
    actions = [(dialog.model.record(r) or {}).get("action") for r in range(dialog.model.rowCount())]
    assert actions == ["create", "list", "view"]
    assert "admin (saw 2, changed 1" in dialog.summary.text()
    dialog.all_time.setChecked(False)
    _click(qtbot, dialog.show_button)
    assert dialog.model.rowCount() == 4  # today: the first report's own export entry too
    target = tmp_path / "export.json"
    dialog.write_export(target, "json")
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["customer"]["name"] == "Obinna Eze" and data["accessReport"]["entries"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    pdf = tmp_path / "export.pdf"
    dialog.write_export(pdf, "pdf")
    assert pdf.read_bytes().startswith(b"%PDF")


def test_erase_needs_the_id_typed(qtbot, signed_in_desk: DeskContext) -> None:
    desk = signed_in_desk
    cid = _customer(desk, "Grace Etim", "08030004444", notes="Allergic to cats")
    dialog = EraseDialog(desk, _view(desk, cid))
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.save_button.isEnabled()
    qtbot.keyClicks(dialog.typed, cid.lower())
    assert dialog.save_button.isEnabled()
    _click(qtbot, dialog.save_button)
    assert dialog.error.isVisible()  # the reason is required
    qtbot.keyClicks(dialog.reason, "Written request")
    with qtbot.waitSignal(dialog.erased):
        _click(qtbot, dialog.save_button)
    view = _view(desk, cid)
    assert view["erased"] is True and view["notes"] is None
    assert view["name"] == f"Erased customer {cid}"


def test_the_customer_form_saves_the_payer_and_who_may_collect(
    qtbot, signed_in_desk: DeskContext
) -> None:
    from pharmdesk.ui.customer_form.form import CustomerForm

    desk = signed_in_desk
    form = CustomerForm(desk, None, ask=lambda *_a: True, ask_new_label=lambda *_a: True)
    qtbot.addWidget(form)
    form.show()
    qtbot.keyClicks(form.name, "Halima Yusuf")
    qtbot.keyClicks(form.phone, "0803 777 8888")
    part = form.record_part
    part.payer.payer.setCurrentIndex(part.payer.payer.findText("AXA Mansard Health"))
    qtbot.keyClicks(part.collector_name, "Sadiq Yusuf")
    _click(qtbot, form.save_button)
    # nothing saved while the HMO's member id is missing
    assert "member id" in form.banner.text()
    assert desk.call("fetchCustomers", {})["total"] == 0
    qtbot.keyClicks(part.payer.member_id, "AXA-443")
    _click(qtbot, form.save_button)
    assert "phone of the person" in form.banner.text()
    qtbot.keyClicks(part.collector_phone, "0803 777 9999")
    part.collector_kind.setCurrentIndex(part.collector_kind.findData("child"))
    with qtbot.waitSignal(form.saved) as saved:
        _click(qtbot, form.save_button)
    view = _view(desk, saved.args[0])
    assert (view["payer"]["payer"], view["payer"]["memberId"]) == ("AXA Mansard Health", "AXA-443")
    (rel,) = view["relationships"]
    assert (rel["name"], rel["phone"], rel["kind"], rel["canCollect"], rel["consentMethod"]) == (
        "Sadiq Yusuf",
        "+2348037779999",
        "child",
        True,
        "form",
    )
    # editing: the payer is shown and a change is saved; an untouched one is not rewritten
    edit = CustomerForm(desk, view, ask=lambda *_a: True)
    qtbot.addWidget(edit)
    edit.show()
    assert edit.record_part.payer.member_id.text() == "AXA-443"
    assert not edit.is_dirty()
    edit.record_part.payer.member_id.clear()
    qtbot.keyClicks(edit.record_part.payer.member_id, "AXA-444")
    assert edit.is_dirty()
    with qtbot.waitSignal(edit.saved):
        _click(qtbot, edit.save_button)
    assert _view(desk, saved.args[0])["payer"]["memberId"] == "AXA-444"


def test_an_order_with_the_hmo_share(qtbot, signed_in_desk: DeskContext) -> None:
    desk = signed_in_desk
    cid = _customer(desk, "Kemi Bello", "08031112222")
    desk.call("setPayer", {"customerId": cid, "payer": "Hygeia HMO", "memberId": "H-2"})
    profile = ProfileDialog(desk, cid)
    qtbot.addWidget(profile)
    dialog = profile.order_dialog()
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.amount.setValue(12000)
    dialog.payer_share.setFocus()
    dialog.payer_share.selectAll()
    qtbot.keyClicks(dialog.payer_share, "9000")
    assert dialog.customer_share.text() == "3,000"
    with qtbot.waitSignal(dialog.recorded):
        _click(qtbot, dialog.save_button)
    entry = desk.call("fetchAuditLog", {"action": "order", "limit": 1})["entries"][0]
    assert (entry["detail"]["payerShare"], entry["detail"]["customerShare"]) == (9000, 3000)
    # cash customers are not asked
    cash = _customer(desk, "Tunde Bello", "08031113333")
    other = ProfileDialog(desk, cash)
    qtbot.addWidget(other)
    plain = other.order_dialog()
    qtbot.addWidget(plain)
    assert plain.payer is None and "payerShare" not in plain.params()
