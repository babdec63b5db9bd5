"""Customer import operations: check a batch of file rows, create a batch, record the run.

A file is imported by a client (``pharmdesk.importing``, used by the command line and
the Import wizard) that reads it and sends rows here in batches, so that permission
checks, validation and audit are the operations' own, as for any other caller:

- ``checkImportRows`` (the dry run): each row judged by ``addProviderCustomer``'s own
  params and field rules (the same messages the customer form shows), then compared with
  the customers on file: an exact duplicate (same name and phone; API.md refuses it) or a
  likely duplicate (``findLikelyDuplicates``' rules). Nothing is written but one ``list``
  audit entry per batch, since existing customers are shown.
- ``importCustomers``: each row judged by ``addProviderCustomer``'s own params, field
  rules and duplicate rule, and the batch's new customers written by the code that
  writes that operation's (``create_customers``: a few statements for the whole batch),
  in the batch's one transaction; each ``create`` audit entry also carries the import's
  id and file row. Exact duplicates are skipped, so running a file again creates only
  what is not in yet.
- ``recordImport``: the one ``import`` summary entry (counts, cancelled or not).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import false, select

from pharmdesk.controllers import audit
from pharmdesk.controllers.customers.create import NewCustomer, create_customers
from pharmdesk.controllers.customers.lookup import cust_id
from pharmdesk.controllers.customers.rules import (
    customer_fields,
    duplicate_check,
    duplicate_error,
    existing_duplicates,
    normalise,
)
from pharmdesk.controllers.lookups import find_likely_duplicates
from pharmdesk.controllers.registry import PHARMACISTS, Op, operation
from pharmdesk.controllers.validation import (
    Param,
    boolean,
    free_text,
    integer,
    obj,
    parse_params,
    search_key,
    string,
)
from pharmdesk.errors import VALIDATION_ERROR, PharmDeskError, validation
from pharmdesk.store.schema import Customer

MAX_BATCH = 1000
ADD_PARAMS = customer_fields(for_update=False)
ROW_SPEC = {
    "row": Param(integer(1), required=True),
    "customer": Param(lambda _n, v: v, required=True),
}


def import_rows() -> Any:
    """A list of ``{"row": n, "customer": {addProviderCustomer params}}``. Each row's
    params are judged one by one later: a bad row is a result, not a refused batch."""

    def convert(name: str, value: Any) -> list[dict[str, Any]]:
        if not isinstance(value, list):
            raise validation(f"{name} must be a list of rows.", name)
        if not 1 <= len(value) <= MAX_BATCH:
            raise validation(f"{name} must hold 1 to {MAX_BATCH} rows.", name)
        rows = []
        for index, item in enumerate(value):
            row = parse_params(item, ROW_SPEC, prefix=f"{name}[{index}].")
            if not isinstance(row["customer"], dict):
                raise validation(f"{name}[{index}].customer must be an object.", name)
            rows.append(row)
        if len({row["row"] for row in rows}) != len(rows):
            raise validation(f"Each row of {name} must have its own row number.", name)
        return rows

    return convert


IMPORT_ID = {"importId": Param(string(1, 80), required=True)}
BATCH = {**IMPORT_ID, "rows": Param(import_rows(), required=True)}


@dataclass
class _QuietOp(Op):
    """Runs ``findLikelyDuplicates``' handler for one row without its own audit entry:
    the batch writes one entry for everything it shows."""

    def audit(self, *args: Any, **kwargs: Any) -> None:
        return None


def _error(row: int, errors: list[PharmDeskError]) -> dict[str, Any]:
    return {
        "row": row,
        "outcome": "error",
        "errors": [{"field": e.field, "message": e.message} for e in errors],
    }


def _judge(op: Op, customer: dict[str, Any]) -> tuple[dict[str, Any] | None, list[PharmDeskError]]:
    """A row's params through ``addProviderCustomer``'s rules: the normalised fields, or
    every field's error (the form shows one per field, so the report does too)."""
    try:
        return normalise(op, parse_params(customer, ADD_PARAMS)), []
    except PharmDeskError as first:
        errors = []
        for key, value in customer.items():
            if key not in ADD_PARAMS:
                continue
            try:
                normalise(op, parse_params({key: value}, {key: ADD_PARAMS[key]}))
            except PharmDeskError as exc:
                errors.append(exc)
        return None, errors or [first]


