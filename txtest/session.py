"""One bash on a pseudo-terminal: commands in through a pipe, raw output and status out.

How a command travels (docs/architecture.md): bash reads its commands from a
pipe of its own (its stdin), never from the terminal, so a command that
opens /dev/tty cannot read txtest's later commands, and no terminal mode a
command sets (`stty olcuc`, `-icanon`, `echo`) changes what bash reads.
Each command is one line on that pipe (wrapped here):

    POSIXLY_CORRECT=y \\eval "\\__txtest_ret $__txtest_s${__txtest_k[__txtest_s>0]}"$'\\n'
    $'TEXT' </dev/null; \\__txtest_fin $?

(session_init.sh says why each piece is there; the backslashes keep aliases off).

The text travels as a $'...' word, so bash parses it alone, as a string:
an unfinished quote, here-document or trailing backslash ends at the end of
that string and nothing of txtest's is appended to it. Its output and the
prompt go to the terminal; the prompt (txtest.prompt) carries the status.
Commands are written ahead while bash runs, so there is no round trip.
"""

from __future__ import annotations

import contextlib
import enum
import fcntl
import functools
import os
import shlex
import shutil
import signal
import struct
import termios
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, NamedTuple

import pexpect
from pexpect import pty_spawn

from txtest.processes import descendants, kill_all, kill_session
from txtest.prompt import Frame, PromptReader, Sentinel
from txtest.protocol import command_line, init_script, prompts_after, terminal_line
from txtest.ptyio import drain, prepare_child, read_chunk, spawn_on_pty, wait_io, write_some
from txtest.sizes import DEFAULT_MAX_OUTPUT, format_size

if TYPE_CHECKING:
    from txtest.keys import Typist

_POLL = 0.05
WAITING = "waiting for terminal input"


DEFAULT_SIZE = (80, 24)
"""The terminal's columns and rows (SPEC §5.1), and what a `size=` block goes back to."""
INTERACTIVE_TERM = "xterm-256color"
"""TERM of interactive commands: the screen txtest reads and the keys it sends are xterm's."""
_QUIET = 0.03
"""An interactive command is typed into once no output came for this long (SPEC §11: ≤ 50 ms)."""
_BLIND_QUIET = 0.2
"""Where /proc does not tell whether a command waits for input, this quiet time stands in."""
_TICK = 0.01
_HANG_UP_GRACE = 1.0
"""A command hung up (SIGHUP) is killed (SIGKILL) this long after, if it is still there."""


_Modes = list[int | list[bytes | int]]
"""A terminal's modes as termios gives them: iflag, oflag, cflag, lflag, speeds, chars."""


class SessionError(RuntimeError):
    """The shell could not be started."""


class RawRun(NamedTuple):
    """What the session saw of one command."""

    output: bytes
    exit_status: int | None
    lost: str | None = None
    """How the session was lost; with an exit status, why the command failed anyway
    (`waiting for terminal input`, `N input item(s) not read`)."""
    duration: float = 0.0
    started: float = 0.0
    """Wall-clock time (time.time()) when the command's turn came."""
    screen: bytes | None = None
    """Interactive runs that asked for it: the output up to the moment SPEC §11 reads
    the screen (all of it when the command ended first)."""
    hung_up: bool = False
    """txtest ended the command at that moment, as closing a terminal does."""


class Job(NamedTuple):
    """A command to run, with its own time limit in seconds."""

    source: str
    timeout: float


