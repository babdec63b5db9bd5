"""Reading zip archives that may be damaged or hostile (backups, Excel workbooks).

A zip file says in its central directory how many members it has and how big each one
unpacks; a "zip bomb" says the truth and unpacks 600 KB into gigabytes. Before anything is
read, every member is checked against limits: how many there are, how big each may be
(by name), how much all of them may unpack to, and how far each may expand. Reading a
member then stops at its limit whatever the header claims. A file that breaks a limit,
or is not a zip at all, or is cut short, is a ``VALIDATION_ERROR`` on ``file`` that says
what is wrong with the file and what to do, never "internal error".
"""

from __future__ import annotations

import fnmatch
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from pharmdesk.errors import VALIDATION_ERROR, PharmDeskError

KIB = 1 << 10
MIB = 1 << 20
GIB = 1 << 30
# What zipfile and zlib raise for a damaged archive or member.
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError)


class UnreadableFile(PharmDeskError):
    """A file PharmDesk was asked to read that is damaged, hostile or of the wrong kind."""

    def __init__(self, message: str) -> None:
        super().__init__(VALIDATION_ERROR, message, "file")


class DamagedMember(UnreadableFile):
    """A part of a whole, well-formed archive fails its checksum (bit rot, a bad drive)."""

    def __init__(self, message: str, member: str) -> None:
        super().__init__(message)
        self.member = member


@dataclass(frozen=True)
class Limits:
    """How much an archive of one kind may hold.

    ``sizes`` maps member-name patterns (``fnmatch``) to the most each may unpack to;
    a member matching no pattern gets ``other``. ``max_ratio`` bounds how far a member
    larger than ``ratio_from`` bytes may expand (unpacked / packed).
    """

    kind: str  # "a PharmDesk backup", "an Excel workbook (.xlsx)": for messages
    advice: str  # what to do about a bad file
    max_members: int
    max_total: int
    max_ratio: float
    sizes: Mapping[str, int] = field(default_factory=dict)
    other: int = 64 * MIB
    ratio_from: int = MIB
    required: tuple[str, ...] = ()
    # How a refusal starts; "{kind}" is replaced.
    lead: str = "This file is damaged or is not {kind}"

    def limit_for(self, name: str) -> int:
        for pattern, size in self.sizes.items():
            if fnmatch.fnmatchcase(name, pattern):
                return size
        return self.other

    def refuse(self, what: str) -> UnreadableFile:
        return UnreadableFile(self.message(what))

    def message(self, what: str) -> str:
        return f"{self.lead.format(kind=self.kind)} ({what}). {self.advice}"

    def damaged(self, name: str) -> DamagedMember:
        return DamagedMember(self.message(f"its part {name!r} is damaged or cut short"), name)


def _size(count: int) -> str:
    for unit, size in (("GiB", GIB), ("MiB", MIB), ("KiB", KIB)):
        if count >= size:
            return f"{count / size:,.1f} {unit}"
    return f"{count:,} bytes"


def check_members(zf: zipfile.ZipFile, limits: Limits) -> dict[str, zipfile.ZipInfo]:
    """Every member within the limits (read from the central directory only)."""
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise limits.refuse(f"it holds {len(infos):,} parts (at most {limits.max_members:,})")
    by_name: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise limits.refuse("it is password-protected")
        if info.filename in by_name:
            raise limits.refuse(f"it holds the part {info.filename[:80]!r} twice")
        by_name[info.filename] = info
        limit = limits.limit_for(info.filename)
        if info.file_size > limit:
            raise limits.refuse(
                f"its part {info.filename[:80]!r} unpacks to {_size(info.file_size)}, more "
                f"than the {_size(limit)} such a part may hold"
            )
        if info.file_size > limits.ratio_from and (
            info.file_size > limits.max_ratio * max(info.compress_size, 1)
        ):
            ratio = info.file_size // max(info.compress_size, 1)
            raise limits.refuse(
                f"its part {info.filename[:80]!r} expands {ratio:,} times when unpacked, as "
                "only a deliberately made file does"
            )
        total += info.file_size
    if total > limits.max_total:
        raise limits.refuse(
            f"it unpacks to {_size(total)} in all (at most {_size(limits.max_total)})"
        )
    missing = [name for name in limits.required if name not in by_name]
    if missing:
        raise limits.refuse(f"parts of it are missing ({', '.join(missing)})")
    return by_name


def open_checked(path: Path, limits: Limits) -> zipfile.ZipFile:
    """``path`` opened as a zip archive whose members all keep within ``limits``."""
    try:
        zf = zipfile.ZipFile(path)
    except ZIP_ERRORS:
        raise limits.refuse(
            "it is not a complete zip archive (damaged, cut short or another kind of file)"
        ) from None
    try:
        check_members(zf, limits)
    except BaseException:
        zf.close()
        raise
    return zf


def read_member(zf: zipfile.ZipFile, name: str, limits: Limits) -> bytes:
    """One member's bytes, never more than its limit (whatever its header says)."""
    limit = limits.limit_for(name)
    try:
        with zf.open(name) as handle:
            data = handle.read(limit + 1)
    except KeyError:
        raise limits.refuse(f"the part {name!r} is missing") from None
    except ZIP_ERRORS:
        raise limits.damaged(name) from None
    if len(data) > limit:
        raise limits.refuse(f"the part {name!r} is larger than it says")
    return data


def copy_member(
    zf: zipfile.ZipFile,
    name: str,
    target: IO[bytes],
    limits: Limits,
    block: int = MIB,
    progress: Callable[[int], None] = lambda _done: None,
) -> int:
    """Stream one member into ``target`` (never more than its limit); bytes copied."""
    limit = limits.limit_for(name)
    done = 0
    try:
        with zf.open(name) as handle:
            while chunk := handle.read(block):
                done += len(chunk)
                if done > limit:
                    raise limits.refuse(f"the part {name!r} is larger than it says")
                target.write(chunk)
                progress(done)
    except KeyError:
        raise limits.refuse(f"the part {name!r} is missing") from None
    except (zipfile.BadZipFile, zlib.error, EOFError):
        raise limits.damaged(name) from None
    return done
