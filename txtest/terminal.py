"""Raw terminal output → the lines compared (SPEC §6): render it, strip it, or keep it.

The only module that imports pyte, and it does so lazily: most runs never render.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from txtest.model import TermMode

if TYPE_CHECKING:
    import pyte

MIN_COLUMNS = 80
"""A rendered screen is never narrower than the session's terminal."""
MOVE_ALLOWANCE = 10_000
"""At most this many rows (columns) are added to the screen for cursor moves."""

_ESCAPE_SEQUENCE = re.compile(
    r"""
      \x1b\[ [0-?]* [ -/]* [@-~]                # CSI, private parameters (?25l) included
    | \x1b[]PX^_] [^\x07\x1b]* (?:\x07|\x1b\\)  # OSC, DCS, SOS, PM, APC: ended by BEL or ST
    | \x1b [ -/]+ [0-~]                         # charset selections (ESC ( B) and other nF
    | \x1b [0-OQ-WYZ\\`-~]                      # two bytes: ESC 7, ESC =, ESC M, ESC c, ...
    """,
    re.VERBOSE,
)
_CURSOR_MOVE = re.compile(rb"\x1b\[\??([0-9;]*)([BeEHfdCaG`])")
_LINE_START = re.compile(rb"[\r\n]")


@dataclass(frozen=True, slots=True)
class TermOutput:
    """The lines a command's output comes to under a terminal mode."""

    lines: tuple[str, ...]
    """The compared lines, without line ends; trailing spaces kept (RAW/STRIP)."""
    no_eol: bool
    """RAW/STRIP: the text does not end with a newline. RENDER: the cursor ended
    after text on the last line shown, so the next prompt would share it."""
    escapes_left: bool
    """The compared text still holds an escape character (RAW/STRIP only)."""


def choose_mode(raw: bytes, mode: TermMode) -> TermMode:
    """The mode that applies to this output: AUTO resolved to RENDER or RAW."""
    if mode is not TermMode.AUTO:
        return mode
    return TermMode.RENDER if _needs_render(raw.replace(b"\r\n", b"\n")) else TermMode.RAW


def screen_lines(raw: bytes, mode: TermMode) -> TermOutput:
    """Turn what a command wrote to the terminal into the lines compared."""
    data = raw.replace(b"\r\n", b"\n")
    mode = choose_mode(data, mode)
    if mode is TermMode.RENDER:
        return render_screen(data)
    text = data.decode("utf-8", "surrogateescape")
    if mode is TermMode.STRIP:
        text = strip_escapes(text)
    return _split_text(text)


def strip_escapes(text: str) -> str:
    """Remove ANSI escape sequences and nothing else."""
    return _ESCAPE_SEQUENCE.sub("", text)


def _needs_render(data: bytes) -> bool:
    """An escape, a lone carriage return or a backspace: only a screen shows it right."""
    return b"\x1b" in data or b"\r" in data or b"\x08" in data


def _split_text(text: str) -> TermOutput:
    """Split at newlines; the empty piece after a final newline is not a line."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    no_eol = bool(text) and not text.endswith("\n")
    return TermOutput(tuple(lines), no_eol=no_eol, escapes_left="\x1b" in text)


def render_screen(data: bytes) -> TermOutput:
    """Play the output on a fresh screen that neither wraps nor scrolls; read it back.

    Rows lose trailing spaces, trailing blank rows are dropped, tabs come out as the
    spaces they moved over, and invalid UTF-8 as U+FFFD. The cursor starts at the
    top left, so moves above the first row stop there.
    """
    import pyte  # lazily: importing it costs ~40 ms and most runs never render
    from wcwidth import wcwidth  # the width table pyte itself uses

    class Screen(pyte.Screen):
        """pyte's screen, drawing every character it is sent."""

        def draw(self, data: str) -> None:
            _draw_visible(self, data, super().draw, wcwidth)

    screen = Screen(*_screen_size(data))
    text = data.decode("utf-8", "replace").replace("\n", "\r\n")  # the terminal's onlcr
    pyte.Stream(screen).feed(text)
    lines = _screen_rows(screen.buffer)
    at_end_of_text = screen.cursor.x > 0 and screen.cursor.y == len(lines) - 1
    return TermOutput(tuple(lines), no_eol=at_end_of_text, escapes_left=False)


