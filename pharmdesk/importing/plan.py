"""The dry run: what an import would do with every row, before anything is written.

Rows go to ``checkImportRows`` in batches (the operations judge them with the customer
form's own rules). What comes back is counted; only the rows that need a person's eye
(errors, duplicates, likely duplicates) are kept, so a file of any length costs the
same memory, plus a few bytes per row to recognise a row repeated within the file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pharmdesk.controllers.validation import search_key
from pharmdesk.importing.reader import TableFile
from pharmdesk.importing.rows import (
    BatchedRun,
    Call,
    ImportSettings,
    PreparedRow,
    cells_for,
)

CHECK_BATCH = 500
ERROR, DUPLICATE, DUPLICATE_IN_FILE, LIKELY = (
    "error",
    "duplicate",
    "duplicateInFile",
    "likelyDuplicate",
)
OUTCOME_TEXT = {
    ERROR: "Error",
    DUPLICATE: "Already on file",
    DUPLICATE_IN_FILE: "Repeated in the file",
    LIKELY: "Likely duplicate",
}


@dataclass(slots=True)
class Problem:
    """A row the report lists: an error, a duplicate, or a likely duplicate to decide."""

    row: int
    outcome: str
    message: str
    name: str
    phone: str
    field: str | None = None
    matches: tuple[dict[str, Any], ...] = ()
    import_anyway: bool = False  # the person's decision for a likely duplicate

    def to_json(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"row": self.row, "outcome": self.outcome}
        if self.field:
            answer["field"] = self.field
        answer["message"] = self.message
        if self.matches:
            answer["matches"] = [m["id"] for m in self.matches]
        return answer


@dataclass
class DryRunReport:
    import_id: str
    file_name: str
    description: str
    rows: int = 0
    will_create: int = 0
    duplicates: int = 0
    likely: int = 0
    errors: int = 0
    problems: list[Problem] = field(default_factory=list)

    def skipped_rows(self) -> frozenset[int]:
        """Likely duplicates the person did not choose to import: the import skips them."""
        return frozenset(
            p.row for p in self.problems if p.outcome == LIKELY and not p.import_anyway
        )

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "willCreate": self.will_create,
            "duplicates": self.duplicates,
            "likelyDuplicates": self.likely,
            "errors": self.errors,
        }


REASON_TEXT = {
    "samePhone": "the same phone as",
    "similarNameSameBirthDate": "a similar name and the same date of birth as",
}


def likely_message(matches: tuple[dict[str, Any], ...]) -> str:
    """ "May be someone already on file: the same phone as CUST-4. ..." """
    parts = []
    for reason, text in REASON_TEXT.items():
        ids = [m["id"] for m in matches if m["reason"] == reason]
        if ids:
            parts.append(f"{text} {', '.join(ids)}")
    return (
        f"May be someone already on file: {'; '.join(parts)}. Import it anyway only if this "
        "is someone new (a family member sharing a phone, say)."
    )


def _digest(name: str, phone: str) -> int:
    key = f"{search_key(name)}\x00{phone}".encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")


class DryRun(BatchedRun):
    """Checks a file batch by batch: ``step()`` does one (a window calls it from a
    timer and stays responsive), ``run()`` does them all."""

    def __init__(
        self,
        call: Call,
        table: TableFile,
        settings: ImportSettings,
        *,
        import_id: str,
        batch_size: int = CHECK_BATCH,
    ) -> None:
        super().__init__(call, table, settings, batch_size)
        self.report = DryRunReport(import_id, table.path.name, table.description)
        self._seen: dict[int, int] = {}  # name key + phone digest -> first row

    def step(self) -> bool:
        """Check the next batch; False once the whole file has been checked."""
        batch = self.take()
        if batch is None:
            return False
        answer = self.call(
            "checkImportRows",
            {
                "importId": self.report.import_id,
                "rows": [{"row": r.source.number, "customer": r.params} for r in batch],
            },
        )
        for prepared, result in zip(batch, answer["results"], strict=True):
            self.report.rows += 1
            self._record(prepared, result)
        return True

    def _record(self, prepared: PreparedRow, result: dict[str, Any]) -> None:
        errors = [(p.field, p.message) for p in prepared.problems]
        if result["outcome"] == "error":
            errors += [(e.get("field"), e["message"]) for e in result["errors"]]
        if errors:
            self.report.errors += 1
            for field_name, message in errors:
                self._add(prepared, ERROR, message, field_name)
            return
        outcome = result["outcome"]
        if outcome == "duplicate":
            self.report.duplicates += 1
            self._add(prepared, DUPLICATE, result["message"])
            return
        digest = _digest(prepared.params["name"], result["phone"])
        first = self._seen.setdefault(digest, prepared.source.number)
        if first != prepared.source.number:
            self.report.duplicates += 1
            self._add(
                prepared,
                DUPLICATE_IN_FILE,
                f"The same name and phone as row {first} of this file: imported once.",
            )
            return
        if outcome == "likelyDuplicate":
            matches = tuple(result["matches"])
            self.report.likely += 1
            self._add(prepared, LIKELY, likely_message(matches), matches=matches)
            return
        self.report.will_create += 1

    def _add(
        self,
        prepared: PreparedRow,
        outcome: str,
        message: str,
        field_name: str | None = None,
        matches: tuple[dict[str, Any], ...] = (),
    ) -> None:
        self.report.problems.append(
            Problem(
                row=prepared.source.number,
                outcome=outcome,
                message=message,
                name=cells_for(self.settings, prepared.source, "name"),
                phone=cells_for(self.settings, prepared.source, "phone"),
                field=field_name,
                matches=matches,
            )
        )

    def run(self, progress: Callable[[int], None] | None = None) -> DryRunReport:
        while self.step():
            if progress is not None:
                progress(self.report.rows)
        return self.report
