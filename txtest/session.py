"""One bash on a pseudo-terminal, driven by pexpect: commands in, raw output and status out.

How a command travels: as one typed line that `eval`s it, spelled as a
$'...' word of printable ASCII, with stdin from /dev/null. A command too long
for the tty's 4095-byte line limit is written to a control file instead (a
path of the session's own, outside TESTTMP), and the typed line reads it.

The end of a command is the prompt. `__txtest_mark` rewrites PS1 after every
command as `<nonce>:STATUS:LAST_BG_PID:<nonce>`, spelled with `\\072` escapes
so that only the prompt itself, never `set -x` output or `echo $PS1`, holds
the colon form the reader looks for. The nonce comes from `secrets` and lives
only in this process and bash's PS1.

Several typed lines may wait in the tty's input queue at once (commands never
read the tty: their stdin is /dev/null), so bash runs a document's commands
back to back while this side reads: no round trip per command.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import secrets
import select
import shlex
import signal
import struct
import termios
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import pexpect
from pexpect import pty_spawn

_READ_SIZE = 1 << 16
_POLL = 0.05
_COALESCE = 0.0003
"""While bash has further commands queued, wait this long after each read: output
then comes in fewer, larger reads, and both processes wake less often (W1's
session phase goes from about 55 to 47 ms)."""
_INLINE_LIMIT = 2048
"""Longest quoted command typed inline; the tty's line limit is 4095 bytes."""
_JOB_NOTICE = re.compile(rb"^\[[0-9]+\] [0-9]+\r?\n", re.MULTILINE)


class SessionError(RuntimeError):
    """The shell could not be started."""


