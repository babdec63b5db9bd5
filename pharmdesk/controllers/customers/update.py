"""Changing a customer's record: ``updateProviderCustomer``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.engine import Row

from pharmdesk.clock import to_iso
from pharmdesk.controllers.consent import records as consent_records
from pharmdesk.controllers.customer_rows import iso_or_none
from pharmdesk.controllers.customers.labels import (
    NONE_KNOWN,
    UNKNOWN,
    allergy_state,
    labels,
    replace_labels,
)
from pharmdesk.controllers.customers.lookup import CUSTOMER_ID, cust_id, read_customer
from pharmdesk.controllers.customers.marketing_consent import consent_events, consent_values
from pharmdesk.controllers.customers.rules import (
    customer_fields,
    duplicate_check,
    normalise,
    not_null,
)
from pharmdesk.controllers.plans import review_after_allergy_change
from pharmdesk.controllers.registry import Op, operation
from pharmdesk.controllers.validation import Param, integer, phone_search_forms, search_key
from pharmdesk.errors import CONFLICT, PharmDeskError, validation
from pharmdesk.store.schema import Customer, CustomerAllergy, CustomerCondition


# -- updateProviderCustomer ----------------------------------------------------------------
def _scalar_changes(customer: Row[Any], data: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    mapping = {
        "name": "name",
        "phone": "phone",
        "email": "email",
        "address": "address",
        "dateOfBirth": "date_of_birth",
        "notes": "notes",
        "language": "language",
    }
    changes: dict[str, tuple[Any, Any]] = {}
    for api_name, attr in mapping.items():
        if api_name in data and getattr(customer, attr) != data[api_name]:
            changes[api_name] = (getattr(customer, attr), data[api_name])
    return changes


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# The SET clause is the columns named in the parameters (compiled once per set of columns).
_UPDATE_CUSTOMER = update(Customer).where(Customer.id == bindparam("number"))


@operation(
    "updateProviderCustomer",
    params={
        **CUSTOMER_ID,
        "expectedVersion": Param(integer(1)),
        **customer_fields(for_update=True),
    },
)
def update_customer(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """Read as a plain row and written with one UPDATE; the allergy and condition lists
    are read only when the change names them (most edits are a phone or an address)."""
    not_null(
        p,
        "name",
        "phone",
        "allergies",
        "noKnownAllergies",
        "medicalConditions",
        "marketingConsent",
        "language",
    )
    data = normalise(op, p)
    customer = read_customer(op.tx, p["customerId"], for_write=True)
    if "expectedVersion" in p and p["expectedVersion"] != customer.version:
        raise PharmDeskError(
            CONFLICT,
            f"{cust_id(customer.id)} was changed by someone else since you opened it "
            f"(version {customer.version}, you had {p['expectedVersion']}). Reopen it and "
            "make your change again.",
            "expectedVersion",
        )
    changes = _scalar_changes(customer, data)

    new_status = customer.allergy_status
    new_allergies: list[str] = []
    if "allergies" in data or "noKnownAllergies" in data:
        old_allergies = labels(op.tx, CustomerAllergy, customer.id)
        new_allergies = data.get("allergies", old_allergies)
        if "noKnownAllergies" in data:
            none_known = bool(data["noKnownAllergies"])
        elif "allergies" in data:
            none_known = False
        else:
            none_known = customer.allergy_status == NONE_KNOWN
        if new_allergies and none_known:
            raise validation(
                "noKnownAllergies cannot be true while allergies are recorded. Clear the "
                "allergies in the same change.",
                "noKnownAllergies",
            )
        new_status = allergy_state(new_allergies, none_known)
        if new_allergies != old_allergies:
            changes["allergies"] = (old_allergies, new_allergies)
        if new_status != customer.allergy_status and (
            new_status == NONE_KNOWN or customer.allergy_status == NONE_KNOWN
        ):
            changes["noKnownAllergies"] = (
                customer.allergy_status == NONE_KNOWN,
                new_status == NONE_KNOWN,
            )
    if "medicalConditions" in data:
        old_conditions = labels(op.tx, CustomerCondition, customer.id)
        if data["medicalConditions"] != old_conditions:
            changes["medicalConditions"] = (old_conditions, data["medicalConditions"])
    if "marketingConsent" in data and data["marketingConsent"] != customer.marketing_consent:
        changes["marketingConsent"] = (customer.marketing_consent, data["marketingConsent"])

    if not changes:
        return {
            "success": True,
            "customerId": cust_id(customer.id),
            "updatedFields": [],
            "version": customer.version,
            "updatedAt": iso_or_none(customer.updated_at),
        }
    new_name = data.get("name", customer.name)
    new_phone = data.get("phone", customer.phone)
    if "name" in changes or "phone" in changes:
        duplicate_check(op.tx, new_name, new_phone, customer.id)
    values: dict[str, Any] = {}
    for api_name, attr in (
        ("name", "name"),
        ("email", "email"),
        ("address", "address"),
        ("dateOfBirth", "date_of_birth"),
        ("notes", "notes"),
        ("language", "language"),
    ):
        if api_name in changes:
            values[attr] = changes[api_name][1]
    if "name" in changes:
        values["name_key"] = search_key(new_name)
    if "phone" in changes:
        values["phone"] = new_phone
        values["phone_search"] = phone_search_forms(new_phone)
    if "allergies" in changes:
        replace_labels(op.tx, CustomerAllergy, customer.id, new_allergies)
    if "allergies" in changes or "noKnownAllergies" in changes:
        values["allergy_status"] = new_status
        values["allergies_confirmed_at"] = op.naive_now if new_status != UNKNOWN else None
        values["allergies_confirmed_by"] = op.user if new_status != UNKNOWN else None
    if "medicalConditions" in changes:
        replace_labels(op.tx, CustomerCondition, customer.id, data["medicalConditions"])
    if "marketingConsent" in changes:
        if data["marketingConsent"]:
            consent_records.refuse_if_suppressed(op.tx, new_phone, "marketingConsent")
        values.update(consent_values(op, data["marketingConsent"]))
        consent_events(op, [customer.id], data["marketingConsent"])
        consent_records.record(
            op,
            [customer.id],
            consent_records.MARKETING,
            consent_records.CHANNELS,
            data["marketingConsent"],
            "form",
            sync_summary=False,
        )
    version = customer.version + 1
    values["version"] = version
    values["updated_at"] = op.naive_now
    op.tx.connection().execute(_UPDATE_CUSTOMER, {"number": customer.id, **values})
    sent_back: list[str] = []
    if "allergies" in changes:
        # A new allergy may conflict with a plan already running: a pharmacist reviews it
        # before the next delivery.
        updated = op.tx.get(Customer, customer.id)  # not loaded before: read as just written
        assert updated is not None  # read above, in this transaction
        sent_back = review_after_allergy_change(op, updated, new_allergies)
    fields = sorted(changes)
    detail: dict[str, Any] = {
        "changes": {f: {"old": _jsonable(o), "new": _jsonable(n)} for f, (o, n) in changes.items()}
    }
    if sent_back:
        detail["sentForReview"] = sent_back
    op.audit("update", "customer", cust_id(customer.id), detail)
    return {
        "success": True,
        "customerId": cust_id(customer.id),
        "updatedFields": fields,
        "version": version,
        "updatedAt": to_iso(op.now),
    }
