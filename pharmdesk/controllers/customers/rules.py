"""Field rules shared by create, update and import, and the duplicate rule (API.md:
the same name and the same phone)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from pharmdesk.controllers.consent import records as consent_records
from pharmdesk.controllers.consent.languages import LANGUAGES
from pharmdesk.controllers.customers.lookup import cust_id
from pharmdesk.controllers.registry import Op
from pharmdesk.controllers.validation import (
    Param,
    boolean,
    choice,
    customer_name,
    date_of_birth,
    date_value,
    email_address,
    free_text,
    nullable,
    phone_e164,
    search_key,
    string_list,
)
from pharmdesk.errors import DUPLICATE, PharmDeskError, validation
from pharmdesk.store.schema import Customer


# -- fields common to create and update ------------------------------------------------------
def customer_fields(*, for_update: bool) -> dict[str, Param]:
    def optional(conv: Any) -> Param:
        return Param(nullable(conv), keep_null=for_update)

    return {
        "name": Param(free_text(0, 500), required=not for_update, keep_null=for_update),
        "phone": Param(free_text(0, 40), required=not for_update, keep_null=for_update),
        "email": optional(free_text(0, 254)),
        "address": optional(free_text(0, 300)),
        "dateOfBirth": optional(date_value()),
        "allergies": Param(string_list(), keep_null=for_update),
        "noKnownAllergies": Param(boolean(), keep_null=for_update),
        "medicalConditions": Param(string_list(), keep_null=for_update),
        "notes": optional(free_text(0, 4000, multiline=True)),
        "marketingConsent": Param(boolean(), keep_null=for_update),
        # The language reminders are written in (resources/reminder-templates.json).
        "language": Param(choice(*LANGUAGES), keep_null=for_update),
        # Consent by purpose and channel given with a new customer (an import's columns);
        # later changes go through setConsent, with its history.
        **({} if for_update else {"consents": Param(consent_records.consent_list())}),
    }


def not_null(p: dict[str, Any], *fields: str) -> None:
    for name in fields:
        if name in p and p[name] is None:
            raise validation(f"{name} cannot be cleared; give a value or leave it out.", name)


def normalise(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """Field rules shared by create and update; only keys present in ``p`` are touched."""
    out = dict(p)
    if "name" in p:
        out["name"] = customer_name(p["name"])
    if "phone" in p:
        out["phone"] = phone_e164(p["phone"], op.region)
    if p.get("email"):
        out["email"] = email_address(p["email"])
    elif "email" in p:
        out["email"] = None
    if p.get("address") is not None:
        out["address"] = " ".join(p["address"].split()) or None
    if p.get("notes") is not None:
        out["notes"] = p["notes"].strip() or None
    if p.get("dateOfBirth") is not None:
        out["dateOfBirth"] = date_of_birth(p["dateOfBirth"], op.today)
    if p.get("marketingConsent") and "phone" in out:
        consent_records.refuse_if_suppressed(op.tx, out["phone"], "marketingConsent")
    if p.get("consents") and "phone" in out:
        consent_records.refuse_suppressed_grants(op.tx, out["phone"], p["consents"])
    if p.get("allergies") and p.get("noKnownAllergies"):
        raise validation(
            "noKnownAllergies cannot be true when allergies are listed. Remove the allergies "
            "or untick 'No known allergies'.",
            "noKnownAllergies",
        )
    return out


def duplicate_error(existing: int) -> PharmDeskError:
    return PharmDeskError(
        DUPLICATE,
        f"This customer is already on file as {cust_id(existing)} (same name and phone). "
        "Open that record instead.",
        "name",
    )


_SAME_PHONE = select(Customer.id, Customer.name_key, Customer.phone).where(
    Customer.phone == bindparam("phone"),
    or_(Customer.id != bindparam("exclude"), bindparam("exclude").is_(None)),
)


def existing_duplicates(
    tx: Session, people: list[tuple[str, str]], exclude: int | None = None
) -> dict[tuple[str, str], int]:
    """The duplicate rule (API.md: the same name, compared by its search key, and the same
    phone) for many people in one statement: each (name key, phone) on file, with the
    lowest id holding it. ``people`` are (normalised name, E.164 phone) pairs.

    The customers with those phones are read (a phone is shared by a household at most)
    and their stored name keys made again with today's ``search_key``: a name stored
    with invisible characters by an older version still matches its clean form."""
    keys = {(search_key(name), phone) for name, phone in people}
    if not keys:
        return {}
    phones = sorted({phone for _key, phone in keys})
    if len(phones) == 1:  # the form's one customer: a statement compiled once
        query, params = _SAME_PHONE, {"phone": phones[0], "exclude": exclude}
    else:
        query = select(Customer.id, Customer.name_key, Customer.phone).where(
            Customer.phone.in_(phones)
        )
        if exclude is not None:
            query = query.where(Customer.id != exclude)
        params = {}
    found: dict[tuple[str, str], int] = {}
    for number, stored_key, phone in tx.connection().execute(query, params):
        key = (search_key(stored_key), phone)
        if key in keys:
            found[key] = min(number, found.get(key, number))
    return found


def duplicate_check(tx: Session, name: str, phone: str, exclude: int | None) -> None:
    """DUPLICATE if someone else is on file with this name and phone."""
    found = existing_duplicates(tx, [(name, phone)], exclude)
    if found:
        raise duplicate_error(next(iter(found.values())))
