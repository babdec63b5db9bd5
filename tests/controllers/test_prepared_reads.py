"""``store/driver_sql.rows``: a statement built once, run on the SQLite driver, gives the
rows SQLAlchemy gives for it (the same values, the same types: dates, timestamps,
booleans, JSON, NULLs, a LIMIT's own parameter, a UNION), by column name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, literal_column, select, union_all

from pharmdesk.controllers.session import DeskSession
from pharmdesk.store import driver_sql
from pharmdesk.store.schema import Customer, CustomerAllergy, CustomerCondition, Subscription

_CUSTOMER = select(*Customer.__table__.c).where(Customer.id == bindparam("number"))
_PLANS = (
    select(Subscription.id, Subscription.medications, Subscription.next_delivery)
    .where(Subscription.customer_id == bindparam("number"))
    .order_by(Subscription.id)
    .limit(5)
)
_BOTH = union_all(
    *(
        select(literal_column(str(kind)).label("kind"), t.label).where(
            t.customer_id == bindparam("number")
        )
        for kind, t in enumerate((CustomerAllergy, CustomerCondition))
    )
)


def _both_ways(desk: DeskSession, statement: Any, params: dict[str, Any]) -> tuple[list, list]:
    with desk.db.transaction() as tx:
        conn = tx.connection()
        mine = driver_sql.rows(conn, statement, params)
        again = driver_sql.rows(conn, statement, params)  # prepared once, run twice
        theirs = [tuple(row) for row in conn.execute(statement, params)]
    assert [tuple(row) for row in again] == [tuple(row) for row in mine]
    return mine, theirs


def test_prepared_reads_give_sqlalchemys_rows(admin: DeskSession) -> None:
    plan = admin.call(
        "addPlan",
        {"name": "Care", "medications": ["Metformin 500mg", "Aspirin"], "frequency": "monthly",
         "price": 9000},
    )["planId"]  # fmt: skip
    number = admin.call(
        "addProviderCustomer",
        {"name": "Ada Obi", "phone": "08031112222", "dateOfBirth": "1980-05-05",
         "allergies": ["Penicillin"], "medicalConditions": ["Diabetes"]},
    )["customerId"]  # fmt: skip
    admin.call("addCustomerPlan", {"customerId": number, "planId": plan})
    params = {"number": int(number.split("-")[1])}
    for statement in (_CUSTOMER, _PLANS, _BOTH):
        mine, theirs = _both_ways(admin, statement, params)
        assert [tuple(row) for row in mine] == theirs
        assert [type(v) for row in mine for v in row] == [type(v) for row in theirs for v in row]
    [customer], _ = _both_ways(admin, _CUSTOMER, params)
    assert customer.name == "Ada Obi" and customer.date_of_birth.isoformat() == "1980-05-05"
    assert customer.archived is False and customer.created_at.year >= 2026
    [sub], _ = _both_ways(admin, _PLANS, params)
    assert sub.medications == ["Metformin 500mg", "Aspirin"]
    assert _both_ways(admin, _CUSTOMER, {"number": 999})[0] == []
