"""The -j pool: forked workers are handed task numbers and send results back, shown in order."""

from __future__ import annotations

import os
import pickle
import signal
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from txtest import pool
from txtest.errors import InputError
from txtest.events import CommandDone, CommandStarted, DocumentDone, Listener, RunEvent
from txtest.model import DocFormat, Document, DocumentResult, Location, RunOptions, StopFlag
from txtest.runner import Sweeper


def fake_tasks(count: int, **options: object) -> list[pool.Task]:
    run = RunOptions(**options)  # type: ignore[arg-type]
    return [(Path(f"doc{i}.md"), f"doc{i}.md", run) for i in range(count)]


def fake_result(path: Path, display: str) -> DocumentResult:
    """What a worker sends back, without running anything: the document named in keep_tmp."""
    return DocumentResult(Document(path, display, DocFormat.MARKDOWN), keep_tmp=display)


def stand_in(behave: Callable[[Path, str], DocumentResult]) -> Callable[..., DocumentResult]:
    """A pool.run_one that runs nothing: behave(path, display) says what it returns."""

    def run_one(
        path: Path,
        display: str,
        options: RunOptions,
        stop: StopFlag | None = None,
        listen: Listener | None = None,
        sweeper: Sweeper | None = None,
    ) -> DocumentResult:
        return behave(path, display)

    return run_one


def results_of(outcomes: Iterable[pool.Outcome]) -> list[DocumentResult]:
    """The results, every document having been read."""
    results = list(outcomes)
    assert all(isinstance(result, DocumentResult) for result in results)
    return [result for result in results if isinstance(result, DocumentResult)]


def no_children_left() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_results_come_in_task_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool, "run_one", stand_in(fake_result))
    tasks = fake_tasks(20_000)
    seen: list[tuple[int, RunEvent]] = []
    results = results_of(pool.run_all(tasks, 3, lambda number, event: seen.append((number, event))))
    assert [result.keep_tmp for result in results] == [f"doc{i}.md" for i in range(20_000)]
    assert sorted(number for number, event in seen) == list(range(20_000))
    assert all(event == DocumentDone() for _, event in seen)
    assert no_children_left()


def test_each_task_runs_once_across_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    def whose(path: Path, display: str) -> DocumentResult:
        return DocumentResult(
            Document(path, display, DocFormat.MARKDOWN), keep_tmp=f"{display} {os.getpid()}"
        )

    monkeypatch.setattr(pool, "run_one", stand_in(whose))
    results = results_of(pool.run_all(fake_tasks(300), 2, None))
    assert [str(result.keep_tmp).split()[0] for result in results] == [
        f"doc{i}.md" for i in range(300)
    ]
    # each worker is handed a document as soon as it starts
    workers = {str(result.keep_tmp).split()[1] for result in results}
    assert str(os.getpid()) not in workers
    assert len(workers) == 2
    assert no_children_left()


def raise_a_bug() -> None:
    raise ZeroDivisionError("a bug in txtest")


def kill_this_worker() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.parametrize(
    ("mishap", "message"),
    [
        (raise_a_bug, "ZeroDivisionError: a bug in txtest"),  # the worker's traceback
        (kill_this_worker, "a -j worker was killed by signal 9"),
    ],
)
def test_a_worker_that_fails_is_reported_and_no_worker_is_left(
    monkeypatch: pytest.MonkeyPatch, mishap: Callable[[], None], message: str
) -> None:
    def unlucky(path: Path, display: str) -> DocumentResult:
        if os.getpid() != parent:  # in a worker
            mishap()
        return fake_result(path, display)

    parent = os.getpid()
    monkeypatch.setattr(pool, "run_one", stand_in(unlucky))
    with pytest.raises(pool.WorkerError, match=message):
        results_of(pool.run_all(fake_tasks(10), 2, None))
    assert no_children_left()


def test_fail_fast_hands_out_nothing_after_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(path: Path, display: str) -> DocumentResult:
        if display == "doc2.md":
            error = InputError("boom", path=display)
            return DocumentResult(Document(path, display, DocFormat.MARKDOWN), error=error)
        return fake_result(path, display)

    monkeypatch.setattr(pool, "run_one", stand_in(failing))
    results = results_of(pool.run_all(fake_tasks(2000, fail_fast=True), 2, None))
    shown = [result.document.display for result in results]
    assert "doc2.md" in shown
    assert len(shown) < 2000
    assert shown == sorted(shown, key=lambda name: int(name[3:-3]))


