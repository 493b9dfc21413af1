"""One bash on a pseudo-terminal: commands in through a pipe, raw output and status out.

How a command travels (docs/architecture.md): bash reads its commands from a
pipe of its own (its stdin), never from the terminal, so a command that
opens /dev/tty cannot read txtest's later commands, and no terminal mode a
command sets (`stty olcuc`, `-icanon`, `echo`) changes what bash reads.
Each command is one line on that pipe:

    POSIXLY_CORRECT=y \\eval "\\__txtest_ret $__txtest_s && ((1))"$'\\n'$'TEXT' </dev/null;
    \\__txtest_fin $?

(session_init.sh says why each piece is there; the backslashes keep aliases off).

The text travels as a $'...' word, so bash parses it alone, as a string:
an unfinished quote, here-document or trailing backslash ends at the end of
that string and nothing of txtest's is appended to it. Its output and the
prompt go to the terminal; the prompt (txtest.prompt) carries the status.
Commands are written ahead while bash runs, so there is no round trip.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import pexpect
from pexpect import pty_spawn

from txtest.processes import descendants, kill_all, kill_session
from txtest.prompt import Frame, PromptReader, Sentinel
from txtest.protocol import command_line, init_script
from txtest.ptyio import drain, prepare_child, read_chunk, spawn_on_pty, wait_io, write_some
from txtest.sizes import DEFAULT_MAX_OUTPUT, format_size
from txtest.waiting import machine, read_process, waits_for_terminal

_POLL = 0.05
WAITING = "waiting for terminal input"
_COALESCE = 0.0003
"""While bash has further commands queued, wait this long after each read: output
then comes in fewer, larger reads, and both processes wake less often."""


class SessionError(RuntimeError):
    """The shell could not be started."""


@dataclass(frozen=True, slots=True)
class RawRun:
    """What the session saw of one command."""

    output: bytes
    exit_status: int | None
    lost: str | None = None
    duration: float = 0.0
    started: float = 0.0
    """Wall-clock time (time.time()) when the command's turn came."""


