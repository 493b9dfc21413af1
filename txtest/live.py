"""What a terminal shows while documents run: a status line, and -v's lines as commands end.

The status line is the last line of the terminal, rewritten in place (`\\r`, then
erase to the end of the line). Every other text written while it is up goes
through `LiveView.write`, which erases it first and draws it again after, so
the two never mix. A thread redraws it twice a second, so the elapsed time of
a command that hangs keeps counting.
"""

from __future__ import annotations

import os
import threading
import time
import unicodedata
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType
from typing import TextIO

from txtest.events import BlockDone, CommandDone, CommandStarted, DocumentDone, RunEvent
from txtest.report import format_block_end, format_command

CLEAR_LINE = "\r\x1b[K"
"""Back to the start of the line, and erase it."""
REFRESH = 0.5
"""Seconds between redraws of the status line."""
_MIN_COMMAND = 12
"""Characters of each command's text kept when the line is too long."""


def is_smart_terminal(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Whether stream is a terminal that understands escape codes (`TERM=dumb` does not)."""
    return stream.isatty() and environ.get("TERM") != "dumb"


def terminal_width(stream: TextIO) -> int:
    """The terminal's width in columns, 80 when it cannot be told."""
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (OSError, ValueError):
        return 80


def status_text(
    running: Mapping[int, CommandStarted], done: int, total: int, now: float, width: int
) -> str:
    """`[DONE/TOTAL] PATH:LINE block N/M $ COMMAND (Ts)`, a part per running document,
    in width - 1 columns (a full last column wraps on some terminals, and a wrapped
    line could not be erased): the commands' text is shortened first."""
    head = f"[{done}/{total}]"
    parts = [_running_part(running[number], now) for number in sorted(running)]
    separators = 1 + 2 * (len(parts) - 1)  # " " after the head, "; " between parts
    fixed = len(head) + separators + sum(columns(before + after) for before, _, after in parts)
    room = max(_MIN_COMMAND, (width - 1 - fixed) // max(1, len(parts)))
    shown = [f"{before}{_shorten(text, room)}{after}" for before, text, after in parts]
    line = " ".join([head, "; ".join(shown)] if shown else [head])
    return _cut(line, width - 1)


def _running_part(started: CommandStarted, now: float) -> tuple[str, str, str]:
    """What comes before a running command's text, the text, and what comes after it."""
    elapsed = max(0, int(now - started.started))
    before = f"{started.location} block {started.block}/{started.blocks} $ "
    return _printable(before), _printable(started.first_line), f" ({elapsed}s)"


def _printable(text: str) -> str:
    """text with control characters (escapes, tabs) shown as `?`: never sent raw."""
    return "".join(char if char.isprintable() else "?" for char in text)


def columns(text: str) -> int:
    """The columns text takes on a terminal: wide (East Asian) characters take two,
    combining ones none."""
    return sum(_char_columns(char) for char in text)


def _char_columns(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _cut(text: str, room: int) -> str:
    """The longest start of text that takes at most room columns."""
    used = 0
    for index, char in enumerate(text):
        used += _char_columns(char)
        if used > room:
            return text[:index]
    return text


def _shorten(text: str, room: int) -> str:
    return text if columns(text) <= room else _cut(text, room - 3) + "..."


class LiveView:
    """Writes what happens as it happens: -v's command lines, and the status line if on.

    With -j, several documents run at once but the report keeps their order: the
    lines of a document other than the next one to report wait until it is its turn.
    """

    def __init__(
        self,
        out: TextIO,
        *,
        total: int,
        status: bool,
        verbose: bool,
        color: bool,
    ) -> None:
        self.out = out
        self.total = total
        self.status = status
        self.verbose = verbose
        self.color = color
        self.running: dict[int, CommandStarted] = {}
        self.done = 0
        self.head = 0
        """The number of the next document to report."""
        self.waiting: dict[int, list[str]] = {}
        """-v lines of documents whose turn has not come."""
        self.drawn = False
        self.asking = False
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.ticker: threading.Thread | None = None

    def __enter__(self) -> LiveView:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop redrawing and erase the status line: nothing is drawn after this."""
        self.stop.set()
        if self.ticker is not None:
            self.ticker.join()
        with self.lock:
            self.status = False
            self._erase()

    def hear(self, number: int, event: RunEvent) -> None:
        """What the runner (or a -j worker) says document number is doing."""
        if self.status and self.ticker is None:
            # Started only now, once the -j workers are forked: a fork while this
            # thread had text in stdout's buffer would let a worker write it again.
            self.ticker = threading.Thread(target=self._tick, name="txtest-status", daemon=True)
            self.ticker.start()
        text = self._verbose_text(event) if self.verbose else ""
        with self.lock:
            if isinstance(event, CommandStarted):
                self.running[number] = event
            elif isinstance(event, DocumentDone):
                self.running.pop(number, None)
                self.done += 1
            if text and number != self.head:
                self.waiting.setdefault(number, []).append(text)
            elif text:
                self._put(self.out, text)
            # else the ticker draws the news within REFRESH: a document of many quick
            # commands does not cost a terminal write each

    def reported(self) -> None:
        """The head document's report is out: the next one's waiting lines follow it."""
        with self.lock:
            self.head += 1
            self._put(self.out, "".join(self.waiting.pop(self.head, [])))

    def write(self, stream: TextIO, text: str) -> None:
        """Write text (to stdout or stderr) with the status line out of its way."""
        with self.lock:
            self._put(stream, text)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """No status line while the user is asked something."""
        with self.lock:
            self._erase()
            self.asking = True
        try:
            yield
        finally:
            with self.lock:
                self.asking = False
                self._draw()

    def _verbose_text(self, event: RunEvent) -> str:
        if isinstance(event, CommandDone):
            # a command of a block that exit 80 skips has no line: the block's says it
            if event.skipped or (event.result.is_ok and not event.reported):
                return ""
            return format_command(event.result, color=self.color)
        if isinstance(event, BlockDone):
            return format_block_end(event.result, color=self.color)
        return ""

    def _tick(self) -> None:
        while not self.stop.wait(REFRESH):
            with self.lock:
                try:
                    self._draw()
                except (OSError, ValueError):  # the terminal is gone: the main thread will see
                    return

    def _put(self, stream: TextIO, text: str) -> None:
        """Under the lock: erase the status line, write text, draw the line again."""
        if not text:
            return
        self._erase()
        stream.write(text)
        stream.flush()
        self._draw()

    def _erase(self) -> None:
        if self.drawn:
            self.out.write(CLEAR_LINE)
            self.out.flush()
            self.drawn = False

    def _draw(self) -> None:
        if not self.status or self.asking:
            return
        width = terminal_width(self.out)
        line = status_text(self.running, self.done, self.total, time.monotonic(), width)
        self.out.write(CLEAR_LINE + line)
        self.out.flush()
        self.drawn = True
