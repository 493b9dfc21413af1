"""Defaults from `[tool.txtest]` in the nearest pyproject.toml (SPEC §7)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from txtest.errors import InputError
from txtest.model import DEFAULT_LANGS, RunOptions, TermMode
from txtest.parse import read_seconds
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


class Config(NamedTuple):
    """What pyproject.toml said: defaults for options, and paths to use when none are given."""

    defaults: Mapping[str, object] = MappingProxyType({})  # shared by default, so read-only
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

    shown = _shown(pyproject, start)
    try:
        with open(pyproject, "rb") as handle:
            document = tomllib.load(handle)
    except OSError as error:
        raise InputError(f"cannot read it: {error.strerror or error}", path=shown) from None
    except UnicodeDecodeError as error:
        message = f"not valid UTF-8 (byte 0x{error.object[error.start]:02x}); save it as UTF-8"
        raise InputError(message, path=shown) from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"not valid TOML: {error}", path=shown) from None
    tool = document.get("tool", {})
    if not isinstance(tool, dict):
        raise InputError(f"tool = {tool!r}: 'tool' must be a table ([tool.txtest])", path=shown)
    table = tool.get("txtest", {})
    if not isinstance(table, dict):
        raise InputError(f"tool.txtest = {table!r}: write it as a table, [tool.txtest]", path=shown)
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
    timeout: str | float | None = None,
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
    seconds = None if timeout is None else read_seconds(str(timeout))
    if timeout is not None and seconds is None:
        raise OptionError("--timeout", f"must be a positive number of seconds, not {timeout!r}")
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
    if seconds is not None:
        options = replace(options, timeout=seconds)
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
        problem = _value_problem(key, value)
        if problem is None and key == "workdir" and not (pyproject.parent / str(value)).is_dir():
            problem = "no such directory (relative paths start at pyproject.toml's folder)"
        if problem is not None:
            raise InputError(f"[tool.txtest] {key} = {value!r}: {problem}", path=shown)
        defaults[key] = _option_value(key, value, pyproject, start)
    return Config(defaults, paths, pyproject)


_CHOICES: Mapping[str, tuple[str, ...]] = {
    "term": tuple(mode.value for mode in TermMode),
    "color": ("auto", "always", "never"),
}


def _value_problem(key: str, value: object) -> str | None:
    """What is wrong with a value of the right type, as the command line would refuse it."""
    if key == "timeout":
        fine = read_seconds(str(value)) is not None
        return None if fine else "give a positive number of seconds, e.g. timeout = 30"
    if key == "jobs" and not (value == "auto" or (isinstance(value, int) and value >= 1)):
        return 'give a positive whole number or "auto"'
    if key in _CHOICES and value not in _CHOICES[key]:
        return f"give one of {', '.join(_CHOICES[key])}"
    if key == "lang" and not any(word.strip() for word in _words(value)):
        return 'give at least one info-string word, e.g. lang = ["console"]'
    if key in ("shell", "workdir", "junit_xml") and not str(value).strip():
        return "give a path"
    return None


def _words(value: object) -> list[str]:
    """The words of a `lang` value: a comma-separated string or a list of strings."""
    if isinstance(value, list):
        return [str(item) for item in value]
    return str(value).split(",")


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
