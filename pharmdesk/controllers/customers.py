"""Customer operations: find, register, view, update, consent, archive, export."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import Select, and_, delete, false, or_, select
from sqlalchemy.orm import Session

from pharmdesk.clock import to_iso
from pharmdesk.controllers.customer_rows import (
    CUSTOMER,
    ROW_COLUMNS,
    iso_or_none,
    page_answer,
)
from pharmdesk.controllers.registry import ADMINS, Op, operation
from pharmdesk.controllers.validation import (
    PAGING,
    Param,
    boolean,
    choice,
    customer_name,
    date_of_birth,
    date_value,
    email_address,
    entity_id,
    integer,
    nullable,
    phone_e164,
    phone_search_forms,
    search_key,
    string,
    string_list,
)
from pharmdesk.errors import (
    ARCHIVED,
    CONFLICT,
    DUPLICATE,
    PharmDeskError,
    not_found,
    validation,
)
from pharmdesk.store.schema import (
    ConsentEvent,
    Customer,
    CustomerAllergy,
    CustomerCondition,
    Order,
    Subscription,
    SubscriptionEvent,
)

SORTS = ("name", "createdAt", "lastOrder", "totalOrders", "planCount")
SORT_COLUMNS = {
    "name": Customer.name_key,
    "createdAt": Customer.created_at,
    "lastOrder": Customer.last_order,
    "totalOrders": Customer.total_orders,
    "planCount": Customer.active_plans,
}
MIN_PHONE_DIGITS = 4
RECENT_ORDERS = 10
UNKNOWN, NONE_KNOWN, RECORDED = "unknown", "noneKnown", "recorded"


def cust_id(number: int) -> str:
    return f"{CUSTOMER}-{number}"


# -- shared lookups -----------------------------------------------------------------------
def get_customer(tx: Session, number: int, *, for_write: bool = False) -> Customer:
    """The customer, or NOT_FOUND; ARCHIVED when ``for_write`` and it is archived."""
    customer = tx.get(Customer, number)
    if customer is None:
        raise not_found(f"No customer {cust_id(number)}. Check the id.", "customerId")
    if for_write and customer.archived:
        raise PharmDeskError(
            ARCHIVED,
            f"{cust_id(number)} is archived and cannot be changed. Ask an admin if this is "
            "a mistake.",
            "customerId",
        )
    return customer


def labels(
    tx: Session, table: type[CustomerAllergy] | type[CustomerCondition], number: int
) -> list[str]:
    return list(
        tx.scalars(select(table.label).where(table.customer_id == number).order_by(table.position))
    )


def _replace_labels(
    tx: Session,
    table: type[CustomerAllergy] | type[CustomerCondition],
    number: int,
    values: list[str],
) -> None:
    tx.execute(delete(table).where(table.customer_id == number))
    for position, label in enumerate(values):
        tx.add(
            table(customer_id=number, position=position, label=label, label_key=search_key(label))
        )


# -- fetchCustomers -----------------------------------------------------------------------
def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_condition(search: str) -> Any:
    """The WHERE clause for a search box text (API.md: fetchCustomers, Search)."""
    match = re.fullmatch(r"\s*CUST-([1-9][0-9]{0,17})\s*", search, flags=re.IGNORECASE)
    if match:
        return Customer.id == int(match.group(1))
    words = search_key(search).split()
    clauses = []
    if words:
        name_parts = []
        for word in words:
            pattern = _like_escape(word)
            if len(word) <= 2:
                name_parts.append(
                    or_(
                        Customer.name_key.like(f"{pattern}%", escape="\\"),
                        Customer.name_key.like(f"% {pattern}%", escape="\\"),
                    )
                )
            else:
                name_parts.append(Customer.name_key.like(f"%{pattern}%", escape="\\"))
        clauses.append(and_(*name_parts))
    digits = re.sub(r"\D", "", search)
    if len(digits) >= MIN_PHONE_DIGITS:
        clauses.append(Customer.phone_search.like(f"%{digits}%"))
    if not clauses:
        return None
    return or_(*clauses)


def customer_list_query(search: str | None, sort: str) -> Select:
    descending = sort.startswith("-")
    key = SORT_COLUMNS[sort.lstrip("-")]
    query = select(*ROW_COLUMNS).where(Customer.archived == false())
    if search and search.strip():
        condition = search_condition(search)
        if condition is not None:
            query = query.where(condition)
    order: list[Any] = []
    if key is Customer.last_order:
        order.append(Customer.last_order.is_(None))  # customers with no order last, either way
    order.append(key.desc() if descending else key.asc())
    order.append(Customer.id.desc() if descending else Customer.id.asc())
    return query.order_by(*order)


@operation(
    "fetchCustomers",
    params={
        **PAGING,
        "search": Param(string(0, 200)),
        "sort": Param(choice(*SORTS, *(f"-{s}" for s in SORTS)), default="name"),
    },
)
def fetch_customers(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    search = p.get("search")
    answer = page_answer(
        op.tx, customer_list_query(search, p["sort"]), page=p["page"], limit=p["limit"]
    )
    op.audit(
        "list",
        "customer",
        None,
        {"search": search, "sort": p["sort"], "page": p["page"], "shown": len(answer["customers"])},
    )
    return answer


# -- fields common to create and update ------------------------------------------------------
def customer_fields(*, for_update: bool) -> dict[str, Param]:
    def optional(conv: Any) -> Param:
        return Param(nullable(conv), keep_null=for_update)

    return {
        "name": Param(string(0, 500), required=not for_update, keep_null=for_update),
        "phone": Param(string(0, 40), required=not for_update, keep_null=for_update),
        "email": optional(string(0, 254)),
        "address": optional(string(0, 300)),
        "dateOfBirth": optional(date_value()),
        "allergies": Param(string_list(), keep_null=for_update),
        "noKnownAllergies": Param(boolean(), keep_null=for_update),
        "medicalConditions": Param(string_list(), keep_null=for_update),
        "notes": optional(string(0, 4000)),
        "marketingConsent": Param(boolean(), keep_null=for_update),
    }


def _not_null(p: dict[str, Any], *fields: str) -> None:
    for name in fields:
        if name in p and p[name] is None:
            raise validation(f"{name} cannot be cleared; give a value or leave it out.", name)


def _normalise(op: Op, p: dict[str, Any]) -> dict[str, Any]:
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
    if p.get("allergies") and p.get("noKnownAllergies"):
        raise validation(
            "noKnownAllergies cannot be true when allergies are listed. Remove the allergies "
            "or untick 'No known allergies'.",
            "noKnownAllergies",
        )
    return out


def _duplicate_check(tx: Session, name: str, phone: str, exclude: int | None) -> None:
    query = select(Customer.id).where(
        Customer.name_key == search_key(name), Customer.phone == phone
    )
    if exclude is not None:
        query = query.where(Customer.id != exclude)
    existing = tx.scalar(query.limit(1))
    if existing is not None:
        raise PharmDeskError(
            DUPLICATE,
            f"This customer is already on file as {cust_id(existing)} (same name and phone). "
            "Open that record instead.",
            "name",
        )


def _allergy_state(allergies: list[str], none_known: bool) -> str:
    if allergies:
        return RECORDED
    return NONE_KNOWN if none_known else UNKNOWN


def _record_consent(op: Op, customer: Customer, consent: bool) -> None:
    customer.marketing_consent = consent
    customer.consent_recorded_at = op.naive_now
    customer.consent_recorded_by = op.user
    op.tx.add(
        ConsentEvent(
            customer_id=customer.id, consent=consent, recorded_at=op.naive_now, recorded_by=op.user
        )
    )


# -- addProviderCustomer -----------------------------------------------------------------
@operation("addProviderCustomer", params=customer_fields(for_update=False))
def add_customer(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    data = _normalise(op, p)
    _duplicate_check(op.tx, data["name"], data["phone"], None)
    allergies = data.get("allergies") or []
    conditions = data.get("medicalConditions") or []
    status = _allergy_state(allergies, bool(data.get("noKnownAllergies")))
    now = op.naive_now
    customer = Customer(
        name=data["name"],
        name_key=search_key(data["name"]),
        phone=data["phone"],
        phone_search=phone_search_forms(data["phone"]),
        email=data.get("email"),
        address=data.get("address"),
        date_of_birth=data.get("dateOfBirth"),
        allergy_status=status,
        allergies_confirmed_at=now if status != UNKNOWN else None,
        allergies_confirmed_by=op.user if status != UNKNOWN else None,
        notes=data.get("notes"),
        marketing_consent=False,
        archived=False,
        version=1,
        total_orders=0,
        total_spent=0,
        active_plans=0,
        created_at=now,
        updated_at=now,
    )
    op.tx.add(customer)
    op.tx.flush()
    _replace_labels(op.tx, CustomerAllergy, customer.id, allergies)
    _replace_labels(op.tx, CustomerCondition, customer.id, conditions)
    if data.get("marketingConsent"):
        _record_consent(op, customer, True)
    op.audit("create", "customer", cust_id(customer.id), {"fields": sorted(p)})
    return {
        "success": True,
        "customerId": cust_id(customer.id),
        "message": "Customer created successfully",
        "createdAt": to_iso(op.now),
    }


# -- viewProviderCustomerDetails -----------------------------------------------------------
def _subscription_sort_key(sub: Subscription) -> tuple[Any, ...]:
    return (
        sub.status != "active",
        sub.next_delivery is None,
        sub.next_delivery or dt.date.max,
        sub.id,
    )


def customer_details(tx: Session, customer: Customer) -> dict[str, Any]:
    """The full profile shape of API.md (viewProviderCustomerDetails)."""
    subs = sorted(
        tx.scalars(select(Subscription).where(Subscription.customer_id == customer.id)),
        key=_subscription_sort_key,
    )
    orders = tx.scalars(
        select(Order)
        .where(Order.customer_id == customer.id)
        .order_by(Order.ordered_at.desc(), Order.id.desc())
        .limit(RECENT_ORDERS)
    ).all()
    return {
        "id": cust_id(customer.id),
        "name": customer.name,
        "phone": customer.phone,
        "email": customer.email,
        "address": customer.address,
        "dateOfBirth": customer.date_of_birth.isoformat() if customer.date_of_birth else None,
        "allergies": labels(tx, CustomerAllergy, customer.id),
        "allergyStatus": customer.allergy_status,
        "allergiesConfirmedAt": iso_or_none(customer.allergies_confirmed_at),
        "allergiesConfirmedBy": customer.allergies_confirmed_by,
        "medicalConditions": labels(tx, CustomerCondition, customer.id),
        "stats": {
            "totalOrders": customer.total_orders,
            "totalSpent": customer.total_spent,
            "activePlans": customer.active_plans,
            "lastOrder": iso_or_none(customer.last_order),
        },
        "plans": [
            {
                "id": f"PLAN-{sub.plan_id}",
                "subscriptionId": f"SUB-{sub.id}",
                "name": sub.plan_name,
                "medications": list(sub.medications),
                "status": sub.status,
                "nextDelivery": sub.next_delivery.isoformat() if sub.next_delivery else None,
            }
            for sub in subs
        ],
        "recentOrders": [
            {
                "orderId": f"ORD-{order.id}",
                "date": iso_or_none(order.ordered_at),
                "total": order.total,
                "status": order.status,
            }
            for order in orders
        ],
        "notes": customer.notes,
        "marketingConsent": customer.marketing_consent,
        "marketingConsentRecordedAt": iso_or_none(customer.consent_recorded_at),
        "marketingConsentRecordedBy": customer.consent_recorded_by,
        "archived": customer.archived,
        "version": customer.version,
        "createdAt": iso_or_none(customer.created_at),
        "updatedAt": iso_or_none(customer.updated_at),
    }


CUSTOMER_ID = {"customerId": Param(entity_id(CUSTOMER), required=True)}


@operation("viewProviderCustomerDetails", params=CUSTOMER_ID)
def view_customer(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    customer = get_customer(op.tx, p["customerId"])
    details = customer_details(op.tx, customer)
    op.audit("view", "customer", details["id"])
    return details


# -- updateProviderCustomer ----------------------------------------------------------------
def _scalar_changes(customer: Customer, data: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    mapping = {
        "name": "name",
        "phone": "phone",
        "email": "email",
        "address": "address",
        "dateOfBirth": "date_of_birth",
        "notes": "notes",
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


@operation(
    "updateProviderCustomer",
    params={
        **CUSTOMER_ID,
        "expectedVersion": Param(integer(1)),
        **customer_fields(for_update=True),
    },
)
def update_customer(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    _not_null(
        p, "name", "phone", "allergies", "noKnownAllergies", "medicalConditions", "marketingConsent"
    )
    data = _normalise(op, p)
    customer = get_customer(op.tx, p["customerId"], for_write=True)
    if "expectedVersion" in p and p["expectedVersion"] != customer.version:
        raise PharmDeskError(
            CONFLICT,
            f"{cust_id(customer.id)} was changed by someone else since you opened it "
            f"(version {customer.version}, you had {p['expectedVersion']}). Reopen it and "
            "make your change again.",
            "expectedVersion",
        )
    changes = _scalar_changes(customer, data)

    old_allergies = labels(op.tx, CustomerAllergy, customer.id)
    old_conditions = labels(op.tx, CustomerCondition, customer.id)
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
    new_status = _allergy_state(new_allergies, none_known)
    if new_allergies != old_allergies:
        changes["allergies"] = (old_allergies, new_allergies)
    if new_status != customer.allergy_status and (
        new_status == NONE_KNOWN or customer.allergy_status == NONE_KNOWN
    ):
        changes["noKnownAllergies"] = (
            customer.allergy_status == NONE_KNOWN,
            new_status == NONE_KNOWN,
        )
    if "medicalConditions" in data and data["medicalConditions"] != old_conditions:
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
        _duplicate_check(op.tx, new_name, new_phone, customer.id)
    for api_name, attr in (
        ("name", "name"),
        ("email", "email"),
        ("address", "address"),
        ("dateOfBirth", "date_of_birth"),
        ("notes", "notes"),
    ):
        if api_name in changes:
            setattr(customer, attr, changes[api_name][1])
    if "name" in changes:
        customer.name_key = search_key(new_name)
    if "phone" in changes:
        customer.phone = new_phone
        customer.phone_search = phone_search_forms(new_phone)
    if "allergies" in changes:
        _replace_labels(op.tx, CustomerAllergy, customer.id, new_allergies)
    sent_back: list[str] = []
    if "allergies" in changes or "noKnownAllergies" in changes:
        customer.allergy_status = new_status
        customer.allergies_confirmed_at = op.naive_now if new_status != UNKNOWN else None
        customer.allergies_confirmed_by = op.user if new_status != UNKNOWN else None
    if "allergies" in changes:
        # A new allergy may conflict with a plan already running: a pharmacist reviews it
        # before the next delivery. (Imported here: plans builds on this module.)
        from pharmdesk.controllers.plans import review_after_allergy_change

        sent_back = review_after_allergy_change(op, customer, new_allergies)
    if "medicalConditions" in changes:
        _replace_labels(op.tx, CustomerCondition, customer.id, data["medicalConditions"])
    if "marketingConsent" in changes:
        _record_consent(op, customer, data["marketingConsent"])
    customer.version += 1
    customer.updated_at = op.naive_now
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
        "version": customer.version,
        "updatedAt": to_iso(op.now),
    }


# -- setMarketingConsent ------------------------------------------------------------------
@operation(
    "setMarketingConsent",
    params={**CUSTOMER_ID, "consent": Param(boolean(), required=True)},
)
def set_marketing_consent(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    customer = get_customer(op.tx, p["customerId"], for_write=True)
    previous = customer.marketing_consent
    _record_consent(op, customer, p["consent"])
    customer.version += 1
    customer.updated_at = op.naive_now
    op.audit("consent", "customer", cust_id(customer.id), {"old": previous, "new": p["consent"]})
    return {"success": True, "marketingConsent": p["consent"], "recordedAt": to_iso(op.now)}


# -- archiveCustomer ----------------------------------------------------------------------
@operation("archiveCustomer", params=CUSTOMER_ID, roles=ADMINS)
def archive_customer(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    customer = get_customer(op.tx, p["customerId"], for_write=True)
    customer.archived = True
    customer.version += 1
    customer.updated_at = op.naive_now
    op.audit("archive", "customer", cust_id(customer.id))
    return {"success": True}


# -- exportCustomerData --------------------------------------------------------------------
@operation("exportCustomerData", params=CUSTOMER_ID, roles=ADMINS)
def export_customer_data(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """Everything held on one customer: a data-subject access request."""
    customer = get_customer(op.tx, p["customerId"])
    subs = op.tx.scalars(
        select(Subscription)
        .where(Subscription.customer_id == customer.id)
        .order_by(Subscription.id)
    ).all()
    subscriptions = []
    for sub in subs:
        events = op.tx.scalars(
            select(SubscriptionEvent)
            .where(SubscriptionEvent.subscription_id == sub.id)
            .order_by(SubscriptionEvent.id)
        ).all()
        subscriptions.append(
            {
                "subscriptionId": f"SUB-{sub.id}",
                "planId": f"PLAN-{sub.plan_id}",
                "planName": sub.plan_name,
                "medications": list(sub.medications),
                "frequency": sub.frequency,
                "price": sub.price,
                "startDate": sub.start_date.isoformat(),
                "status": sub.status,
                "preferences": {"deliveryDay": sub.delivery_day, "deliveryTime": sub.delivery_time},
                "nextDelivery": sub.next_delivery.isoformat() if sub.next_delivery else None,
                "statusHistory": [
                    {"status": e.status, "at": iso_or_none(e.at), "by": e.by, "reason": e.reason}
                    for e in events
                ],
            }
        )
    orders = op.tx.scalars(
        select(Order).where(Order.customer_id == customer.id).order_by(Order.ordered_at, Order.id)
    ).all()
    consent = op.tx.scalars(
        select(ConsentEvent)
        .where(ConsentEvent.customer_id == customer.id)
        .order_by(ConsentEvent.id)
    ).all()
    op.audit("export", "customer", cust_id(customer.id), {"kind": "customerData"})
    return {
        "customer": customer_details(op.tx, customer),
        "subscriptions": subscriptions,
        "orders": [
            {
                "orderId": f"ORD-{o.id}",
                "date": iso_or_none(o.ordered_at),
                "total": o.total,
                "status": o.status,
                "subscriptionId": f"SUB-{o.subscription_id}" if o.subscription_id else None,
            }
            for o in orders
        ],
        "consentHistory": [
            {
                "consent": c.consent,
                "recordedAt": iso_or_none(c.recorded_at),
                "recordedBy": c.recorded_by,
            }
            for c in consent
        ],
        "exportedAt": to_iso(op.now),
    }
