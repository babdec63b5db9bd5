"""A list of short labels typed as chips: type, Enter (or comma) adds, ✕ or Backspace removes.

Used for allergies and conditions. Type-ahead offers labels already used in the branch
and a built-in list of common ones.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCompleter,
    QFrame,
    QLayout,
    QLayoutItem,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QWidget,
    QWidgetItem,
)

from pharmdesk.controllers.validation import clean_text, search_key
from pharmdesk.ui.formatting import plain_tooltip


class FlowLayout(QLayout):
    """Lays children left to right, wrapping onto new lines (Qt has no built-in one)."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 4) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self.setSpacing(spacing)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def insert_widget(self, index: int, widget: QWidget) -> None:
        self.addChildWidget(widget)
        self._items.insert(index, QWidgetItem(widget))
        self.invalidate()

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        return size + QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    def _arrange(self, rect: QRect, *, move: bool) -> int:
        margins = self.contentsMargins()
        area = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        x, y, line_height = area.x(), area.y(), 0
        spacing = self.spacing()
        for item in self._items:
            hint = item.sizeHint()
            if x + hint.width() > area.right() and line_height > 0:
                x = area.x()
                y += line_height + spacing
                line_height = 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + spacing
            line_height = max(line_height, hint.height())
        return y + line_height - rect.y() + margins.bottom()


class ChipsEdit(QFrame):
    """Edits a list of labels; ``changed`` fires whenever the list changes."""

    changed = Signal()

    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chipsEdit")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._labels: list[str] = []
        self._chips: list[QToolButton] = []
        self.editor = QLineEdit()
        self.editor.setFrame(False)
        self.editor.setPlaceholderText(placeholder)
        self.editor.setMinimumWidth(160)
        self.editor.installEventFilter(self)
        self._layout = FlowLayout(self)
        self._layout.setContentsMargins(4, 4, 4, 4)
        self._layout.addWidget(self.editor)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setFocusProxy(self.editor)
        self.editor.textEdited.connect(self._maybe_split)

    def set_suggestions(self, labels: list[str]) -> None:
        completer = QCompleter(labels, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.activated.connect(self._complete)
        self.editor.setCompleter(completer)

    def _complete(self, text: str) -> None:
        self.editor.setText(text)
        self.commit_text()

    def labels(self) -> list[str]:
        """The labels, including any text still typed in the box."""
        pending = clean_text(self.editor.text())
        keys = {search_key(label) for label in self._labels}
        if pending and search_key(pending) not in keys:
            return [*self._labels, pending]
        return list(self._labels)

    def set_labels(self, labels: list[str]) -> None:
        for chip in self._chips:
            self._layout.removeWidget(chip)
            chip.deleteLater()
        self._chips.clear()
        self._labels = []
        self.editor.clear()
        for label in labels:
            self._add(label)
        self.changed.emit()

    def commit_text(self) -> None:
        text = clean_text(self.editor.text().strip(" ,;"))
        self.editor.clear()
        if text:
            self._add(text)
            self.changed.emit()

    def _maybe_split(self, text: str) -> None:
        if text.endswith((",", ";")):
            self.commit_text()

    def _add(self, label: str) -> None:
        if search_key(label) in {search_key(existing) for existing in self._labels}:
            return
        chip = QToolButton()
        chip.setObjectName("chip")
        chip.setText(f"{label}  ✕")
        chip.setToolTip(plain_tooltip(f"Remove {label}"))
        chip.setAccessibleName(label)
        chip.clicked.connect(lambda: self._remove(label))
        self._labels.append(label)
        self._chips.append(chip)
        self._layout.insert_widget(len(self._chips) - 1, chip)
        self.updateGeometry()

    def _remove(self, label: str) -> None:
        index = self._labels.index(label)
        self._labels.pop(index)
        chip = self._chips.pop(index)
        self._layout.removeWidget(chip)
        chip.deleteLater()
        self.updateGeometry()
        self.changed.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is not self.editor or event.type() != QEvent.Type.KeyPress:
            return False
        assert isinstance(event, QKeyEvent)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            completer = self.editor.completer()
            popup = completer.popup() if completer is not None else None
            if popup is not None and popup.isVisible():
                current = popup.currentIndex()
                if current.isValid():
                    self.editor.setText(str(current.data()))
                popup.hide()
            if self.editor.text().strip():
                # Enter adds the chip; it must not also press the dialog's Save button.
                self.commit_text()
                return True
            return False
        if event.key() == Qt.Key.Key_Backspace and not self.editor.text() and self._labels:
            self._remove(self._labels[-1])
            return True
        return False

    def setEnabled(self, enabled: bool) -> None:
        super().setEnabled(enabled)
        for chip in self._chips:
            chip.setEnabled(enabled)
