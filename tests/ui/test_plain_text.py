"""Stored text is shown literally (API.md v3): markup typed into a record never becomes
Qt rich text in the profile, the plan rows, the customer list or their tooltips."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QLabel

from pharmdesk.ui.customer_table import CustomerTableModel
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.profile_dialog import ProfileDialog

HIDDEN_ALLERGY = '<span style="font-size:1px">Penicillin</span>'
MARKED_NAME = "<b>Ada</b> Obi"
NOTES = "<img src='x'> gate code <a href='http://x'>1234</a>"


def _ink(image: QImage) -> int:
    """Pixels far from the label's background colour: how much text was drawn."""
    background = QColor(image.pixel(1, 1))
    count = 0
    for y in range(image.height()):
        for x in range(image.width()):
            pixel = QColor(image.pixel(x, y))
            if abs(pixel.lightness() - background.lightness()) > 60:
                count += 1
    return count


def test_an_allergy_typed_as_markup_shows_literally_in_the_banner(
    qtbot,
    signed_in_desk: DeskContext,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    desk = signed_in_desk
    customer = desk.call(
        "addProviderCustomer",
        {
            "name": MARKED_NAME,
            "phone": "08031112222",
            "allergies": [HIDDEN_ALLERGY],
            "notes": NOTES,
        },
    )["customerId"]
    dialog = ProfileDialog(desk, customer)
    qtbot.addWidget(dialog)
    dialog.resize(1366, 768)
    dialog.show()
    qtbot.waitExposed(dialog)
    banner = dialog.allergy_banner
    assert banner.textFormat() == Qt.TextFormat.PlainText
    assert banner.text().startswith(f"⚠ ALLERGIES: {HIDDEN_ALLERGY} — confirmed")
    # Drawn, not only held: the literal text takes far more ink than the heading alone.
    heading_only = QLabel("⚠ ALLERGIES:")
    heading_only.setObjectName("allergyBanner")
    heading_only.setProperty("state", "recorded")
    heading_only.setParent(banner.parentWidget())
    heading_only.setGeometry(banner.geometry())
    heading_only.show()
    QApplication.processEvents()
    assert _ink(banner.grab().toImage()) > 3 * _ink(heading_only.grab().toImage())
    heading_only.deleteLater()
    assert dialog.name_label.text() == MARKED_NAME
    assert dialog.name_label.textFormat() == Qt.TextFormat.PlainText
    notes = dialog.findChild(QLabel, "notes")
    assert notes is not None and notes.text() == NOTES
    assert notes.textFormat() == Qt.TextFormat.PlainText
    for label in dialog.findChildren(QLabel):
        if label.text() and any(t in label.text() for t in (HIDDEN_ALLERGY, MARKED_NAME, NOTES)):
            assert label.textFormat() == Qt.TextFormat.PlainText, label.objectName()
    dialog.grab().save(str(tmp_path / "profile-markup.png"))


def test_list_tooltips_show_stored_markup_literally(
    qtmodeltester,
    signed_in_desk: DeskContext,  # type: ignore[no-untyped-def]
) -> None:
    desk = signed_in_desk
    desk.call("addProviderCustomer", {"name": MARKED_NAME, "phone": "08031112222"})
    model = CustomerTableModel(desk.caller("fetchCustomers"))
    model.load_first_page()
    qtmodeltester.check(model)
    tips = [
        model.data(model.index(0, column), Qt.ItemDataRole.ToolTipRole)
        for column in range(model.columnCount())
    ]
    shown = [t for t in tips if t]
    assert shown, "the name column has a tooltip"
    for tip in shown:
        assert "<b>Ada</b>" not in tip  # escaped inside the tooltip's own markup
        assert "&lt;b&gt;Ada&lt;/b&gt; Obi" in tip
