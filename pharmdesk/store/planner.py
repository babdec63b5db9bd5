"""Keeping SQLite's planner off an index it would wrongly choose, the same on both stores.

A branch's file carries no ANALYZE statistics, so SQLite may pick a wide index for an
equality on a low-cardinality column (``status``, ``archived``) over the selective one
that the query really narrows by (a customer's id).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class unindexed(FunctionElement[Any]):
    """A column that must not choose the index: on SQLite ``+column``, its documented way
    to keep a term from using an index; elsewhere the plain column.

    Without ANALYZE statistics SQLite takes ``status = 'active'`` (the first column of
    ix_subscription_refill) for a selective equality and would answer "this customer's
    due subscriptions" by scanning every active subscription due in the range, once per
    customer, instead of seeking the customer's few through ix_subscription_customer.
    """

    name = "unindexed"
    inherit_cache = True

    def __init__(self, column: Any) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(unindexed)
def _plain_column(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(unindexed, "sqlite")
def _unary_plus(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return "+" + str(compiler.process(element.clauses, **kw))
