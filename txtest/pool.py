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
from txtest.model import DocFormat, Document, DocumentResult, RunOptions, StopFlag
from txtest.parse import read_document
from txtest.runner import run_document

Task = tuple[Path, str, RunOptions]
"""A document's path, its path as shown, and how to run it."""
Progress = Callable[[int, int], None]

_worker_stop: list[StopFlag] = []
"""The pool's shared stop flag, set in each worker by its initializer (one per process)."""


def run_one(path: Path, display: str, options: RunOptions, stop: StopFlag | None) -> DocumentResult:
    """Read and run one document, then rewrite it in update mode (parsing runs in the worker)."""
    try:
        document = read_document(path, display, options.langs)
    except InputError as error:
        cram = DocFormat.CRAM if path.suffix == ".t" else DocFormat.MARKDOWN
        return DocumentResult(Document(path, display, cram), error=str(error))
    result = run_document(document, options, stop)
    if options.update and result.error is None:
        from txtest.update import update_document

        result = update_document(result)
    return result


def run_all(
    tasks: Sequence[Task], jobs: int, progress: Progress | None = None
) -> Iterator[DocumentResult]:
    """Results in the order of tasks; with fail-fast, nothing new starts after a failure."""
    if jobs <= 1 or len(tasks) <= 1:
        yield from _run_sequentially(tasks, progress)
    else:
        yield from _run_in_pool(tasks, jobs, progress)


def _run_sequentially(tasks: Sequence[Task], progress: Progress | None) -> Iterator[DocumentResult]:
    stop = threading.Event()
    for done, (path, display, options) in enumerate(tasks):
        if stop.is_set():
            return
        result = run_one(path, display, options, stop)
        if progress is not None:
            progress(done + 1, len(tasks))
        if options.fail_fast and not result.is_ok:
            stop.set()
        yield result


_worker_busy: list[bool] = []
"""Non-empty while this worker runs a document (signals unwind it then; else exit at once)."""


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


def _run_in_worker(path: Path, display: str, options: RunOptions) -> DocumentResult | None:
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
"""Task numbers go to the workers through one pipe, in writes small enough to be atomic."""


class _Feed:
    """The task numbers not yet handed out, and the pipe the workers take them from."""

    def __init__(self, count: int) -> None:
        self.read, self.write = os.pipe()
        os.set_blocking(self.write, False)
        self.numbers = list(range(count))

    def send_some(self) -> None:
        """Write the next batch, if the pipe has room for it; close it when none is left."""
        batch = self.numbers[:_TOKENS_PER_WRITE]
        with contextlib.suppress(BlockingIOError):
            os.write(self.write, b"".join(_TOKEN.pack(number) for number in batch))
            del self.numbers[: len(batch)]
        if not self.numbers:
            self.close_write()

    def stop(self) -> None:
        """Hand out nothing more: the workers see the end of the pipe."""
        self.numbers.clear()
        self.close_write()

    def close_read(self) -> None:
        if self.read >= 0:
            os.close(self.read)
            self.read = -1

    def close_write(self) -> None:
        if self.write >= 0:
            os.close(self.write)
            self.write = -1


def _run_in_pool(
    tasks: Sequence[Task], jobs: int, progress: Progress | None
) -> Iterator[DocumentResult]:
    """Fork the workers, hand out task numbers, and yield results in task order.

    A pipe holds the task numbers: a free worker takes the next one itself,
    so a busy parent never keeps a worker waiting. Each worker writes its
    results (pickled, length first) to a pipe of its own.
    """
    stop = _SharedFlag()
    feed = _Feed(len(tasks))
    sys.stdout.flush()
    sys.stderr.flush()
    workers: dict[int, int] = {}
    """The read end of each worker's result pipe, and the worker's pid."""
    try:
        for _ in range(min(jobs, len(tasks))):
            result_read, result_write = os.pipe()
            pid = os.fork()
            if pid == 0:
                inherited = [feed.write, *workers]
                _worker_main(tasks, feed.read, result_write, stop, inherited)
            os.close(result_write)
            workers[result_read] = pid
        feed.close_read()
        yield from _collect(tasks, workers, feed, stop, progress)
    except BaseException:
        # Ctrl-C or SIGTERM sent to this process alone: end the workers now
        # (each kills its sessions on SIGTERM) instead of waiting for them.
        _end_workers(list(workers.values()), signal.SIGTERM)
        raise
    finally:
        feed.close_read()
        feed.close_write()
        for fd in workers:
            os.close(fd)
    _reap_workers(list(workers.values()))


def _collect(
    tasks: Sequence[Task],
    workers: dict[int, int],
    feed: _Feed,
    stop: _SharedFlag,
    progress: Progress | None,
) -> Iterator[DocumentResult]:
    """Feed task numbers, read results, and yield each once those before it are out."""
    buffers = {fd: bytearray() for fd in workers}
    results: dict[int, DocumentResult | None] = {}
    shown = done = 0
    while buffers:
        if stop.is_set():
            feed.stop()
        writers = [feed.write] if feed.write >= 0 else []
        readable, writable, _ = select.select(list(buffers), writers, [])
        if writable:
            feed.send_some()
        for fd in readable:
            data = os.read(fd, 1 << 16)
            if not data:
                del buffers[fd]
                continue
            for number, result in _messages(buffers[fd], data):
                results[number] = result
                done += result is not None
                if result is not None and tasks[0][2].fail_fast and not result.is_ok:
                    stop.set()
            if progress is not None:
                progress(done, len(tasks))
        while shown in results:
            result = results.pop(shown)
            shown += 1
            if result is not None:
                yield result
    for number in sorted(results):
        result = results[number]
        if result is not None:
            yield result


def _messages(buffer: bytearray, data: bytes) -> Iterator[tuple[int, DocumentResult | None]]:
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
