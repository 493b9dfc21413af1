"""Run many documents, one at a time or N at a time, yielding results in document order.

Documents run in forked worker processes (each with its own sessions), not
threads: parsing, rendering and comparing are Python work that a thread pool
would serialise on the GIL. The pool is a few pipes and forks of our own:
concurrent.futures costs about 15 ms to import, and its feeder thread in the
parent adds a hop between a worker finishing a document and starting the next.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import select
import signal
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import NoReturn

from txtest.errors import InputError
from txtest.model import DocumentResult, RunOptions, StopFlag
from txtest.parse import read_document
from txtest.runner import run_document

Task = tuple[Path, str, RunOptions]
"""A document's path, its path as shown, and how to run it."""
Progress = Callable[[int, int], None]

_worker_stop: list[StopFlag] = []
"""The pool's shared stop flag, set in each worker by its initializer (one per process)."""


Outcome = DocumentResult | InputError
"""A document's result, or the input error that kept it from being read."""


def run_one(path: Path, display: str, options: RunOptions, stop: StopFlag | None) -> Outcome:
    """Read and run one document, then rewrite it in update mode (parsing runs in the worker)."""
    try:
        document = read_document(path, display, options.langs)
    except InputError as error:
        return error
    result = run_document(document, options, stop)
    if options.update and result.error is None:
        from txtest.update import update_document

        result = update_document(result, options.langs)
    return result


def run_all(
    tasks: Sequence[Task], jobs: int, progress: Progress | None = None
) -> Iterator[Outcome]:
    """Results in the order of tasks; with fail-fast, nothing new starts after a failure."""
    if jobs <= 1 or len(tasks) <= 1:
        yield from _run_sequentially(tasks, progress)
    else:
        yield from _run_in_pool(tasks, jobs, progress)


def _run_sequentially(tasks: Sequence[Task], progress: Progress | None) -> Iterator[Outcome]:
    stop = threading.Event()
    for done, (path, display, options) in enumerate(tasks):
        if stop.is_set():
            return
        result = run_one(path, display, options, stop)
        if progress is not None:
            progress(done + 1, len(tasks))
        if options.fail_fast and not _is_ok(result):
            stop.set()
        yield result


_worker_busy: list[bool] = []
"""Non-empty while this worker runs a document (signals unwind it then; else exit at once)."""


def _is_ok(outcome: Outcome) -> bool:
    return isinstance(outcome, DocumentResult) and outcome.is_ok


class _WorkerStopped(BaseException):
    """SIGINT or SIGTERM reached a worker while it ran a document."""


def _init_worker(stop: StopFlag) -> None:
    _worker_stop[:] = [stop]
    signal.signal(signal.SIGINT, _stop_worker)
    signal.signal(signal.SIGTERM, _stop_worker)


def _stop_worker(signum: int, frame: FrameType | None) -> None:
    ignore_stop_signals()
    if _worker_busy:
        raise _WorkerStopped(signum)
    os._exit(128 + signum)


def ignore_stop_signals() -> None:
    """Once stopping, further SIGINT/SIGTERM must not cut the clean-up short."""
    # a no-op handler, not SIG_IGN: a signal already pending would then raise
    # "Signal N ignored due to race condition" in the middle of the clean-up
    signal.signal(signal.SIGINT, _no_op)
    signal.signal(signal.SIGTERM, _no_op)


def _no_op(signum: int, frame: FrameType | None) -> None:
    """Swallow a stop signal that arrives during the clean-up."""


def _run_in_worker(path: Path, display: str, options: RunOptions) -> Outcome | None:
    """Run a document in a worker; interrupted, kill its sessions and work dir, then exit."""
    stop = _worker_stop[0] if _worker_stop else None
    if stop is not None and stop.is_set():
        return None
    _worker_busy.append(True)
    try:
        return run_one(path, display, options, stop)
    except _WorkerStopped as stopped:
        os._exit(128 + int(stopped.args[0]))
    finally:
        _worker_busy.clear()


class _SharedFlag:
    """A stop flag in a byte of memory shared with the forked workers."""

    def __init__(self) -> None:
        self._byte = mmap.mmap(-1, 1)

    def is_set(self) -> bool:
        return self._byte[0] != 0

    def set(self) -> None:
        self._byte[0] = 1


class WorkerError(RuntimeError):
    """A worker failed in a way that is a bug of txtest, not of a document."""


