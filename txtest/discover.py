"""Command-line paths to the documents they name (SPEC §2, §7)."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

from txtest.errors import InputError

DOCUMENT_SUFFIXES = (".md", ".markdown", ".t")
SKIPPED_FOLDERS = frozenset({"node_modules", ".venv", "venv", "__pycache__", "build", "dist"})
_LINE_SUFFIX = re.compile(r"^(.*):([0-9]+)$")


class Target(NamedTuple):
    """A document to run, with the lines a `PATH:LINE` selected in it."""

    path: Path
    display: str
    lines: tuple[int, ...] = ()


def find_documents(arguments: Sequence[str]) -> tuple[list[Target], list[InputError]]:
    """Expand files and directories, in order, merging `PATH:LINE` selections.

    A document named whole anywhere runs whole.
    """
    targets: dict[str, Target] = {}
    errors: list[InputError] = []
    for argument in arguments:
        try:
            found = list(_expand(argument))
        except InputError as error:
            errors.append(error)
            continue
        for target in found:
            key = str(target.path.resolve())
            known = targets.get(key)
            if known is not None:
                whole = not known.lines or not target.lines
                lines = () if whole else known.lines + target.lines
                target = Target(known.path, known.display, lines)
            targets[key] = target
    return list(targets.values()), errors


def _expand(argument: str) -> Iterator[Target]:
    """One argument: a file, a directory, or FILE:LINE."""
    path = Path(argument)
    if path.is_dir():
        yield from (Target(found, str(found)) for found in walk_directory(path))
        return
    if path.is_file():
        yield Target(path, argument)
        return
    match = _LINE_SUFFIX.match(argument)
    if match and Path(match.group(1)).is_file():
        yield Target(Path(match.group(1)), match.group(1), (int(match.group(2)),))
        return
    if match and Path(match.group(1)).is_dir():
        raise InputError("PATH:LINE needs a file, not a directory", path=match.group(1))
    named = match.group(1) if match and not _exists(path) else argument
    raise InputError(_why_not_a_document(Path(named)), path=named)


def _exists(path: Path) -> bool:
    """Whether anything, a dangling or looping symlink included, is at path."""
    return os.path.lexists(path)


def _why_not_a_document(path: Path) -> str:
    """What stands at a path that is neither a regular file nor a directory."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "no such file or directory" + (" (a dangling symlink)" if _exists(path) else "")
    except OSError as error:
        return f"cannot read it: {error.strerror or error}"
    kind = "a FIFO" if stat.S_ISFIFO(mode) else "a device" if _is_device(mode) else "not a file"
    return f"{kind}, not a regular file: txtest reads documents from files and directories"


def _is_device(mode: int) -> bool:
    return stat.S_ISCHR(mode) or stat.S_ISBLK(mode)


def walk_directory(root: Path) -> list[Path]:
    """Every document below root, recursively, sorted; hidden and build folders passed over."""
    found: list[Path] = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [name for name in subfolders if _wanted_folder(name)]
        named = (Path(folder) / name for name in files if name.endswith(DOCUMENT_SUFFIXES))
        found.extend(path for path in named if is_regular_file(path))
    return sorted(found, key=lambda path: path.parts)


def is_regular_file(path: Path) -> bool:
    """Whether path (symlinks followed) is a regular file: a FIFO, a device, a dangling
    symlink or a symlink loop found in a walk is passed over, never opened."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except (OSError, ValueError):
        return False


def _wanted_folder(name: str) -> bool:
    return not name.startswith(".") and name not in SKIPPED_FOLDERS
