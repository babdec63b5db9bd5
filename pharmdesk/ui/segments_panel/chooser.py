"""Which segment, and its one parameter: a condition (asked on Enter), a number of days
or a minimum spend (asked once the arrows pause)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCompleter,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from pharmdesk.ui.debounce import debounce_timer
from pharmdesk.ui.formatting import money
from pharmdesk.ui.segment_model import CONDITION, HIGH_VALUE, REFILLS
from pharmdesk.ui.widgets import plain_label

PARAM_DEBOUNCE_MS = 400
DEFAULT_DAYS = 7
DEFAULT_MIN_SPEND = 100_000
MAX_MIN_SPEND = 2_000_000_000
SEGMENT_TITLES = {
    CONDITION: "By condition",
    REFILLS: "Upcoming refills",
    HIGH_VALUE: "High value",
}


class SegmentChooser(QWidget):
    """The segment buttons and the parameter editor of the chosen one; ``ask`` when the
    segment or its parameter calls for a new list."""

    ask = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choices = QButtonGroup(self)
        choice_row = QHBoxLayout()
        choice_row.addWidget(plain_label("Segment:"))
        self.choice_buttons: dict[str, QRadioButton] = {}
        for segment, title in SEGMENT_TITLES.items():
            button = QRadioButton(title)
            button.setObjectName(f"segment-{segment}")
            self.choices.addButton(button)
            self.choice_buttons[segment] = button
            choice_row.addWidget(button)
        choice_row.addStretch(1)
        self.choice_buttons[CONDITION].setChecked(True)

        self.condition = QLineEdit()
        self.condition.setObjectName("condition")
        self.condition.setPlaceholderText("Part of a condition, e.g. diabetes — then press Enter")
        self.condition.setAccessibleName("Condition")
        self.condition.setClearButtonEnabled(True)
        self.condition_labels = QStringListModel(self)
        self.completer = QCompleter(self.condition_labels, self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.condition.setCompleter(self.completer)
        self.show_button = QPushButton("&Show")
        self.show_button.setObjectName("showCondition")
        condition_page = _param_page("Condition:", self.condition, self.show_button)

        self.days = QSpinBox()
        self.days.setObjectName("days")
        self.days.setRange(0, 365)
        self.days.setValue(DEFAULT_DAYS)
        self.days.setSuffix(" days")
        self.days.setAccessibleName("Refills due within days")
        self.days.setToolTip("0 days: due today (overdue refills are always included)")
        days_page = _param_page("Due within the next", self.days)

        self.min_spend = QSpinBox()
        self.min_spend.setObjectName("minSpend")
        self.min_spend.setRange(0, MAX_MIN_SPEND)
        self.min_spend.setSingleStep(10_000)
        self.min_spend.setGroupSeparatorShown(True)
        self.min_spend.setValue(DEFAULT_MIN_SPEND)
        self.min_spend.setAccessibleName("Minimum spend")
        self.min_spend.setMinimumWidth(150)
        spend_page = _param_page("Spent at least", self.min_spend)

        self.params = QStackedWidget()
        self.param_pages = {CONDITION: 0, REFILLS: 1, HIGH_VALUE: 2}
        for page in (condition_page, days_page, spend_page):
            self.params.addWidget(page)
        self.params.setSizePolicy(
            self.params.sizePolicy().horizontalPolicy(), self.params.sizePolicy().Policy.Fixed
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(choice_row)
        layout.addWidget(self.params)

        self.waiting = debounce_timer(self, PARAM_DEBOUNCE_MS, self.ask.emit)
        self.choices.buttonToggled.connect(self._segment_toggled)
        self.condition.returnPressed.connect(self.ask.emit)
        self.show_button.clicked.connect(self.ask.emit)
        self.completer.activated.connect(lambda _text: self.ask.emit())
        self.days.valueChanged.connect(lambda _v: self.waiting.start())
        self.min_spend.valueChanged.connect(lambda _v: self.waiting.start())

    @property
    def segment(self) -> str:
        for segment, button in self.choice_buttons.items():
            if button.isChecked():
                return segment
        return CONDITION

    def value(self) -> Any:
        """The current segment's parameter; None when there is nothing to ask yet."""
        if self.segment == CONDITION:
            return self.condition.text().strip() or None
        if self.segment == REFILLS:
            return self.days.value()
        return self.min_spend.value()

    def choose(self, segment: str) -> None:
        self.choice_buttons[segment].setChecked(True)

    def _segment_toggled(self, button: QRadioButton, checked: bool) -> None:
        if not checked:
            return
        self.params.setCurrentIndex(self.param_pages[self.segment])
        self.ask.emit()
        if self.segment == CONDITION:
            self.condition.setFocus()


def _param_page(caption: str, editor: QWidget, extra: QWidget | None = None) -> QWidget:
    page = QWidget()
    row = QHBoxLayout(page)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(plain_label(caption))
    row.addWidget(editor, 1 if isinstance(editor, QLineEdit) else 0)
    if extra is not None:
        row.addWidget(extra)
    if not isinstance(editor, QLineEdit):
        row.addStretch(1)
    return page


def describe(segment: str, value: Any, currency: str) -> str:
    """The segment in words, for the count and the export dialog."""
    if segment == CONDITION:
        return f"a condition matching '{value}'"
    if segment == REFILLS:
        if value == 0:
            return "a refill due today or overdue"
        return f"a refill due within {value} {'day' if value == 1 else 'days'} (or overdue)"
    return f"spent at least {money(int(value), currency)}"
