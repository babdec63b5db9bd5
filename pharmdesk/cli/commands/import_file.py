"""``pharmdesk import``: the dry-run report, then, once confirmed, the import in batches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pharmdesk.cli.context import EXIT_OK, EXIT_REFUSED, Context, TerminalProgress
from pharmdesk.cli.json_input import parse_json, read_text
from pharmdesk.cli.secrets import sign_in_from_args
from pharmdesk.errors import validation
from pharmdesk.importing import (
    DryRun,
    ImportRun,
    apply_overrides,
    branch_settings,
    check_mapping,
    guess_mapping,
    new_import_id,
    open_table,
    write_report,
)

MAX_PROBLEMS_SHOWN = 1000


def _confirm_import(ctx: Context, count: int) -> bool | None:
    """Yes, no, or None when nobody can be asked (no terminal and no --yes)."""
    if ctx.args.yes:
        return True
    if not ctx.stdin.isatty():
        return None
    ctx.err.write(f"Import {count:,} customer(s) now? [y/N] ")
    ctx.err.flush()
    return ctx.stdin.readline().strip().casefold() in ("y", "yes")


def cmd_import(ctx: Context) -> int:
    """Dry run (the report), then, once confirmed, the import in batches."""
    args = ctx.args
    table = open_table(args.file)
    mapping = guess_mapping(table.headers)
    if args.mapping:
        overrides = parse_json(read_text(ctx, args.mapping), "The mapping is")
        if not isinstance(overrides, dict):
            raise validation(
                'The mapping must be an object such as {"Tel": "phone", "Ref": null}.', "mapping"
            )
        mapping = apply_overrides(table.headers, mapping, overrides)
    check_mapping(table.headers, mapping)
    desk = sign_in_from_args(ctx)
    try:
        settings = branch_settings(desk.call, mapping, desk.clock.local_date(desk.clock.now()))
        import_id = new_import_id(desk.clock.now())
        estimate = table.estimated_rows()
        show = TerminalProgress(ctx.err)
        dry_run = DryRun(desk.call, table, settings, import_id=import_id)
        report = dry_run.run(lambda done: show("Checking rows", done, max(done, estimate)))
        show("Checking rows", report.rows, report.rows)
        for problem in report.problems:
            problem.import_anyway = problem.outcome == "likelyDuplicate" and (
                args.likely_duplicates == "import"
            )
        if args.report:
            try:
                write_report(Path(args.report).expanduser(), report.problems)
            except OSError:
                raise validation(
                    f"The report cannot be written to {args.report}. Check the folder exists "
                    "and is writable; nothing was imported.",
                    "report",
                ) from None
        counts = report.counts()
        ctx.say(
            f"{table.description}. {counts['rows']:,} rows: {counts['willCreate']:,} new, "
            f"{counts['duplicates']:,} already on file or repeated (skipped), "
            f"{counts['likelyDuplicates']:,} likely duplicates "
            f"({args.likely_duplicates}), {counts['errors']:,} with errors (skipped)."
        )
        answer: dict[str, Any] = {
            "success": True,
            "importId": import_id,
            "file": str(table.path),
            "read": table.description,
            "columns": {
                h or f"column {i + 1}": f
                for i, (h, f) in enumerate(zip(table.headers, mapping, strict=True))
            },
            "dryRun": counts,
            "problems": [p.to_json() for p in report.problems[:MAX_PROBLEMS_SHOWN]],
            "report": str(Path(args.report).expanduser()) if args.report else None,
            "imported": None,
        }
        to_write = counts["willCreate"] + (
            counts["likelyDuplicates"] if args.likely_duplicates == "import" else 0
        )
        confirmed = _confirm_import(ctx, to_write) if to_write and not args.dry_run else False
        if confirmed:
            run = ImportRun(
                desk.call, table, settings, import_id=import_id, skip_rows=report.skipped_rows()
            )
            result = run.run(lambda done: show("Importing", done, max(done, report.rows)))
            answer["imported"] = result.to_json()
            ctx.say(
                f"imported {result.counts.created:,} customer(s) (import {import_id}); "
                "running the same file again adds only rows not yet in."
            )
        elif confirmed is None:
            ctx.emit(answer)
            ctx.say(
                "nothing was imported: add --yes to import without being asked (or --dry-run "
                "to only check the file)."
            )
            return EXIT_REFUSED
        elif not args.dry_run and to_write:
            ctx.say("nothing was imported.")
        ctx.emit(answer)
    finally:
        desk.close()
    return EXIT_OK
