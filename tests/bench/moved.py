"""The cached demo moved onto a server database with ``server import-file``'s own code,
its admin's one-time login password replaced by the demo password (as the person would
at their first sign-in), so the benchmarks sign in as that own login."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from pharmdesk.controllers.server_import import ImportResult, import_file
from pharmdesk.controllers.session import sign_in
from pharmdesk.demo import DEMO_PASSWORD, DEMO_USER
from pharmdesk.paths import DatabaseFiles, server_files
from pharmdesk.store import transfer
from tests.bench import cache


@dataclass(frozen=True)
class Moved:
    result: ImportResult
    desk: DatabaseFiles  # a desk joined with the URL only
    db_role: str  # the demo admin's own login role
    seconds: float  # the move alone


def move_demo(
    source: DatabaseFiles,
    url: str,
    desk_base: Path,
    progress: transfer.Progress = lambda _s, _d, _t: None,
) -> Moved:
    began = time.monotonic()
    result = import_file(
        source,
        url,
        username=DEMO_USER,
        password=DEMO_PASSWORD,
        clock=cache.demo_clock(),
        progress=progress,
        desk_base=desk_base,
    )
    seconds = time.monotonic() - began
    login = next(one for one in result.logins if one.username == DEMO_USER)
    desk = server_files(url, base=desk_base)
    first = sign_in(desk, DEMO_USER, login.one_time_password, clock=cache.demo_clock())
    try:
        first.call(
            "changeMyPassword",
            {"oldPassword": login.one_time_password, "newPassword": DEMO_PASSWORD},
        )
    finally:
        first.close()
    return Moved(result, desk, login.db_role, seconds)
