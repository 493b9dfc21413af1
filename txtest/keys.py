"""Key names → the bytes xterm sends for them (SPEC §11 `keys=`, `App.press`).

Pure: no terminal here. Cursor and Home/End keys depend on the mode the program set:
in application cursor mode (DECCKM, `\\e[?1h`, which curses sets with `keypad`) xterm
sends `\\eOA` where it otherwise sends `\\e[A`, and curses only knows the form it asked for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import NamedTuple

_ESC = "\x1b"

_FIXED: Mapping[str, str] = {
    "Enter": "\r",
    "Tab": "\t",
    "Space": " ",
    "Comma": ",",
    "Esc": _ESC,
    "Backspace": "\x7f",
    "PageUp": "\x1b[5~",
    "PageDown": "\x1b[6~",
    "Delete": "\x1b[3~",
    "F1": "\x1bOP",
    "F2": "\x1bOQ",
    "F3": "\x1bOR",
    "F4": "\x1bOS",
    "F5": "\x1b[15~",
    "F6": "\x1b[17~",
    "F7": "\x1b[18~",
    "F8": "\x1b[19~",
    "F9": "\x1b[20~",
    "F10": "\x1b[21~",
    "F11": "\x1b[23~",
    "F12": "\x1b[24~",
}
_CURSOR: Mapping[str, str] = {
    "Up": "A",
    "Down": "B",
    "Right": "C",
    "Left": "D",
    "Home": "H",
    "End": "F",
}
"""Keys sent as CSI + letter, or SS3 + letter in application cursor mode."""

KEY_NAMES = (*_FIXED, *_CURSOR, "C-a…C-z", "M-x")
"""The names of §11, as messages list them."""


def is_key_name(item: str) -> bool:
    """Whether item names a key (otherwise it is text typed as it is)."""
    return item in _FIXED or item in _CURSOR or _control(item) is not None or _alt(item)


def encode_key(item: str, *, application_cursor: bool = False) -> bytes:
    """The bytes xterm sends for a key name, or for text typed as it is."""
    return _encode(item, application_cursor).encode("utf-8")


def _encode(item: str, application_cursor: bool) -> str:
    if item in _FIXED:
        return _FIXED[item]
    if item in _CURSOR:
        return (_ESC + "O" if application_cursor else _ESC + "[") + _CURSOR[item]
    control = _control(item)
    if control is not None:
        return control
    if _alt(item):
        return _ESC + _encode(item[2:], application_cursor)
    return item


def _control(item: str) -> str | None:
    """`C-a` … `C-z` (either case) as the control character a terminal sends."""
    if len(item) == 3 and item.startswith("C-") and item[2].isascii() and item[2].isalpha():
        return chr(ord(item[2].lower()) - ord("a") + 1)
    return None


def _alt(item: str) -> bool:
    """`M-x`: Alt with a character or another key name, sent as Esc first."""
    rest = item[2:]
    return item.startswith("M-") and (len(rest) == 1 or is_key_name(rest))


class Stroke(NamedTuple):
    """One item of an interactive block (SPEC §11): an `input` line or a `keys=` item."""

    text: str
    line: bool
    """An `input` line: typed as written, then Enter. Otherwise a key name or text."""

    def encode(self, *, application_cursor: bool) -> bytes:
        """The bytes a keyboard sends for it, in the cursor mode the program set."""
        if self.line:
            return self.text.encode("utf-8") + b"\r"
        return encode_key(self.text, application_cursor=application_cursor)


def strokes(items: Sequence[str], *, lines: bool) -> tuple[Stroke, ...]:
    """`input` lines (lines=True) or `keys=` items as strokes."""
    return tuple(Stroke(item, lines) for item in items)


class Typist:
    """The strokes of one interactive block, typed in order and shared by its commands."""

    def __init__(self, items: Sequence[Stroke]) -> None:
        self.items = tuple(items)
        self.typed = 0

    @property
    def left(self) -> int:
        """How many strokes are still to type."""
        return len(self.items) - self.typed

    def next_stroke(self) -> Stroke | None:
        """The next stroke, counted as typed; None when none is left."""
        if self.typed == len(self.items):
            return None
        self.typed += 1
        return self.items[self.typed - 1]


_CURSOR_MODE = re.compile(rb"\x1b\[\?([0-9;]*)([hl])|\x1bc")


def application_cursor_after(output: bytes, *, before: bool) -> bool:
    """Whether the terminal is in application cursor mode after the program wrote output.

    `\\e[?1h` sets it and `\\e[?1l` resets it (alone or among other modes, as in
    `\\e[?1;1049h`); `\\ec` resets the terminal.
    """
    mode = before
    for match in _CURSOR_MODE.finditer(output):
        if match[2] is None:
            mode = False
        elif b"1" in match[1].split(b";"):
            mode = match[2] == b"h"
    return mode
