"""Item 11: arbitrary JSON for every operation never breaks anything.

Hypothesis builds params for each operation of the registry: the right keys with values
of any JSON type, unknown keys, and whole values that are not objects at all, with huge
strings and numbers, unicode, control characters, SQL, NaN and nulls. Each goes through
the path of ``pharmdesk call``: JSON text, the CLI's parser, ``api.call``. Every answer
must be a success or a ``PharmDeskError`` with a known code and a short message; a failed
call must change no data; nothing may hang; the database must pass its checks after.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import signal
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from pharmdesk import cli
from pharmdesk.controllers import api
from pharmdesk.controllers.registry import REGISTRY
from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import CODES, PharmDeskError
from pharmdesk.paths import DatabaseFiles
from pharmdesk.store.schema import AuditEntry, Base
from tests.reliability.checks import check_database

# CI runs a few dozen per operation, the same ones every run (derandomized: CI must not
# be flaky); PHARMDESK_FUZZ_EXAMPLES=1000 digs deeper, with fresh random examples.
DEEP = "PHARMDESK_FUZZ_EXAMPLES" in os.environ
EXAMPLES_PER_OPERATION = int(os.environ.get("PHARMDESK_FUZZ_EXAMPLES", "30"))
CALL_TIMEOUT_SECONDS = 20
MAX_MESSAGE = 1000

SPECIAL_TEXT = [
    "",
    " ",
    "CUST-1",
    "cust-2 ",
    "CUST-0",
    "CUST--1",
    "CUST-99999999999999999999",
    "CUST-9223372036854775808",
    "PLAN-1",
    "SUB-1",
    "ORD-1",
    "AUD-1",
    "admin",
    "femi",
    "2026-04-18",
    "2026-02-30",
    "1899-12-31",
    "9999-12-31",
    "2026-04-18T12:00:00Z",
    "2026-04-18T12:00:00+25:00",
    "0001-01-01T00:00:00Z",
    "08012345678",
    "+2348012345678",
    "+23412345",
    "not-an-email@",
    "Penicillin",
    "monthly",
    "Monday",
    "morning",
    "completed",
    "NG",
    "NGN",
    "-createdAt",
    "condition",
    "'; DROP TABLE customer; --",
    '" OR 1=1 --',
    "%",
    "_",
    "\\",
    "\x00",
    "\x1b[31mred\x1b[0m",
    "\u202etxt.exe",
    "\ud7ff\ue000\U0010ffff",
    "Ǆǅǆ ﬁ ß İ",
    "🔥" * 200,
    "x" * 5000,
    "y" * 200_000,
]
SPECIAL_NUMBERS = [0, -1, 1, 2, 100, 101, 365, 366, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 10**30]

text_values = st.one_of(
    st.sampled_from(SPECIAL_TEXT),
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=300),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(SPECIAL_NUMBERS),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    text_values,
)
_keys = st.one_of(text_values, st.sampled_from(["deliveryDay", "daily"]))
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(_keys, children, max_size=4),
    max_leaves=12,
)


def _ids(prefix: str) -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(1, 5).map(lambda n: f"{prefix}-{n}"),
        st.integers(-3, 2**64).map(lambda n: f"{prefix.lower()}-{n}"),
    )


def _labels() -> st.SearchStrategy[list[Any]]:
    return st.lists(st.one_of(st.sampled_from(["Penicillin", "Asthma", "Latex"]), text_values))


_free_text = st.one_of(st.text(max_size=60), st.sampled_from(SPECIAL_TEXT[:-2]))
_names = st.one_of(
    st.sampled_from(["Ada Obi", "Émile Zola", "O'Brien", "Bola"]),
    st.text(st.characters(codec="utf-8", categories=["L", "Zs"]), min_size=2, max_size=40),
)
_dates = st.dates(dt.date(1950, 1, 1), dt.date(2027, 12, 31)).map(str)
_small = st.one_of(st.integers(-5, 400), st.sampled_from(SPECIAL_NUMBERS))
# Values of the right kind for each param name (so calls get past the type checks and
# into the operations), mixed below with values of any kind.
PLAUSIBLE: dict[str, st.SearchStrategy[Any]] = {
    "customerId": _ids("CUST"),
    "excludeCustomerId": _ids("CUST"),
    "planId": _ids("PLAN"),
    "subscriptionId": _ids("SUB"),
    "orderId": _ids("ORD"),
    "beforeId": _ids("AUD"),
    "name": _names,
    "fullName": _names,
    "phone": st.one_of(
        st.integers(0, 10**7 - 1).map(lambda n: f"0803{n:07d}"),
        st.sampled_from(["+2348012345678", "0801 234 5678", "2348012345678", "+447700900123"]),
    ),
    "email": st.emails(),
    "address": _free_text,
    "notes": _free_text,
    "reason": _free_text,
    "search": _free_text,
    "condition": st.one_of(st.sampled_from(["diab", "Asthma", "%", "_"]), _free_text),
    "dateOfBirth": _dates,
    "startDate": _dates,
    "resumeDate": _dates,
    "from": _dates,
    "to": _dates,
    "date": st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2026, 4, 18)).map(
        lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")
    ),
    "allergies": _labels(),
    "medicalConditions": _labels(),
    "medications": _labels(),
    "noKnownAllergies": st.booleans(),
    "marketingConsent": st.booleans(),
    "consent": st.booleans(),
    "approve": st.booleans(),
    "active": st.booleans(),
    "includeRetired": st.booleans(),
    "mustChangePassword": st.booleans(),
    "total": _small,
    "price": _small,
    "minSpend": _small,
    "days": _small,
    "page": _small,
    "limit": _small,
    "expectedVersion": _small,
    "idleLockMinutes": _small,
    "backupEveryHours": _small,
    "status": st.sampled_from(["pending", "completed", "cancelled", "active", "paused"]),
    "frequency": st.sampled_from(["weekly", "biweekly", "monthly", "quarterly", "daily"]),
    "role": st.sampled_from(["admin", "pharmacist", "frontdesk", "root"]),
    "segment": st.sampled_from(["condition", "upcomingRefills", "highValue", "all"]),
    "sort": st.sampled_from(["name", "-name", "createdAt", "-lastOrder", "totalOrders", "x"]),
    "kind": st.sampled_from(["allergies", "conditions", "other"]),
    "document": st.sampled_from(["profile", "profilePdf", "other"]),
    "action": st.sampled_from(["view", "signIn", "create", "nope"]),
    "user": st.sampled_from(["admin", "femi", "ADMIN", "nobody"]),
    "username": st.one_of(
        st.sampled_from(["admin", "femi", "ngozi", "X", "bad name"]),
        st.from_regex(r"[a-z][a-z0-9._-]{2,12}", fullmatch=True),
    ),
    "password": st.text(min_size=15, max_size=40),
    "newPassword": st.text(min_size=15, max_size=40),
    "oldPassword": st.sampled_from(["correct horse staple battery 42", "wrong"]),
    "preferences": st.one_of(
        st.fixed_dictionaries(
            {},
            optional={
                "deliveryDay": st.sampled_from(["Monday", "Sunday", "Funday"]),
                "deliveryTime": st.sampled_from(["morning", "evening", "midnight"]),
            },
        ),
        json_values,
    ),
    "backupKeep": st.one_of(
        st.fixed_dictionaries({"daily": _small, "weekly": _small, "monthly": _small}),
        json_values,
    ),
    "defaultRegion": st.sampled_from(["NG", "GH", "ng", "XX"]),
    "currency": st.sampled_from(["NGN", "GHS", "ngn", "XXX"]),
    "branchName": _names,
    "backupFolder": text_values,
}


def _plausible_params(name: str) -> st.SearchStrategy[dict[str, Any]]:
    spec = REGISTRY[name].params
    required = {k: PLAUSIBLE.get(k, json_values) for k, p in spec.items() if p.required}
    optional = {k: PLAUSIBLE.get(k, json_values) for k, p in spec.items() if not p.required}
    return st.fixed_dictionaries(required, optional=optional)


@st.composite
def _one_value_wrong(draw: st.DrawFn, name: str) -> dict[str, Any]:
    """Plausible params with one key given any JSON value at all."""
    params = draw(_plausible_params(name))
    keys = list(REGISTRY[name].params)
    if keys:
        params[draw(st.sampled_from(keys))] = draw(json_values)
    return params


def params_for(name: str) -> st.SearchStrategy[Any]:
    keys = list(REGISTRY[name].params)
    return st.one_of(
        _plausible_params(name),  # mostly valid: reaches the operation itself
        _one_value_wrong(name),
        st.fixed_dictionaries({}, optional={key: json_values for key in keys}),
        st.dictionaries(st.sampled_from([*keys, "extra", 'deliveryTime"', ""]), json_values),
        json_values,
    )


@pytest.fixture
def world(admin: DeskSession) -> DeskSession:
    """Something for ids to point at: customers, a plan, a subscription, an order, staff."""
    for i in range(3):
        admin.call(
            "addProviderCustomer",
            {
                "name": f"Fuzz Customer {i}",
                "phone": f"+23480100000{i:02d}",
                "allergies": ["Penicillin"] if i else [],
                "medicalConditions": ["Diabetes Type 2"],
            },
        )
    plan = admin.call(
        "addPlan",
        {
            "name": "Fuzz Plan",
            "medications": ["Metformin 500mg"],
            "frequency": "monthly",
            "price": 9000,
        },
    )
    admin.call("addCustomerPlan", {"customerId": "CUST-1", "planId": plan["planId"]})
    admin.call("recordOrder", {"customerId": "CUST-1", "total": 500})
    admin.call(
        "addStaff",
        {
            "username": "femi",
            "fullName": "Femi",
            "role": "frontdesk",
            "password": "femi likes long walks 2026",
        },
    )
    return admin


def _data_digest(desk: DeskSession) -> str:
    """Every row of every table but the audit log (refusals may be audited)."""
    digest = hashlib.sha256()
    with desk.db.transaction() as tx:
        for table in sorted(Base.metadata.tables):
            if table == "audit_entry":
                continue
            for row in tx.execute(text(f'SELECT * FROM "{table}" ORDER BY rowid')):
                digest.update(repr(tuple(row)).encode("utf-8"))
    return digest.hexdigest()


def _audit_outcomes_after(desk: DeskSession, last_id: int) -> list[str]:
    with desk.db.transaction() as tx:
        return list(tx.scalars(select(AuditEntry.outcome).where(AuditEntry.id > last_id)))


def _audit_head(desk: DeskSession) -> int:
    with desk.db.transaction() as tx:
        return int(tx.scalar(select(func.max(AuditEntry.id))) or 0)


class Hang(Exception):
    pass


@pytest.fixture
def alarm() -> Iterator[None]:
    def ring(_signum: int, _frame: Any) -> None:
        raise Hang

    previous = signal.signal(signal.SIGALRM, ring)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def call_like_the_cli(desk: DeskSession, name: str, params: Any) -> tuple[bool, dict[str, Any]]:
    """JSON text -> the CLI's parser -> api.call, as ``pharmdesk call NAME -`` does."""
    text_params = json.dumps(params)  # NaN and Infinity included: Python's json reads them
    try:
        parsed = cli._parse_json(text_params, "The params are")
        return True, api.call(desk, name, parsed)
    except PharmDeskError as exc:
        return False, exc.to_json()


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_any_json_for_every_operation(
    name: str, world: DeskSession, db_files: DatabaseFiles, alarm: None
) -> None:
    desk = world
    problems: list[str] = []

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=not DEEP,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(params=params_for(name))
    def run(params: Any) -> None:
        before = _data_digest(desk)
        head = _audit_head(desk)
        signal.alarm(CALL_TIMEOUT_SECONDS)
        try:
            ok, answer = call_like_the_cli(desk, name, params)
        except Hang:
            problems.append(f"hang: {_short(params)}")
            return
        except Exception as exc:  # what the CLI would turn into exit 3
            problems.append(f"{type(exc).__name__}: {str(exc)[:200]} for {_short(params)}")
            return
        finally:
            signal.alarm(0)
        try:
            json.dumps(answer, allow_nan=False)
        except ValueError:
            problems.append(f"answer is not strict JSON for {_short(params)}")
        if ok:
            return
        error = answer["error"]
        if error["code"] not in CODES:
            problems.append(f"unknown code {error['code']}")
        message = error["message"]
        if not message or len(message) > MAX_MESSAGE or "Traceback" in message:
            problems.append(f"bad message ({len(message)} chars) for {_short(params)}")
        if _data_digest(desk) != before:
            problems.append(f"a failed call changed data: {_short(params)}")
        if any(o == "success" for o in _audit_outcomes_after(desk, head)):
            problems.append(f"a failed call wrote a success entry: {_short(params)}")

    run()
    assert problems == [], "\n".join(sorted(set(problems))[:8])
    key = desk.key
    desk.close()
    health = check_database(db_files, key)
    assert health.ok, health.describe()


