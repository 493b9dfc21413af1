"""Defaults from `[tool.txtest]` in the nearest pyproject.toml (SPEC §7)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from txtest.errors import InputError
from txtest.model import Frozen, RunOptions, TermMode
from txtest.sizes import parse_size

# option name -> the Python types its value may have in TOML
OPTION_TYPES: Mapping[str, tuple[type, ...]] = {
    "update": (bool,),
    "jobs": (int, str),
    "fail_fast": (bool,),
    "timeout": (int, float),
    "shell": (str,),
    "lang": (str, list),
    "workdir": (str,),
    "keep_tmp": (bool,),
    "term": (str,),
    "color": (str,),
    "verbose": (bool,),
    "quiet": (bool,),
    "list": (bool,),
    "junit_xml": (str,),
    "max_output": (int, str),
    "log": (str,),
}
_PATH_OPTIONS = ("workdir", "junit_xml", "log")


@dataclass(frozen=True, slots=True, repr=False, eq=False)
class Config(Frozen):
    """What pyproject.toml said: defaults for options, and paths to use when none are given."""

    defaults: Mapping[str, object] = field(default_factory=dict)
    paths: tuple[str, ...] = ()
    source: Path | None = None


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml in start or above it."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_config(start: Path) -> Config:
    """Read `[tool.txtest]`; an unknown key or a value of the wrong type is an input error."""
    pyproject = find_pyproject(start)
    if pyproject is None:
        return Config()
    import tomllib  # here: most runs have no pyproject.toml above them to read

    try:
        with open(pyproject, "rb") as handle:
            table = tomllib.load(handle).get("tool", {}).get("txtest", {})
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise InputError(
            f"cannot read [tool.txtest]: {error}", path=_shown(pyproject, start)
        ) from error
    if not isinstance(table, dict):
        raise InputError("[tool.txtest] must be a table", path=_shown(pyproject, start))
    return _read_table(table, pyproject, start)


def _shown(pyproject: Path, start: Path) -> str:
    """pyproject.toml's path as messages show it: relative to where txtest runs."""
    return os.path.relpath(pyproject, start)


def run_options(config: Config) -> RunOptions:
    """RunOptions from pyproject's defaults alone (for the pytest plugin, which has no CLI)."""
    given = config.defaults
    options = RunOptions()
    if "timeout" in given:
        options = replace(options, timeout=float(str(given["timeout"])))
    if "shell" in given:
        options = replace(options, shell=str(given["shell"]))
    if "term" in given:
        options = replace(options, term=TermMode(str(given["term"])))
    if "lang" in given:
        words = str(given["lang"]).split(",")
        options = replace(options, langs=tuple(w.strip().lower() for w in words if w.strip()))
    if "workdir" in given:
        options = replace(options, workdir=Path(str(given["workdir"])))
    if "max_output" in given:
        options = replace(options, max_output=parse_size(str(given["max_output"])))
    return options


def _read_table(table: Mapping[str, object], pyproject: Path, start: Path) -> Config:
    shown = _shown(pyproject, start)
    defaults: dict[str, object] = {}
    paths: tuple[str, ...] = ()
    for key, value in table.items():
        if key == "paths":
            paths = tuple(
                _relative(item, pyproject, start) for item in _string_list(key, value, shown)
            )
            continue
        if key not in OPTION_TYPES:
            known = ", ".join(sorted([*OPTION_TYPES, "paths"]))
            raise InputError(f"unknown key '{key}' in [tool.txtest] (known: {known})", path=shown)
        if (isinstance(value, bool) and bool not in OPTION_TYPES[key]) or not isinstance(
            value, OPTION_TYPES[key]
        ):
            raise InputError(f"[tool.txtest] {key} = {value!r} has the wrong type", path=shown)
        defaults[key] = _option_value(key, value, pyproject, start)
    return Config(defaults, paths, pyproject)


def _option_value(key: str, value: object, pyproject: Path, start: Path) -> object:
    if key == "lang" and isinstance(value, list):
        return ",".join(_string_list(key, value, _shown(pyproject, start)))
    if key in _PATH_OPTIONS and isinstance(value, str):
        return _relative(value, pyproject, start)
    if key == "max_output":
        try:
            parse_size(str(value))
        except ValueError as error:
            raise InputError(f"[tool.txtest] {error}", path=_shown(pyproject, start)) from None
    if key in ("jobs", "max_output"):
        return str(value)
    return value


def _string_list(key: str, value: object, shown: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InputError(f"[tool.txtest] {key} must be a list of strings", path=shown)
    return [str(item) for item in value]


def _relative(value: str, pyproject: Path, start: Path) -> str:
    """A path written in pyproject.toml, which is relative to that file's folder."""
    return os.path.relpath(pyproject.parent / value, start)
