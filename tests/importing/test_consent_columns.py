"""Consent columns in a customer file ("SMS OK", "WhatsApp OK", "Marketing"): consent
by purpose and channel recorded with method ``import`` and its wording version, and a
phone that answered STOP refused marketing in the dry run with the contract's message,
with nothing of that row written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pharmdesk.controllers.consent.records import wording_version
from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import PharmDeskError
from pharmdesk.importing import DryRun, ImportRun, branch_settings, guess_mapping, open_table
from pharmdesk.importing.mapping import FIELDS, apply_overrides, customer_params
from pharmdesk.importing.plan import ERROR
from pharmdesk.store.schema import ConsentRecord, Customer
from tests.importing.files import write_csv

TODAY = dt.date(2026, 4, 18)
HEADER = ["Full Name", "Phone No", "SMS OK", "WhatsApp OK", "Marketing"]
STOPPED_PHONE = "08035550003"


def test_consent_headers_are_guessed_and_named_for_staff() -> None:
    assert guess_mapping([*HEADER, "Email OK", "SMS Marketing"]) == (
        "name",
        "phone",
        "remindersSms",
        "remindersWhatsapp",
        "marketingConsent",
        "remindersEmail",
        "marketingSms",
    )
    assert FIELDS["remindersSms"] == "Reminders by SMS OK"
    assert FIELDS["marketingWhatsapp"] == "Marketing by WhatsApp OK"
    # Staff may point any column at one channel's consent, as at any field.
    assert (
        apply_overrides(["Tel", "OK to call?"], (None, None), {"OK to call?": "remindersCall"})[1]
        == "remindersCall"
    )


@pytest.mark.parametrize(
    ("cell", "granted"),
    [("yes", True), ("Y", True), ("1", True), ("no", False), ("N", False), ("0", False)],
)
def test_yes_no_cells(cell: str, granted: bool) -> None:
    mapping = ("name", "phone", "remindersSms")
    params, problems = customer_params(
        2, ["Ada Obi", "0803", cell], mapping, day_first=True, today=TODAY
    )
    assert problems == []
    assert params["consents"] == [{"purpose": "reminders", "channel": "sms", "granted": granted}]


def test_a_blank_cell_records_nothing_and_a_word_is_a_problem() -> None:
    mapping = ("name", "phone", "remindersSms", "remindersWhatsapp")
    params, problems = customer_params(
        7, ["Ada Obi", "0803", "", "maybe"], mapping, day_first=True, today=TODAY
    )
    assert "consents" not in params
    assert [(p.row, p.field) for p in problems] == [(7, "remindersWhatsapp")]
    assert "not a yes or no" in problems[0].message


def consents(desk: DeskSession) -> dict[tuple[str, str, str], tuple[bool, str, str]]:
    with desk.db.transaction() as tx:
        names = dict(tx.execute(select(Customer.id, Customer.name)).all())
        return {
            (names[r.customer_id], r.purpose, r.channel): (r.granted, r.method, r.wording_version)
            for r in tx.scalars(select(ConsentRecord).order_by(ConsentRecord.id))
        }


def run_file(desk: DeskSession, path: Path) -> tuple[Any, Any]:
    table = open_table(path)
    settings = branch_settings(desk.call, guess_mapping(table.headers), TODAY)
    report = DryRun(desk.call, table, settings, import_id="IMP-c").run()
    result = ImportRun(
        desk.call, table, settings, import_id="IMP-c", skip_rows=report.skipped_rows()
    ).run()
    return report, result


def test_consent_columns_are_recorded_as_import_and_stop_is_honoured(
    admin: DeskSession, tmp_path: Path
) -> None:
    # A phone that answered STOP before (a customer since erased, or never on file).
    admin.call("recordReply", {"phone": STOPPED_PHONE, "text": "STOP", "channel": "sms"})
    path = tmp_path / "customers.csv"
    write_csv(
        path,
        [
            [*HEADER, "SMS Marketing"],
            ["Ada Obi", "08035550001", "yes", "N", "Y", ""],
            ["Ben Eze", "08035550002", "1", "", "0", "yes"],
            ["Chi Ude", STOPPED_PHONE, "Y", "1", "yes", ""],
            ["Dayo Ade", STOPPED_PHONE, "yes", "", "no", "1"],
            ["Efe Oke", STOPPED_PHONE, "yes", "yes", "no", "no"],
        ],
    )
    report, result = run_file(admin, path)
    # The STOPped phone: its two marketing rows are errors in the dry run, with the
    # message of API.md (when STOP was received, and that only a written consent lifts
    # it); the row asking nothing of marketing is imported.
    errors = {p.row: p for p in report.problems if p.outcome == ERROR}
    assert sorted(errors) == [4, 5]
    assert {errors[4].field, errors[5].field} == {"marketingConsent", "consents"}
    for problem in errors.values():
        assert "asked to stop marketing messages (STOP received" in problem.message
        assert "written" in problem.message
    assert (report.will_create, report.errors) == (3, 2)
    assert (result.counts.created, result.counts.errors) == (3, 2)
    names = [c["name"] for c in admin.call("fetchCustomers", {"limit": 10})["customers"]]
    assert sorted(names) == ["Ada Obi", "Ben Eze", "Efe Oke"]  # nothing of Chi's or Dayo's
    found = consents(admin)
    reminders, marketing = wording_version("reminders"), wording_version("marketing")
    assert found["Ada Obi", "reminders", "sms"] == (True, "import", reminders)
    assert found["Ada Obi", "reminders", "whatsapp"] == (False, "import", reminders)
    assert found["Ada Obi", "marketing", "email"] == (True, "import", marketing)
    assert found["Ben Eze", "reminders", "sms"] == (True, "import", reminders)
    assert ("Ben Eze", "reminders", "whatsapp") not in found  # blank: not asked
    # "Marketing: 0" but "SMS Marketing: yes": SMS only, and the summary flag follows.
    assert found["Ben Eze", "marketing", "sms"] == (True, "import", marketing)
    assert ("Ben Eze", "marketing", "email") not in found
    assert found["Efe Oke", "marketing", "sms"] == (False, "import", marketing)
    assert found["Efe Oke", "reminders", "whatsapp"] == (True, "import", reminders)
    by_name = {c["name"]: c for c in admin.call("fetchCustomers", {"limit": 10})["customers"]}
    details = admin.call("viewProviderCustomerDetails", {"customerId": by_name["Ben Eze"]["id"]})
    assert details["marketingConsent"] is True
    current = {(c["purpose"], c["channel"]): c for c in details["consents"]}
    assert current["marketing", "sms"]["granted"] and current["reminders", "sms"]["granted"]


def test_add_provider_customer_checks_the_consents_it_is_given(admin: DeskSession) -> None:
    with pytest.raises(PharmDeskError) as info:
        admin.call(
            "addProviderCustomer",
            {
                "name": "Ada Obi",
                "phone": "08035550001",
                "consents": [{"purpose": "reminders", "channel": "fax", "granted": True}],
            },
        )
    assert info.value.field == "consents" and "a channel (sms, whatsapp" in info.value.message
    admin.call("recordReply", {"phone": "08035550001", "text": "stop", "channel": "sms"})
    with pytest.raises(PharmDeskError) as info:
        admin.call(
            "addProviderCustomer",
            {
                "name": "Ada Obi",
                "phone": "08035550001",
                "consents": [{"purpose": "marketing", "channel": "sms", "granted": True}],
            },
        )
    assert info.value.field == "consents" and "STOP received" in info.value.message
    assert admin.call("fetchCustomers", {"limit": 10})["customers"] == []
