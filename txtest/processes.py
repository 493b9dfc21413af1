"""Process clean-up: no process a document starts outlives txtest (Linux /proc)."""

from __future__ import annotations

import contextlib
import os
import signal

_PR_SET_CHILD_SUBREAPER = 36


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
    kill_all((pid, *family))


def kill_all(pids: tuple[int, ...] | list[int]) -> None:
    """SIGKILL each process, ignoring those already gone."""
    for member in pids:
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


def kill_marked(marker: str) -> None:
    """SIGKILL every process whose environment holds the entry `marker` (`NAME=value`).

    What a Python API shell started and that escaped its process tree (a
    daemon that forked twice) still carries the shell's environment; a
    process that cleared it cannot be told apart, and is left alone.
    """
    entry = marker.encode("utf-8", "surrogateescape")
    try:
        names = os.listdir("/proc")
    except OSError:
        return
    found: list[int] = []
    for name in names:
        if not name.isdigit() or int(name) == os.getpid():
            continue
        with contextlib.suppress(OSError), open(f"/proc/{name}/environ", "rb") as handle:
            if entry in handle.read().split(b"\0"):
                found.append(int(name))
    kill_all(found)