_TOKEN = struct.Struct("=I")
_HEADER = struct.Struct("=Q")
_TOKENS_PER_WRITE = select.PIPE_BUF // _TOKEN.size


class _Feed:
    """The task numbers, in a pipe that the workers and this process all take from, in order.

    This process reads through an opening of its own of the pipe (Linux's
    /proc/self/fd), non-blocking, so that it never waits for a number while
    the workers' reads still block.
    """

    def __init__(self, count: int) -> None:
        self.read, self.write = os.pipe()
        os.set_blocking(self.write, False)
        self.numbers = list(range(count))
        try:
            self.own = os.open(f"/proc/self/fd/{self.read}", os.O_RDONLY | os.O_NONBLOCK)
        except OSError:
            self.own = -1  # this process then only collects
        self.first = self.numbers.pop(0) if self.own >= 0 and self.numbers else None
        """The first document is this process's own: the forked workers start on the next."""

    def top_up(self) -> None:
        """Write numbers while the pipe has room, in atomic writes; close it once all are in."""
        while self.numbers and self.write >= 0:
            batch = self.numbers[:_TOKENS_PER_WRITE]
            try:
                os.write(self.write, b"".join(_TOKEN.pack(number) for number in batch))
            except BlockingIOError:
                return
            del self.numbers[: len(batch)]
        self.close_write()

    def take(self) -> int | None:
        """The next number for this process to run itself; None if there is none just now."""
        if self.first is not None:
            first, self.first = self.first, None
            return first
        if self.own < 0:
            return None
        try:
            token = os.read(self.own, _TOKEN.size)
        except BlockingIOError:
            return None
        return _TOKEN.unpack(token)[0] if len(token) == _TOKEN.size else None

    def stop(self) -> None:
        """Hand out nothing more (numbers already in the pipe are left there)."""
        self.first = None
        self.numbers.clear()
        self.close_write()

    def close_read(self) -> None:
        if self.read >= 0:
            os.close(self.read)
            self.read = -1

    def close(self) -> None:
        self.close_read()
        self.close_write()
        if self.own >= 0:
            os.close(self.own)
            self.own = -1

    def close_write(self) -> None:
        if self.write >= 0:
            os.close(self.write)
            self.write = -1


def _run_in_pool(tasks: Sequence[Task], jobs: int, progress: Progress | None) -> Iterator[Outcome]:
    """Run documents here and in jobs - 1 forked workers; yield results in task order.

    This process runs documents too, between reading what the workers sent:
    one fork and one set of copied pages fewer, and half the results need no
    pickling. Whoever is free takes the next task number from a pipe, so
    documents start in order. Each worker writes its results (pickled,
    length first) to a pipe of its own.
    """
    pool = _Pool(tasks, progress)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        forks = min(jobs, len(tasks)) - (1 if pool.feed.own >= 0 else 0)
        for _ in range(forks):
            pool.fork_worker()
        pool.feed.close_read()
        yield from pool.results_in_order()
    except BaseException:
        # Ctrl-C or SIGTERM: end the workers now (each kills its sessions on
        # SIGTERM) instead of waiting for them.
        _end_workers(list(pool.workers.values()), signal.SIGTERM)
        raise
    finally:
        pool.close()
    _reap_workers(list(pool.workers.values()))


