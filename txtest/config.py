"""Defaults from `[tool.txtest]` in the nearest pyproject.toml (SPEC §7)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from txtest.errors import InputError
from txtest.model import DEFAULT_LANGS, RunOptions, TermMode
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


@dataclass(frozen=True, slots=True)
class Config:
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


class OptionError(ValueError):
    """An option's value cannot be used; option is its name as the command line spells it."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option


def build_run_options(
    *,
    timeout: float | None = None,
    shell: str | None = None,
    term: str | None = None,
    lang: str | None = None,
    workdir: str | None = None,
    keep_tmp: bool = False,
    fail_fast: bool = False,
    keyword: str | None = None,
    update: bool = False,
    max_output: str | None = None,
    log: str | None = None,
) -> RunOptions:
    """RunOptions from option values as the command line and `[tool.txtest]` give them.

    The one place run options are built, for the command line and the pytest plugin.
    """
    if timeout is not None and not timeout > 0:
        raise OptionError("--timeout", f"must be a positive number of seconds, not {timeout:g}")
    langs = DEFAULT_LANGS
    if lang is not None:
        langs = tuple(word.strip().lower() for word in lang.split(",") if word.strip())
        if not langs:
            raise OptionError("--lang", "needs at least one info-string word")
    size = _size(max_output)
    options = RunOptions(
        max_output=size if size is not None else RunOptions().max_output,
        log=Path(log).resolve() if log else None,
        term=TermMode(term) if term else None,
        workdir=Path(workdir) if workdir else None,
        keep_tmp=keep_tmp,
        fail_fast=fail_fast,
        keyword=keyword,
        update=update,
        langs=langs,
    )
    if timeout is not None:
        options = replace(options, timeout=float(timeout))
    return replace(options, shell=shell) if shell else options


def run_options(config: Config) -> RunOptions:
    """RunOptions from pyproject's defaults alone (for the pytest plugin, which has no CLI)."""
    given = config.defaults
    timeout = given.get("timeout")
    return build_run_options(
        timeout=float(timeout) if isinstance(timeout, (int, float)) else None,
        shell=_text(given.get("shell")),
        term=_text(given.get("term")),
        lang=_text(given.get("lang")),
        workdir=_text(given.get("workdir")),
        max_output=_text(given.get("max_output")),
    )


def _size(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return parse_size(text)
    except ValueError as error:
        raise OptionError("--max-output", str(error)) from None


def _text(value: object) -> str | None:
    return None if value is None else str(value)


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
