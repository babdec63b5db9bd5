"""Every operation of the contract answers through `pharmdesk call --batch`, in one sign-in."""

from __future__ import annotations

import json
from typing import Any

from pharmdesk.controllers.registry import REGISTRY
from tests.cli.conftest import Run

NEW_PASSWORD = "a brand new password for bola 2026"

# A working day, in order: each line's answer is checked for success.
SCRIPT: list[tuple[str, dict[str, Any]]] = [
    ("getSettings", {}),
    ("getBackupStatus", {}),
    ("updateSettings", {"branchName": "Lekki Phase 1", "idleLockMinutes": 10}),
    (
        "addStaff",
        {
            "username": "bola",
            "fullName": "Bola Ade",
            "role": "frontdesk",
            "password": "bola's first long password",
            "mustChangePassword": False,
        },
    ),
    ("listStaff", {}),
    ("setStaffRole", {"username": "bola", "role": "pharmacist"}),
    (
        "resetStaffPassword",
        {"username": "bola", "password": NEW_PASSWORD, "mustChangePassword": True},
    ),
    ("unlockStaff", {"username": "bola"}),
    ("disableStaff", {"username": "bola"}),
    ("enableStaff", {"username": "bola", "password": NEW_PASSWORD, "mustChangePassword": False}),
    (
        "addProviderCustomer",
        {
            "name": "John Doe",
            "phone": "08012345678",
            "allergies": ["Penicillin"],
            "medicalConditions": ["Hypertension"],
            "marketingConsent": True,
        },
    ),
    (
        "addProviderCustomer",
        {"name": "Ada Eze", "phone": "0803 111 2222", "noKnownAllergies": True},
    ),
    ("fetchCustomers", {"search": "john"}),
    ("viewProviderCustomerDetails", {"customerId": "CUST-1"}),
    (
        "updateProviderCustomer",
        {"customerId": "CUST-1", "email": "john@example.com", "expectedVersion": 1},
    ),
    ("setMarketingConsent", {"customerId": "CUST-2", "consent": True}),
    ("findLikelyDuplicates", {"name": "John Doe", "phone": "08012345678"}),
    ("findDuplicateCustomers", {"page": 1, "limit": 10}),
    ("listRecordedLabels", {"kind": "conditions"}),
    ("recordPrint", {"customerId": "CUST-1", "document": "profile"}),
    (
        "checkImportRows",
        {
            "importId": "IMP-test",
            "rows": [{"row": 2, "customer": {"name": "Kemi Ade", "phone": "0805 222 3333"}}],
        },
    ),
    (
        "importCustomers",
        {
            "importId": "IMP-test",
            "rows": [{"row": 2, "customer": {"name": "Kemi Ade", "phone": "0805 222 3333"}}],
        },
    ),
    (
        "recordImport",
        {
            "importId": "IMP-test",
            "fileName": "customers.csv",
            "counts": {
                "rows": 1,
                "created": 1,
                "duplicates": 0,
                "likelyDuplicatesSkipped": 0,
                "errors": 0,
            },
        },
    ),
    (
        "addPlan",
        {
            "name": "Hypertension Care",
            "medications": ["Amlodipine 5mg"],
            "frequency": "monthly",
            "price": 15000,
        },
    ),
    (
        "addPlan",
        {
            "name": "Chest Course",
            "medications": ["Amoxicillin 500mg"],
            "frequency": "weekly",
            "price": 4000,
        },
    ),
    ("updatePlan", {"planId": "PLAN-1", "price": 16000}),
    ("listPlans", {"includeRetired": True}),
    ("checkPlanConflicts", {"customerId": "CUST-1", "planId": "PLAN-2"}),
    ("acknowledgePlanConflicts", {"customerId": "CUST-1", "planId": "PLAN-2"}),
    (
        "addCustomerPlan",
        {
            "customerId": "CUST-1",
            "planId": "PLAN-1",
            "preferences": {"deliveryDay": "Monday", "deliveryTime": "morning"},
        },
    ),
    ("addCustomerPlan", {"customerId": "CUST-1", "planId": "PLAN-2"}),
    ("listPendingReviews", {}),
    ("listCustomerSubscriptions", {"customerId": "CUST-1"}),
    (
        "reviewCustomerPlan",
        {"subscriptionId": "SUB-2", "approve": False, "reason": "Penicillin allergy"},
    ),
    ("pauseCustomerPlan", {"subscriptionId": "SUB-1"}),
    ("resumeCustomerPlan", {"subscriptionId": "SUB-1"}),
    ("recordOrder", {"customerId": "CUST-1", "total": 16000, "subscriptionId": "SUB-1"}),
    ("recordOrder", {"customerId": "CUST-2", "total": 2500, "status": "pending"}),
    ("updateOrderStatus", {"orderId": "ORD-2", "status": "completed"}),
    ("getCustomersByCondition", {"condition": "hyper"}),
    ("getCustomersWithUpcomingRefills", {"days": 60}),
    ("getRefillRunSheet", {"days": 60}),
    ("getHighValueCustomers", {"minSpend": 1000}),
    ("getSegmentSummary", {"segment": "highValue", "minSpend": 1000}),
    ("getCampaignAudience", {"segment": "highValue", "minSpend": 1000}),
    (
        "setConsent",
        {
            "customerId": "CUST-1",
            "purpose": "reminders",
            "channel": "sms",
            "granted": True,
            "method": "written",
        },
    ),
    ("getConsents", {"customerId": "CUST-1"}),
    ("queueReminders", {"days": 30, "channel": "sms"}),
    ("listOutbox", {"status": "queued"}),
    ("claimOutboxMessage", {"channel": "sms"}),
    ("updateMessageStatus", {"messageId": "MSG-1", "status": "sent", "detail": "ref-1"}),
    ("recordReply", {"phone": "0803 111 2222", "text": "HELP", "channel": "sms"}),
    ("exportCustomerData", {"customerId": "CUST-1"}),
    (
        "addRelationship",
        {
            "customerId": "CUST-1",
            "relatedCustomerId": "CUST-2",
            "kind": "spouse",
            "canCollect": True,
            "consentMethod": "verbal",
        },
    ),
    ("removeRelationship", {"relationshipId": "REL-1", "reason": "Entered by mistake"}),
    ("setPayer", {"customerId": "CUST-1", "payer": "Hygeia HMO", "memberId": "HY-1"}),
    (
        "recordOrder",
        {"customerId": "CUST-1", "total": 1000, "payerShare": 800, "customerShare": 200},
    ),
    ("getAccessReport", {"customerId": "CUST-1"}),
    ("addProviderCustomer", {"name": "Kemi Adeh", "phone": "0805 222 3334"}),
    (
        "mergeCustomers",
        {
            "keepId": "CUST-3",
            "mergeId": "CUST-4",
            "fields": {"name": "keep", "phone": "keep"},
            "reason": "Same person",
        },
    ),
    ("undoMerge", {"mergeId": "MRG-1", "reason": "Two different people"}),
    ("eraseCustomer", {"customerId": "CUST-4", "reason": "Customer asked"}),
    ("cancelCustomerPlan", {"subscriptionId": "SUB-1"}),
    ("archiveCustomer", {"customerId": "CUST-2"}),
    ("fetchAuditLog", {"limit": 5}),
    ("verifyAuditLog", {}),
    ("recordAuditExport", {"action": "view", "entries": 3, "throughId": "AUD-5"}),
    ("replaceRecoveryKey", {"reason": "The paper was read at a break-glass sign-in"}),
    (
        "changeMyPassword",
        {
            "oldPassword": "correct horse staple battery 42",
            "newPassword": "an admin's second long password",
        },
    ),
]


def test_the_script_covers_every_operation() -> None:
    assert {name for name, _ in SCRIPT} == set(REGISTRY)


def test_every_operation_succeeds_through_the_command_line(run: Run, db_arg: str) -> None:
    batch = "\n".join(json.dumps({"operation": op, "params": params}) for op, params in SCRIPT)
    result = run("call", db_arg, "--batch", "-", stdin=batch)
    answers = result.lines
    assert len(answers) == len(SCRIPT)
    failures = [
        (op, answer)
        for (op, _), answer in zip(SCRIPT, answers, strict=True)
        if answer.get("success") is False
    ]
    assert failures == []
    assert result.code == 0
    by_op = dict(zip([op for op, _ in SCRIPT], answers, strict=False))
    assert by_op["verifyAuditLog"]["ok"] is True
    assert len(by_op["replaceRecoveryKey"]["recoveryKey"].split("-")) == 6
    assert by_op["getCampaignAudience"]["total"] == 2
