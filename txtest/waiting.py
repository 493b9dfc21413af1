"""Is a command waiting for input from the terminal? (SPEC §5.3; Linux /proc)

A pure decision from /proc readings given as data, and a thin reader of
them. Where /proc/PID/syscall cannot be read, `read_processes` returns
nothing and the caller falls back on a quiet time.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Syscalls:
    """The numbers of the system calls that wait for input, on one machine type."""

    reads: frozenset[int]
    polls: frozenset[int]


SYSCALLS: Mapping[str, Syscalls] = {
    # read, readv, pread64; poll, select, pselect6, ppoll, epoll_wait, epoll_pwait
    "x86_64": Syscalls(frozenset({0, 19, 17}), frozenset({7, 23, 270, 271, 232, 281})),
    # read, readv, pread64; pselect6, ppoll, epoll_pwait
    "aarch64": Syscalls(frozenset({63, 65, 67}), frozenset({72, 73, 22})),
}


@dataclass(frozen=True, slots=True)
class ProcessReading:
    """What /proc says one process is doing."""

    syscall: int | None
    """The system call it is blocked in; None when running or unknown."""
    first_argument: int = -1
    fds: Mapping[int, str] = field(default_factory=dict)
    """Its open descriptors and what they point to."""
    terminal: int = 0
    """The device number of its controlling terminal (/proc/PID/stat's tty_nr)."""


def waits_for_terminal(
    readings: Iterable[ProcessReading], tty: str, device: int, machine: str
) -> bool:
    """True when one of the processes is blocked reading the terminal, or polling it.

    Only processes whose controlling terminal it is count: `/dev/tty` in a
    process of a terminal of its own (a txtest run inside a document) is
    that other terminal. Every process has the terminal as stdout and
    stderr, so a poll counts only when the terminal is its stdin, or a
    /dev/tty it opened: a copy of stdout kept aside (pytest's output capture
    keeps one while it waits for a subprocess) is not input.
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
        if reading.syscall in calls.polls and (
            reading.fds.get(0) in names or "/dev/tty" in reading.fds.values()
        ):
            return True
    return False


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
    first = int(words[1], 16) if len(words) > 1 else -1
    return ProcessReading(int(words[0]), first, fds, terminal)


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