@operation("checkImportRows", params=BATCH, roles=PHARMACISTS)
def check_import_rows(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """The dry run of one batch: what ``importCustomers`` would do with each row now."""
    results: dict[int, dict[str, Any]] = {}
    valid: list[tuple[int, dict[str, Any]]] = []
    for item in p["rows"]:
        data, errors = _judge(op, item["customer"])
        if data is None:
            results[item["row"]] = _error(item["row"], errors)
            continue
        valid.append((item["row"], data))
    # Two queries for the batch find the rows that may match anyone; only those rows go
    # through the duplicate rules one by one (most rows of a first import match nobody).
    phones = {data["phone"] for _row, data in valid}
    births = {data["dateOfBirth"] for _row, data in valid if data.get("dateOfBirth")}
    exact: set[tuple[str, str]] = set()
    active_phones: set[str] = set()
    if phones:
        for name_key, phone, archived in op.tx.execute(
            select(Customer.name_key, Customer.phone, Customer.archived).where(
                Customer.phone.in_(phones)
            )
        ):
            exact.add((search_key(name_key), phone))  # older rows: made again (see text.py)
            if not archived:
                active_phones.add(phone)
    shared_births = set()
    if births:
        shared_births = set(
            op.tx.scalars(
                select(Customer.date_of_birth)
                .where(Customer.date_of_birth.in_(births), Customer.archived == false())
                .distinct()
            )
        )
    quiet = _QuietOp(op.tx, op.desk, op.now)
    shown: set[str] = set()
    for row, data in valid:
        if (search_key(data["name"]), data["phone"]) in exact:
            try:
                duplicate_check(op.tx, data["name"], data["phone"], None)
            except PharmDeskError as exc:
                results[row] = {"row": row, "outcome": "duplicate", "message": exc.message}
                shown.add(exc.message)
                continue
        matches: list[dict[str, Any]] = []
        if data["phone"] in active_phones or data.get("dateOfBirth") in shared_births:
            found = find_likely_duplicates(
                quiet,
                {
                    "name": data["name"],
                    "phone": data["phone"],
                    "dateOfBirth": data.get("dateOfBirth"),
                },
            )
            matches = [
                {"id": c["id"], "name": c["name"], "phone": c["phone"], "reason": c["reason"]}
                for c in found["customers"]
            ]
        shown.update(match["id"] for match in matches)
        results[row] = {
            "row": row,
            "outcome": "likelyDuplicate" if matches else "create",
            "phone": data["phone"],
            **({"matches": matches} if matches else {}),
        }
    op.audit(
        "list",
        "customer",
        None,
        {
            "purpose": "importCheck",
            "importId": p["importId"],
            "rows": len(p["rows"]),
            "shown": len(shown),
            # Matches carry their id; an exact duplicate's message names the one on file.
            "customerIds": audit.ids_in_text(shown),
        },
    )
    return {"results": [results[item["row"]] for item in p["rows"]]}


@operation("importCustomers", params=BATCH, roles=PHARMACISTS)
def import_customers(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """Create a batch of customers in one transaction (all of it or, on a database
    failure, none of it), each row exactly as ``addProviderCustomer`` would take it: a
    row it would refuse is reported and the batch goes on.

    Rows are judged one by one (params, then field rules), the duplicate rule is asked
    once for the batch, and the new customers are written together. A row repeating an
    earlier row of the same batch is a duplicate of the customer that row creates, so
    the rows before it are written first (its id is in the message)."""
    results: dict[int, dict[str, Any]] = {}
    judged: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
    for item in p["rows"]:
        try:
            params = parse_params(item["customer"], ADD_PARAMS)
            judged.append((item["row"], params, normalise(op, params)))
        except PharmDeskError as exc:
            if exc.code != VALIDATION_ERROR:
                raise
            results[item["row"]] = _error(item["row"], _judge(op, item["customer"])[1] or [exc])
    on_file = existing_duplicates(op.tx, [(data["name"], data["phone"]) for _r, _p, data in judged])
    pending: list[tuple[int, tuple[str, str], NewCustomer]] = []
    pending_keys: set[tuple[str, str]] = set()

    def write_pending() -> None:
        numbers = create_customers(op, [new for _row, _key, new in pending])
        for (row, key, _new), number in zip(pending, numbers, strict=True):
            on_file.setdefault(key, number)
            results[row] = {"row": row, "outcome": "created", "customerId": cust_id(number)}
        pending.clear()
        pending_keys.clear()

    for row, params, data in judged:
        key = (search_key(data["name"]), data["phone"])
        if key in pending_keys:
            write_pending()
        if key in on_file:
            results[row] = {
                "row": row,
                "outcome": "duplicate",
                "message": duplicate_error(on_file[key]).message,
            }
            continue
        detail = {"fields": sorted(params), "importId": p["importId"], "importRow": row}
        pending.append((row, key, NewCustomer(data, detail)))
        pending_keys.add(key)
    write_pending()
    return {"results": [results[item["row"]] for item in p["rows"]]}


COUNT = Param(integer(0), required=True)


@operation(
    "recordImport",
    params={
        **IMPORT_ID,
        # Only recorded, for the audit log (the file was opened by its path): it follows
        # the text rules, so no direction override makes a name read backwards there.
        "fileName": Param(free_text(1, 260), required=True),
        "counts": Param(
            obj(
                {
                    "rows": COUNT,
                    "created": COUNT,
                    "duplicates": COUNT,
                    "likelyDuplicatesSkipped": COUNT,
                    "errors": COUNT,
                }
            ),
            required=True,
        ),
        "cancelled": Param(boolean(), default=False),
    },
    roles=PHARMACISTS,
)
def record_import(op: Op, p: dict[str, Any]) -> dict[str, Any]:
    """The import's one summary entry, written when it ends (finished or cancelled)."""
    op.audit(
        "import",
        "customer",
        None,
        {
            "importId": p["importId"],
            "file": p["fileName"],
            **p["counts"],
            "cancelled": p["cancelled"],
        },
    )
    return {"success": True}
