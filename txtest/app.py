"""Programs typed into on a Shell's terminal (SPEC §12 `App`, and §11's items for `Shell.run`).

The command runs in the shell's session like any other (txtest.session), its
stdin the terminal, which echoes and ends lines with CR LF as a user's does
while it runs. What it draws is played on a Terminal (txtest.terminal), the
screen a user would see. Nothing waits by the clock: each wait is a select
on the terminal, and a command is taken to wait for input when the session's
detector (txtest.waiting) sees it blocked reading the terminal after 50 ms
without output; where the system cannot tell, 200 ms without output stands in.
"""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from txtest.keys import encode_key
from txtest.model import Command, Location, Span
from txtest.ptyio import enter_typing_modes, restore_modes, set_size
from txtest.session import WAITING, Job, RawRun
from txtest.terminal import Terminal
from txtest.waiting import SYSCALLS, machine, read_process

if TYPE_CHECKING:
    from txtest.api import Shell

__all__ = ["App", "Timeout"]

QUIET = 0.05
"""No output for this long, and the detector seeing a read of the terminal: waiting."""
FALLBACK_QUIET = 0.2
"""Where /proc does not tell, no output for this long counts as waiting (SPEC §11)."""
_ROUND = 0.01
"""The longest select of one round while nothing comes: how often the detector looks."""
_HANGUP_GRACE = 1.0
"""After SIGHUP, a closed program gets this long before SIGKILL (SPEC §11)."""


class Timeout(TimeoutError):
    """An App's wait ran past its time; the message holds the screen at that moment."""


