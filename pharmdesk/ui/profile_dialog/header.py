"""The top of a profile: the allergy banner (read first), who the customer is, how to
reach them, their conditions and their counters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.formatting import ago, day, local_date, money, national_phone
from pharmdesk.ui.profile_dialog.document import age_on, allergy_banner_text
from pharmdesk.ui.stat_card import StatCard
from pharmdesk.ui.widgets import plain_label


def section_title(title: str) -> QLabel:
    label = plain_label(title)
    label.setObjectName("sectionTitle")
    return label


def empty_section(text: str) -> QLabel:
    label = plain_label(text)
    label.setObjectName("emptySection")
    return label


class ProfileHeader(QWidget):
    """Allergies, identity, contact, conditions and the stat cards of one customer."""

    def __init__(
        self,
        desk: DeskContext,
        details: dict[str, Any],
        *,
        currency: str,
        region: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        d = details
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)

        state, text = allergy_banner_text(d)
        self.allergy_banner = plain_label(text)
        self.allergy_banner.setObjectName("allergyBanner")
        self.allergy_banner.setProperty("state", state)
        self.allergy_banner.setWordWrap(True)
        layout.addWidget(self.allergy_banner)

        header = QGridLayout()
        self.name_label = plain_label(d["name"])
        self.name_label.setObjectName("profileName")
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        header.addWidget(self.name_label, 0, 0, 1, 2)
        id_label = plain_label(" · ".join(identity(d, desk.clock.today())))
        id_label.setObjectName("profileIdent")
        header.addWidget(id_label, 1, 0, 1, 2)

        self.phone_text = national_phone(d["phone"], region)
        phone_row = QHBoxLayout()
        phone_label = plain_label(f"Phone: {self.phone_text or '—'}")
        phone_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_phone = QPushButton("Copy")
        self.copy_phone.setObjectName("copyPhone")
        self.copy_phone.setToolTip("Copy the phone number")
        self.copy_phone.clicked.connect(self._copy_phone)
        self.copy_phone.setEnabled(bool(self.phone_text))  # an erased record has none
        phone_row.addWidget(phone_label)
        phone_row.addWidget(self.copy_phone)
        phone_row.addStretch(1)
        header.addLayout(phone_row, 2, 0)
        contact = plain_label(
            "\n".join(
                [
                    f"Email: {d['email']}" if d.get("email") else "Email: not given",
                    f"Address: {d['address']}" if d.get("address") else "Address: not given",
                ]
            )
        )
        contact.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        contact.setWordWrap(True)
        header.addWidget(contact, 3, 0, 1, 2)
        layout.addLayout(header)

        conditions = d.get("medicalConditions") or []
        self.conditions_label = plain_label(
            "Conditions: " + (", ".join(conditions) if conditions else "none recorded")
        )
        self.conditions_label.setObjectName("conditions")
        self.conditions_label.setWordWrap(True)
        layout.addWidget(self.conditions_label)

        stats = d["stats"]
        cards = QHBoxLayout()
        last = stats.get("lastOrder")
        now = desk.clock.now()
        self.cards = [
            StatCard("Orders", f"{stats['totalOrders']:,}"),
            StatCard("Total spent", money(stats["totalSpent"], currency)),
            StatCard("Active plans", str(stats["activePlans"])),
            StatCard("Last order", local_date(last) if last else "none", ago(last, now)),
        ]
        for card in self.cards:
            cards.addWidget(card)
        layout.addLayout(cards)

    def _copy_phone(self) -> None:
        self.desk.copy_text(self.phone_text)
        self.copy_phone.setText("Copied")


def identity(details: dict[str, Any], today: dt.date) -> list[str]:
    """The id line: display id, record state, age."""
    d = details
    ident = [d["id"]]
    if d.get("erased"):
        ident.append("ERASED")
    elif d.get("mergedInto"):
        ident.append(f"MERGED into {d['mergedInto']}")
    elif d.get("archived"):
        ident.append("ARCHIVED")
    if d.get("dateOfBirth"):
        birth = dt.date.fromisoformat(d["dateOfBirth"])
        ident.append(f"{age_on(birth, today)} years (born {day(d['dateOfBirth'])})")
    else:
        ident.append("date of birth not recorded")
    return ident