@dataclass(frozen=True, slots=True)
class Job:
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
        size: tuple[int, int] = (80, 24),
    ) -> None:
        self._shell = shell
        self._size = size
        """The terminal's columns and rows."""
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
        self._sent = 0
        """Commands whose turn has come, in this and earlier calls of `run`."""
        self._tty = bytearray()
        self._tty_name = ""
        self._tty_device = -1
        self._machine = machine()
        self._outgoing = bytearray()
        """Command lines written with `send`, not yet taken by bash."""
        self._partial = bytearray()
        """Output of the command sent last, up to a stale prompt (see _frame)."""
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
            self._child = _spawn(self._shell, self._env, str(self._inbox), self._size)
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
            queued = next_line > index + 1
            self._ended_wait = False
            deadline = started + job.timeout
            self._sent += 1
            frame = self._frame(deadline, pending, job.timeout, queued)
            duration = time.monotonic() - started
            if frame is None:
                yield RawRun(self._reader.take(), None, self.lost, duration, wall)
            else:
                failure = WAITING if self._ended_wait else None
                yield RawRun(frame.output, frame.status, failure, duration, wall)

    def _frame(
        self, deadline: float, pending: bytearray, timeout: float, queued: bool
    ) -> Frame | None:
        """The frame of the command whose turn it is, from its fresh prompt.

        bash draws the prompt it drew last, without expanding it again, when a
        command's text ended inside a quote, after a backslash or in an
        unfinished compound command. A command that might end so is followed
        by an empty line, which runs nothing and makes bash draw one more,
        fresh prompt; the count each prompt carries says which is which.
        """
        output = bytearray()
        while True:
            frame = self._read_frame(deadline, pending, timeout, queued)
            if frame is None:
                self._reader.pending[:0] = output
                return None
            output += frame.output
            if frame.count == self._sent:
                return Frame(bytes(output), frame.status, frame.count)

    def command_line(self, source: str, stdin: bytes = b"/dev/null") -> bytes:
        """The line on bash's pipe that runs one command (txtest.protocol)."""
        return command_line(source, self._target, stdin)

    # -- one command, step by step (interactive commands) -------------------

    def send(self, source: str, *, stdin: bytes = b"/dev/tty") -> None:
        """Start one command, by default with the terminal as its stdin; `receive` reads it.

        Nothing else is typed into the terminal: the caller types (write_terminal)
        and decides when, with waiting_for_input.
        """
        if self.lost is not None:
            return
        self._outgoing += self.command_line(source, stdin)
        self._sent += 1
        self._partial.clear()

    def receive(self, wait: float) -> Frame | None:
        """One round of writing and reading, at most `wait` s; the command's frame once it ended.

        None while it runs, or once the session is lost (then `lost` says how).
        """
        frame = self._own_frame()
        if frame is not None or self.lost is not None:
            return frame
        if len(self._reader.pending) > self._max_output:
            self._lose(f"output exceeded {format_size(self._max_output)}")
            return None
        self._pump(self._outgoing, wait)
        return self._own_frame()

    def _own_frame(self) -> Frame | None:
        """The frame of the command sent last, once its fresh prompt came (see _frame)."""
        while (frame := self._reader.next_frame()) is not None:
            self._partial += frame.output
            if frame.count == self._sent:
                output = bytes(self._partial)
                self._partial.clear()
                return Frame(output, frame.status, frame.count)
        return None

    def output_so_far(self, start: int = 0) -> bytes:
        """What the command sent last has printed so far (its prompt not yet come), from start."""
        head = self._partial[start:]
        return bytes(head + self._reader.pending[max(0, start - len(self._partial)) :])

    def take_output(self) -> bytes:
        """output_so_far, after which it is forgotten (a command that never ended)."""
        output = bytes(self._partial) + self._reader.take()
        self._partial.clear()
        return output

    def signal_command(self, signum: int) -> int:
        """Send a signal to every process of the running command, never to the shell; how many.

        Job control is off, so the command shares the shell's process group:
        its processes are the shell's descendants (none for a builtin).
        """
        found = descendants(self._child.pid) if self._child is not None else []
        for pid in found:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signum)
        return len(found)

    def lose(self, reason: str) -> None:
        """Give the session up (a command ran past its time): kill everything in it."""
        self._lose(reason)

    @property
    def terminal_fd(self) -> int:
        """The pty master: the side a user's keyboard and screen are on."""
        return self._fd

    def _read_frame(
        self, deadline: float, pending: bytearray, timeout: float, coalesce: bool = False
    ) -> Frame | None:
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
            if coalesce:
                time.sleep(_COALESCE)

    def waiting_for_input(self) -> bool:
        """True when the shell or a command it runs is blocked reading the terminal."""
        if self._child is None or not self._tty_name:
            return False
        pid = self._child.pid
        readings = [read_process(member) for member in (pid, *descendants(pid))]
        present = [reading for reading in readings if reading is not None]
        return waits_for_terminal(present, self._tty_name, self._tty_device, self._machine)

    def write_terminal(self, data: bytes) -> None:
        """Type bytes into the terminal, as a keyboard would."""
        with contextlib.suppress(OSError):
            os.write(self._fd, data)

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

    def _lose(self, reason: str) -> None:
        self.lost = reason
        if self._child is not None:
            kill_session(self._child.pid)


_ARGS = ["--noprofile", "--norc", "--noediting", "-i"]


def _spawn(shell: str, env: Mapping[str, str], stdin: str, size: tuple[int, int]) -> pexpect.spawn:
    """pexpect's spawn of the shell on a pty of size (columns, rows), its stdin the command pipe."""
    columns, rows = size
    options = {**_SPAWN_OPTIONS, "dimensions": (rows, columns)}
    try:
        return _PosixSpawn(stdin, shell, _ARGS, env=dict(env), **options)
    except NotImplementedError:  # no POSIX_SPAWN_SETSID here: pexpect forks, public API only
        return pexpect.spawn(
            shell,
            _ARGS,
            env=dict(env),
            preexec_fn=lambda: prepare_child(stdin),
            **options,
        )


_SPAWN_OPTIONS: dict[str, object] = {"echo": False, "encoding": None}


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
        dimensions = kwargs.get("dimensions")
        rows, columns = dimensions if isinstance(dimensions, tuple) else (24, 80)
        pid, fd = spawn_on_pty(args, environment, rows, columns, self._stdin)
        return pty_spawn.ptyprocess.PtyProcess(pid, fd)
