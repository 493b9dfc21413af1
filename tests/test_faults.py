"""Faults a document can cause: each is reported as SPEC §5.4/§8 say, and the next document runs.

Every faulty document is followed, in the same invocation, by `ok.md`, which
must still pass: one document's trouble never spills into the next.
"""

from __future__ import annotations

import shlex
import subprocess
import threading
import time
from pathlib import Path

import pytest
from conftest import (
    PASSING,
    RUN_TIMEOUT,
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


def run_then_ok(ws: Workspace, text: str | bytes, *options: str, name: str = "fault.md") -> Run:
    """Run the faulty document, then a passing one, in one invocation."""
    ws.write(name, text)
    ws.write("ok.md", PASSING)
    return ws.run(*options, name, "ok.md")


def assert_outcome(run: Run, status: int, summary: str) -> None:
    """The run's exit status and summary line, and ok.md after the faulty document passed."""
    assert run.status == status, run.stdout
    assert run.summary == summary
    assert_next_passed(run)


def assert_next_passed(run: Run) -> None:
    """ok.md, after the faulty document, passed."""
    assert "ok.md: 1 passed, 0 failed" in run.lines, run.stdout
    run.assert_clean()


def failure(run: Run, where: str) -> list[str]:
    """The lines of the failure section headed `where: FAILED`, up to its blank line."""
    lines = run.lines
    start = lines.index(f"{where}: FAILED")
    end = lines.index("", start)
    return lines[start + 1 : end]


# -- a lost session -----------------------------------------------------------


def run_timed(ws: Workspace, text: str, mark: str, *options: str) -> tuple[Run, float]:
    """Run the faulty document then ok.md; also return the seconds from the moment a
    process holding mark appeared to the moment the faulty document's report arrived.

    Measured so, the time does not include Python's start-up, which a loaded
    machine can stretch.
    """
    ws.write("fault.md", text)
    ws.write("ok.md", PASSING)
    process = subprocess.Popen(
        [*TXTEST, *options, "fault.md", "ok.md"],
        cwd=ws.root,
        env=base_env(ws.tmpdir),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    arrivals: list[tuple[float, str]] = []

    def read() -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            arrivals.append((time.monotonic(), raw.decode("utf-8", "replace")))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        wait_for_process(mark)
        started = time.monotonic()
        process.wait(timeout=RUN_TIMEOUT)
    finally:
        process.kill()
        reader.join()
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    stderr = process.stderr.read()
    process.stderr.close()
    stdout = "".join(line for _, line in arrivals)
    reported = next(when for when, line in arrivals if line.startswith("fault.md: "))
    run = Run(process.returncode, stdout, stderr.decode("utf-8", "replace"), 0.0)
    return run, reported - started


def test_timeout_kills_the_command_and_says_so(ws: Workspace) -> None:
    mark = marker()
    doc = console(f"$ echo before; sleep {mark}", "before", "$ echo after", "after")
    try:
        run, seconds = run_timed(ws, doc, mark, "--timeout", "1")
        assert run.status == 1
        assert seconds < 10, "the timeout ends the command, not its sleep"
        assert failure(run, "fault.md:2") == [
            f"    $ echo before; sleep {mark}",
            "timed out after 1 s",
            "output so far:",
            "    before",
        ]
        assert failure(run, "fault.md:4") == [
            "    $ echo after",
            "the session was lost earlier: timed out after 1 s",
        ]
        assert run.summary == "1 passed, 1 failed"
        assert_next_passed(run)
        assert leftovers(mark) == []
    finally:
        kill_leftovers(mark)


def test_fractional_timeout_directive(ws: Workspace) -> None:
    mark = marker()
    doc = "<!-- txtest: timeout=0.5 -->\n" + console(f"$ sleep {mark}")
    try:
        run, seconds = run_timed(ws, doc, mark)
        assert run.status == 1
        assert seconds < 10, "the timeout ends the command, not its sleep"
        assert failure(run, "fault.md:3") == [f"    $ sleep {mark}", "timed out after 0.5 s"]
        assert_next_passed(run)
        assert leftovers(mark) == []
    finally:
        kill_leftovers(mark)


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        ("exit 3", "the shell exited with status 3"),
        ("exec true", "the shell exited with status 0"),
        ("kill -9 $$", "the shell was killed by signal 9"),
        ("set -e; false", "the shell exited with status 1"),
    ],
)
def test_lost_shell(ws: Workspace, command: str, reason: str) -> None:
    doc = console(f"$ {command}", "$ echo after", "after") + console("$ echo more", "more")
    run = run_then_ok(ws, doc, "--timeout", "60")
    assert run.status == 1
    assert run.duration < 10, "a lost shell is noticed at once, not at the timeout"
    lines = failure(run, "fault.md:2")
    assert lines[0] == f"    $ {command}"
    assert reason in lines[1], lines
    assert failure(run, "fault.md:3") == [
        "    $ echo after",
        f"the session was lost earlier: {reason}",
    ]
    assert failure(run, "fault.md:8") == [
        "    $ echo more",
        f"the session was lost earlier: {reason}",
    ]
    assert "fault.md: 0 passed, 2 failed" in run.lines
    assert run.summary == "1 passed, 2 failed"
    assert_next_passed(run)