class App:
    """An interactive program running on a Shell's terminal (`Shell.start`).

    While it runs, the Shell's `run` and `check` raise RuntimeError.
    """

    def __init__(self, shell: Shell, command: str, size: tuple[int, int], where: Location) -> None:
        self._shell = shell
        self._session = shell._session
        self._source = command
        self._where = where
        self._size = size
        self._terminal = Terminal(*size)
        self._fed = bytearray()
        self._quiet_since = time.monotonic()
        self._started_wall, self._started = time.time(), time.monotonic()
        self._ended = False
        self._killed = False
        self._output = b""
        self._status: int | None = None
        self._lost: str | None = None
        self._closed = False
        session = self._session
        self._sees_waits = machine() in SYSCALLS and read_process(session.pid) is not None
        self._resized = size != shell._size
        if self._resized:
            self._set_size(size)
        self._modes = enter_typing_modes(session.terminal_fd)
        session.send(command)

    # -- the public face ------------------------------------------------------

    def wait_for_input(self, timeout: float | None = None) -> None:
        """Return once the program waits for input (or has ended); else raise Timeout."""
        self._wait(self._waiting, timeout, "the program did not wait for input")

    def wait_for_text(self, text: str | re.Pattern[str], timeout: float | None = None) -> None:
        """Return once the screen holds text (or a match of the pattern); else raise Timeout.

        The screen is searched as its rows joined with newlines.
        """

        def shown() -> bool:
            screen = "\n".join(self.screen)
            return (
                text.search(screen) is not None if isinstance(text, re.Pattern) else text in screen
            )

        what = f"the screen did not show {text.pattern if isinstance(text, re.Pattern) else text!r}"
        self._wait(shown, timeout, what, give_up_at_end=True)

    def press(self, *keys: str) -> None:
        """Press keys, by the names of SPEC §11 (`Enter`, `Up`, `C-c`, …; other text as typed)."""
        self._step(0)
        for key in keys:
            self._write(encode_key(key, application_cursor=self._terminal.application_cursor))

    def type(self, text: str) -> None:
        """Type text, as it is."""
        self._step(0)
        self._write(text.encode("utf-8"))

    @property
    def screen(self) -> list[str]:
        """The rows the terminal shows now: trailing spaces and trailing empty rows dropped."""
        self._step(0)
        rows = self._terminal.rows()
        while rows and not rows[-1]:
            rows.pop()
        return rows

    def close(self) -> int | None:
        """End the program as closing a terminal window does; its exit status, None if ended here.

        The program is given until it ends or waits for input (at most a
        second, so a key just pressed takes effect); one still running then
        gets SIGHUP, and SIGKILL a second later.
        """
        if not self._closed:
            settle = time.monotonic() + _HANGUP_GRACE
            while not self._waiting() and time.monotonic() < settle:
                self._step(_ROUND)
            if not self._ended:
                self._end_running()
            self._finish()
        return None if self._killed else self._status

    # -- for Shell.run(input=, keys=) ---------------------------------------------

    def run_items(self, items: list[bytes | str], timeout: float) -> RawRun:
        """Type each item when the program waits for input; how the command went (SPEC §11).

        An item of str is a key name (encoded as the terminal's mode asks), bytes
        are typed as they are.
        """
        deadline = self._started + timeout
        failure: str | None = None
        while not self._ended:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._session.lose(f"timed out after {timeout:g} s")
            self._step(max(0.0, min(_ROUND, remaining)))
            if self._ended or not self._waiting():
                continue
            if items:
                item = items.pop(0)
                cursor = self._terminal.application_cursor
                self._write(
                    encode_key(item, application_cursor=cursor) if isinstance(item, str) else item
                )
            elif failure is None:
                failure = WAITING
                self._write(b"\x04")  # end-of-file, as a user gives it (SPEC §5.3)
            else:
                self._session.signal_command(signal.SIGKILL)
        if failure is None and items and self._lost is None:
            failure = f"{len(items)} input item(s) not read"
        raw = self._raw(self._lost or failure)
        self._finish(record=False)
        return raw

    # -- inside ---------------------------------------------------------------

    def _step(self, wait: float) -> None:
        """One round with the session: new output onto the screen; note the end."""
        if self._ended:
            return
        session = self._session
        frame = session.receive(wait)
        if frame is None and session.lost is None:
            new = session.output_so_far(len(self._fed))
            if new:
                self._show(new)
            return
        if frame is not None:
            output, self._status = frame.output, frame.status
        else:
            output, self._lost = session.take_output(), session.lost
        if output.startswith(self._fed):
            self._show(output[len(self._fed) :])
        else:  # the stream held more than the output (a prompt cut by a read): play it anew
            self._terminal, self._fed = Terminal(*self._size), bytearray()
            self._show(output)
        self._output = output
        self._ended = True

    def _show(self, data: bytes) -> None:
        self._terminal.feed(data)
        self._fed += data
        self._quiet_since = time.monotonic()

    def _write(self, data: bytes) -> None:
        self._session.write_terminal(data)
        self._quiet_since = time.monotonic()  # its echo is on the way

    def _waiting(self) -> bool:
        """The program waits for input, or has ended."""
        if self._ended:
            return True
        quiet = time.monotonic() - self._quiet_since
        if not self._sees_waits:
            return quiet >= FALLBACK_QUIET
        return quiet >= QUIET and self._session.waiting_for_input()

    def _wait(
        self,
        done: Callable[[], bool],
        timeout: float | None,
        what: str,
        give_up_at_end: bool = False,
    ) -> None:
        limit = self._shell._limit(timeout)
        deadline = time.monotonic() + limit
        while True:
            if done():
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (give_up_at_end and self._ended):
                ended = f" (it ended with status {self._status})" if self._ended else ""
                when = "before it ended" if give_up_at_end and self._ended else f"in {limit:g} s"
                raise Timeout(f"{what} {when}{ended}; the screen:\n{self._framed_screen()}")
            self._step(min(_ROUND, remaining))

    def _framed_screen(self) -> str:
        rows = self.screen or [""]
        width = max(len(row) for row in rows)
        rule = "+" + "-" * width + "+"
        return "\n".join([rule, *(f"|{row.ljust(width)}|" for row in rows), rule])

    def _end_running(self) -> None:
        """SIGHUP the program, SIGKILL it a second later; end-of-file for a builtin reading."""
        self._killed = True
        session = self._session
        for signum in (signal.SIGHUP, signal.SIGKILL):
            # no process: the shell itself runs it (a builtin), which only end-of-file ends
            if session.signal_command(signum) and self._ended_within(_HANGUP_GRACE):
                return
        session.write_terminal(b"\x04")
        if not self._ended_within(_HANGUP_GRACE):
            session.lose("the App's program could not be ended")
            self._step(0)

    def _ended_within(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while not self._ended and time.monotonic() < deadline:
            self._step(_ROUND)
        return self._ended

    def _raw(self, lost: str | None) -> RawRun:
        duration = time.monotonic() - self._started
        return RawRun(self._output, self._status, lost, duration, self._started_wall)

    def _finish(self, record: bool = True) -> None:
        """The terminal as the session keeps it; the shell free again; the log told."""
        self._closed = True
        restore_modes(self._session.terminal_fd, self._modes)
        if self._resized and self._session.lost is None:
            self._set_size(self._shell._size)
        if record:
            command = Command(self._source, self._where, (), Span(0, 0))
            self._shell._app_closed(self, command, self._raw(self._lost))

    def _set_size(self, size: tuple[int, int]) -> None:
        """The terminal's size, and COLUMNS and LINES in the shell to agree (SPEC §11)."""
        columns, rows = size
        set_size(self._session.terminal_fd, columns, rows)
        job = Job(f"export COLUMNS={columns} LINES={rows}", self._shell._limit(None))
        for _ in self._session.run([job]):
            pass
