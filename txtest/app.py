"""Programs typed into on a Shell's terminal (SPEC §12 `App`).

An App is the session's `Interaction` (txtest.session, the engine of SPEC §11's
interactive blocks) driven by the test's calls instead of by a list of items:
the command runs with the terminal as its stdin, echo on, `TERM` an xterm's.
What it draws is played on a Terminal (txtest.terminal), the screen a user
would see. Nothing waits by the clock: each wait is the Interaction's, on the
terminal and the detector of a command waiting for input.
"""

from __future__ import annotations

import math
import re
import time
from typing import TYPE_CHECKING

from txtest.keys import encode_key
from txtest.model import Command, Location, Span
from txtest.session import INTERACTIVE_TERM, Event, RawRun
from txtest.terminal import Terminal

if TYPE_CHECKING:
    from txtest.api import Shell

__all__ = ["App", "Timeout"]

_TAIL = 64
_ROUND = 0.01
"""How often wait_for_text looks at the screen while output comes."""
_SETTLE = 1.0
"""close() gives a program this long to end or wait for input before hanging it up."""
_HANG_UP_LIMIT = 5.0
"""After the hang-up (SIGKILL comes 1 s after SIGHUP), the longest close() waits."""


class Timeout(TimeoutError):
    """An App's wait ran past its time; the message holds the screen at that moment."""


class App:
    """An interactive program running on a Shell's terminal (`Shell.start`).

    While it runs, the Shell's `run`, `check` and `start` raise RuntimeError.
    """

    def __init__(self, shell: Shell, command: str, size: tuple[int, int], where: Location) -> None:
        self._shell = shell
        self._session = shell._session
        self._command = Command(command, where, (), Span(0, 0))
        self._size = size
        self._session.set_terminal(size, INTERACTIVE_TERM)
        # no time limit of its own: the test's waits have theirs
        self._interaction = self._session.start_interactive(command, timeout=math.inf)
        self._terminal = Terminal(*size)
        self._fed = 0
        """How many bytes of the output the terminal has played..."""
        self._tail = b""
        """... and the last of them."""
        self._last = Event.RUNNING
        self._result: RawRun | None = None

    # -- the public face ------------------------------------------------------

    def wait_for_input(self, timeout: float | None = None) -> None:
        """Return once the program waits for input (or has ended); else raise Timeout."""
        deadline = time.monotonic() + self._shell._limit(timeout)
        if self._step(deadline) is Event.RUNNING:
            self._time_out("the program did not wait for input", timeout)

    def wait_for_text(self, text: str | re.Pattern[str], timeout: float | None = None) -> None:
        """Return once the screen holds text (or a match of the pattern); else raise Timeout.

        The screen is searched as its rows joined with newlines.
        """

        def shown() -> bool:
            screen = "\n".join(self.screen)
            if isinstance(text, re.Pattern):
                return text.search(screen) is not None
            return text in screen

        deadline = time.monotonic() + self._shell._limit(timeout)
        shown_as = repr(text.pattern if isinstance(text, re.Pattern) else text)
        while not shown():
            if self._result is not None:
                raise Timeout(
                    f"the screen did not show {shown_as} before the program ended"
                    f" ({self._ending()}); the screen:\n{self._framed_screen()}"
                )
            if time.monotonic() >= deadline:
                self._time_out(f"the screen did not show {shown_as}", timeout)
            self._step(min(deadline, time.monotonic() + _ROUND))

    def press(self, *keys: str) -> None:
        """Press keys, by the names of SPEC §11 (`Enter`, `Up`, `C-c`, …; other text as typed)."""
        self._step(time.monotonic())
        for key in keys:
            cursor = self._interaction.application_cursor
            self._interaction.type(encode_key(key, application_cursor=cursor))

    def type(self, text: str) -> None:
        """Type text, as it is."""
        self._interaction.type(text.encode("utf-8"))

    @property
    def screen(self) -> list[str]:
        """The rows the terminal shows now: trailing spaces and trailing empty rows dropped."""
        self._step(time.monotonic())
        rows = self._terminal.rows()
        while rows and not rows[-1]:
            rows.pop()
        return rows

    def close(self) -> int | None:
        """End the program as closing a terminal window does; its exit status, None if ended here.

        The program is given until it ends or waits for input (at most a
        second, so a key just pressed takes effect); one still running then
        gets SIGHUP, and SIGKILL a second later (a shell builtin, end-of-file).
        """
        if self._result is None:
            self._step(time.monotonic() + _SETTLE)
            if self._result is None:
                self._interaction.hang_up()
                if self._step(time.monotonic() + _HANG_UP_LIMIT) is Event.RUNNING:
                    self._session.lose("the App's program could not be ended")
                    self._step(time.monotonic())
            self._finish()
        result = self._result
        assert result is not None, "_finish leaves a result"
        return None if result.hung_up else result.exit_status

    # -- inside ---------------------------------------------------------------

    def _step(self, until: float) -> Event:
        """Let the program run until it waits for input, ends, or `until`; show its output."""
        if self._result is not None:
            return self._last
        self._last = self._interaction.wait(within=max(0.0, until - time.monotonic()))
        if self._last in (Event.ENDED, Event.LOST):
            self._result = self._interaction.result()
            self._show(self._result.output)
        else:
            self._show(self._interaction.output)
        return self._last

    def _show(self, output: bytes) -> None:
        """Play what is new in output; all of it anew if it does not go on from what was
        played (that ended in the first part of a prompt, which is not output)."""
        start = self._fed - len(self._tail)
        if output[start : self._fed] != self._tail:
            self._terminal, self._fed = Terminal(*self._size), 0
        self._terminal.feed(output[self._fed :])
        self._fed = len(output)
        self._tail = output[-_TAIL:]

    def _finish(self) -> None:
        """The shell's terminal back as it was; the shell free again; the log told."""
        if self._result is None:  # the session was gone before the program started
            self._result = self._interaction.result()
        self._session.set_terminal(self._shell._size)
        self._shell._app_closed(self, self._command, self._result)

    def _ending(self) -> str:
        result = self._result
        if result is not None and result.lost is not None:
            return result.lost
        return f"exit status {result.exit_status if result is not None else None}"

    def _time_out(self, what: str, timeout: float | None) -> None:
        limit = self._shell._limit(timeout)
        raise Timeout(f"{what} in {limit:g} s; the screen:\n{self._framed_screen()}")

    def _framed_screen(self) -> str:
        rows = self._terminal.rows()
        while rows and not rows[-1]:
            rows.pop()
        width = max((len(row) for row in rows), default=0)
        rule = "+" + "-" * width + "+"
        return "\n".join([rule, *(f"|{row.ljust(width)}|" for row in rows), rule])
