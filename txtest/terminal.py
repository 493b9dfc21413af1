"""Raw terminal output → the lines compared (SPEC §6): render it, strip it, or keep it.

The only module that imports pyte, and it does so lazily: most runs never render.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, NamedTuple

from txtest.model import TermMode

if TYPE_CHECKING:
    import pyte

MIN_COLUMNS = 80
"""A rendered screen is never narrower than the session's terminal."""
MOVE_ALLOWANCE = 10_000
"""At most this many rows (columns) are added to the screen for cursor moves."""

# Two verbose patterns kept as text and compiled when first needed (re caches them):
# they cost about 0.5 ms to compile, and only strip mode and a render use them.
_ESCAPE_SEQUENCE = r"""
      \x1b\[ [0-?]* [ -/]* [@-~]                # CSI, private parameters (?25l) included
    | \x1b[]PX^_] [^\x07\x1b]* (?:\x07|\x1b\\)  # OSC, DCS, SOS, PM, APC: ended by BEL or ST
    | \x1b [ -/]+ [0-~]                         # charset selections (ESC ( B) and other nF
    | \x1b [0-OQ-WYZ\\`-~]                      # two bytes: ESC 7, ESC =, ESC M, ESC c, ...
    """
MAX_PENDING = 4096
"""An escape sequence cut by the end of the data fed is kept for the next feed up to
this many characters; a longer one is played as it is (malformed, so ignored)."""

_SGR = re.compile(r"\x1b\[[0-9;]*m")
_NOT_PLAIN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # what only a screen shows right
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_TOKEN = r"""
      (?P<text> [^\x00-\x1f\x7f-\x9f]+ )
    | (?P<style> \x1b\[ [0-9;:]* m )                    # SGR: colours are not compared
    | (?P<csi> \x1b\[ (?P<params>[0-?]*) (?P<intermediates>[ -/]*) (?P<final>[@-~]) )
    | (?P<broken> \x1b\[ [0-?]* [ -/]* )            # cut short by another byte: ignored
    | (?P<string> \x1b[]PX^_] [^\x07\x1b]* \x07? )  # OSC, DCS, SOS, PM, APC: ends at BEL or ESC
    | \x1b (?P<escape> [ -/]+[0-~] | [0-OQ-WYZ\\`-~] )
    | (?P<control> [\x00-\x1f\x7f-\x9f] )              # a lone ESC included: ignored
    """
_CUT_SEQUENCE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*|[ -/]*)")
_STRING_END = re.compile(r"[\x07\x1b]")
_NUMERIC_PARAMS = re.compile(r"\??[0-9;]*")
PIECE = 1 << 16
"""Output needing a screen is played in pieces of about this many bytes."""
UNBOUNDED = 1 << 30
"""The reach of output that can move the cursor to any row."""
_UPWARD = re.compile(rb"\x1b\[([0-9;]*)[AFHfdrJ]|\x1b\[\?[0-9;]*[hl]|\x1b[M8c]")
_ALTERNATE_MODE_FIELD = re.compile(rb"(?<![0-9])(?:47|1047|1048|1049)(?![0-9])")
_CURSOR_MOVE = re.compile(rb"\x1b\[\??([0-9;]*)([BeEHfdCaG`])")
_LINE_START = re.compile(rb"[\r\n]")


class TermOutput(NamedTuple):
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


def read_screen(data: bytes, size: tuple[int, int]) -> tuple[str, ...]:
    """The rows a terminal of size (columns, rows) shows after data (SPEC §11 `screen`).

    The screen starts empty with the cursor at the top left; it shows the
    alternate screen while the program is on it. Rows lose trailing spaces,
    and trailing empty rows are dropped.
    """
    terminal = Terminal(*size)
    terminal.feed(data)
    rows = terminal.rows()
    while rows and not rows[-1]:
        rows.pop()
    return tuple(rows)


