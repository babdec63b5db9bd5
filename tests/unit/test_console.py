"""Standard streams for the windowed Windows program and UTF-8 output on Windows."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from pharmdesk.console import prepare_streams

NAME = "Adébáyọ̀ Ọláolúwa"  # ọ is not in cp1252, the code page of Western Windows


def _pipe(encoding: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(), encoding=encoding)


def test_missing_streams_go_to_the_null_device() -> None:
    streams = SimpleNamespace(stdin=None, stdout=None, stderr=None)
    prepare_streams(streams, os_name="nt")
    streams.stdout.write(json.dumps({"name": NAME}, ensure_ascii=False) + "\n")
    streams.stderr.write("pharmdesk: a message\n")
    assert streams.stdin.read() == ""
    for stream in (streams.stdin, streams.stdout, streams.stderr):
        assert stream.name == os.devnull
        stream.close()


def test_windows_redirected_output_is_utf8() -> None:
    streams = SimpleNamespace(stdin=_pipe("cp1252"), stdout=_pipe("cp1252"), stderr=_pipe("cp1252"))
    prepare_streams(streams, os_name="nt")
    streams.stdout.write(NAME)
    streams.stdout.flush()
    assert streams.stdout.buffer.getvalue().decode("utf-8") == NAME
    assert streams.stdin.encoding == "utf-8"
    assert streams.stderr.errors == "replace"


def test_other_systems_keep_their_streams() -> None:
    stdout = _pipe("cp1252")
    streams = SimpleNamespace(stdin=sys.stdin, stdout=stdout, stderr=sys.stderr)
    prepare_streams(streams, os_name="posix")
    assert streams.stdout is stdout and stdout.encoding == "cp1252"
    assert streams.stderr is sys.stderr


def test_a_program_without_streams_runs_a_command(tmp_path: Path) -> None:
    # What pharmdesk.exe (windowed) gets on Windows: no stdout or stderr at all. The exit
    # codes are written to a file, since nothing else can be seen from such a program.
    result = tmp_path / "codes.txt"
    code = (
        "import sys; sys.stdout = sys.stderr = None\n"
        "from pharmdesk.cli import main\n"
        "codes = [main(['--version']), main(['call', 'noSuchOperation', '{}'])]\n"
        f"open({str(result)!r}, 'w').write(' '.join(map(str, codes)))\n"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PHARMDESK_DB": str(tmp_path / "none.db")},
        timeout=120,
        check=False,
    )
    assert result.exists(), "a command crashed without streams"
    version, unknown = map(int, result.read_text().split())
    assert version == 0
    assert unknown in (1, 2)  # refused (a usage or PharmDesk error), not a crash (3)
