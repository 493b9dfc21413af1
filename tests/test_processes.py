"""No process txtest starts outlives it (SPEC §5.4), however the run ends (§8: Ctrl-C is 130).

Every test's commands carry a unique marker (`sleep 31337.NNNNNN`), looked for in
/proc once txtest has exited.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator

import pytest
from conftest import (
    PASSING,
    TXTEST,
    Run,
    Workspace,
    base_env,
    console,
    kill_leftovers,
    leftovers,
    marker,
    wait_for_process,
)


@pytest.fixture
def mark() -> Iterator[str]:
    """A unique marker; whatever still holds it at the end is killed (the test has failed)."""
    text = marker()
    yield text
    kill_leftovers(text)


def daemons(mark: str) -> list[str]:
    """Commands starting processes meant to escape: background jobs, nohup, setsid, forks."""
    return [
        f"$ sleep {mark}1 &",
        f"$ nohup sleep {mark}2 >/dev/null 2>&1 &",
        f"$ setsid sleep {mark}3 >/dev/null 2>&1 &",
        f"$ (setsid sh -c 'sleep {mark}4' </dev/null >/dev/null 2>&1 &)",
        f"$ sh -c 'sleep {mark}5 & exec sleep {mark}6' >/dev/null 2>&1 &",
        f"$ disown -a 2>/dev/null; (trap '' HUP TERM INT; exec sleep {mark}7) &",
        # all seven are running before the document goes on
        f"$ until [ \"$(pgrep -fc '^sleep {mark}[1-7]$')\" -ge 7 ]; do sleep 0.02; done",
    ]


def test_after_success(ws: Workspace, mark: str) -> None:
    ws.write("a.md", console(*daemons(mark), "$ echo done", "done"))
    run = ws.run("a.md")
    assert run.status == 0, run.stdout
    assert leftovers(mark) == []


def test_after_failure(ws: Workspace, mark: str) -> None:
    ws.write("a.md", console(*daemons(mark), "$ false"))
    run = ws.run("a.md")
    assert run.status == 1
    assert leftovers(mark) == []


def test_after_timeout(ws: Workspace, mark: str) -> None:
    ws.write("a.md", console(*daemons(mark), f"$ sleep {mark}9"))
    run = ws.run("--timeout", "1", "a.md")
    assert run.status == 1
    assert "timed out after 1 s" in run.stdout
    assert leftovers(mark) == []


@pytest.mark.parametrize("end", ["kill -9 $$", "exit 3", "exec sleep 0"])
def test_after_the_shell_is_lost(ws: Workspace, mark: str, end: str) -> None:
    ws.write("a.md", console(*daemons(mark), f"$ {end}"))
    ws.write("ok.md", PASSING)
    run = ws.run("a.md", "ok.md")
    assert run.status == 1
    assert run.summary == "1 passed, 1 failed"
    assert leftovers(mark) == []


def test_with_jobs(ws: Workspace, mark: str) -> None:
    ws.write("a.md", console(*daemons(mark + "1")))
    ws.write("b.md", console(*daemons(mark + "2"), "$ false"))
    ws.write("c.md", console(*daemons(mark + "3"), f"$ sleep {mark}9"))
    run = ws.run("-j", "3", "--timeout", "1", "a.md", "b.md", "c.md")
    assert run.status == 1
    assert run.summary == "1 passed, 2 failed"
    assert leftovers(mark) == []


def test_separate_session_and_daemon_in_named_session(ws: Workspace, mark: str) -> None:
    ws.write(
        "a.md",
        console(f"$ sleep {mark}1 &")
        + "<!-- txtest: session=other -->\n"
        + console(f"$ setsid sleep {mark}2 >/dev/null 2>&1 &"),
    )
    run = ws.run("a.md")
    assert run.status == 0, run.stdout
    assert leftovers(mark) == []


def interrupt(ws: Workspace, mark: str, signum: int, *options: str, group: bool) -> Run:
    """Start txtest, wait for its commands to sleep, send signum, and collect what it said."""
    process = subprocess.Popen(
        [*TXTEST, *options, "a.md", "b.md"],
        cwd=ws.root,
        env=base_env(ws.tmpdir),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        wait_for_process(f"sleep {mark}9")
        time.sleep(0.1)
        sent = time.monotonic()
        if group:
            # A terminal's Ctrl-C reaches the whole foreground process group.
            subprocess.run(["kill", f"-{signum}", "--", f"-{process.pid}"], check=False)
        else:
            process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=30)
        return Run(
            process.returncode,
            stdout.decode("utf-8", "replace"),
            stderr.decode("utf-8", "replace"),
            time.monotonic() - sent,
        )
    finally:
        process.kill()
        process.wait()


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("group", [False, True], ids=["process", "group"])
def test_ctrl_c(ws: Workspace, mark: str, jobs: str, group: bool) -> None:
    ws.write("a.md", console(*daemons(mark), f"$ sleep {mark}9"))
    ws.write("b.md", console(f"$ sleep {mark}8 &", f"$ sleep {mark}9"))
    run = interrupt(ws, mark, signal.SIGINT, "-j", jobs, "--timeout", "60", group=group)
    assert run.status == 130, (run.stdout, run.stderr)
    assert run.duration < 10, "interrupted, txtest ends then, not at the timeout"
    run.assert_clean()
    assert "interrupted" in run.stderr
    assert leftovers(mark) == []
    assert ws.temp_left() == []


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_sigterm(ws: Workspace, mark: str, jobs: str) -> None:
    ws.write("a.md", console(*daemons(mark), f"$ sleep {mark}9"))
    ws.write("b.md", PASSING)
    run = interrupt(ws, mark, signal.SIGTERM, "-j", jobs, "--timeout", "60", group=False)
    assert run.status == 128 + signal.SIGTERM, (run.stdout, run.stderr)
    assert run.duration < 10, "stopped, txtest ends then, not at the timeout"
    run.assert_clean()
    assert leftovers(mark) == []
    assert ws.temp_left() == []
