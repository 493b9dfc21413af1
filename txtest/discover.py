"""Command-line paths to the documents they name (SPEC §2, §7)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from txtest.errors import InputError

DOCUMENT_SUFFIXES = (".md", ".markdown", ".t")
SKIPPED_FOLDERS = frozenset({"node_modules", ".venv", "venv", "__pycache__", "build", "dist"})
_LINE_SUFFIX = re.compile(r"^(.*):([0-9]+)$")


@dataclass(frozen=True, slots=True)
class Target:
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
    if match and Path(match.group(1)).exists():
        raise InputError("PATH:LINE needs a file, not a directory", path=match.group(1))
    raise InputError("no such file or directory", path=argument)


def walk_directory(root: Path) -> list[Path]:
    """Every document below root, recursively, sorted; hidden and build folders passed over."""
    found: list[Path] = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [name for name in subfolders if _wanted_folder(name)]
        found.extend(Path(folder) / name for name in files if name.endswith(DOCUMENT_SUFFIXES))
    return sorted(found, key=lambda path: path.parts)


def _wanted_folder(name: str) -> bool:
    return not name.startswith(".") and name not in SKIPPED_FOLDERS
