"""The wait detector's decision, from /proc readings given as data."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from txtest.waiting import ProcessReading, describe_wait, read_process, waits_for_terminal

TTY, DEVICE = "/dev/pts/7", 34823
READ, POLL, WAIT4, NANOSLEEP = 0, 7, 61, 35  # x86_64


def waits(*readings: ProcessReading, machine: str = "x86_64") -> bool:
    return waits_for_terminal(readings, TTY, DEVICE, machine)


def test_a_read_of_the_terminal_waits() -> None:
    assert waits(ProcessReading(READ, 0, {0: TTY, 1: TTY, 2: TTY}, DEVICE))


def test_a_read_of_dev_tty_waits() -> None:
    assert waits(ProcessReading(READ, 3, {0: "/dev/null", 3: "/dev/tty"}, DEVICE))


def test_a_read_of_a_pipe_does_not_wait() -> None:
    assert not waits(ProcessReading(READ, 0, {0: "pipe:[12]", 1: TTY, 2: TTY}, DEVICE))


def test_the_shell_waiting_for_its_child_or_a_sleep_does_not_wait() -> None:
    assert not waits(
        ProcessReading(WAIT4, 0xFFFFFFFF, {0: "/dev/null", 1: TTY, 2: TTY}, DEVICE),
        ProcessReading(NANOSLEEP, 0, {1: TTY, 2: TTY}, DEVICE),
    )


def test_a_poll_counts_only_with_the_terminal_open_beyond_stdout_and_stderr() -> None:
    assert not waits(
        ProcessReading(POLL, 0, {0: "/dev/null", 1: TTY, 2: TTY, 3: "socket:[9]"}, DEVICE)
    )
    assert waits(ProcessReading(POLL, 0, {0: "/dev/null", 1: TTY, 2: TTY, 4: "/dev/tty"}, DEVICE))
    assert waits(ProcessReading(POLL, 0, {0: TTY, 1: TTY, 2: TTY}, DEVICE))


def test_a_poll_with_copies_of_stdout_aside_does_not_wait() -> None:
    # pytest's output capture keeps the terminal on fds 5 and 7 while it polls a subprocess
    fds = {0: "/dev/null", 1: "/tmp/#1 (deleted)", 2: "/tmp/#2 (deleted)", 5: TTY, 7: TTY}
    assert not waits(ProcessReading(POLL, 0, {**fds, 13: "pipe:[9]"}, DEVICE))


def test_dev_tty_of_another_terminal_is_not_ours() -> None:
    assert not waits(ProcessReading(READ, 3, {3: "/dev/tty"}, 34999))


def test_a_running_process_or_an_unknown_machine_does_not_wait() -> None:
    assert not waits(ProcessReading(None, terminal=DEVICE))
    assert not waits(ProcessReading(63, 0, {0: TTY}, DEVICE), machine="sparc")


def test_aarch64_numbers() -> None:
    assert waits(ProcessReading(63, 0, {0: TTY}, DEVICE), machine="aarch64")


def test_the_reader_reads_this_process() -> None:
    reading = read_process(os.getpid())
    assert reading is not None
    assert reading.syscall is None or reading.syscall >= 0


def test_what_a_process_waits_for_in_words() -> None:
    pipe = ProcessReading(0, 0, {0: "pipe:[7]"})
    assert describe_wait(pipe, "x86_64") == "reading pipe:[7]"
    assert describe_wait(ProcessReading(230), "x86_64") == "sleeping"
    assert describe_wait(ProcessReading(61), "x86_64") == "waiting for a child process"
    assert describe_wait(ProcessReading(101), "aarch64") == "sleeping"
    assert describe_wait(ProcessReading(None), "x86_64") == "running"
    assert describe_wait(ProcessReading(999), "x86_64") == "in system call 999"


def test_a_poll_of_other_descriptors_does_not_wait_with_the_terminal_open() -> None:
    fds = {0: "/dev/null", 1: TTY, 2: TTY, 3: TTY, 4: "pipe:[5]"}  # 3: a dup of stderr
    assert not waits(ProcessReading(POLL, 0, fds, DEVICE, polled=frozenset({4})))
    assert waits(ProcessReading(POLL, 0, fds, DEVICE, polled=frozenset({3, 4})))


BLOCKED = {
    "poll": "p = select.poll(); p.register(r, select.POLLIN); p.register(other, 0)"
    "; print(r, flush=True); p.poll()",
    "select": "print(r, flush=True); select.select([r], [], [other])",
    "epoll": "e = select.epoll(); e.register(r, select.EPOLLIN); print(r, flush=True); e.poll()",
}
"""A process blocked waiting to read r, and (poll, select) watching another pipe for nothing
or for exceptions only."""


@pytest.mark.parametrize("call", sorted(BLOCKED))
def test_the_reader_sees_which_descriptors_a_poll_waits_to_read(call: str) -> None:
    code = f"import os, select; r, w = os.pipe(); other, _ = os.pipe(); {BLOCKED[call]}"
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None
        polled_fd = int(child.stdout.readline())
        deadline = time.monotonic() + 10
        reading = read_process(child.pid)
        while (reading is None or reading.polled is None) and time.monotonic() < deadline:
            time.sleep(0.01)
            reading = read_process(child.pid)
        assert reading is not None
        assert reading.polled == frozenset({polled_fd})
    finally:
        child.kill()
        child.wait()
