"""Pieces every "choose a password" screen shares: the rule, the fields, the strength bar.

First-run setup, "Change my password", the first-sign-in change, staff one-time passwords
and break-glass recovery all show the same rule before anyone types and the same
zxcvbn strength hint while they type, so a person learns one thing once.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QProgressBar, QVBoxLayout, QWidget
from zxcvbn import zxcvbn

from pharmdesk.controllers.passwords import MIN_LENGTH, RULE, check_new_password
from pharmdesk.errors import PharmDeskError
from pharmdesk.ui.widgets import plain_label

STRENGTH_WORDS = ("Very weak", "Weak", "Fair", "Strong", "Very strong")


def strength_hint(password: str, context: list[str]) -> tuple[int, str]:
    """A 0..4 score and a short hint for the strength bar (zxcvbn's estimate)."""
    if not password:
        return 0, f"At least {MIN_LENGTH} characters."
    result = zxcvbn(password[:200], user_inputs=context)
    score = int(result["score"])
    suggestion = " ".join(result["feedback"].get("suggestions") or [])
    if len(password) < MIN_LENGTH:
        return min(score, 1), f"{MIN_LENGTH - len(password)} more characters needed."
    return score, f"{STRENGTH_WORDS[score]}. {suggestion}".strip()


def password_edit(object_name: str, accessible_name: str) -> QLineEdit:
    """A password field that never echoes and is never pre-filled."""
    edit = QLineEdit()
    edit.setObjectName(object_name)
    edit.setAccessibleName(accessible_name)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


def rule_label(text: str = RULE) -> QLabel:
    """The password rule, shown above the fields before anyone types."""
    label = plain_label(text)
    label.setObjectName("subtitle")
    label.setWordWrap(True)
    label.setAccessibleName("Password rule")
    return label


class StrengthMeter(QWidget):
    """A thin bar and a one-line hint under a password field, updated as the person types."""

    def __init__(self, field: QLineEdit, context: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = list(context)
        self.bar = QProgressBar()
        self.bar.setRange(0, 4)
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(8)
        self.hint = plain_label(f"At least {MIN_LENGTH} characters.")
        self.hint.setObjectName("strengthHint")
        self.hint.setWordWrap(True)
        # zxcvbn's advice runs to two lines: keep room for them so nothing jumps or clips.
        self.hint.setMinimumHeight(self.hint.fontMetrics().lineSpacing() * 2)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.bar)
        layout.addWidget(self.hint)
        field.textChanged.connect(self.update_for)

    def set_context(self, context: list[str]) -> None:
        """Words the password should not lean on (the username, the branch)."""
        self._context = list(context)

    def update_for(self, text: str) -> None:
        score, hint = strength_hint(text, [*self._context, "pharmdesk", "pharmacy"])
        if len(text) >= MIN_LENGTH:
            # The rule itself (common list, repeats, the username), in the words the
            # refusal will use, before the person submits.
            username = self._context[0] if self._context else ""
            try:
                check_new_password(text, username=username)
            except PharmDeskError as exc:
                score, hint = 0, exc.message
        self.bar.setValue(score)
        self.hint.setText(hint)