def test_progress_counts_while_a_long_document_still_runs(tmp_path: Path) -> None:
    # a.md ends only once the progress line has counted the four others
    go, done_marker = tmp_path / "go", tmp_path / "a-done"
    (tmp_path / "a.md").write_text(
        f"```console\n$ for i in $(seq 400); do [ -e {go} ] && break; sleep 0.05; done\n```\n\n"
        f"```console\n$ touch {done_marker}\n```\n"
    )
    for name in "bcde":
        (tmp_path / f"{name}.md").write_text("```console\n$ echo fine\nfine\n```\n")
    calls: list[tuple[int, bool]] = []

    def progress(number: int, event: RunEvent) -> None:
        if not isinstance(event, DocumentDone):
            return
        calls.append((len(calls) + 1, done_marker.exists()))
        if len(calls) == 4:
            go.touch()

    tasks = [(tmp_path / f"{name}.md", f"{name}.md", RunOptions()) for name in "abcde"]
    results = results_of(pool.run_all(tasks, 2, progress))
    assert [result.is_ok for result in results] == [True] * 5
    assert calls == [(1, False), (2, False), (3, False), (4, False), (5, True)]


def test_a_result_crosses_to_the_parent_intact(tmp_path: Path) -> None:
    document = tmp_path / "doc.md"
    document.write_text(
        "<!-- txtest: timeout=5 -->\n"
        "```console\n$ printf 'a\\tb\\n'; exit 3\nsomething else\n```\n\n"
        "```console\n$ echo fine\nfine\n```\n"
    )
    result = pool.run_one(document, "doc.md", RunOptions(), None)
    assert isinstance(result, DocumentResult)
    assert not result.is_ok
    copy = pickle.loads(pickle.dumps(result, pickle.HIGHEST_PROTOCOL))
    assert copy == result
    assert type(copy.blocks[0].commands[0].run) is type(result.blocks[0].commands[0].run)


def test_a_document_that_cannot_be_read_comes_back_as_its_input_error(tmp_path: Path) -> None:
    (tmp_path / "bad.md").write_bytes(b"fine\nbad \xff byte\n")
    (tmp_path / "ok.md").write_text("```console\n$ echo fine\nfine\n```\n")
    tasks = [(tmp_path / name, name, RunOptions()) for name in ("bad.md", "ok.md")]

    bad, ok = list(pool.run_all(tasks, 2))

    assert isinstance(bad, InputError)
    assert bad.location == Location("bad.md", 2)
    assert str(bad).startswith("bad.md:2: error: not valid UTF-8")
    assert isinstance(ok, DocumentResult) and ok.is_ok


@pytest.mark.parametrize("detail", [False, True])
def test_workers_send_what_runs_as_it_runs(tmp_path: Path, detail: bool) -> None:
    for name in "ab":
        (tmp_path / f"{name}.md").write_text("```console\n$ echo one\none\n$ echo two\nx\n```\n")
    tasks = [(tmp_path / f"{name}.md", f"{name}.md", RunOptions()) for name in "ab"]
    heard: list[tuple[int, str]] = []

    def listen(number: int, event: RunEvent) -> None:
        if isinstance(event, CommandStarted):
            heard.append((number, f"started {event.location}"))
        elif isinstance(event, CommandDone):
            heard.append((number, f"done {event.result.command.location} {event.result.is_ok}"))
        else:
            heard.append((number, type(event).__name__))

    results = results_of(pool.run_all(tasks, 2, listen, detail))
    assert [result.document.display for result in results] == ["a.md", "b.md"]
    for number, name in enumerate("ab"):
        expected = [f"started {name}.md:2", f"started {name}.md:4", "DocumentDone"]
        if detail:
            expected[1:1] = [f"done {name}.md:2 True"]
            expected[-1:-1] = [f"done {name}.md:4 False", "BlockDone"]
        assert [what for n, what in heard if n == number] == expected
