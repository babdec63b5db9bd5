"""The import itself: rows sent to ``importCustomers`` in batches, each batch one
transaction, so stopping between two batches leaves exactly the batches done.

Exact duplicates are skipped by the operation, so a file imported again (after a
cancel, a lock, a power cut) creates only the rows not yet in. The run ends with one
``recordImport`` summary entry, whether it finished or was cancelled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pharmdesk.importing.plan import DUPLICATE, ERROR, Problem
from pharmdesk.importing.reader import TableFile
from pharmdesk.importing.rows import (
    BatchedRun,
    Call,
    ImportSettings,
    PreparedRow,
    cells_for,
)

WRITE_BATCH = 500


@dataclass
class ImportCounts:
    rows: int = 0
    created: int = 0
    duplicates: int = 0
    likely_skipped: int = 0
    errors: int = 0

    def add(self, other: ImportCounts) -> None:
        self.rows += other.rows
        self.created += other.created
        self.duplicates += other.duplicates
        self.likely_skipped += other.likely_skipped
        self.errors += other.errors

    def to_json(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "created": self.created,
            "duplicates": self.duplicates,
            "likelyDuplicatesSkipped": self.likely_skipped,
            "errors": self.errors,
        }


@dataclass
class ImportResult:
    import_id: str
    counts: ImportCounts
    cancelled: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "importId": self.import_id,
            **self.counts.to_json(),
            "cancelled": self.cancelled,
        }


class ImportRun(BatchedRun):
    """Writes a file batch by batch: ``step()`` does one, ``run()`` does them all, and
    ``finish()`` records the summary (once)."""

    def __init__(
        self,
        call: Call,
        table: TableFile,
        settings: ImportSettings,
        *,
        import_id: str,
        skip_rows: frozenset[int] = frozenset(),
        batch_size: int = WRITE_BATCH,
    ) -> None:
        super().__init__(call, table, settings, batch_size)
        self.skip_rows = skip_rows
        self.result = ImportResult(import_id, ImportCounts(), cancelled=False)
        self.recorded = False

    @property
    def counts(self) -> ImportCounts:
        return self.result.counts

    def step(self) -> bool:
        """Write the next batch (one transaction); False once the file is done."""
        batch = self.take()
        if batch is None:
            return False
        # Counted only once the batch is committed: a failed call leaves the counts as
        # they were (nothing of that batch was written either). The rows themselves were
        # in the dry run's report; here only the counts are kept, so memory stays flat.
        batch_counts = ImportCounts(rows=len(batch))
        problems: list[Problem] = []
        sent = []
        for prepared in batch:
            if prepared.source.number in self.skip_rows:
                batch_counts.likely_skipped += 1
            elif prepared.problems:
                problems.extend(
                    self._problem(prepared, ERROR, p.message, p.field) for p in prepared.problems
                )
            else:
                sent.append(prepared)
        if sent:
            answer = self.call(
                "importCustomers",
                {
                    "importId": self.result.import_id,
                    "rows": [{"row": r.source.number, "customer": r.params} for r in sent],
                },
            )
            for prepared, outcome in zip(sent, answer["results"], strict=True):
                if outcome["outcome"] == "created":
                    batch_counts.created += 1
                elif outcome["outcome"] == "duplicate":
                    problems.append(self._problem(prepared, DUPLICATE, outcome["message"]))
                else:
                    problems.extend(
                        self._problem(prepared, ERROR, e["message"], e.get("field"))
                        for e in outcome["errors"]
                    )
        batch_counts.errors = len({p.row for p in problems if p.outcome == ERROR})
        batch_counts.duplicates = sum(1 for p in problems if p.outcome == DUPLICATE)
        self.counts.add(batch_counts)
        return True

    def _problem(
        self, prepared: PreparedRow, outcome: str, message: str, field_name: str | None = None
    ) -> Problem:
        return Problem(
            row=prepared.source.number,
            outcome=outcome,
            message=message,
            name=cells_for(self.settings, prepared.source, "name"),
            phone=cells_for(self.settings, prepared.source, "phone"),
            field=field_name,
        )

    def finish(self, *, cancelled: bool) -> ImportResult:
        """Record the ``import`` summary entry (once) and return the result."""
        self.result.cancelled = cancelled and not self.finished
        if not self.recorded:
            self.call(
                "recordImport",
                {
                    "importId": self.result.import_id,
                    "fileName": self.table.path.name[:260],
                    "counts": self.counts.to_json(),
                    "cancelled": self.result.cancelled,
                },
            )
            self.recorded = True
        return self.result

    def run(self, progress: Callable[[int], None] | None = None) -> ImportResult:
        """Every batch, then the summary; an interruption still records the summary of
        what was committed before it goes on up."""
        try:
            while self.step():
                if progress is not None:
                    progress(self.counts.rows)
        except BaseException:
            self.finish(cancelled=True)
            raise
        return self.finish(cancelled=False)