@dataclass(frozen=True, slots=True)
class RawRun:
    """What the session saw of one command."""

    output: bytes
    exit_status: int | None
    lost: str | None = None
    duration: float = 0.0


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
    ) -> None:
        self._shell = shell
        self._env = dict(env)
        self._cwd = cwd
        self._control = control
        self._pipe_mode = output_pipe
        self._lookahead = 0 if output_pipe else 64
        fifo = shlex.quote(str(self._control_file("out")))
        self._target = f">{fifo} 2>&1".encode() if output_pipe else b""
        nonce = secrets.token_hex(12)
        self._nonce = nonce
        self._sentinel = re.compile(
            rb"%s:([0-9]+):([0-9]*):%s" % (nonce[:12].encode(), nonce[12:].encode())
        )
        self._child: pexpect.spawn | None = None
        self._fd = -1
        self._fifo_fd = -1
        self._count = 0
        self._tty = bytearray()
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
        """Spawn bash, make it quiet, and wait for the first sentinel prompt."""
        init = self._control_file("init")
        init.write_text(self._init_script(), encoding="utf-8")
        if self._pipe_mode:
            fifo = self._control_file("out")
            os.mkfifo(fifo, 0o600)
            self._fifo_fd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
        try:
            self._child = _Spawn(
                self._shell,
                ["--noprofile", "--norc", "--noediting"],
                env=self._env,
                echo=False,
                dimensions=(24, 80),
                encoding=None,
            )
        except (pexpect.ExceptionPexpect, OSError) as error:
            raise SessionError(f"cannot start the shell {self._shell!r}: {error}") from None
        self._child.delaybeforesend = None
        self._child.delayafterread = None
        self._child.delayafterclose = 0
        self._child.delayafterterminate = 0
        self._child.ptyproc.delayafterclose = 0
        self._child.ptyproc.delayafterterminate = 0
        self._fd = self._child.child_fd
        os.set_blocking(self._fd, False)
        self._quiet_tty()
        line = f"set +H +m +o history; unset HISTFILE; . {shlex.quote(str(init))}\n"
        self._write_all(line.encode())
        buffer = bytearray()
        first = self._read_until_sentinel(buffer, time.monotonic() + timeout)
        if first is None:
            self.close()
            raise SessionError(
                f"the shell {self._shell!r} did not start: {self.lost or 'no prompt'}"
            )

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
        if self._fifo_fd >= 0:
            os.close(self._fifo_fd)
            self._fifo_fd = -1

    def _control_file(self, name: str) -> Path:
        """A file of the session's own: the control path plus a suffix, beside it."""
        return self._control.with_name(f"{self._control.name}.{name}")

    def cwd(self) -> Path:
        """The shell's current directory, read while it waits at its prompt."""
        return Path(os.readlink(f"/proc/{self.pid}/cwd"))

    # -- running ------------------------------------------------------------

    def run(self, jobs: Sequence[Job]) -> Iterator[RawRun]:
        """Run jobs in order, yielding one RawRun each; after a loss, the rest fail."""
        lines = [self._prepare(job) for job in jobs]
        pending = bytearray()
        next_line = 0
        buffer = bytearray()
        for index, job in enumerate(jobs):
            if self.lost is not None:
                yield RawRun(b"", None, f"the session was lost earlier: {self.lost}")
                continue
            started = time.monotonic()
            deadline = started + job.timeout
            while next_line < len(lines) and next_line <= index + self._lookahead:
                pending += lines[next_line]
                next_line += 1
            queued = next_line > index + 1
            found = self._read_until_sentinel(
                buffer, deadline, pending, timeout=job.timeout, coalesce=queued
            )
            duration = time.monotonic() - started
            if found is None:
                output = self._clean(bytes(buffer), lines)
                buffer.clear()
                yield RawRun(output, None, self.lost, duration)
                continue
            status, output = found
            yield RawRun(self._clean(output, lines), status, None, duration)

    def _prepare(self, job: Job) -> bytes:
        """The line typed to run a command: short ones inline, long ones via a file."""
        text = job.source.encode("utf-8", "surrogateescape") + b"\n__txtest_mark $?"
        quoted = ansi_c_quote(text)
        if len(quoted) <= _INLINE_LIMIT:
            # `$?` is still the previous command's: `__txtest_fin` returned it
            run = b"\\builtin eval " + quoted
        else:
            self._count += 1
            path = self._control_file(f"c{self._count}")
            path.write_bytes(text + b"\n\0")
            run = (
                b"\\builtin read -r -d '' __txtest_c <"
                + shlex.quote(str(path)).encode()
                + b' && __txtest_ret $__txtest_s && :; \\builtin eval "$__txtest_c"'
            )
        return run + b" </dev/null " + self._target + b"; __txtest_fin $? && :\n"

    def _init_script(self) -> str:
        """Bash code run once at start: the helpers and the first sentinel prompt.

        `__txtest_mark` runs as the last line of every command's own eval, so a
        non-zero status that did not stop a `set -e` shell inside the command
        (`! true`, `false && x`) does not stop it afterwards either;
        `__txtest_fin` covers a command that never reached that line.
        """
        sentinel = f"{self._nonce[:12]}\\072$1\\072${{!-}}\\072{self._nonce[12:]}"
        return "\n".join(
            [
                # bash starts where txtest runs (posix_spawn cannot chdir); the
                # caller's OLDPWD is kept as a chdir before exec would keep it
                "[[ -v OLDPWD ]] && __txtest_o=$OLDPWD || __txtest_o=",
                f"\\builtin cd -- {shlex.quote(str(self._cwd))} || \\builtin exit 1",
                'if [ -n "$__txtest_o" ]; then OLDPWD=$__txtest_o;',
                "else \\builtin unset OLDPWD; \\builtin declare -x OLDPWD; fi",
                "\\builtin unset __txtest_o",
                "__txtest_s=0 __txtest_d=",
                "__txtest_ret() { return $1; }",
                "__txtest_mark() {",
                "  __txtest_s=$1 __txtest_d=1",
                f'  PS1="{sentinel}"',
                "  PS2='' PS0='' PROMPT_COMMAND=''",
                "}",
                "__txtest_fin() {",
                '  [ -n "$__txtest_d" ] || __txtest_mark "$1"',
                "  __txtest_d=",
                "  \\builtin [ -t 2 ] || exec 2>/dev/tty",
                "  return $__txtest_s",
                "}",
                "shopt -u checkwinsize 2>/dev/null",
                "unset PROMPT_COMMAND PS0 MAILCHECK",
                "__txtest_mark 0",
                "__txtest_d=",
                "",
            ]
        )

    # -- the tty ------------------------------------------------------------

    def _quiet_tty(self) -> None:
        """Echo and output newline translation off, if a command turned them on."""
        try:
            attrs = termios.tcgetattr(self._fd)
        except termios.error:
            return
        lflag, oflag = attrs[3], attrs[1]
        if lflag & termios.ECHO or oflag & termios.ONLCR:
            attrs[3] = lflag & ~(termios.ECHO | termios.ECHONL)
            attrs[1] = oflag & ~termios.ONLCR
            termios.tcsetattr(self._fd, termios.TCSANOW, attrs)

    def _write_all(self, data: bytes) -> None:
        pending = bytearray(data)
        while pending:
            select.select([], [self._fd], [], _POLL)
            self._write_some(pending)

    def _write_some(self, pending: bytearray) -> None:
        self._quiet_tty()
        try:
            written = os.write(self._fd, pending)
        except BlockingIOError:
            return
        except OSError as error:
            if error.errno in (errno.EIO, errno.EBADF):
                return
            raise
        del pending[:written]

    def _read_until_sentinel(
        self,
        buffer: bytearray,
        deadline: float,
        pending: bytearray | None = None,
        timeout: float = 0.0,
        coalesce: bool = False,
    ) -> tuple[int, bytes] | None:
        """Read until the next sentinel; return (status, output) or None when lost.

        Output past the sentinel stays in `buffer` for the next command.
        """
        searched = 0
        while True:
            match = self._sentinel.search(buffer, max(0, searched - 64))
            if match is not None:
                output = bytes(buffer[: match.start()])
                status, background = int(match.group(1)), bytes(match.group(2))
                del buffer[: match.end()]
                return status, self._notice_free(output, background)
            searched = len(buffer)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._lose(f"timed out after {timeout:g} s")
                return None
            if not self._pump(buffer, pending, min(remaining, _POLL)):
                return None
            if coalesce:
                time.sleep(_COALESCE)

    def _pump(self, buffer: bytearray, pending: bytearray | None, wait: float) -> bool:
        """One select round: write what is pending, read what is there; False if lost."""
        readers = [self._fd] + ([self._fifo_fd] if self._fifo_fd >= 0 else [])
        writers = [self._fd] if pending else []
        readable, writable, _ = select.select(readers, writers, [], wait)
        if writable and pending is not None:
            self._write_some(pending)
        if self._fifo_fd in readable:
            buffer += _drain(self._fifo_fd)
        if self._fd in readable:
            chunk = _read_chunk(self._fd)
            if chunk is None:
                return self._check_alive(force=True)
            if self._pipe_mode:
                self._sentinel_only(buffer, chunk)
            else:
                buffer += chunk
            return True
        return self._check_alive(force=not readable and not writable)

    def _sentinel_only(self, buffer: bytearray, chunk: bytes) -> None:
        """In pipe mode the tty carries only prompts: drain the pipe, then add them.

        Pipe mode runs one command at a time, so the pipe holds only output of
        the command whose prompt this is (and of background jobs).
        """
        self._tty += chunk
        last = 0
        for match in self._sentinel.finditer(self._tty):
            buffer += _drain(self._fifo_fd)
            buffer += match.group(0)
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

    def _notice_free(self, output: bytes, background_pid: bytes) -> bytes:
        """Drop bash's `[1] PID` notices, printed because the shell is interactive."""
        if background_pid and b"] " in output:
            return _JOB_NOTICE.sub(b"", output)
        return output

    def _clean(self, output: bytes, lines: Sequence[bytes]) -> bytes:
        """Remove what the session itself added: echoed typed lines, its own `set -x` trace."""
        if b"__txtest_" not in output:
            return output
        for line in lines:
            output = output.replace(line, b"").replace(line[:-1] + b"\r\n", b"")
        return strip_own_trace(output)


