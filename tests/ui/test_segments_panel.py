"""The Segments tab driven as staff would: choose a segment, change its parameter, read
the rows and counts, open a profile, export a campaign, record consent.

The branch below is hand-built so each row can be checked against the operations:
consent, spend exactly on the threshold, a refill exactly on the edge of the window, an
overdue one, and an archived customer who must never appear.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, QSettings, Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from pharmdesk.exports.csv_safe import safe_cell
from pharmdesk.store.files import write_file_atomic
from pharmdesk.store.schema import AuditEntry
from pharmdesk.ui import campaign_export, segment_model
from pharmdesk.ui.campaign_export import CampaignExportDialog
from pharmdesk.ui.charts import band_label, compact_money, refill_bars
from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.main_window import MainWindow
from pharmdesk.ui.profile_dialog import ProfileDialog
from pharmdesk.ui.segment_model import CONDITION, HIGH_VALUE, REFILLS, SegmentTableModel
from pharmdesk.ui.segments_panel import SegmentsPanel
from pharmdesk.ui.segments_panel.chooser import PARAM_DEBOUNCE_MS
from tests.controllers.test_segments import subscribe

TODAY = dt.date(2026, 4, 18)

# name, conditions, consent, spend, refill due (days from today; None: no plan)
BRANCH: list[tuple[str, list[str], bool, int, int | None]] = [
    ("Ada Obi", ["Diabetes Type 2", "Hypertension"], True, 150_000, 2),
    ("Bola Ade", ["diabetes type 1"], False, 100_000, -3),
    ("Chidi Eze", ["Hypertension"], True, 99_999, 7),
    ("Dayo Ojo", ["Asthma"], False, 500_000, 8),
    ("Efe Uche", ["Diabète gestationnel"], True, 0, None),
    ("Funmi Bello", ["Diabetes Type 2"], True, 900_000, 1),  # archived below
]


def _call(desk: DeskContext, name: str, params: dict[str, Any]) -> dict[str, Any]:
    return desk.call(name, params)


@pytest.fixture
def branch(signed_in_desk: DeskContext) -> dict[str, str]:
    """The customers above; name -> id. Funmi Bello is archived."""
    desk = signed_in_desk
    plan_id = desk.call(
        "addPlan",
        {
            "name": "Diabetes Monthly",
            "medications": ["Metformin 500mg"],
            "frequency": "monthly",
            "price": 5000,
        },
    )["planId"]
    ids: dict[str, str] = {}
    for i, (name, conditions, consent, spend, due) in enumerate(BRANCH):
        customer_id = desk.call(
            "addProviderCustomer",
            {
                "name": name,
                "phone": f"0803{i:07d}",
                "email": f"{name.split()[0].lower()}@example.com",
                "medicalConditions": conditions,
                "marketingConsent": consent,
            },
        )["customerId"]
        ids[name] = customer_id
        if spend:
            desk.call("recordOrder", {"customerId": customer_id, "total": spend})
        if due is None:
            continue
        if due >= 0:
            desk.call(
                "addCustomerPlan",
                {
                    "customerId": customer_id,
                    "planId": plan_id,
                    "startDate": (TODAY + dt.timedelta(days=due)).isoformat(),
                },
            )
        else:  # an overdue delivery cannot be enrolled today: written as history
            assert desk.session is not None
            plan_number = int(plan_id.split("-")[1])
            subscribe(
                desk.session, customer_id, plan_number, TODAY + dt.timedelta(days=due), "active"
            )
    desk.call("archiveCustomer", {"customerId": ids["Funmi Bello"]})
    return ids


@pytest.fixture
def window(main_window: MainWindow, branch: dict[str, str]) -> MainWindow:
    main_window.start()
    main_window.show()
    return main_window


def audit(desk: DeskContext, action: str) -> list[AuditEntry]:
    assert desk.session is not None
    with desk.session.db.transaction() as tx:
        return list(
            tx.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


def detail(entry: AuditEntry) -> dict[str, Any]:
    raw: Any = entry.detail
    return raw if isinstance(raw, dict) else json.loads(raw)


def operation_ids(desk: DeskContext, segment: str, value: Any) -> list[str]:
    operation, param = segment_model.SEGMENT_OPERATIONS[segment]
    seen: list[str] = []
    page = 1
    while True:
        answer = desk.call(operation, {param: value, "page": page, "limit": 2})
        seen.extend(row["id"] for row in answer["customers"])
        if not answer["hasMore"]:
            return seen
        page += 1


def model_ids(model: SegmentTableModel) -> list[str]:
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    return [str(model.customer_id(r)) for r in range(model.rowCount())]


def open_segments(qtbot: Any, window: MainWindow) -> SegmentsPanel:
    window.segments_action.trigger()
    panel = window.segments_panel
    assert window.tabs.currentWidget() is panel
    qtbot.waitUntil(panel.isVisible)
    return panel


def column_texts(panel: SegmentsPanel, title: str) -> list[str]:
    column = [c.title for c in panel.model.columns].index(title)
    return [str(panel.model.index(r, column).data()) for r in range(panel.model.rowCount())]


# -- the panel -----------------------------------------------------------------------------------
def test_nothing_loads_until_the_tab_is_shown(qtbot: Any, window: MainWindow) -> None:
    desk = window.desk
    before = len(audit(desk, "segment"))
    assert window.segments_panel.model.rowCount() == 0
    open_segments(qtbot, window)
    entries = audit(desk, "segment")[before:]
    # Only the chart's summary so far: no condition typed, no customer listed.
    assert [detail(e).get("summary") for e in entries] == [True]


def test_condition_typed_with_completer_lists_the_operation_rows(
    qtbot: Any, window: MainWindow, branch: dict[str, str]
) -> None:
    panel = open_segments(qtbot, window)
    labels = panel.condition_labels.stringList()
    assert set(labels) >= {"Diabetes Type 2", "Hypertension", "Asthma"}
    panel.condition.setFocus()
    qtbot.keyClicks(panel.condition, "DIABET")
    assert panel.completer.completionCount() >= 2  # substring, any case
    qtbot.keyClick(panel.condition, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.model.value == "DIABET")
    expected = operation_ids(window.desk, CONDITION, "DIABET")
    assert model_ids(panel.model) == expected
    assert expected == [branch["Ada Obi"], branch["Bola Ade"], branch["Efe Uche"]]
    assert panel.count_label.text() == "3 customers with a condition matching 'DIABET'"
    assert panel.total_label.text() == ""
    # The chart: most common at the top (drawn last), the searched ones highlighted.
    assert panel.chart.categories[-1] == "Hypertension"
    highlighted = [panel.chart.categories[i] for i in panel.chart.highlighted]
    assert sorted(highlighted) == ["Diabetes Type 2", "Diabète gestationnel", "diabetes type 1"]


def test_clicking_a_chart_bar_lists_that_condition(qtbot: Any, window: MainWindow) -> None:
    panel = open_segments(qtbot, window)
    index = panel.chart.categories.index("Hypertension")
    panel.chart.condition_clicked.emit(panel.chart.categories[index])
    assert panel.condition.text() == "Hypertension"
    assert model_ids(panel.model) == operation_ids(window.desk, CONDITION, "Hypertension")
    assert panel.model.total == 2


def test_switching_segments_and_parameters(
    qtbot: Any, window: MainWindow, branch: dict[str, str]
) -> None:
    panel = open_segments(qtbot, window)
    qtbot.mouseClick(panel.choice_buttons[REFILLS], Qt.MouseButton.LeftButton)
    assert panel.params.currentIndex() == panel.param_pages[REFILLS]
    # 7 days: overdue first, then by date; exactly today + 7 is in, today + 8 is not.
    assert model_ids(panel.model) == [branch["Bola Ade"], branch["Ada Obi"], branch["Chidi Eze"]]
    assert model_ids(panel.model) == operation_ids(window.desk, REFILLS, 7)
    assert column_texts(panel, "Next refill")[0].endswith("(overdue)")
    assert panel.count_label.text() == "3 customers with a refill due within 7 days (or overdue)"
    assert panel.chart.categories[0] == "Overdue" and panel.chart.values[0] == 1
    assert sum(panel.chart.values) == 3

    panel.days.setFocus()
    qtbot.keyClick(panel.days, Qt.Key.Key_Up)  # 8 days, after the pause
    qtbot.waitUntil(lambda: panel.model.value == 8, timeout=PARAM_DEBOUNCE_MS * 10)
    assert model_ids(panel.model) == [
        branch["Bola Ade"],
        branch["Ada Obi"],
        branch["Chidi Eze"],
        branch["Dayo Ojo"],
    ]

    qtbot.mouseClick(panel.choice_buttons[HIGH_VALUE], Qt.MouseButton.LeftButton)
    assert panel.model.value == 100_000
    # Exactly the minimum is in, 99,999 is not, the archived big spender never.
    assert model_ids(panel.model) == [branch["Dayo Ojo"], branch["Ada Obi"], branch["Bola Ade"]]
    assert model_ids(panel.model) == operation_ids(window.desk, HIGH_VALUE, 100_000)
    assert column_texts(panel, "Total spent") == ["₦500,000", "₦150,000", "₦100,000"]
    assert panel.count_label.text() == "3 customers with spent at least ₦100,000"
    assert panel.total_label.text() == "Total spent: ₦750,000"
    assert panel.chart.values and sum(panel.chart.values) == 3

    panel.min_spend.setValue(150_001)
    qtbot.waitUntil(lambda: panel.model.value == 150_001, timeout=PARAM_DEBOUNCE_MS * 10)
    assert model_ids(panel.model) == [branch["Dayo Ojo"]]
    assert panel.total_label.text() == "Total spent: ₦500,000"


def test_an_empty_segment_says_so(qtbot: Any, window: MainWindow) -> None:
    panel = open_segments(qtbot, window)
    assert panel.results.currentWidget() is panel.empty_state
    assert "Type part of a condition" in panel.empty_state.text()
    panel.show_condition("leprosy")
    assert panel.model.rowCount() == 0
    assert panel.results.currentWidget() is panel.empty_state
    assert panel.empty_state.text() == "No customer with a condition matching 'leprosy'."
    assert panel.count_label.text() == "0 customers with a condition matching 'leprosy'"


def test_a_refused_parameter_is_shown_not_raised(qtbot: Any, window: MainWindow) -> None:
    panel = open_segments(qtbot, window)
    panel.show_condition("x" * 121)
    assert not panel.error.isHidden()
    assert "condition" in panel.error.text()
    assert panel.model.rowCount() == 0


def test_double_click_opens_the_profile(
    qtbot: Any, window: MainWindow, branch: dict[str, str]
) -> None:
    panel = open_segments(qtbot, window)
    panel.show_condition("hypertension")
    rect = panel.table.visualRect(panel.model.index(1, 1))
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    profiles = [w for w in QApplication.topLevelWidgets() if isinstance(w, ProfileDialog)]
    assert [p.customer_id for p in profiles if p.isVisible()] == [branch["Chidi Eze"]]
    views = audit(window.desk, "view")
    assert views[-1].entity_id == branch["Chidi Eze"]
    for profile in profiles:
        profile.close()


def test_lock_forgets_rows_chart_and_conditions(qtbot: Any, window: MainWindow) -> None:
    panel = open_segments(qtbot, window)
    panel.show_condition("diabet")
    assert panel.model.rowCount() == 3
    window.lock()
    assert panel.model.rowCount() == 0
    assert panel.chart.categories == []
    assert panel.condition_labels.stringList() == []
    assert panel.count_label.text() == ""


def test_each_page_shown_is_one_segment_audit_entry(
    qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(segment_model, "PAGE_SIZE", 2)
    panel = open_segments(qtbot, window)
    before = len(audit(window.desk, "segment"))
    panel.show_condition("s")  # every customer but the archived one
    model_ids(panel.model)
    pages = [detail(e) for e in audit(window.desk, "segment")[before:] if "page" in detail(e)]
    assert [(p["segment"], p["page"], p["shown"]) for p in pages] == [
        ("condition", 1, 2),
        ("condition", 2, 2),
        ("condition", 3, 1),
    ]


# -- the model -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("segment", "value"), [(CONDITION, "s"), (REFILLS, 30), (HIGH_VALUE, 0)])
def test_model_pages_and_qt_contract(
    qtmodeltester: Any,
    signed_in_desk: DeskContext,
    branch: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    segment: str,
    value: Any,
) -> None:
    monkeypatch.setattr(segment_model, "PAGE_SIZE", 2)
    model = SegmentTableModel(lambda name, params: _call(signed_in_desk, name, params))
    model.show_segment(segment, value)
    assert model.rowCount() == 2 and model.canFetchMore(QModelIndex())
    qtmodeltester.check(model)
    ids = model_ids(model)
    assert ids == operation_ids(signed_in_desk, segment, value)  # none skipped or repeated
    assert len(set(ids)) == len(ids) == model.total
    qtmodeltester.check(model)
    model.clear()
    assert model.rowCount() == 0 and not model.canFetchMore(QModelIndex())


def test_model_shows_nothing_before_a_value(signed_in_desk: DeskContext) -> None:
    calls: list[str] = []

    def call(name: str, params: dict[str, Any]) -> dict[str, Any]:
        calls.append(name)
        return signed_in_desk.call(name, params)

    model = SegmentTableModel(call)
    model.show_segment(CONDITION, None)
    assert model.rowCount() == 0 and calls == []
    with pytest.raises(ValueError):
        model.show_segment("everyone", 1)


# -- campaign export -------------------------------------------------------------------------------
def exported(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_export_writes_consented_customers_only_and_says_who_was_left_out(
    qtbot: Any, window: MainWindow, branch: dict[str, str], tmp_path: Path
) -> None:
    panel = open_segments(qtbot, window)
    panel.show_condition("diabet")
    dialog = panel.export_dialog()
    assert dialog is not None
    qtbot.addWidget(dialog)
    # Before writing: Ada and Efe consented; Bola did not (Funmi is archived).
    assert (
        dialog.summary.text() == "2 customers who agreed to marketing will be written to the file."
    )
    assert dialog.left_out.text().startswith(
        "1 customer is left out because they have not given marketing consent."
    )
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "diabetes.csv"
    dialog.path_edit.setText(str(target))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.written == target
    rows = exported(target)
    assert [r["Customer ID"] for r in rows] == [branch["Ada Obi"], branch["Efe Uche"]]
    assert branch["Bola Ade"] not in {r["Customer ID"] for r in rows}
    assert list(rows[0]) == ["Customer ID", "Name", "Phone", "Email", "Condition"]
    assert rows[0] == {
        "Customer ID": branch["Ada Obi"],
        "Name": "Ada Obi",
        # API.md v3: every cell starting with '+' is written text-only (SMS tools that
        # import the column read the leading quote as a text marker).
        "Phone": "'+2348030000000",
        "Email": "ada@example.com",
        "Condition": "diabet",
    }
    assert rows[1]["Name"] == "Efe Uche"
    assert list(folder.iterdir()) == [target]  # no temp file left behind
    entries = [detail(e) for e in audit(window.desk, "export")]
    assert entries[-1]["kind"] == "campaignAudience"
    assert entries[-1]["segment"] == "condition"
    assert entries[-1]["params"] == {"condition": "diabet"}
    assert entries[-1]["total"] == 2
    assert entries[-1]["excludedWithoutConsent"] == 1


@pytest.mark.parametrize(
    ("segment", "value", "columns", "expected"),
    [
        (REFILLS, 7, ["Next refill", "Plans due"], ["Ada Obi", "Chidi Eze"]),
        (HIGH_VALUE, 100_000, ["Total spent"], ["Ada Obi"]),
    ],
)
def test_export_of_each_segment_walks_every_page(
    signed_in_desk: DeskContext,
    branch: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    segment: str,
    value: Any,
    columns: list[str],
    expected: list[str],
) -> None:
    monkeypatch.setattr(campaign_export, "AUDIENCE_PAGE", 1)
    dialog = CampaignExportDialog(signed_in_desk, segment, value, "test", ask=lambda *_: False)
    dialog.path_edit.setText(str(tmp_path / "out"))  # .csv is added
    dialog.export()
    assert dialog.written == tmp_path / "out.csv"
    rows = exported(tmp_path / "out.csv")
    assert [r["Name"] for r in rows] == expected
    assert list(rows[0])[4:] == columns
    if segment == HIGH_VALUE:
        assert rows[0]["Total spent"] == "150000"
    else:
        assert rows[0]["Next refill"] == (TODAY + dt.timedelta(days=2)).isoformat()
    pages = [detail(e)["page"] for e in audit(signed_in_desk, "export")]
    assert pages == list(range(1, len(expected) + 1))


def test_export_never_overwrites_without_asking(
    signed_in_desk: DeskContext, branch: dict[str, str], tmp_path: Path
) -> None:
    target = tmp_path / "campaign.csv"
    target.write_text("keep me")
    answers: list[bool] = [False]
    questions: list[str] = []

    def ask(_title: str, question: str) -> bool:
        questions.append(question)
        return answers.pop(0)

    dialog = CampaignExportDialog(signed_in_desk, CONDITION, "hypertension", "x", ask=ask)
    dialog.path_edit.setText(str(target))
    dialog.export()
    assert questions == ["campaign.csv already exists. Replace it?"]
    assert target.read_text() == "keep me"
    assert dialog.written is None
    assert dialog.error.text() == "Nothing was written. Choose another file name."
    answers.append(True)
    dialog.export()
    assert [r["Name"] for r in exported(target)] == ["Ada Obi", "Chidi Eze"]


def test_export_problems_are_shown_next_to_the_file(
    signed_in_desk: DeskContext, branch: dict[str, str], tmp_path: Path
) -> None:
    dialog = CampaignExportDialog(signed_in_desk, CONDITION, "asthma", "x", ask=lambda *_: True)
    # Dayo has asthma but no consent: nothing to export.
    assert not dialog.export_button.isEnabled()
    assert dialog.summary.text().startswith("No customer in this segment has agreed")
    dialog.path_edit.setText("")
    dialog.export()
    assert dialog.error.text() == "Choose where to save the file."
    dialog.path_edit.setText(str(tmp_path / "missing" / "a.csv"))
    dialog.export()
    assert dialog.error.text().startswith("The folder ")
    assert not (tmp_path / "missing").exists()


def test_front_desk_cannot_export(
    qtbot: Any, desk_context: DeskContext, window_settings: QSettings, branch: dict[str, str]
) -> None:
    desk = desk_context
    desk.call(
        "addStaff",
        {
            "username": "femi",
            "fullName": "Femi Front",
            "role": "frontdesk",
            "password": "femi likes long walks 2026",
        },
    )
    desk.sign_in("femi", "femi likes long walks 2026")
    window = MainWindow(desk, window_settings)
    qtbot.addWidget(window)
    window.start()
    window.show()
    panel = open_segments(qtbot, window)
    assert not panel.export_button.isEnabled()
    assert "pharmacist" in panel.export_button.toolTip()
    panel.show_condition("diabetes")
    assert panel.export_dialog() is None  # refused by the operation too, and said so
    assert not panel.error.isHidden()
    denied = audit(desk, "denied")
    assert denied and detail(denied[-1]).get("operation") == "getCampaignAudience"


# -- consent ---------------------------------------------------------------------------------------
def test_bulk_consent_needs_the_confirmation_and_audits_each(
    qtbot: Any, window: MainWindow, branch: dict[str, str]
) -> None:
    panel = open_segments(qtbot, window)
    qtbot.mouseClick(panel.choice_buttons[HIGH_VALUE], Qt.MouseButton.LeftButton)
    assert not panel.consent_button.isEnabled()
    panel.select_rows([0, 2])  # Dayo and Bola: neither has consented
    assert panel.consent_button.isEnabled()
    assert panel.consent_button.text() == "Record &consent for 2 selected…"
    dialog = panel.consent_dialog()
    assert dialog is not None
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.record_button.isEnabled()
    qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)
    assert dialog.recorded == []
    dialog.confirm.click()
    assert dialog.record_button.isEnabled()
    qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)
    assert sorted(dialog.recorded) == sorted([branch["Dayo Ojo"], branch["Bola Ade"]])
    for name in ("Dayo Ojo", "Bola Ade"):
        details = window.desk.call("viewProviderCustomerDetails", {"customerId": branch[name]})
        assert details["marketingConsent"] is True
        assert details["marketingConsentRecordedBy"] == "admin"
        assert details["marketingConsentRecordedAt"] == "2026-04-18T12:00:00Z"
    consents = audit(window.desk, "consent")[-2:]
    assert sorted(str(e.entity_id) for e in consents) == sorted(dialog.recorded)
    assert all(detail(e) == {"old": False, "new": True} and e.user == "admin" for e in consents)


def test_profile_consent_toggle_asks_then_records(
    qtbot: Any, signed_in_desk: DeskContext, branch: dict[str, str]
) -> None:
    customer = branch["Dayo Ojo"]
    dialog = ProfileDialog(signed_in_desk, customer)
    qtbot.addWidget(dialog)
    dialog.show()
    toggle = dialog.consent_toggle
    assert toggle.button.text() == "Record marketing consent…"
    toggle.ask = lambda *_: False
    qtbot.mouseClick(toggle.button, Qt.MouseButton.LeftButton)
    assert (
        signed_in_desk.call("viewProviderCustomerDetails", {"customerId": customer})[
            "marketingConsent"
        ]
        is False
    )
    assert audit(signed_in_desk, "consent") == []
    toggle.ask = lambda *_: True
    qtbot.mouseClick(toggle.button, Qt.MouseButton.LeftButton)
    # The dialog re-read the customer: the text and the button say what is recorded now.
    assert dialog.details["marketingConsent"] is True
    assert dialog.consent_label.text() == (
        "Marketing consent: customer gave consent (18 Apr 2026, recorded by admin)"
    )
    assert dialog.consent_toggle.button.text() == "Withdraw marketing consent…"
    dialog.consent_toggle.ask = lambda *_: True
    qtbot.mouseClick(dialog.consent_toggle.button, Qt.MouseButton.LeftButton)
    assert dialog.details["marketingConsent"] is False
    entries = audit(signed_in_desk, "consent")
    assert [detail(e) for e in entries] == [
        {"old": False, "new": True},
        {"old": True, "new": False},
    ]
    assert {e.entity_id for e in entries} == {customer}


def test_archived_profile_has_no_consent_toggle_enabled(
    qtbot: Any, signed_in_desk: DeskContext, branch: dict[str, str]
) -> None:
    dialog = ProfileDialog(signed_in_desk, branch["Funmi Bello"])
    qtbot.addWidget(dialog)
    assert not dialog.consent_toggle.button.isEnabled()


# -- small helpers ---------------------------------------------------------------------------------
def test_text_cells_never_run_as_formulas() -> None:
    assert safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert safe_cell("@sum") == "'@sum"
    assert safe_cell("-2") == "'-2"
    assert safe_cell("Adéwálé") == "Adéwálé"
    assert safe_cell(None) == ""


def test_atomic_write_refuses_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "a.csv"
    write_file_atomic(target, b"one", replace=False)
    with pytest.raises(FileExistsError):
        write_file_atomic(target, b"two", replace=False)
    assert target.read_bytes() == b"one"
    write_file_atomic(target, b"three", replace=True)
    assert target.read_bytes() == b"three"
    assert list(tmp_path.iterdir()) == [target]


def test_chart_labels() -> None:
    assert compact_money(1_500_000) == "₦1.5M"
    assert compact_money(200_000) == "₦200k"
    assert compact_money(950) == "₦950"
    assert band_label({"from": 100_000, "to": 200_000}) == "₦100k–200k"
    assert band_label({"from": 5_000_000, "to": None}) == "₦5M+"


def test_refill_bars_group_long_windows() -> None:
    def summary(days: int) -> dict[str, Any]:
        return {
            "overdue": 4,
            "dueByDay": [
                {"date": (TODAY + dt.timedelta(days=i)).isoformat(), "refills": 1}
                for i in range(days + 1)
            ],
        }

    daily = refill_bars(summary(6))
    assert daily[0] == ("Overdue", 4)
    assert daily[1] == ("Sat 18", 1) and len(daily) == 8
    weekly = refill_bars(summary(20))
    assert weekly[1:] == [("18 Apr", 7), ("25 Apr", 7), ("02 May", 7)]
    monthly = refill_bars(summary(120))
    assert [label for label, _n in monthly[1:]] == [
        "Apr 26",
        "May 26",
        "Jun 26",
        "Jul 26",
        "Aug 26",
    ]
    assert sum(n for _l, n in monthly[1:]) == 121