class Session:
    """A persistent bash; use as a context manager so every process is reaped."""

    def __init__(
        self,
        shell: str,
        env: Mapping[str, str],
        cwd: Path,
        control: Path,
        *,
        output_pipe: bool = False,
        max_output: int = DEFAULT_MAX_OUTPUT,
    ) -> None:
        self._shell = shell
        self._env = dict(env)
        self._cwd = cwd
        self._fifo = control.with_name(f"{control.name}.out")
        self._inbox = control.with_name(f"{control.name}.in")
        self._pipe_mode = output_pipe
        self._max_output = max_output
        self._lookahead = 0 if output_pipe else 1 << 30
        self._target = f" >{shlex.quote(str(self._fifo))} 2>&1".encode() if output_pipe else b""
        self._sentinel = Sentinel.fresh()
        self._reader = PromptReader(self._sentinel)
        self._child: pexpect.spawn | None = None
        self._fd = -1
        self._commands = -1
        self._fifo_fd = -1
        self._ended_wait = False
        self._tty = bytearray()
        self._tty_name = ""
        self._tty_device = -1
        self.size = DEFAULT_SIZE
        self.application_cursor = False
        """The program last running set xterm's application cursor mode (`\\e[?1h`)."""
        self.lost: str | None = None

    # -- lifetime -----------------------------------------------------------

    def __enter__(self) -> Session:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def pid(self) -> int:
        return self._child.pid if self._child is not None else -1

    def start(self, timeout: float = 30.0) -> None:
        """Spawn bash on its pipe and pty, send the init script, wait for the first prompt."""
        if self._pipe_mode:
            os.mkfifo(self._fifo, 0o600)
            self._fifo_fd = os.open(self._fifo, os.O_RDWR | os.O_NONBLOCK)
        # a named pipe, not os.pipe(): pexpect's own fork passes no descriptor on
        os.mkfifo(self._inbox, 0o600)
        self._commands = os.open(self._inbox, os.O_RDWR | os.O_NONBLOCK)
        try:
            self._child = _spawn(self._shell, self._env, str(self._inbox))
        except (pexpect.ExceptionPexpect, OSError) as error:
            raise SessionError(f"cannot start the shell {self._shell!r}: {error}") from None
        self._child.delayafterclose = 0
        self._child.delayafterterminate = 0
        self._child.ptyproc.delayafterclose = 0
        self._child.ptyproc.delayafterterminate = 0
        self._fd = self._child.child_fd
        os.set_blocking(self._fd, False)
        with contextlib.suppress(OSError):
            self._tty_name = os.readlink(f"/proc/{self._child.pid}/fd/2")
            self._tty_device = os.stat(self._tty_name).st_rdev
        pending = bytearray(init_script(self._cwd, self._sentinel))
        if self._read_frame(time.monotonic() + timeout, pending, timeout) is None:
            self.close()
            raise SessionError(
                f"the shell {self._shell!r} did not start: {self.lost or 'no prompt'}"
            )
        # bash's own start-up lines (no job control) come before the first prompt
        self._reader.take()

    def close(self) -> None:
        """Kill the shell and everything it started, and reap them."""
        child = self._child
        if child is None:
            return
        self._child = None
        kill_session(child.pid)
        with contextlib.suppress(Exception):
            child.close(force=True)
        kill_session(child.pid)
        if child.ptyproc.exitstatus is None and child.ptyproc.signalstatus is None:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(child.pid, 0)
        for fd in (self._fifo_fd, self._commands):
            if fd >= 0:
                os.close(fd)
        self._fifo_fd = self._commands = -1

    def cwd(self) -> Path:
        """The shell's current directory, read while it waits at its prompt."""
        return Path(os.readlink(f"/proc/{self.pid}/cwd"))

    # -- running ------------------------------------------------------------

    def run(self, jobs: Sequence[Job]) -> Iterator[RawRun]:
        """Run jobs in order, yielding one RawRun each; after a loss, the rest fail."""
        lines = [self.command_line(job.source) for job in jobs]
        pending = bytearray()
        next_line = 0
        for index, job in enumerate(jobs):
            if self.lost is not None:
                yield RawRun(b"", None, f"the session was lost earlier: {self.lost}")
                continue
            wall, started = time.time(), time.monotonic()
            while next_line < len(lines) and next_line <= index + self._lookahead:
                pending += lines[next_line]
                next_line += 1
            self._ended_wait = False
            deadline = started + job.timeout
            prompts = prompts_after(lines[index])
            frame = self._frame(deadline, pending, job.timeout, prompts=prompts)
            duration = time.monotonic() - started
            if frame is None:
                yield RawRun(self._reader.take(), None, self.lost, duration, wall)
            else:
                failure = WAITING if self._ended_wait else None
                yield RawRun(frame.output, frame.status, failure, duration, wall)

    def _frame(
        self, deadline: float, pending: bytearray, timeout: float, *, prompts: int = 1
    ) -> Frame | None:
        """The frame of the command whose turn it is, up to the last of its line's prompts.

        bash draws a prompt after each line it reads. It draws the prompt it
        drew last, without expanding it again, when a command's text ended
        inside a quote, after a backslash or in an unfinished compound
        command: a command that might end so is followed by an empty line,
        which runs nothing and makes bash draw a second, fresh prompt.

        When the session's own statement after the command did not run (a
        syntax error, or an alias, that stops bash before it; a DEBUG trap
        that skips commands under `shopt -s extdebug`), the prompt shows
        bash's own `$?` as the status.
        """
        output = bytearray()
        frames: list[Frame] = []
        while len(frames) < prompts:
            frame = self._read_frame(deadline, pending, timeout)
            if frame is None:
                self._reader.pending[:0] = output
                return None
            frames.append(frame)
            output += frame.output
        return Frame(bytes(output), frames[-1].status)

    def command_line(self, source: str) -> bytes:
        """The line on bash's pipe that runs one command (txtest.protocol)."""
        return command_line(source, self._target)

    def _read_frame(self, deadline: float, pending: bytearray, timeout: float) -> Frame | None:
        """Read until the next prompt; None when the session is lost on the way."""
        quiet_since = time.monotonic()
        received = len(self._reader.pending)
        while True:
            frame = self._reader.next_frame()
            if frame is not None:
                return frame
            now = time.monotonic()
            if len(self._reader.pending) != received:
                quiet_since, received = now, len(self._reader.pending)
            elif now - quiet_since >= _POLL and not pending:
                deadline = self._end_wait(deadline)
                quiet_since = now
            remaining = deadline - now
            if remaining <= 0:
                self._lose(f"timed out after {timeout:g} s")
                return None
            if len(self._reader.pending) > self._max_output:
                self._lose(f"output exceeded {format_size(self._max_output)}")
                return None
            if not self._pump(pending, min(remaining, _POLL)):
                return None

    @functools.cached_property
    def _sees_waits(self) -> bool:
        """Whether /proc tells when a command waits for terminal input (asked by the first
        interactive command, not at start: most documents have none)."""
        from txtest.waiting import SYSCALLS, machine, read_process

        return bool(self._tty_name) and machine() in SYSCALLS and read_process(self.pid) is not None

    def waiting_for_input(self) -> bool:
        """True when the shell or a command it runs is blocked reading the terminal."""
        # here, like the other uses of txtest.waiting: a quick command never needs /proc
        from txtest.waiting import machine, read_process, waits_for_terminal

        if self._child is None or not self._tty_name:
            return False
        pid = self._child.pid
        readings = [read_process(member) for member in (pid, *descendants(pid))]
        present = [reading for reading in readings if reading is not None]
        return waits_for_terminal(present, self._tty_name, self._tty_device, machine())

    def write_terminal(self, data: bytes) -> None:
        """Type bytes into the terminal, as a keyboard would."""
        with contextlib.suppress(OSError):
            os.write(self._fd, data)

    # -- interactive commands (SPEC §11) -------------------------------------

    def set_terminal(self, size: tuple[int, int], term: str = "") -> None:
        """Give the terminal a size (columns, rows), seen by `stty size`, COLUMNS and LINES,
        and SIGWINCH; and a TERM for the commands that follow ("": the caller's again).

        Call it between commands; `set_terminal(DEFAULT_SIZE)` puts everything back.
        """
        if self._child is None or self.lost is not None:
            return
        columns, rows = size
        with contextlib.suppress(OSError):
            fcntl.ioctl(self._fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.size = size
        self._frame(time.monotonic() + 30.0, bytearray(terminal_line(columns, rows, term)), 30.0)

    def interact(
        self, source: str, typist: Typist, *, timeout: float, screen: bool = False
    ) -> RawRun:
        """Run one command with the terminal as its stdin and echo on (SPEC §11).

        Each time the command waits for input, the typist's next stroke is typed;
        with none left, the command fails with `waiting for terminal input`. With
        `screen`, the output up to the moment it waits after its last stroke (or
        for its first input, with none) is kept as `RawRun.screen`, and a command
        still running then is hung up (`Interaction.hang_up`).
        """
        interaction = self.start_interactive(source, timeout=timeout)
        screen_output: bytes | None = None
        while interaction.wait() is Event.WAITING:
            if screen and typist.left == 0:
                screen_output = interaction.output
                interaction.hang_up()
                continue
            stroke = typist.next_stroke()
            if stroke is None:
                interaction.end_input()
            else:
                interaction.type(stroke.encode(application_cursor=interaction.application_cursor))
        run = interaction.result(screen_output)
        if screen and screen_output is None:  # it ended first: the screen as it left it
            return run._replace(screen=run.output)
        return run

    def start_interactive(self, source: str, *, timeout: float) -> Interaction:
        """Start one command with the terminal as its stdin and echo on; drive it with the
        Interaction returned, until `wait()` says it ended or the session was lost."""
        return Interaction(self, source, timeout)

    def _sees_wait(self, quiet: float, *, unconfirmed: bool = False) -> bool:
        """Whether the command waits for input now: /proc says so and nothing typed is
        unread; or, where /proc does not tell, no output came for _BLIND_QUIET.

        `unconfirmed`: nothing came since the last keys were typed, not even their
        echo. The kernel hands typed bytes to the terminal a moment after they are
        written, so until then a reader still looks asleep with nothing unread;
        the longer quiet time keeps the next item from being typed ahead.
        """
        if not self._sees_waits or unconfirmed:
            if quiet < _BLIND_QUIET:
                return False
            return not self._sees_waits or self._sees_wait(quiet)
        return quiet >= _QUIET and self.waiting_for_input() and not self._input_unread()

    def _output_in_flight(self) -> bool:
        """Read output the command wrote but select() did not show yet; True if there was.

        The kernel passes what a program writes to the terminal on to its reader
        a moment later; a read finding nothing waiting makes it do so at once, so
        a command seen waiting for input has all its output (its prompt, the mode
        it set for the cursor keys) read before anything is typed.
        """
        chunk = read_chunk(self._fd)
        if not chunk:
            return False
        self._reader.feed(chunk)
        return True

    def _input_unread(self) -> bool:
        """Typed input that no program has read yet lies in the terminal's queue."""
        try:
            fd = os.open(self._tty_name, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
        except OSError:
            return False
        try:
            count = struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
        except OSError:
            return False
        finally:
            os.close(fd)
        return bool(count)

    def _describe_command(self) -> str:
        """What the command's last process is doing, for a timeout's message."""
        from txtest.waiting import describe_wait, machine, read_process

        if self._child is None:
            return ""
        for pid in reversed(descendants(self._child.pid) or [self._child.pid]):
            reading = read_process(pid)
            if reading is None:
                continue
            try:
                with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as handle:
                    name = handle.read().strip()
            except OSError:
                name = "?"
            return f"{name} (pid {pid}) was {describe_wait(reading, machine())}"
        return ""

    def _terminal_modes(self, modes: _Modes | None = None) -> _Modes:
        """The terminal's modes (termios attributes); with modes, set them first."""
        with contextlib.suppress(termios.error, OSError):
            if modes is not None:
                termios.tcsetattr(self._fd, termios.TCSANOW, modes)
            return termios.tcgetattr(self._fd)
        return modes or []

    def _end_wait(self, deadline: float) -> float:
        """If the command waits for terminal input: end-of-file, then a kill; the new deadline.

        A command is given end-of-file (Ctrl-D) as a user would; if it is still
        waiting at the next check (one more quiet poll, 50 ms), its processes
        (never the shell) are killed.
        """
        if not self.waiting_for_input():
            return deadline
        if self._ended_wait and self._child is not None:
            kill_all(descendants(self._child.pid))
            return deadline
        self._ended_wait = True
        self.write_terminal(b"\x04")
        return deadline

    def _pump(self, pending: bytearray, wait: float) -> bool:
        """One select round: write what is pending, read what is there; False if lost."""
        readers = [self._fd] + ([self._fifo_fd] if self._fifo_fd >= 0 else [])
        writers = [self._commands] if pending else []
        readable, writable = wait_io(readers, writers, wait)
        if writable:
            write_some(self._commands, pending)
        if self._fifo_fd in readable:
            self._reader.feed(drain(self._fifo_fd))
        if self._fd in readable:
            chunk = read_chunk(self._fd)
            if chunk is None:
                return self._check_alive(force=True)
            if self._pipe_mode:
                self._sentinel_only(chunk)
            else:
                self._reader.feed(chunk)
            return True
        return self._check_alive(force=not readable and not writable)

    def _sentinel_only(self, chunk: bytes) -> None:
        """In pipe mode the tty carries only prompts: drain the pipe, then add them.

        Pipe mode runs one command at a time, so the pipe holds only output of
        the command whose prompt this is (and of background jobs).
        """
        self._tty += chunk
        last = 0
        for match in self._sentinel.pattern().finditer(self._tty):
            self._reader.feed(drain(self._fifo_fd))
            self._reader.feed(match.group(0))
            last = match.end()
        del self._tty[:last]
        if len(self._tty) > 4096:
            del self._tty[:-256]

    def _check_alive(self, force: bool) -> bool:
        if not force or self._child is None:
            return True
        if self._child.isalive():
            return True
        status, signum = self._child.exitstatus, self._child.signalstatus
        if signum is not None:
            self._lose(f"the shell was killed by signal {signum}")
        else:
            self._lose(f"the shell exited with status {status}")
        return False

    def lose(self, reason: str) -> None:
        """Give the session up: kill the shell and all it runs (a command that cannot be ended)."""
        self._lose(reason)

    def _lose(self, reason: str) -> None:
        self.lost = reason
        if self._child is not None:
            kill_session(self._child.pid)


class Event(enum.Enum):
    """Why `Interaction.wait` returned."""

    WAITING = "waiting"
    """The command waits for terminal input (and nothing typed is unread)."""
    ENDED = "ended"
    LOST = "lost"
    """The session was lost (timeout, output limit, the shell gone)."""
    RUNNING = "running"
    """`wait(within=...)` ran out first: the command neither waits for input nor ended."""


class Interaction:
    """One command running with the terminal as its stdin, driven step by step (SPEC §11).

    `wait()` until it waits for input or ends; then `type()` bytes, `end_input()`
    (end-of-file as a user types it, then a kill if it still waits) or `hang_up()`
    (as closing the terminal window); `result()` once it ended. `output` is what it
    printed so far, echo included.
    """

    def __init__(self, session: Session, source: str, timeout: float) -> None:
        self._session = session
        self._timeout = timeout
        self._started_wall, self._started = time.time(), time.monotonic()
        self._deadline = self._started + timeout
        line = command_line(source, terminal_input=True)
        self._pending = bytearray(line)
        self._prompts = prompts_after(line)
        """Prompts bash draws for the command's line (Session._frame)."""
        self._output = bytearray()
        """Output of the frames before the command's own (text that might be unfinished)."""
        self._frame: Frame | None = None
        self._modes = session._terminal_modes()
        session._terminal_modes(_interactive_modes(self._modes))
        self._closing = False
        """Waits are answered here now (end_input, hang_up), not reported."""
        self._eof_sent = False
        self._kill_at: float | None = None
        self._cursor_checked = 0
        self._duration: float | None = None
        self._typed_at = -1
        """How much output had come when keys were last typed (-1: none typed yet)."""
        self._quiet_since = self._started
        """When output last came, or something was typed."""
        self._pending_seen = len(session._reader.pending)
        self.ended_wait = False
        self.hung_up = False

    @property
    def output(self) -> bytes:
        """Everything the command printed so far, echo of what was typed included."""
        return bytes(self._output + self._session._reader.pending)

    @property
    def application_cursor(self) -> bool:
        """Whether the program set application cursor mode (cursor keys as `\\eOA`)."""
        output = self.output
        session = self._session
        start = max(0, self._cursor_checked - 16)  # a sequence cut between two reads
        from txtest.keys import application_cursor_after  # here: most documents type no keys

        session.application_cursor = application_cursor_after(
            output[start:], before=session.application_cursor
        )
        self._cursor_checked = len(output)
        return session.application_cursor

    def type(self, data: bytes) -> None:
        """Type bytes into the terminal, as a keyboard sends them."""
        self._session.write_terminal(data)
        self._typed_at = self._received()
        self._quiet_since = time.monotonic()

    def _received(self) -> int:
        """How many bytes of output came so far."""
        return len(self._output) + len(self._session._reader.pending)

    def end_input(self) -> None:
        """Nothing more to type: the command fails with `waiting for terminal input`."""
        self.ended_wait = self._closing = True
        self._answer_wait()
        self._quiet_since = time.monotonic()

    def hang_up(self) -> None:
        """End the command as closing a terminal window does: SIGHUP, SIGKILL 1 s later.

        With job control off, the command shares the shell's process group, so the
        signal goes to the shell's descendants; a builtin of the shell gets
        end-of-file instead.
        """
        session = self._session
        self.hung_up = self._closing = True
        family = descendants(session.pid) if session.pid > 0 else []
        for pid in family:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGHUP)
        if not family:
            self._answer_wait()
        self._quiet_since = time.monotonic()
        self._kill_at = self._quiet_since + _HANG_UP_GRACE

    def _answer_wait(self) -> None:
        """End-of-file first; at the next wait, kill the command's processes."""
        session = self._session
        if self._eof_sent:
            kill_all(descendants(session.pid))
        else:
            self._eof_sent = True
            session.write_terminal(b"\x04")

    def wait(self, *, within: float | None = None) -> Event:
        """Read until the command waits for input, ends, or the session is lost; with
        `within`, at most that many seconds (then RUNNING: read `output` and wait again)."""
        session = self._session
        give_up = time.monotonic() + within if within is not None else None
        while True:
            if self._frame is not None:
                return Event.ENDED
            if session.lost is not None or session._child is None:
                return Event.LOST
            if self._take_frame():
                continue
            now = time.monotonic()
            if len(session._reader.pending) != self._pending_seen:
                self._quiet_since, self._pending_seen = now, len(session._reader.pending)
            if self._kill_at is not None and now >= self._kill_at:
                kill_all(descendants(session.pid))
                self._kill_at = None
            unconfirmed = self._typed_at == self._received()
            if (
                not self._pending
                and session._sees_wait(now - self._quiet_since, unconfirmed=unconfirmed)
                and not session._output_in_flight()
            ):
                if not self._closing:
                    return Event.WAITING
                self._answer_wait()
                self._quiet_since = now
            if self._out_of_bounds(now):
                return Event.LOST
            if give_up is not None and now >= give_up:
                return Event.RUNNING
            tick = min(self._deadline - now, _TICK, give_up - now if give_up is not None else _TICK)
            if not session._pump(self._pending, tick):
                return Event.LOST

    def _take_frame(self) -> bool:
        """Take the next frame, if one came; the command's own ends the interaction."""
        session = self._session
        frame = session._reader.next_frame()
        if frame is None:
            return False
        self._output += frame.output
        self._prompts -= 1
        if self._prompts == 0:
            self._frame = Frame(bytes(self._output), frame.status)
            self._duration = time.monotonic() - self._started
            session._terminal_modes(self._modes)
        return True

    def _out_of_bounds(self, now: float) -> bool:
        """Lose the session past the timeout or the output limit."""
        session = self._session
        if now >= self._deadline:
            doing = session._describe_command()
            session._lose(f"timed out after {self._timeout:g} s" + (f": {doing}" if doing else ""))
            return True
        if len(session._reader.pending) > session._max_output:
            session._lose(f"output exceeded {format_size(session._max_output)}")
            return True
        return False

    def result(self, screen: bytes | None = None) -> RawRun:
        """How it went; `screen`: the output the screen is read from (SPEC §11)."""
        session = self._session
        duration = self._duration or time.monotonic() - self._started
        frame = self._frame
        if frame is None:
            output = bytes(self._output) + session._reader.take()
            return RawRun(output, None, session.lost, duration, self._started_wall, screen)
        failure = WAITING if self.ended_wait and not self.hung_up else None
        return RawRun(
            frame.output, frame.status, failure, duration, self._started_wall, screen, self.hung_up
        )


def _interactive_modes(modes: _Modes) -> _Modes:
    """A terminal's usual modes, as a new xterm has them: echo, lines, signals, CR-LF."""
    if len(modes) < 7:
        return modes
    new = list(modes)
    iflag, oflag, _, lflag = (value if isinstance(value, int) else 0 for value in modes[:4])
    new[0] = (iflag | termios.ICRNL) & ~(termios.INLCR | termios.IGNCR)
    new[1] = oflag | termios.OPOST | termios.ONLCR
    echo = termios.ECHO | termios.ECHOE | termios.ECHOK | termios.ECHOCTL | termios.ECHOKE
    new[3] = lflag | echo | termios.ICANON | termios.ISIG | termios.IEXTEN
    chars = list(modes[6]) if isinstance(modes[6], list) else []
    if len(chars) <= max(termios.VMIN, termios.VTIME):
        return modes
    chars[termios.VMIN], chars[termios.VTIME] = 1, 0
    new[6] = chars
    return new


_ARGS = ["--noprofile", "--norc", "--noediting", "-i"]


def _spawn(shell: str, env: Mapping[str, str], stdin: str) -> pexpect.spawn:
    """pexpect's spawn of the shell on an 80x24 pty, its stdin the command pipe."""
    shell = _found(shell, env.get("PATH"))
    try:
        return _PosixSpawn(stdin, shell, _ARGS, env=dict(env), **_SPAWN_OPTIONS)
    except NotImplementedError:  # no POSIX_SPAWN_SETSID here: pexpect forks, public API only
        return pexpect.spawn(
            shell,
            _ARGS,
            env=dict(env),
            preexec_fn=lambda: prepare_child(stdin),
            **_SPAWN_OPTIONS,
        )


@functools.lru_cache(maxsize=8)
def _found(shell: str, path: str | None) -> str:
    """The shell's path as PATH finds it, once per run: pexpect would search PATH
    again at every spawn, resolving each of its folders."""
    return shutil.which(shell, path=path) or shell


_SPAWN_OPTIONS: dict[str, object] = {"echo": False, "dimensions": (24, 80), "encoding": None}


class _PosixSpawn(pexpect.spawn):  # type: ignore[misc]
    """pexpect's spawn, the shell started by `spawn_on_pty` (posix_spawn) instead of a fork.

    pexpect has no public hook to start the child another way; this override
    of `_spawnpty` is the one private method txtest touches.
    """

    def __init__(self, stdin: str, *args: object, **kwargs: object) -> None:
        self._stdin = stdin
        super().__init__(*args, **kwargs)

    def _spawnpty(self, args: list[str], **kwargs: object) -> object:
        env = kwargs.get("env")
        environment = env if isinstance(env, dict) else dict(os.environ)
        pid, fd = spawn_on_pty(args, environment, 24, 80, self._stdin)
        return pty_spawn.ptyprocess.PtyProcess(pid, fd)
