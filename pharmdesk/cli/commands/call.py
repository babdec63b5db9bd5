"""``pharmdesk call``: one operation, or a batch of JSON Lines, answered as JSON."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pharmdesk.cli.context import EXIT_OK, EXIT_REFUSED, Context
from pharmdesk.cli.json_input import parse_json, read_text
from pharmdesk.cli.secrets import sign_in_from_args
from pharmdesk.controllers import api
from pharmdesk.errors import NOT_FOUND, PharmDeskError, validation


def cmd_call(ctx: Context) -> int:
    args = ctx.args
    if args.batch is not None:
        if args.operation is not None:
            raise validation("Give either an operation or --batch FILE, not both.", "operation")
        return _call_batch(ctx, args.batch)
    if not args.operation:
        raise validation(
            "Name the operation to run, e.g. pharmdesk call fetchCustomers '{\"page\": 1}'.",
            "operation",
        )
    text = read_text(ctx, args.params) if args.params is not None else None
    desk = sign_in_from_args(ctx)
    try:
        params = parse_json(text, "The params are") if text is not None and text.strip() else None
        ctx.emit(api.call(desk, args.operation, params))
    finally:
        desk.close()
    return EXIT_OK


def _batch_lines(ctx: Context, source: str) -> Iterator[str]:
    if source == "-":
        yield from ctx.stdin
        return
    try:
        handle = open(source, encoding="utf-8")  # noqa: SIM115  (closed below, streamed)
    except OSError:
        raise PharmDeskError(
            NOT_FOUND, f"The batch file {source} cannot be read. Check the path.", "batch"
        ) from None
    with handle:
        yield from handle


def _batch_request(line: str, number: int) -> tuple[str, Any]:
    request = parse_json(line, f"Batch line {number} is")
    if not isinstance(request, dict) or not isinstance(request.get("operation"), str):
        raise validation(
            f'Batch line {number} must be an object such as {{"operation": '
            '"fetchCustomers", "params": {}}.',
            "operation",
        )
    unknown = sorted(set(request) - {"operation", "params"})
    if unknown:
        raise validation(
            f"Unknown key '{str(unknown[0])[:40]}' in batch line {number}. Accepted: "
            "operation, params.",
            str(unknown[0])[:40],
        )
    return request["operation"], request.get("params")


def _call_batch(ctx: Context, source: str) -> int:
    if source != "-" and not Path(source).is_file():
        raise PharmDeskError(
            NOT_FOUND, f"The batch file {source} cannot be read. Check the path.", "batch"
        )
    desk = sign_in_from_args(ctx)
    failures = 0
    try:
        for number, line in enumerate(_batch_lines(ctx, source), start=1):
            if not line.strip():
                continue
            try:
                name, params = _batch_request(line, number)
                answer = api.call(desk, name, params)
            except PharmDeskError as exc:
                failures += 1
                answer = exc.to_json()
            ctx.emit(answer)  # written and flushed once the operation has committed
    finally:
        desk.close()
    if failures:
        ctx.say(f"{failures} line(s) of the batch failed; see their answers.")
        return EXIT_REFUSED
    return EXIT_OK
