"""The same questions asked of two stores: a sample of answers that must be equal on a
server database and on the file it was moved from (``server import-file``), used by its
test and by its benchmark."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pharmdesk.controllers import api  # noqa: F401  (registers the operations asked)
from pharmdesk.controllers.session import DeskSession
from pharmdesk.errors import PharmDeskError


def ask(desk: DeskSession, name: str, params: dict[str, Any]) -> Any:
    """The answer, or the refusal (the same refusal on both stores is the same answer)."""
    try:
        return desk.call(name, params)
    except PharmDeskError as exc:
        return exc.to_json()


def sample(desk: DeskSession, head: int, customers: Iterable[int]) -> list[Any]:
    """Searches, sorts, the profiles of ``customers``, the segments, and the audit log up
    to entry ``head`` (the entries the file had)."""
    answers: list[Any] = []
    for search in ("", "a", "ade", "0803", "CUST-7", "mar o", "zzzz"):
        for page in (1, 2):
            answers.append(desk.call("fetchCustomers", {"search": search, "page": page}))
    for sort in ("-createdAt", "lastOrder", "-totalOrders", "planCount"):
        answers.append(desk.call("fetchCustomers", {"sort": sort}))
    for prefix in ("ad", "ch", "em", "ib", "ka", "ng", "ol", "tu", "yu", "0", "234", "+234"):
        answers.append(desk.call("fetchCustomers", {"search": prefix, "limit": 25}))
    for number in customers:
        answers.append(ask(desk, "viewProviderCustomerDetails", {"customerId": f"CUST-{number}"}))
    for condition in ("diabetes", "hypert", "asthma"):
        answers.append(desk.call("getCustomersByCondition", {"condition": condition}))
    for days in (0, 7, 30):
        answers.append(desk.call("getCustomersWithUpcomingRefills", {"days": days}))
    for spend in (0, 50000):
        answers.append(desk.call("getHighValueCustomers", {"minSpend": spend}))
    before = f"AUD-{head + 1}"
    for _page in range(4):
        log = desk.call("fetchAuditLog", {"limit": 100, "beforeId": before})
        answers.append(log["entries"])
        if not log["hasMore"]:
            break
        before = log["nextBeforeId"]
    return answers