def test_lost_session_does_not_stop_another_session(ws: Workspace) -> None:
    doc = (
        console("$ exit 4")
        + "\n<!-- txtest: session=other -->\n"
        + console("$ echo other", "other")
    )
    run = run_then_ok(ws, doc)
    assert run.status == 1
    assert "fault.md: 1 passed, 1 failed" in run.lines
    assert run.summary == "2 passed, 1 failed"
    assert_next_passed(run)


def test_lost_session_is_not_offered_for_update(ws: Workspace) -> None:
    run = run_then_ok(ws, console("$ exit 3"))
    assert not any(line.startswith("run txtest --update") for line in run.lines)


# -- standard input is empty ----------------------------------------------------


def test_commands_that_read_stdin_end_at_once(ws: Workspace) -> None:
    doc = console(
        '$ read x; echo "read: $? [$x]"',
        "read: 1 []",
        "$ cat",
        "$ wc -c",
        "0",
        '$ head -n 1; echo "head: $?"',
        "head: 0",
    )
    run = run_then_ok(ws, doc, "--timeout", "5")
    assert_outcome(run, 0, "2 passed, 0 failed")


# -- output that looks like the session's own --------------------------------------


def test_output_imitating_prompts(ws: Workspace) -> None:
    doc = console(
        "$ printf 'bash-5.2$ \\n$ \\n$ echo hi\\n> \\n'",
        "bash-5.2$",
        r"\$ (re)",
        r"\$ echo hi (re)",
        ">",
        "$ echo 'abc:0::abc'; echo 'abc:1:2:abc'",
        "abc:0::abc",
        "abc:1:2:abc",
        "$ printf 'deadbeefcafe:0::deadbeefcafe'; echo",
        "deadbeefcafe:0::deadbeefcafe",
        "$ echo after; (exit 3)",
        "after",
        "[3]",
    )
    run = run_then_ok(ws, doc, "--timeout", "5")
    assert_outcome(run, 0, "2 passed, 0 failed")


def test_prompt_variables_reassigned_by_a_command(ws: Workspace) -> None:
    doc = console(
        "$ PS1='fake$ '; PS2='more> '; PROMPT_COMMAND='echo from-prompt-command'",
        "$ echo still",
        "still",
        "$ for i in 1 2",
        "> do echo $i",
        "> done",
        "1",
        "2",
        "$ PS0='ps0 '; export PS1='x'; echo done",
        "done",
        "$ (exit 5)",
        "[5]",
    )
    run = run_then_ok(ws, doc, "--timeout", "5")
    assert run.status == 0, run.stdout
    assert "from-prompt-command" not in run.stdout
    assert run.summary == "2 passed, 0 failed"
    assert_next_passed(run)


@pytest.mark.parametrize(
    "stty",
    [
        ["$ stty echo", "stty: * (glob)", "[1]"],
        ["$ stty echo </dev/tty"],
        ["$ stty sane </dev/tty"],
        ["$ stty raw </dev/tty"],
    ],
    ids=["stdin", "tty", "sane", "raw"],
)
def test_stty_echo_never_shows_the_typed_command(ws: Workspace, stty: list[str]) -> None:
    doc = console(
        *stty,
        "$ echo visible",
        "visible",
        '$ x=1; echo "x is $x"',
        "x is 1",
        "$ cat <<'EOF'",
        "> here",
        "> EOF",
        "here",
    )
    run = run_then_ok(ws, doc, "--timeout", "5")
    assert run.status == 0, run.stdout
    assert_next_passed(run)


def test_the_shell_redirecting_its_own_output(ws: Workspace) -> None:
    doc = console(
        "$ exec 2>/dev/null",
        "$ echo one; echo err >&2",
        "one",
        "err",
        "$ exec >/dev/null",
        "$ echo gone",
        "$ exec >/dev/tty",
        "$ echo back",
        "back",
        "$ exec 2>&-",
        "$ echo still",
        "still",
        "$ exec 1>&-",
        "$ echo closed 2>/dev/null",
        "[1]",
    )
    run = run_then_ok(ws, doc, "--timeout", "5")
    assert run.status == 0, run.stdout
    assert_next_passed(run)


# -- unusual output ---------------------------------------------------------------


def test_invalid_utf8_output_matched_by_esc_line(ws: Workspace) -> None:
    doc = console(
        r"$ printf 'caf\xe9 \xff\xfe\n'",
        r"caf\xe9 \xff\xfe (esc)",
    )
    run = run_then_ok(ws, doc)
    assert run.status == 0, run.stdout
    assert_next_passed(run)


