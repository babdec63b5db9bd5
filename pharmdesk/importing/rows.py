"""File rows on their way to the import operations: converted, then sent in batches."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from pharmdesk.importing.mapping import Mapping_, RowProblem, customer_params
from pharmdesk.importing.reader import SourceRow, TableFile

# How the client reaches the operations: ``DeskSession.call`` or ``DeskContext.call``.
Call = Callable[[str, dict[str, Any]], dict[str, Any]]


def new_import_id(now: dt.datetime) -> str:
    """Names one run of one file in the audit log: when, plus a few random characters."""
    return f"IMP-{now.astimezone(dt.UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class ImportSettings:
    """How a file's cells are read: the column mapping and the branch's date order."""

    mapping: Mapping_
    day_first: bool
    today: dt.date


@dataclass(frozen=True)
class PreparedRow:
    """A file row as params, with the cells the client could not read (left out)."""

    source: SourceRow
    params: dict[str, Any]
    problems: list[RowProblem]


def prepared_rows(table: TableFile, settings: ImportSettings) -> Iterator[PreparedRow]:
    for source in table.rows():
        params, problems = customer_params(
            source.number,
            source.values,
            settings.mapping,
            day_first=settings.day_first,
            today=settings.today,
        )
        yield PreparedRow(source, params, problems)


def batches(rows: Iterator[PreparedRow], size: int) -> Iterator[list[PreparedRow]]:
    while batch := list(islice(rows, size)):
        yield batch


class BatchedRun:
    """A pass over a file's prepared rows a batch at a time: a subclass's ``step()``
    takes one (a window calls it from a timer and stays responsive)."""

    def __init__(
        self, call: Call, table: TableFile, settings: ImportSettings, batch_size: int
    ) -> None:
        self.call = call
        self.table = table
        self.settings = settings
        self._batches = batches(prepared_rows(table, settings), batch_size)
        self.finished = False

    def take(self) -> list[PreparedRow] | None:
        """The next batch; None, and ``finished``, once the whole file was taken."""
        if self.finished:
            return None
        batch = next(self._batches, None)
        if batch is None:
            self.finished = True
        return batch


def cells_for(settings: ImportSettings, source: SourceRow, field: str) -> str:
    """What the file holds for a field (for the report): the mapped cells, joined."""
    return " ".join(
        source.values[i].strip()
        for i, mapped in enumerate(settings.mapping)
        if mapped == field and i < len(source.values) and source.values[i].strip()
    )
