"""Every module of the package imports on its own, in a fresh set of PharmDesk modules:
no module works only because another happened to be imported first, and no import loop
hides behind an import placed inside a function."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pharmdesk

PACKAGE = Path(pharmdesk.__file__).parent

PROBE = """
import importlib, sys, traceback
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "pharmdesk" or m.startswith("pharmdesk.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception:
        failed.append(name + ": " + traceback.format_exc(limit=1).strip().splitlines()[-1])
print("\\n".join(failed))
"""


def _modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        if "migrations" in relative.parts or path.name == "__main__.py":
            continue  # revisions are loaded by Alembic; __main__ runs the program
        parts = relative.parts[:-1] if path.name == "__init__.py" else relative.parts
        names.append(".".join(parts))
    return names


def test_every_module_imports_on_its_own() -> None:
    modules = _modules()
    assert len(modules) > 200
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *modules],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == ""
