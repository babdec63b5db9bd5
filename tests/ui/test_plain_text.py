"""Text that reaches a record, in the GUI (API.md v3): stored text is shown literally
(markup typed into a record never becomes Qt rich text in the profile, the plan rows, the
customer list or their tooltips), and text pasted into the customer form meets the same
rules as every other path."""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCharts import QBarCategoryAxis
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QLabel

from pharmdesk.ui.charts import SegmentChart
from pharmdesk.ui.customer_form.form import CustomerForm
from pharmdesk.ui.customer_table import CustomerTableModel
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.duplicate_choice import DuplicateChoice
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


# -- the customer form: text pasted from a phone ----------------------------------------------
def _form(qtbot, desk: DeskContext) -> CustomerForm:  # type: ignore[no-untyped-def]
    form = CustomerForm(desk, None, ask=lambda *_args: True, ask_new_label=lambda *_a: True)
    qtbot.addWidget(form)
    form.show()
    form.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is form)
    return form


def _paste(qtbot, widget, text: str, *, then: Qt.Key = Qt.Key.Key_Tab) -> None:  # type: ignore[no-untyped-def]
    """As a person pastes from a phone: zero-width characters cannot be typed, only pasted."""
    QApplication.clipboard().setText(text)
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(widget, then)


def _answer_likely_duplicates(qtbot) -> list[int]:  # type: ignore[no-untyped-def]
    shown: list[int] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, DuplicateChoice):
            QTimer.singleShot(20, answer)
            return
        shown.append(dialog.list.count())
        dialog.save_button.click()

    QTimer.singleShot(20, answer)
    return shown


def test_a_pasted_name_with_a_zero_width_space_is_john_does_duplicate(
    qtbot,
    signed_in_desk: DeskContext,  # type: ignore[no-untyped-def]
) -> None:
    signed_in_desk.call("addProviderCustomer", {"name": "John Doe", "phone": "08031234567"})
    form = _form(qtbot, signed_in_desk)
    _paste(qtbot, form.name, "John Doe\u200b")
    assert form.name.text() == "John Doe\u200b"  # the field holds what was pasted...
    _paste(qtbot, form.phone, "0803 123 4567")
    shown = _answer_likely_duplicates(qtbot)
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert shown == [1]
    assert "CUST-1" in form._errors["name"].text()  # ...and the rule sees through it
    assert signed_in_desk.call("fetchCustomers", {})["total"] == 1


def test_a_pasted_zero_width_allergy_is_stored_clean_and_a_look_alike_refused(
    qtbot,
    signed_in_desk: DeskContext,  # type: ignore[no-untyped-def]
) -> None:
    form = _form(qtbot, signed_in_desk)
    _paste(qtbot, form.name, "Ngozi Okeke")
    _paste(qtbot, form.phone, "0803 555 0101")
    qtbot.mouseClick(form.allergy_has, Qt.MouseButton.LeftButton)
    _paste(qtbot, form.allergies.editor, "Amoxi\u0441illin", then=Qt.Key.Key_Return)  # Cyrillic с
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    message = form._errors["allergies"].text()
    assert "'\u0441' (Cyrillic, U+0441) is mixed into the Latin word" in message
    assert form._errors["allergies"].textFormat() == Qt.TextFormat.PlainText
    assert signed_in_desk.call("fetchCustomers", {})["total"] == 0
    form.allergies.set_labels([])
    _paste(qtbot, form.allergies.editor, "Peni\u200bcil\u00adlin", then=Qt.Key.Key_Return)
    saved: list[str] = []
    form.saved.connect(saved.append)
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert saved == ["CUST-1"]
    details = signed_in_desk.call("viewProviderCustomerDetails", {"customerId": "CUST-1"})
    assert details["allergies"] == ["Penicillin"]


def test_chart_labels_show_a_stored_condition_literally(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Qt Charts draws titles and axis labels as HTML: the chart escapes stored names."""
    chart = SegmentChart()
    qtbot.addWidget(chart)
    chart.show_conditions([{"condition": HIDDEN_ALLERGY, "customers": 5}])
    [axis] = [a for a in chart.chart().axes() if isinstance(a, QBarCategoryAxis)]
    assert axis.categories() == [escape(HIDDEN_ALLERGY)]
    assert chart.categories == [HIDDEN_ALLERGY]
