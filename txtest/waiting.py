"""Is a command waiting for input from the terminal? (SPEC §5.3; Linux /proc)

A pure decision from /proc readings given as data, and a thin reader of
them. Where /proc/PID/syscall cannot be read, `read_processes` returns
nothing and the caller falls back on a quiet time.
"""

from __future__ import annotations

import contextlib
import os
import re
import struct
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import NamedTuple


class Syscalls(NamedTuple):
    """The numbers of the system calls that wait for input, on one machine type."""

    reads: frozenset[int]
    polls: frozenset[int]
    poll_arrays: frozenset[int] = frozenset()
    """poll, ppoll: the first argument points at the pollfd array, the second is its length."""
    selects: frozenset[int] = frozenset()
    """select, pselect6: the first argument is nfds, the second points at the read set."""
    epolls: frozenset[int] = frozenset()
    """epoll_wait, epoll_pwait, epoll_pwait2: the first argument is the epoll descriptor."""


SYSCALLS: Mapping[str, Syscalls] = {
    # read, readv, pread64; poll, select, pselect6, ppoll, epoll_wait, epoll_pwait, epoll_pwait2
    "x86_64": Syscalls(
        frozenset({0, 19, 17}),
        frozenset({7, 23, 270, 271, 232, 281, 441}),
        poll_arrays=frozenset({7, 271}),
        selects=frozenset({23, 270}),
        epolls=frozenset({232, 281, 441}),
    ),
    # read, readv, pread64; pselect6, ppoll, epoll_pwait, epoll_pwait2
    "aarch64": Syscalls(
        frozenset({63, 65, 67}),
        frozenset({72, 73, 22, 441}),
        poll_arrays=frozenset({73}),
        selects=frozenset({72}),
        epolls=frozenset({22, 441}),
    ),
}


class ProcessReading(NamedTuple):
    """What /proc says one process is doing."""

    syscall: int | None
    """The system call it is blocked in; None when running or unknown."""
    first_argument: int = -1
    fds: Mapping[int, str] = MappingProxyType({})  # shared by default, so read-only
    """Its open descriptors and what they point to."""
    terminal: int = 0
    """The device number of its controlling terminal (/proc/PID/stat's tty_nr)."""
    polled: frozenset[int] | None = None
    """In a poll, select or epoll wait: the descriptors it waits to read; None if unknown."""


def waits_for_terminal(
    readings: Iterable[ProcessReading], tty: str, device: int, machine: str
) -> bool:
    """True when one of the processes is blocked reading the terminal, or polling it.

    Only processes whose controlling terminal it is count: `/dev/tty` in a
    process of a terminal of its own (a txtest run inside a document) is
    that other terminal. A poll counts when the terminal is among the
    descriptors it waits to read; where those are unknown, when the terminal
    is its stdin or a /dev/tty it opened.
    """
    calls = SYSCALLS.get(machine)
    if calls is None:
        return False
    names = (tty, "/dev/tty")  # a process that opened /dev/tty shows that name
    for reading in readings:
        if reading.terminal != device:
            continue
        if reading.syscall in calls.reads and reading.fds.get(reading.first_argument) in names:
            return True
        if reading.syscall in calls.polls and any(
            reading.fds.get(fd) in names for fd in _polled(reading)
        ):
            return True
    return False


def _polled(reading: ProcessReading) -> Iterable[int]:
    """The descriptors a polling process waits to read, or those it may (unknown)."""
    if reading.polled is not None:
        return reading.polled
    # unknown: stdin, or a /dev/tty it opened; a copy of stdout kept aside (pytest's
    # output capture keeps one while it polls a subprocess) is not input
    return (fd for fd, name in reading.fds.items() if fd == 0 or name == "/dev/tty")


def read_process(pid: int) -> ProcessReading | None:
    """The reading of one process; None if /proc does not tell."""
    try:
        with open(f"/proc/{pid}/syscall", "rb") as handle:
            words = handle.read().split()
        with open(f"/proc/{pid}/stat", "rb") as handle:
            terminal = int(handle.read().rpartition(b")")[2].split()[4])
    except (OSError, ValueError, IndexError):
        return None
    if not words or not words[0].isdigit():
        return ProcessReading(None, terminal=terminal)
    fds: dict[int, str] = {}
    with contextlib.suppress(OSError):
        for name in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                fds[int(name)] = os.readlink(f"/proc/{pid}/fd/{name}")
    arguments = [int(word, 16) for word in words[1:7]]
    syscall = int(words[0])
    first = arguments[0] if arguments else -1
    polled = read_polled(pid, syscall, arguments, machine())
    return ProcessReading(syscall, first, fds, terminal, polled)