def strip_escapes(text: str) -> str:
    """Remove ANSI escape sequences and nothing else."""
    return re.sub(_ESCAPE_SEQUENCE, "", text, flags=re.VERBOSE)


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
    top left, so moves above the first row stop there. What is drawn on the
    alternate screen is not part of it: the main screen comes back when the
    program leaves the alternate one.
    """
    text = data.decode("utf-8", "replace")
    plain = _render_plain(text)
    if plain is not None:
        return plain
    return _render_on_screen(data)


def _render_on_screen(data: bytes, piece: int = PIECE) -> TermOutput:
    """Render by playing the output on a Terminal, cell by cell.

    It is played a piece at a time, and the rows that the rest of the output can no
    longer reach are read off the screen as text in between: a cell takes some fifty
    times the memory of the character it holds.
    """
    size = _screen_size(data)
    terminal = Terminal(size.columns, size.rows)
    pieces = _pieces(data.replace(b"\n", b"\r\n"), piece)  # the terminal's onlcr
    settled: list[str] = []
    for part, reach in zip(pieces, _reaches_after(pieces), strict=True):
        terminal.feed(part)
        if not size.may_scroll:  # a scroll would move the rows already read
            settled += terminal.take_settled_rows(len(settled), reach)
    terminal.leave_alternate_screen()
    return _screen_output(settled + terminal.rows()[len(settled) :], terminal.cursor)


def _pieces(data: bytes, size: int) -> list[bytes]:
    """data cut into pieces of at least size bytes, each ending a line (but the last)."""
    pieces = []
    start = 0
    while start < len(data):
        end = data.find(b"\n", start + size)
        end = len(data) if end < 0 else end + 1
        pieces.append(data[start:end])
        start = end
    return pieces


def _reaches_after(pieces: list[bytes]) -> list[int]:
    """Per piece, how many rows above the cursor the pieces after it can move it to."""
    reaches = [0] * len(pieces)
    for index in range(len(pieces) - 1, 0, -1):
        reaches[index - 1] = min(reaches[index] + _upward_reach(pieces[index]), UNBOUNDED)
    return reaches


def _upward_reach(piece: bytes) -> int:
    """How many rows up a piece of output can move the cursor (UNBOUNDED: to any row)."""
    reach = 0
    for match in _UPWARD.finditer(piece):
        sequence, final = match[0], match[0][-1:]
        first = int(match[1].split(b";")[0] or 0) if match[1] is not None else 0
        if final in b"AF":
            reach += min(max(first, 1), 9999)
        elif sequence == b"\x1bM":
            reach += 1
        elif final == b"J" and first == 0:
            continue  # erases below the cursor only
        elif final in b"hl" and not _ALTERNATE_MODE_FIELD.search(sequence):
            continue  # a private mode that moves nothing
        else:
            return UNBOUNDED
    return reach


def _render_plain(text: str) -> TermOutput | None:
    """The rendering of text whose only escape sequences are colours and styles, or None.

    Such text draws each line, left to right, on a fresh row: the screen shows the
    text itself, without the SGR sequences and with tabs expanded. Most coloured
    output is like this, and is read here without playing it cell by cell.
    """
    plain = _SGR.sub("", text) if "\x1b" in text else text
    if _NOT_PLAIN.search(plain):
        return None
    if not plain.isascii() and ("\t" in plain or not _all_take_cells(plain)):
        return None
    lines = plain.split("\n")
    if "\t" in plain:
        lines = [line.expandtabs() for line in lines]
    cursor = (0 if lines[-1] == "" else 1, len(lines) - 1)  # x: only whether it moved
    return _screen_output([line.rstrip(" ") for line in lines], cursor)


def _all_take_cells(text: str) -> bool:
    """Every non-ASCII character of text takes one or two cells of its own."""
    from wcwidth import wcwidth  # the width table pyte uses

    return all(wcwidth(char) > 0 for char in set(_NON_ASCII.findall(text)))


def _screen_output(rows: list[str], cursor: tuple[int, int]) -> TermOutput:
    """Rows without the trailing blank ones; no_eol when the cursor ends after the text."""
    while rows and not rows[-1]:
        rows.pop()
    x, y = cursor
    return TermOutput(tuple(rows), no_eol=x > 0 and y == len(rows) - 1, escapes_left=False)


class _Size(NamedTuple):
    """The size of a screen to render on."""

    columns: int
    rows: int
    may_scroll: bool
    """So many cursor moves down that the rows were capped: the screen may scroll."""


def _screen_size(data: bytes) -> _Size:
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
    rows = feeds + min(down + row, MOVE_ALLOWANCE) + 2
    return _Size(columns, rows, may_scroll=down + row > MOVE_ALLOWANCE)


class _Moves(NamedTuple):
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


class Terminal:
    """A terminal of COLUMNS x ROWS: bytes in, the screen it shows out.

    It tracks the alternate screen (`\\e[?1049h` … `l`, and 47, 1047) as a terminal
    does, and ignores every sequence it does not model, whatever its parameters:
    no output makes it raise. pyte holds the cells; the bytes are parsed here, so
    that pyte is only ever called with what it handles.
    """

    def __init__(self, columns: int, rows: int) -> None:
        import pyte  # lazily: importing it costs ~40 ms and most runs never render
        from wcwidth import wcwidth  # the width table pyte itself uses

        self._main = pyte.Screen(columns, rows)
        self._alternate = pyte.Screen(columns, rows)
        self._screen = self._main
        self._width = wcwidth
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._pending = ""
        """The start of an escape sequence cut off by the end of the bytes fed so far."""
        self._in_string = False
        """Inside an OSC, DCS, SOS, PM or APC string, whose text is not shown."""
        self._saved: dict[pyte.Screen, tuple[int, int]] = {}
        """Per screen, the cursor saved by ESC 7, `?1048h` or `?1049h`."""
        self._plain_tabs = True
        """The tab stops are still every eight columns."""
        # Cells are shared: colours never reach the screen, so a character's cell is
        # always the same (immutable) value, the one pyte's draw would build each time.
        self._cells = {
            char: self._main.cursor.attrs._replace(data=char) for char in map(chr, range(32, 127))
        }

    @property
    def on_alternate_screen(self) -> bool:
        """The alternate screen is the one shown."""
        return self._screen is self._alternate

    @property
    def cursor(self) -> tuple[int, int]:
        """The cursor's 0-based column and row on the screen shown."""
        return self._screen.cursor.x, self._screen.cursor.y

    def rows(self) -> list[str]:
        """The rows of the screen shown, each up to its last non-space."""
        screen = self._screen
        rows = [""] * screen.lines
        for y, row in screen.buffer.items():
            if 0 <= y < screen.lines:
                rows[y] = _row_text(row)
        return rows

    def feed(self, data: bytes) -> None:
        """Play bytes a program wrote; a sequence cut at the end waits for the rest."""
        text = self._pending + self._decoder.decode(data)
        self._pending = ""
        offset = 0
        if self._in_string:
            offset = self._skip_string(text, 0)
        cut = text.rfind("\x1b", offset)
        if cut >= 0 and len(text) - cut <= MAX_PENDING and _CUT_SEQUENCE.fullmatch(text, cut):
            text, self._pending = text[:cut], text[cut:]
        for token in re.compile(_TOKEN, re.VERBOSE).finditer(text, offset):
            self._play(token, text)

    def take_settled_rows(self, start: int, reach: int) -> list[str]:
        """Rows from start that output moving the cursor up at most reach rows leaves as
        they are, as text, removed from the main screen (they read as blank after).

        The row just above the cursor is kept too: pyte joins a combining character
        drawn at the start of a row to the end of the row above.
        """
        screen = self._main
        if self.on_alternate_screen or screen.margins is not None:
            return []  # scrolling within margins moves rows above the cursor
        end = screen.cursor.y - 1 - reach
        rows = [_row_text(screen.buffer.pop(y, None)) for y in range(start, end)]
        screen.dirty.clear()  # pyte's record of rows changed, which nothing here reads
        return rows

    def leave_alternate_screen(self) -> None:
        """Show the main screen again, as a program does when it leaves the alternate one."""
        self._switch(1049, enter=False)

    def _skip_string(self, text: str, start: int) -> int:
        """The offset after the string text starts with, or len(text) if it goes on."""
        end = _STRING_END.search(text, start)
        self._in_string = end is None
        if end is None:
            return len(text)
        return end.end() if end[0] == "\x07" else end.start()  # an ESC starts what follows

    def _play(self, token: re.Match[str], text: str) -> None:
        """Apply one token of output to the screen shown."""
        kind = token.lastgroup
        if kind == "text":
            self._draw(token[0])
        elif kind == "control":
            self._control(token[0])
        elif kind == "csi":
            self._csi(token["params"], token["intermediates"], token["final"])
        elif kind == "escape":
            self._escape(token["escape"])
        elif kind == "string":
            # Cut by the end of the data: the rest of the string comes with the next feed.
            self._in_string = token.end() == len(text) and not token[0].endswith("\x07")

    def _draw(self, text: str) -> None:
        """Draw text (no controls in it) at the cursor.

        ASCII that fits the row is written without pyte's draw, which builds every
        cell anew: most of the time rendering took went there.
        """
        screen = self._screen
        x = screen.cursor.x
        end = x + len(text)
        if end > screen.columns or _INSERT_MODE in screen.mode or not text.isascii():
            _draw_visible(screen, text, screen.draw, self._width)
            return
        cells = map(self._cells.__getitem__, text)
        screen.buffer[screen.cursor.y].update(zip(range(x, end), cells, strict=True))
        screen.cursor.x = end

    def _control(self, char: str) -> None:
        """A C0 control; those a terminal does not act on are ignored."""
        screen = self._screen
        if char == "\r":
            screen.carriage_return()
        elif char in "\n\x0b\x0c":
            screen.linefeed()
        elif char == "\b":
            screen.backspace()
        elif char == "\t":
            self._tab()

    def _tab(self) -> None:
        """To the next tab stop; pyte sorts every stop for each tab, too slow on wide rows."""
        screen = self._screen
        if not self._plain_tabs:
            screen.tab()
            return
        screen.cursor.x = min((screen.cursor.x // 8 + 1) * 8, screen.columns - 1)

    def _escape(self, sequence: str) -> None:
        """ESC followed by sequence (intermediates and a final byte)."""
        screen = self._screen
        if sequence == "D":
            screen.index()
        elif sequence == "E":
            screen.index()
            screen.carriage_return()
        elif sequence == "M":
            screen.reverse_index()
        elif sequence == "7":
            self._saved[screen] = self.cursor
        elif sequence == "8":
            self._restore_cursor()
        elif sequence == "H":
            screen.set_tab_stop()
            self._plain_tabs = False
        elif sequence == "c":
            self._switch(1049, enter=False)
            self._main.reset()
            self._saved.clear()
            self._plain_tabs = True

    def _restore_cursor(self) -> None:
        """Back to the saved cursor, or to the top left when none was saved."""
        screen = self._screen
        screen.cursor.x, screen.cursor.y = self._saved.get(screen, (0, 0))
        screen.ensure_hbounds()
        screen.ensure_vbounds()

    def _csi(self, params: str, intermediates: str, final: str) -> None:
        """A control sequence; only plain numeric ones that change the text act."""
        if intermediates or not _NUMERIC_PARAMS.fullmatch(params):
            return
        private = params.startswith("?")
        numbers = [min(int(part or 0), 9999) for part in params.lstrip("?").split(";")]
        if final in "hl":
            for mode in numbers:
                self._set_mode(mode, private=private, enable=final == "h")
        elif not private and final in _CSI_ACTIONS:
            name, arity = _CSI_ACTIONS[final]
            action = getattr(self, name, None) or getattr(self._screen, name)
            action(*numbers[:arity])

    def _set_mode(self, mode: int, *, private: bool, enable: bool) -> None:
        """Set or reset one mode; those that do not change the text shown are ignored."""
        screen = self._screen
        if private and mode in _ALTERNATE_SCREEN_MODES:
            self._switch(mode, enter=enable)
        elif private and mode == 1048:
            if enable:
                self._saved[screen] = self.cursor
            else:
                self._restore_cursor()
        elif private and mode == 7:  # autowrap
            (screen.set_mode if enable else screen.reset_mode)(mode, private=True)
        elif not private and mode in (_INSERT_MODE, 20):  # 20: newline
            (screen.set_mode if enable else screen.reset_mode)(mode)

    def _switch(self, mode: int, *, enter: bool) -> None:
        """Enter or leave the alternate screen as xterm does for mode 47, 1047 or 1049."""
        if enter == self.on_alternate_screen:
            return
        leaving = self._screen
        if mode == 1049 and enter:
            self._saved[self._main] = self.cursor
            self._alternate.buffer.clear()
        elif mode == 1047 and not enter:
            self._alternate.buffer.clear()
        self._screen = self._alternate if enter else self._main
        # One cursor, whichever screen is shown.
        self._screen.cursor.x, self._screen.cursor.y = leaving.cursor.x, leaving.cursor.y
        if mode == 1049 and not enter:
            self._restore_cursor()

    def _erase_in_display(self, how: int = 0) -> None:
        """ED: erase below (0), above (1) or all (2, 3); pyte's own walks every row."""
        screen = self._screen
        y = screen.cursor.y
        if how not in (0, 1, 2, 3):
            return
        for row in [row for row in screen.buffer if how > 1 or (row > y if how == 0 else row < y)]:
            del screen.buffer[row]
        if how < 2:
            self._erase_in_line(how)

    def _erase_in_line(self, how: int = 0) -> None:
        """EL: erase right of (0), left of (1) or the whole (2) cursor row."""
        screen = self._screen
        x = screen.cursor.x
        if how not in (0, 1, 2):
            return
        row = screen.buffer.get(screen.cursor.y)
        if row:
            for column in [col for col in row if how == 2 or (col >= x if how == 0 else col <= x)]:
                del row[column]

    def _clear_tab_stop(self, how: int = 0) -> None:
        """TBC: clear the tab stop at the cursor (0) or all of them (3)."""
        self._screen.clear_tab_stop(how)
        self._plain_tabs = False


_CSI_ACTIONS: dict[str, tuple[str, int]] = {
    "@": ("insert_characters", 1),
    "A": ("cursor_up", 1),
    "B": ("cursor_down", 1),
    "C": ("cursor_forward", 1),
    "D": ("cursor_back", 1),
    "E": ("cursor_down1", 1),
    "F": ("cursor_up1", 1),
    "G": ("cursor_to_column", 1),
    "H": ("cursor_position", 2),
    "J": ("_erase_in_display", 1),
    "K": ("_erase_in_line", 1),
    "L": ("insert_lines", 1),
    "M": ("delete_lines", 1),
    "P": ("delete_characters", 1),
    "X": ("erase_characters", 1),
    "a": ("cursor_forward", 1),
    "d": ("cursor_to_line", 1),
    "e": ("cursor_down", 1),
    "f": ("cursor_position", 2),
    "g": ("_clear_tab_stop", 1),
    "r": ("set_margins", 2),
    "`": ("cursor_to_column", 1),
}
"""CSI final byte → (method of Terminal or else of pyte's Screen, how many numbers it takes)."""

_ALTERNATE_SCREEN_MODES = (47, 1047, 1049)
_INSERT_MODE = 4


def _row_text(row: Mapping[int, pyte.screens.Char] | None) -> str:
    """A row's text up to its last non-space."""
    if not row:
        return ""
    # A wide character's second cell holds "", so it comes out once.
    return "".join(row[x].data for x in range(max(row) + 1)).rstrip(" ")


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