def _screen_size(data: bytes) -> tuple[int, int]:
    """Columns and rows enough that no line wraps and nothing scrolls away."""
    feeds = sum(data.count(feed) for feed in (b"\n", b"\x0b", b"\x0c", b"\x1bD", b"\x1bE"))
    widest = down = column = row = 0
    for segment in _LINE_START.split(data):
        # A character takes at most as many cells as its UTF-8 bytes, a tab at most 8.
        cells = len(segment) + 7 * segment.count(b"\t")
        if b"\x1b[" in segment:
            moves = _cursor_moves(segment)
            cells += min(moves.right, MOVE_ALLOWANCE)
            down += moves.down
            column = max(column, moves.column)
            row = max(row, moves.row)
        widest = max(widest, cells)
    columns = max(MIN_COLUMNS, widest + min(column, MOVE_ALLOWANCE) + 1)
    return columns, feeds + min(down + row, MOVE_ALLOWANCE) + 2


@dataclass(frozen=True, slots=True)
class _Moves:
    """How far CSI sequences can move the cursor within one line of output."""

    right: int = 0
    """Columns moved right."""
    down: int = 0
    """Rows moved down."""
    column: int = 0
    """The farthest column jumped to."""
    row: int = 0
    """The farthest row jumped to."""


def _cursor_moves(segment: bytes) -> _Moves:
    """Add up the cursor moves in a piece of output."""
    right = down = column = row = 0
    for match in _CURSOR_MOVE.finditer(segment):
        numbers = [int(part or 0) for part in match[1].split(b";")]
        count = max(numbers[0], 1)
        final = match[2]
        if final in b"BeE":
            down += count
        elif final in b"Ca":
            right += count
        elif final in b"G`":
            column = max(column, count)
        else:  # H f d: a row, then (H f) a column
            row = max(row, count)
            if final != b"d" and len(numbers) > 1:
                column = max(column, numbers[1])
    return _Moves(right, down, column, row)


def _draw_visible(
    screen: pyte.Screen, text: str, draw: Callable[[str], None], width: Callable[[str], int]
) -> None:
    """Draw text with pyte, which would drop the rest of it at a control or zero-width char.

    Control characters are dropped alone, as a terminal does; zero-width ones that do
    not combine (ZWJ, variation selectors) join the cell before them, so the text
    survives.
    """
    if text.isascii() and text.isprintable():
        draw(text)
        return
    start = 0
    for index, char in enumerate(text):
        cells = width(char)
        if cells > 0 or (cells == 0 and unicodedata.combining(char)):
            continue
        draw(text[start:index])
        if cells == 0:
            _join_previous(screen, char)
        start = index + 1
    draw(text[start:])


def _join_previous(screen: pyte.Screen, char: str) -> None:
    """Append a zero-width character to the cell left of the cursor."""
    x = screen.cursor.x
    if x == 0:
        return
    row = screen.buffer[screen.cursor.y]
    cell = row[x - 1]
    row[x - 1] = cell._replace(data=cell.data + char)


def _screen_rows(buffer: Mapping[int, Mapping[int, pyte.screens.Char]]) -> list[str]:
    """Every row's text up to its last non-space; trailing blank rows dropped."""
    if not buffer:
        return []
    rows = [""] * (max(buffer) + 1)
    for y, row in buffer.items():
        if row:
            # A wide character's second cell holds "", so it comes out once.
            rows[y] = "".join(row[x].data for x in range(max(row) + 1)).rstrip(" ")
    while rows and not rows[-1]:
        rows.pop()
    return rows
