"""Errors that carry a location, and the exit statuses txtest ends with."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # model holds InputError in its results, so it cannot be imported here
    from txtest.model import Location


class ExitCode(enum.IntEnum):
    """How a run of txtest ends (SPEC §8)."""

    OK = 0
    FAILED = 1
    INPUT_ERROR = 2
    INTERRUPTED = 130


class InputError(Exception):
    """Input txtest cannot use: shown as `PATH:LINE: error: MESSAGE`, exit 2."""

    def __init__(
        self, message: str, location: Location | None = None, path: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.path = path if path is not None else (location.path if location else None)

    def __str__(self) -> str:
        if self.location is not None:
            return f"{self.location}: error: {self.message}"
        if self.path is not None:
            return f"{self.path}: error: {self.message}"
        return f"error: {self.message}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, InputError):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __reduce__(self) -> tuple[type[InputError], tuple[object, ...]]:
        # Exception pickles its args alone, which would lose the location (`-j` sends errors)
        return type(self), self._fields()

    def _fields(self) -> tuple[str, Location | None, str | None]:
        return self.message, self.location, self.path