def test_invalid_utf8_output_without_esc_fails_and_is_shown_escaped(ws: Workspace) -> None:
    run = run_then_ok(ws, console(r"$ printf 'a\xffb\n'", "ab"))
    assert run.status == 1
    assert r"+a\xffb (esc)" in run.lines, run.stdout
    assert_next_passed(run)


def test_five_megabyte_line(ws: Workspace) -> None:
    doc = console(
        "$ head -c 5000000 /dev/zero | tr '\\0' a; echo",
        "a{5000000} (re)",
        "$ head -c 5000000 /dev/zero | tr '\\0' b; echo",
        "b*b (glob)",
        "$ head -c 5000000 /dev/zero | tr '\\0' c; echo",
        "c{4999999} (re)",
    )
    run = run_then_ok(ws, doc, "--timeout", "60")
    assert run.status == 1, run.stdout
    lines = failure(run, "fault.md:6")
    assert lines[:4] == [
        "    $ head -c 5000000 /dev/zero | tr '\\0' c; echo",
        "--- expected",
        "+++ actual",
        "@@ -7 +7 @@",
    ]
    assert lines[4] == "-c{4999999} (re)"
    assert lines[5].startswith("+cccc") and lines[5].endswith("chars cut)"), lines[5][-60:]
    assert "fault.md:2: FAILED" not in run.lines
    assert "fault.md:4: FAILED" not in run.lines
    assert_next_passed(run)


def test_background_job(ws: Workspace) -> None:
    mark = marker()
    doc = console(f"$ sleep {mark} &", "$ echo done", "done", "$ jobs -p | wc -l", "1")
    try:
        run = run_then_ok(ws, doc, "--timeout", "5")
        assert run.status == 0, run.stdout
        assert run.summary == "2 passed, 0 failed"
        assert_next_passed(run)
        assert leftovers(mark) == []
    finally:
        kill_leftovers(mark)


def test_background_job_prints_no_job_notice(ws: Workspace) -> None:
    doc = console("$ true & wait", "$ (sleep 0.1; echo late) & wait", "late")
    run = run_then_ok(ws, doc)
    assert run.status == 0, run.stdout
    assert_next_passed(run)


# -- documents ---------------------------------------------------------------------


def test_unterminated_fence_runs(ws: Workspace) -> None:
    run = run_then_ok(ws, "# Doc\n\n```console\n$ echo ran\nran\n$ echo wrong\nright\n")
    assert run.status == 1
    assert failure(run, "fault.md:6") == [
        "    $ echo wrong",
        "--- expected",
        "+++ actual",
        "@@ -7 +7 @@",
        "-right",
        "+wrong",
    ]
    assert_next_passed(run)


def test_document_not_utf8(ws: Workspace) -> None:
    doc = "# Caf\xe9\n\n```console\n$ echo ok\nok\n```\n".encode("latin-1")
    run = run_then_ok(ws, doc, name="latin.md")
    assert run.status == 2
    assert run.stderr.startswith("latin.md:1: error:"), run.stderr
    assert "UTF-8" in run.stderr
    assert run.summary == "1 passed, 0 failed"
    assert "latin.md" not in run.stdout
    assert_next_passed(run)


def test_document_not_utf8_names_the_line(ws: Workspace) -> None:
    doc = "# Title\n\nline\n\n```console\n$ echo \xe9\n```\n".encode("latin-1")
    run = run_then_ok(ws, doc, name="latin.md")
    assert run.status == 2
    assert run.stderr.startswith("latin.md:6: error:"), run.stderr
    assert_next_passed(run)


def test_missing_path(ws: Workspace) -> None:
    ws.write("ok.md", PASSING)
    run = ws.run("missing.md", "ok.md")
    assert run.status == 2
    assert run.stderr.startswith("missing.md: error:"), run.stderr
    assert run.summary == "1 passed, 0 failed"
    assert_next_passed(run)


def test_missing_path_and_failure_exit_2(ws: Workspace) -> None:
    ws.write("bad.md", console("$ false"))
    run = ws.run("bad.md", "missing.md")
    assert run.status == 2
    assert run.summary == "0 passed, 1 failed"


def test_hostile_document_name(ws: Workspace) -> None:
    name = "we ird $(touch pwned); `touch pwned2` x.md"
    folder = "dir $(touch pwned3);"
    doc = console(
        '$ echo "$TESTFILE"',
        name,
        '$ basename "$TESTDIR"',
        folder,
        "$ false",
    )
    ws.write(f"{folder}/{name}", doc)
    ws.write("ok.md", PASSING)
    run = ws.run(f"{folder}/{name}", "ok.md")
    assert run.status == 1
    where = f"{folder}/{name}"
    assert f"{where}:6: FAILED" in run.lines
    assert f"{where}: 0 passed, 1 failed" in run.lines
    assert f"run txtest --update {shlex.quote(where)} to accept the actual output" in run.lines
    assert_next_passed(run)
    made = [path.name for path in ws.root.parent.rglob("pwned*")]
    assert made == []
    assert not Path("pwned").exists()
