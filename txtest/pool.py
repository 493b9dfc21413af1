"""Run many documents, one at a time or N at a time, yielding results in document order.

Documents run in forked worker processes (each with its own sessions), not
threads: parsing, rendering and comparing are Python work that threads would
serialise on the GIL. Each worker has a pipe to this process: it is handed a
task number, sends back the result, and is handed the next, so documents start
in order and -x can stop handing them out.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from txtest.errors import InputError
from txtest.events import CommandStarted, DocumentDone, Listener, RunEvent
from txtest.model import DocumentResult, RunOptions, StopFlag
from txtest.parse import read_document
from txtest.runner import Sweeper, run_document

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

Task = tuple[Path, str, RunOptions]
"""A document's path, its path as shown, and how to run it."""
Listen = Callable[[int, RunEvent], None]
"""Hears what runs: the task's number and the event."""
Outcome = DocumentResult | InputError
"""A document's result, or the input error that kept it from being read."""
_END_GRACE = 10.0
"""Seconds a stopped worker has to kill its sessions before it is killed."""


class WorkerError(RuntimeError):
    """A worker failed in a way that is a bug of txtest, not of a document."""


def run_one(
    path: Path,
    display: str,
    options: RunOptions,
    stop: StopFlag | None,
    listen: Listener | None = None,
    sweeper: Sweeper | None = None,
) -> Outcome:
    """Read and run one document, then rewrite it in update mode (parsing runs in the worker)."""
    try:
        document = read_document(path, display, options.langs)
    except InputError as error:
        return error
    result = run_document(document, options, stop, listen, sweeper)
    if options.update and result.error is None:
        from txtest.update import update_document

        result = update_document(result, options.langs)
    return result


def run_all(
    tasks: Sequence[Task], jobs: int, listen: Listen | None = None, detail: bool = False
) -> Generator[Outcome, None, None]:
    """Results in the order of tasks; with fail-fast, nothing new starts after a failure.

    Closing the generator early stops the documents still running.

    listen hears, as they happen, the commands that start and the documents that end;
    with detail, also each command's and block's result (which -j workers then send twice).
    """
    if jobs <= 1 or len(tasks) <= 1:
        yield from _run_sequentially(tasks, listen, detail)
    else:
        yield from _run_in_pool(tasks, jobs, listen, detail)


def _listener(listen: Listen | None, number: int, detail: bool) -> Listener | None:
    """What runner hears for task number: the events listen asked for, with the number."""
    if listen is None:
        return None

    def hear(event: RunEvent) -> None:
        if detail or isinstance(event, CommandStarted):
            listen(number, event)

    return hear


def _is_ok(outcome: Outcome) -> bool:
    return isinstance(outcome, DocumentResult) and outcome.is_ok


def _run_sequentially(
    tasks: Sequence[Task], listen: Listen | None, detail: bool
) -> Iterator[Outcome]:
    stop = threading.Event()
    with Sweeper() as sweeper:
        for number, (path, display, options) in enumerate(tasks):
            if stop.is_set():
                return
            hear = _listener(listen, number, detail)
            result = run_one(path, display, options, stop, hear, sweeper)
            if listen is not None:
                listen(number, DocumentDone())
            if options.fail_fast and not _is_ok(result):
                stop.set()
            yield result


def ignore_stop_signals() -> None:
    """Once stopping, further SIGINT/SIGTERM must not cut the clean-up short."""
    # a no-op handler, not SIG_IGN: a signal already pending would then raise
    # "Signal N ignored due to race condition" in the middle of the clean-up
    signal.signal(signal.SIGINT, _no_op)
    signal.signal(signal.SIGTERM, _no_op)


def _no_op(signum: int, frame: FrameType | None) -> None:
    """Swallow a stop signal that arrives during the clean-up."""


# The parent's side