class _Pool:
    """The state of one -j run in the parent: feed, workers, and results not yet shown."""

    def __init__(self, tasks: Sequence[Task], progress: Progress | None) -> None:
        self.tasks = tasks
        self.progress = progress
        self.stop = _SharedFlag()
        self.feed = _Feed(len(tasks))
        self.workers: dict[int, int] = {}
        """The read end of each worker's result pipe, and the worker's pid."""
        self.buffers: dict[int, bytearray] = {}
        self.results: dict[int, Outcome | None] = {}
        self.done = 0

    def fork_worker(self) -> None:
        result_read, result_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            inherited = [self.feed.write, self.feed.own, *self.workers]
            _worker_main(self.tasks, self.feed.read, result_write, self.stop, inherited)
        os.close(result_write)
        self.workers[result_read] = pid
        self.buffers[result_read] = bytearray()

    def results_in_order(self) -> Iterator[Outcome]:
        """Run, read and yield until every task is done or -x stopped the run."""
        shown = 0
        while True:
            if self.stop.is_set():
                self.feed.stop()
            self.feed.top_up()
            number = None if self.stop.is_set() else self.feed.take()
            if number is not None:
                path, display, options = self.tasks[number]
                self._record(number, run_one(path, display, options, _Servicing(self)))
                self.read_workers(wait=False)
            elif self.buffers:
                self.read_workers(wait=True)
            else:
                break
            while shown in self.results:
                result = self.results.pop(shown)
                shown += 1
                if result is not None:
                    yield result
        for number in sorted(self.results):
            result = self.results[number]
            if result is not None:
                yield result

    def read_workers(self, wait: bool) -> None:
        """Record what the workers have sent; with wait, block until one of them sends."""
        readable, _, _ = select.select(list(self.buffers), [], [], None if wait else 0)
        for fd in readable:
            data = os.read(fd, 1 << 16)
            if not data:
                del self.buffers[fd]
                continue
            for number, result in _messages(self.buffers[fd], data):
                self._record(number, result)

    def _record(self, number: int, result: Outcome | None) -> None:
        self.results[number] = result
        if result is None:
            return
        self.done += 1
        if self.tasks[0][2].fail_fast and not _is_ok(result):
            self.stop.set()
        if self.progress is not None:
            self.progress(self.done, len(self.tasks))

    def close(self) -> None:
        self.feed.close()
        for fd in self.workers:
            os.close(fd)


class _Servicing:
    """The stop flag of a document this process runs: asked between blocks, it also
    reads what the workers sent, so the progress line keeps counting meanwhile."""

    def __init__(self, pool: _Pool) -> None:
        self._pool = pool

    def is_set(self) -> bool:
        self._pool.read_workers(wait=False)
        return self._pool.stop.is_set()

    def set(self) -> None:
        self._pool.stop.set()


def _messages(buffer: bytearray, data: bytes) -> Iterator[tuple[int, Outcome | None]]:
    """Add what a worker wrote to its buffer; take every whole message off the front."""
    buffer += data
    while len(buffer) >= _HEADER.size:
        (size,) = _HEADER.unpack_from(buffer)
        end = _HEADER.size + size
        if len(buffer) < end:
            return
        import pickle  # only -j needs it

        message = pickle.loads(buffer[_HEADER.size : end])
        del buffer[:end]
        if isinstance(message, str):
            raise WorkerError(message)
        yield message


def _worker_main(
    tasks: Sequence[Task],
    todo: int,
    out: int,
    stop: _SharedFlag,
    inherited: Sequence[int],
) -> NoReturn:
    """A forked worker: run the tasks it takes until none is left; never returns."""
    status = 0
    try:
        _init_worker(stop)
        for fd in inherited:
            os.close(fd)
        while not stop.is_set():
            token = os.read(todo, _TOKEN.size)
            if len(token) < _TOKEN.size:
                break
            (number,) = _TOKEN.unpack(token)
            result = _run_in_worker(*tasks[number])
            _send(out, (number, result))
    except BaseException:
        status = 70
        with contextlib.suppress(BaseException):
            import traceback

            _send(out, traceback.format_exc())
    finally:
        os._exit(status)


def _send(fd: int, message: object) -> None:
    import pickle

    payload = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(payload)) + payload)
    while view:
        view = view[os.write(fd, view) :]


def _end_workers(pids: Sequence[int], signum: int) -> None:
    """Signal the workers, give them 10 s to clean up, then kill and reap them."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)
    deadline = time.monotonic() + 10
    left = list(pids)
    while left:
        left = [pid for pid in left if not _reaped(pid)]
        if left and time.monotonic() > deadline:
            for pid in left:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            deadline = float("inf")
        if left:
            time.sleep(0.01)


def _reaped(pid: int) -> bool:
    try:
        return os.waitpid(pid, os.WNOHANG)[0] != 0
    except ChildProcessError:
        return True


def _reap_workers(pids: Sequence[int]) -> None:
    """Wait for workers that have sent everything; one that died is a bug to report."""
    problems: list[str] = []
    for pid in pids:
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            continue
        if os.WIFSIGNALED(status):
            problems.append(f"a -j worker was killed by signal {os.WTERMSIG(status)}")
        elif os.waitstatus_to_exitcode(status) != 0:
            problems.append(f"a -j worker exited with status {os.waitstatus_to_exitcode(status)}")
    if problems:
        raise WorkerError("; ".join(problems))
