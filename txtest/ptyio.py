"""The terminal layer: a shell on a new pseudo-terminal, and non-blocking reads and writes."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import select
import signal
import struct
import termios
from collections.abc import Mapping, Sequence

READ_SIZE = 1 << 16
_DEFAULT_SIGNALS = frozenset(signal.valid_signals()) - {signal.SIGKILL, signal.SIGSTOP}


def spawn_on_pty(
    argv: Sequence[str], env: Mapping[str, str], rows: int, cols: int, stdin: str
) -> tuple[int, int]:
    """Start argv as a session leader on a new pty, its stdin the named pipe `stdin`; (pid, master).

    posix_spawn (a vfork, about 0.3 ms) rather than a fork of the whole
    interpreter (about 3 ms). Opening the pty's far end after setsid makes it
    the controlling terminal; stdout and stderr are that terminal, stdin is
    the shell's own command pipe. Every signal starts at its default and none
    is blocked: Python ignores SIGPIPE and SIGXFSZ, and a fork would pass that
    on. No inheritable descriptor of this process reaches the shell.
    """
    master, slave = os.openpty()
    try:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        attrs = termios.tcgetattr(slave)
        attrs[3] &= ~(termios.ECHO | termios.ECHONL)
        attrs[1] &= ~termios.ONLCR
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        actions: list[tuple[int, ...] | tuple[int, int, str, int, int]] = [
            (os.POSIX_SPAWN_CLOSE, fd) for fd in _inheritable_fds()
        ]
        actions += [
            (os.POSIX_SPAWN_OPEN, 0, stdin, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, os.ttyname(slave), os.O_RDWR, 0),
            (os.POSIX_SPAWN_DUP2, 1, 2),
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


def prepare_child(stdin: str) -> None:
    """In a forked child before exec: what `spawn_on_pty` sets up, on the pty pexpect made."""
    fd = os.open(stdin, os.O_RDONLY)
    os.dup2(fd, 0)
    os.close(fd)
    attrs = termios.tcgetattr(1)
    attrs[1] &= ~termios.ONLCR
    termios.tcsetattr(1, termios.TCSANOW, attrs)
    for signum in _DEFAULT_SIGNALS:
        with contextlib.suppress(OSError, ValueError):
            signal.signal(signum, signal.SIG_DFL)


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


def read_chunk(fd: int) -> bytes | None:
    """Read what the fd has; None at end of file (the shell side is gone)."""
    try:
        data = os.read(fd, READ_SIZE)
    except BlockingIOError:
        return b""
    except OSError as error:
        if error.errno == errno.EIO:
            return None
        raise
    return data or None


def drain(fd: int) -> bytes:
    """Everything a non-blocking fd holds now."""
    chunks: list[bytes] = []
    while chunk := read_chunk(fd):
        chunks.append(chunk)
    return b"".join(chunks)


def write_some(fd: int, pending: bytearray) -> bool:
    """Write what the fd takes now; False once its reader is gone."""
    try:
        written = os.write(fd, pending)
    except BlockingIOError:
        return True
    except OSError as error:
        if error.errno in (errno.EPIPE, errno.EBADF, errno.EIO):
            return False
        raise
    del pending[:written]
    return True


def wait_io(readers: list[int], writers: list[int], timeout: float) -> tuple[list[int], list[int]]:
    """select() on the given fds."""
    readable, writable, _ = select.select(readers, writers, [], timeout)
    return readable, writable