def _run_in_pool(
    tasks: Sequence[Task], jobs: int, listen: Listen | None, detail: bool
) -> Iterator[Outcome]:
    """Run documents in jobs forked workers; yield each result once those before it are out."""
    import multiprocessing
    from multiprocessing.connection import wait

    context = multiprocessing.get_context("fork")
    stop = context.Event()
    fail_fast = tasks[0][2].fail_fast
    todo = iter(range(len(tasks)))
    workers: dict[Connection, BaseProcess] = {}
    results: dict[int, Outcome | None] = {}
    shown = 0
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        for _ in range(min(jobs, len(tasks))):
            mine, theirs = context.Pipe()
            inherited = [*workers, mine]
            wants = (listen is not None, detail)
            process = context.Process(target=_work, args=(theirs, inherited, tasks, stop, wants))
            process.start()
            theirs.close()
            workers[mine] = process
            _hand_out(mine, todo, stop)
        while workers:
            for ready in wait(list(workers)):
                assert not isinstance(ready, int) and ready in workers
                number, outcome = _receive(ready, workers[ready])
                if isinstance(outcome, RunEvent):
                    if listen is not None:
                        listen(number, outcome)
                    continue
                results[number] = outcome
                if outcome is not None:
                    if fail_fast and not _is_ok(outcome):
                        stop.set()
                    if listen is not None:
                        listen(number, DocumentDone())
                if not _hand_out(ready, todo, stop):
                    ready.close()
                    workers.pop(ready).join()
            while shown in results:
                outcome = results.pop(shown)
                shown += 1
                if outcome is not None:
                    yield outcome
    except BaseException:
        # Ctrl-C, SIGTERM or a broken worker: end the others now (each kills its
        # sessions on SIGTERM) instead of waiting for them.
        _end_workers(list(workers.values()))
        raise
    yield from (outcome for _, outcome in sorted(results.items()) if outcome is not None)


def _hand_out(connection: Connection, todo: Iterator[int], stop: StopFlag) -> bool:
    """Send the worker the next task number, or None (it then exits); whether one was sent."""
    number = None if stop.is_set() else next(todo, None)
    connection.send(number)
    return number is not None


def _receive(connection: Connection, process: BaseProcess) -> tuple[int, Outcome | RunEvent | None]:
    """What a worker sent back; a worker that died or failed is a WorkerError."""
    try:
        message: tuple[int, Outcome | RunEvent | None] | str = connection.recv()
    except EOFError:
        process.join()
        code = process.exitcode or 0
        if code < 0:
            raise WorkerError(f"a -j worker was killed by signal {-code}") from None
        raise WorkerError(f"a -j worker exited with status {code}") from None
    if isinstance(message, str):
        raise WorkerError(message)
    return message


def _end_workers(processes: Sequence[BaseProcess]) -> None:
    """Signal the workers, give them time to clean up, then kill and reap them."""
    for process in processes:
        process.terminate()
    deadline = time.monotonic() + _END_GRACE
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()


# A worker's side


class _Worker:
    """A forked worker's state: whether a signal finds it running a document."""

    def __init__(self) -> None:
        self.busy = False
        signal.signal(signal.SIGINT, self.stop)
        signal.signal(signal.SIGTERM, self.stop)

    def stop(self, signum: int, frame: FrameType | None) -> None:
        ignore_stop_signals()
        if self.busy:
            raise _WorkerStopped(signum)  # unwinds run_document, which kills the sessions
        sys.exit(128 + signum)


class _WorkerStopped(BaseException):
    """SIGINT or SIGTERM reached a worker while it ran a document."""


def _work(
    connection: Connection,
    inherited: Sequence[Connection],
    tasks: Sequence[Task],
    stop: StopFlag,
    wants: tuple[bool, bool],
) -> None:
    """A worker: run the tasks it is handed until it is handed None.

    wants: whether to send events as they happen, and whether results' too (detail).
    """
    listening, detail = wants
    worker = _Worker()
    for other in inherited:  # this process's copies of the parent's ends, so EOF reaches workers
        other.close()
    try:
        with Sweeper() as sweeper:
            while (number := connection.recv()) is not None:
                result = None
                if not stop.is_set():
                    path, display, options = tasks[number]
                    worker.busy = True
                    listen = _listener(_sender(connection), number, detail) if listening else None
                    result = run_one(path, display, options, stop, listen, sweeper)
                    worker.busy = False
                connection.send((number, result))
    except _WorkerStopped as stopped:
        sys.exit(128 + int(stopped.args[0]))
    except EOFError:  # the parent is gone
        sys.exit(1)
    except Exception:
        connection.send(traceback.format_exc())
        sys.exit(70)


def _sender(connection: Connection) -> Listen:
    """Send a task's events to the parent as they happen."""

    def send(number: int, event: RunEvent) -> None:
        connection.send((number, event))

    return send