def _short(params: Any) -> str:
    text_form = json.dumps(params, ensure_ascii=True)
    return text_form if len(text_form) < 160 else text_form[:160] + "..."


HUGE = [2**63, -(2**63) - 1, 10**30]
INTEGER_PARAMS = {
    "page", "limit", "minSpend", "days", "total", "price", "expectedVersion",
    "idleLockMinutes", "backupEveryHours",
}  # fmt: skip
BASE_PARAMS: dict[str, Any] = {
    "customerId": "CUST-1", "planId": "PLAN-1", "subscriptionId": "SUB-1",
    "orderId": "ORD-1", "segment": "highValue", "condition": "diab", "name": "Night Plan",
    "medications": ["Metformin 500mg"], "frequency": "monthly", "status": "completed",
    "minSpend": 1, "days": 1, "total": 1, "price": 1,
}  # fmt: skip


def _huge_cases() -> list[Any]:
    cases = []
    for name, op in sorted(REGISTRY.items()):
        for key in sorted(set(op.params) & INTEGER_PARAMS):
            cases.append(pytest.param(name, key, id=f"{name}.{key}"))
    return cases


@pytest.mark.parametrize(("name", "key"), _huge_cases())
def test_huge_integers_get_an_answer(world: DeskSession, name: str, key: str) -> None:
    """Numbers beyond SQLite's 64-bit integers, for every integer param of every operation
    (the random fuzz meets them only now and then): an answer (an empty page far beyond
    the end is one), or a structured refusal; never an exception."""
    spec = REGISTRY[name].params
    for value in HUGE:
        params = {k: BASE_PARAMS[k] for k, p in spec.items() if p.required and k in BASE_PARAMS}
        params[key] = value
        ok, answer = call_like_the_cli(world, name, params)  # raises on anything else
        assert ok or answer["error"]["code"] in CODES, answer


def test_nan_and_huge_numbers_are_not_numbers_we_store(world: DeskSession) -> None:
    """A direct look at the values JSON allows but a pharmacy's money and days cannot be."""
    for value in (math.nan, math.inf, 2**63, -(2**63) - 1, 1e308, 10.5):
        ok, answer = call_like_the_cli(
            world, "recordOrder", {"customerId": "CUST-1", "total": value}
        )
        assert not ok and answer["error"]["code"] == "VALIDATION_ERROR", (value, answer)
        assert answer["error"].get("field") == "total"