class _Spawn(pexpect.spawn):  # type: ignore[misc]
    """pexpect's spawn with the shell started by `spawn_on_pty` instead of a fork."""

    def _spawnpty(self, args: list[str], **kwargs: object) -> object:
        dimensions = kwargs.get("dimensions", (24, 80))
        rows, cols = dimensions if isinstance(dimensions, tuple) else (24, 80)
        env = kwargs.get("env")
        try:
            pid, fd = spawn_on_pty(
                args, env if isinstance(env, dict) else dict(os.environ), rows, cols
            )
        except NotImplementedError:  # a platform without POSIX_SPAWN_SETSID: pexpect's fork
            return super()._spawnpty(args, **kwargs)
        return pty_spawn.ptyprocess.PtyProcess(pid, fd)


_DEFAULT_SIGNALS = frozenset(signal.valid_signals()) - {signal.SIGKILL, signal.SIGSTOP}


def spawn_on_pty(
    argv: Sequence[str], env: Mapping[str, str], rows: int, cols: int
) -> tuple[int, int]:
    """Start argv as a session leader whose controlling terminal is a new pty; (pid, master fd).

    posix_spawn (a vfork, here about 0.3 ms) rather than ptyprocess's fork of
    the whole interpreter (about 3 ms). Opening the pty's far end after setsid
    makes it the controlling terminal. Every signal starts at its default and
    none is blocked: Python ignores SIGPIPE and SIGXFSZ, and a fork would pass
    that on (`yes | head -1` would then complain of a broken pipe). No
    inheritable descriptor of this process reaches the shell.
    """
    master, slave = os.openpty()
    try:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        attrs = termios.tcgetattr(slave)
        attrs[3] &= ~(termios.ECHO | termios.ECHONL)
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        actions: list[tuple[int, ...] | tuple[int, int, str, int, int]] = [
            (os.POSIX_SPAWN_CLOSE, fd) for fd in _inheritable_fds()
        ]
        actions += [
            (os.POSIX_SPAWN_OPEN, 0, os.ttyname(slave), os.O_RDWR, 0),
            (os.POSIX_SPAWN_DUP2, 0, 1),
            (os.POSIX_SPAWN_DUP2, 0, 2),
        ]
        pid = os.posix_spawn(
            argv[0],
            list(argv),
            dict(env),
            file_actions=actions,
            setsid=True,
            setsigdef=_DEFAULT_SIGNALS,
            setsigmask=(),
        )
    except BaseException:
        os.close(master)
        raise
    finally:
        os.close(slave)
    return pid, master


