"""The customer's allergy and condition lists, and the allergy status they give."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, insert, literal_column, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import CompoundSelect

from pharmdesk.controllers.validation import search_key
from pharmdesk.store import driver_sql
from pharmdesk.store.schema import CustomerAllergy, CustomerCondition

UNKNOWN, NONE_KNOWN, RECORDED = "unknown", "noneKnown", "recorded"


LabelTable = type[CustomerAllergy] | type[CustomerCondition]


_LABELS = {
    label_table: select(label_table.label)
    .where(label_table.customer_id == bindparam("number"))
    .order_by(label_table.position)
    for label_table in (CustomerAllergy, CustomerCondition)
}


def labels(tx: Session, table: LabelTable, number: int) -> list[str]:
    return list(tx.connection().scalars(_LABELS[table], {"number": number}))


# Both lists in one statement (the profile): allergies (0) then conditions (1).
_LABEL_TABLES: tuple[LabelTable, ...] = (CustomerAllergy, CustomerCondition)
_BOTH: CompoundSelect = union_all(
    *(
        select(literal_column(str(kind)).label("kind"), t.position, t.label).where(
            t.customer_id == bindparam("number")
        )
        for kind, t in enumerate(_LABEL_TABLES)
    )
).order_by(literal_column("kind"), literal_column("position"))


def allergies_and_conditions(tx: Session, number: int) -> tuple[list[str], list[str]]:
    """``labels`` of both tables, read at once."""
    both: tuple[list[str], list[str]] = ([], [])
    for kind, _position, label in driver_sql.rows(tx.connection(), _BOTH, {"number": number}):
        both[kind].append(label)
    return both


def label_rows(number: int, values: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "customer_id": number,
            "position": position,
            "label": label,
            "label_key": search_key(label),
        }
        for position, label in enumerate(values)
    ]


def insert_labels(tx: Session, table: LabelTable, rows: list[dict[str, Any]]) -> None:
    if rows:
        tx.connection().execute(insert(table), rows)


def replace_labels(tx: Session, table: LabelTable, number: int, values: list[str]) -> None:
    tx.connection().execute(delete(table).where(table.customer_id == number))
    insert_labels(tx, table, label_rows(number, values))


def allergy_state(allergies: list[str], none_known: bool) -> str:
    if allergies:
        return RECORDED
    return NONE_KNOWN if none_known else UNKNOWN
