"""A list of short labels typed as chips: type, Enter (or comma) adds, ✕ or Backspace removes.

Enter takes the highlighted (else the first) suggestion while the suggestion list is
open, so typing ``Hypert`` and Enter adds "Hypertension"; with the list closed (Escape)
the text is taken as typed, and a label the lists do not know is asked about once.

Used for allergies and conditions. Type-ahead offers labels already used in the branch
and a built-in list of common ones.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
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
from pharmdesk.ui.confirm import Ask
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

    def __init__(
        self,
        placeholder: str,
        parent: QWidget | None = None,
        *,
        noun: str = "label",
        ask_new: Ask | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("chipsEdit")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.noun = noun
        # Asked before a label that is neither in the branch's list nor the built-in one
        # becomes a chip: a fragment ("Hypert") must not be saved by accident.
        self._ask_new = ask_new
        self._known: dict[str, str] = {}  # search key -> the label as spelled in the list
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
        # Installed after the completer's own filter, so it sees Enter on the open list
        # first (the completer would pass a bare Enter to the box, keeping the fragment).
        popup = completer.popup()
        if popup is not None:
            popup.installEventFilter(self)
        self._known = {search_key(label): label for label in reversed(labels)}

    def _complete(self, text: str) -> None:
        self.editor.setText(text)
        self.commit_text()

    def first_suggestion(self) -> str | None:
        """The completer's first (highlighted) match for the text typed, if any."""
        completer = self.editor.completer()
        text = self.editor.text().strip(" ,;")
        if completer is None or not text:
            return None
        completer.setCompletionPrefix(text)
        popup = self._popup()
        current = popup.currentIndex() if popup is not None and popup.isVisible() else None
        if current is not None and current.isValid():
            return str(current.data())
        if completer.completionCount() == 0:
            return None
        completer.setCurrentRow(0)
        return completer.currentCompletion()

    def resolve_pending(self) -> bool:
        """Turn the text still typed in the box into a chip before saving.

        A known label (any case) is taken as the list spells it; anything else is asked
        about once. False when the person declined: the text stays for them to correct.
        """
        text = clean_text(self.editor.text().strip(" ,;"))
        if not text:
            self.editor.clear()
            return True
        return self._commit(text)

    def _commit(self, text: str) -> bool:
        known = self._known.get(search_key(text))
        if known is None and self._known and self._ask_new is not None:
            question = f"Add new {self.noun} '{text}'?"
            detail = f"'{text}' is not in this branch's list or the list of common ones."
            if not self._ask_new(f"New {self.noun}", f"{question}\n\n{detail}"):
                self.editor.setFocus()
                self.editor.selectAll()
                return False
            self._known[search_key(text)] = text  # asked once
        self.editor.clear()
        self._add(known or text)
        self.changed.emit()
        return True

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

    def commit_text(self, *, take_suggestion: bool = True) -> None:
        """Enter: the highlighted, else the first, suggestion while the list is open;
        otherwise (a comma, or the list closed) the text as typed, asked about if new."""
        choice = self.first_suggestion()
        popup_open = take_suggestion and self._popup_visible()
        popup = self._popup()
        if popup is not None:
            popup.hide()
        text = clean_text(self.editor.text().strip(" ,;"))
        if choice is not None and (popup_open or search_key(choice) == search_key(text)):
            text = choice
        if text:
            self._commit(text)
        else:
            self.editor.clear()

    def _popup(self) -> QAbstractItemView | None:
        completer = self.editor.completer()
        return completer.popup() if completer is not None else None

    def _popup_visible(self) -> bool:
        popup = self._popup()
        return popup is not None and popup.isVisible()

    def _maybe_split(self, text: str) -> None:
        if text.endswith((",", ";")):
            self.commit_text(take_suggestion=False)

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
        if event.type() != QEvent.Type.KeyPress:
            return False
        assert isinstance(event, QKeyEvent)
        popup = self._popup()
        if popup is not None and watched is popup:
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.commit_text()
                return True
            return False
        if watched is not self.editor:
            return False
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
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