def _inheritable_fds() -> list[int]:
    """This process's descriptors above 2 that an exec would pass on."""
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return []
    found = []
    for name in names:
        fd = int(name)
        if fd > 2:
            with contextlib.suppress(OSError):
                if os.get_inheritable(fd):
                    found.append(fd)
    return found


def _read_chunk(fd: int) -> bytes | None:
    """Read what the pty has; None at end of file (the shell side is gone)."""
    try:
        data = os.read(fd, _READ_SIZE)
    except BlockingIOError:
        return b""
    except OSError as error:
        if error.errno == errno.EIO:
            return None
        raise
    return data or None


def _drain(fd: int) -> bytes:
    chunks: list[bytes] = []
    while True:
        try:
            data = os.read(fd, _READ_SIZE)
        except BlockingIOError:
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


def kill_session(pid: int) -> None:
    """SIGKILL a shell, its process group, and every descendant still attached to it.

    Descendants that were orphaned earlier (daemons) were adopted by txtest,
    the subreaper, and `reap_orphans` ends them.
    """
    if pid <= 0:
        return
    family = descendants(pid)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    for member in (pid, *family):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(member, signal.SIGKILL)


def descendants(pid: int) -> list[int]:
    """Children, grandchildren, ... of pid (Linux /proc; empty elsewhere)."""
    found: list[int] = []
    frontier = [pid]
    while frontier:
        children = [child for parent in frontier for child in children_of(parent)]
        found.extend(children)
        frontier = children
    return found


def children_of(pid: int) -> list[int]:
    """Direct children of pid, from /proc/PID/task/*/children."""
    children: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return children
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", "rb") as handle:
                children.extend(int(word) for word in handle.read().split())
        except OSError:
            continue
    return children


_UNSAFE = re.compile(rb"[^\x20-\x7e]|['\\!]")


def ansi_c_quote(data: bytes) -> bytes:
    """Spell bytes as a bash $'...' word holding only printable ASCII.

    No raw control byte reaches the tty (where ^C, ^D, ^U or DEL would act),
    and no `!` (history expansion, should a command turn it back on).
    """
    return b"$'" + _UNSAFE.sub(_octal, data) + b"'"


def _octal(match: re.Match[bytes]) -> bytes:
    return b"\\%03o" % match[0][0]


_OWN_TRACE_END = b"__txtest_mark $?'\n"
_OWN_TRACE_TAIL = re.compile(rb"^\++ __txtest_mark [0-9]+\n", re.MULTILINE)


def strip_own_trace(output: bytes) -> bytes:
    """Drop the `set -x` lines of the session's own code around a command."""
    first_line = output[: output.find(b"\n")]
    if first_line.startswith(b"+"):
        end = output.find(_OWN_TRACE_END)
        if end >= 0 and (b"builtin eval" in first_line or b"__txtest_c" in first_line):
            output = output[end + len(_OWN_TRACE_END) :]
    tails = list(_OWN_TRACE_TAIL.finditer(output))
    return output[: tails[-1].start()] if tails else output


_PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> None:
    """Adopt orphaned descendants (Linux), so daemons a document starts can be found."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def reap_orphans() -> None:
    """SIGKILL and reap every child still left: only escaped descendants remain by now."""
    for pid in children_of(os.getpid()):
        kill_session(pid)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