_POLLFD = struct.Struct("ihh")
_POLL_INPUT = 0x1 | 0x2 | 0x40  # POLLIN, POLLPRI, POLLRDNORM
_EPOLL_INPUT = 0x1 | 0x2 | 0x40  # EPOLLIN, EPOLLPRI, EPOLLRDNORM
_EPOLL_TARGET = re.compile(rb"^tfd:\s*([0-9]+)\s+events:\s*([0-9a-f]+)", re.MULTILINE)
_MAX_FDS = 4096


def read_polled(
    pid: int, syscall: int, arguments: Sequence[int], machine: str
) -> frozenset[int] | None:
    """The descriptors a process blocked in poll, select or epoll waits to read.

    Read from its memory (/proc/PID/mem: txtest may read its descendants') or,
    for epoll, from /proc/PID/fdinfo; None when that cannot be read.
    """
    calls = SYSCALLS.get(machine)
    if calls is None or syscall not in calls.polls or len(arguments) < 2:
        return None
    try:
        if syscall in calls.poll_arrays:
            count = min(arguments[1], _MAX_FDS)
            data = _read_memory(pid, arguments[0], count * _POLLFD.size)
            entries = _POLLFD.iter_unpack(data)
            return frozenset(fd for fd, events, _ in entries if fd >= 0 and events & _POLL_INPUT)
        if syscall in calls.selects:
            count = min(arguments[0], _MAX_FDS)
            if arguments[1] == 0:
                return frozenset()
            bits = int.from_bytes(_read_memory(pid, arguments[1], (count + 7) // 8), "little")
            return frozenset(fd for fd in range(count) if bits >> fd & 1)
        if syscall in calls.epolls:
            with open(f"/proc/{pid}/fdinfo/{arguments[0]}", "rb") as handle:
                info = handle.read()
            return frozenset(
                int(match[1])
                for match in _EPOLL_TARGET.finditer(info)
                if int(match[2], 16) & _EPOLL_INPUT
            )
    except (OSError, ValueError, OverflowError, struct.error):
        return None
    return None


def _read_memory(pid: int, address: int, size: int) -> bytes:
    """size bytes of a process's memory at address."""
    fd = os.open(f"/proc/{pid}/mem", os.O_RDONLY)
    try:
        data = os.pread(fd, size, address)
    finally:
        os.close(fd)
    if len(data) != size:
        raise ValueError("short read")
    return data


def machine() -> str:
    """The machine type the syscall numbers depend on (`x86_64`, `aarch64`)."""
    return os.uname().machine


_OTHER_WAITS: Mapping[str, Mapping[int, str]] = {
    "x86_64": {
        1: "writing",
        34: "waiting for a signal",
        35: "sleeping",
        42: "connecting",
        43: "waiting for a connection",
        45: "receiving",
        47: "receiving",
        61: "waiting for a child process",
        130: "waiting for a signal",
        202: "waiting on a lock",
        230: "sleeping",
        247: "waiting for a child process",
        288: "waiting for a connection",
    },
    "aarch64": {
        64: "writing",
        95: "waiting for a child process",
        98: "waiting on a lock",
        101: "sleeping",
        115: "sleeping",
        133: "waiting for a signal",
        202: "waiting for a connection",
        203: "connecting",
        207: "receiving",
        212: "receiving",
        242: "waiting for a connection",
        260: "waiting for a child process",
    },
}
"""Other blocking system calls, in words, for a timeout's message."""


def describe_wait(reading: ProcessReading, machine: str) -> str:
    """What a process is doing, in words: `sleeping`, `reading pipe:[123]`, `running`."""
    if reading.syscall is None:
        return "running"
    calls = SYSCALLS.get(machine)
    if calls is not None and reading.syscall in calls.reads:
        return f"reading {reading.fds.get(reading.first_argument, 'a file')}"
    if calls is not None and reading.syscall in calls.polls:
        return "polling"
    other = _OTHER_WAITS.get(machine, {}).get(reading.syscall)
    return other or f"in system call {reading.syscall}"
