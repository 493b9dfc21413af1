"""Run many documents, one at a time or N at a time, yielding results in document order.

Documents run in forked worker processes (each with its own sessions), not
threads: parsing, rendering and comparing are Python work that a thread pool
would serialise on the GIL.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from txtest.errors import InputError
from txtest.model import DocFormat, Document, DocumentResult, RunOptions, StopFlag
from txtest.parse import read_document
from txtest.runner import run_document

if TYPE_CHECKING:
    from concurrent.futures import Future

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


def _run_in_pool(
    tasks: Sequence[Task], jobs: int, progress: Progress | None
) -> Iterator[DocumentResult]:
    # imported here: they cost more than the rest of txtest's start-up together
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    stop = context.Event()
    with ProcessPoolExecutor(jobs, context, initializer=_init_worker, initargs=(stop,)) as pool:
        futures = [pool.submit(_run_in_worker, *task) for task in tasks]
        try:
            yield from _collect_in_order(futures, tasks, stop, progress)
        except BaseException:
            # Ctrl-C or SIGTERM sent to this process alone: end the workers now
            # (each kills its sessions on SIGTERM) instead of waiting for them.
            workers = multiprocessing.active_children()
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.join(timeout=10)
            raise
        finally:
            for future in futures:
                future.cancel()


def _collect_in_order(
    futures: Sequence[Future[DocumentResult | None]],
    tasks: Sequence[Task],
    stop: StopFlag,
    progress: Progress | None,
) -> Iterator[DocumentResult]:
    """Yield each result once it and every one before it are done."""
    from concurrent.futures import FIRST_COMPLETED, wait

    pending = set(futures)
    shown = 0
    while shown < len(futures):
        done, pending = wait(pending, return_when=FIRST_COMPLETED) if pending else (set(), pending)
        for future in done:
            result = future.result() if not future.cancelled() else None
            if result is not None and tasks[0][2].fail_fast and not result.is_ok:
                stop.set()
        if progress is not None:
            progress(len(futures) - len(pending), len(futures))
        while shown < len(futures) and futures[shown].done():
            result = None if futures[shown].cancelled() else futures[shown].result()
            shown += 1
            if result is not None:
                yield result
