"""What a terminal shows while documents run (the status line, -v as commands end), -i's
questions, and where escape codes stay out (TERM=dumb).

The end-to-end tests drive a real `python -m txtest` on a pseudo-terminal with
pexpect. Commands that must still be running while the test looks wait for a
file the test creates, so nothing depends on how fast the machine is.
"""

from __future__ import annotations

import io
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pyte
import pytest
from conftest import (
    PASSING,
    RUN_TIMEOUT,
    TXTEST,
    Workspace,
    base_env,
    console,
    kill_leftovers,
    leftovers,
    marker,
)

from txtest.events import BlockDone, CommandDone, CommandStarted, DocumentDone
from txtest.interactive import QUESTION
from txtest.live import LiveView, columns, status_text
from txtest.model import (
    Block,
    BlockResult,
    Command,
    CommandResult,
    CommandRun,
    Location,
    Outcome,
    Span,
)

WIDTH = 200
"""Columns of the test terminals: room for two running documents on the status line."""


@pytest.fixture
def go(ws: Workspace) -> Iterator[Path]:
    """The file waiting commands wait for; made at the end whatever happens, so they end."""
    path = ws.root / "go"
    yield path
    path.touch()


def wait_for(path: Path) -> str:
    """A command that runs until path exists."""
    return f"$ until [ -e {path} ]; do sleep 0.05; done"


def spawn(ws: Workspace, *args: str, env: dict[str, str] | None = None) -> pexpect.spawn:
    """txtest ARGS on a terminal of WIDTH columns (its stdin, stdout and stderr)."""
    child = pexpect.spawn(
        TXTEST[0],
        [*TXTEST[1:], *args],
        cwd=str(ws.root),
        env=base_env(ws.tmpdir, {"TERM": "xterm", **(env or {})}),
        dimensions=(24, WIDTH),
        encoding="utf-8",
        timeout=RUN_TIMEOUT,
    )
    child.logfile_read = io.StringIO()
    return child


def finish(child: pexpect.spawn) -> tuple[int, str]:
    """Read to the end; the exit status and everything txtest wrote to the terminal."""
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus is not None, child.signalstatus
    everything = child.logfile_read.getvalue()
    assert "Traceback" not in everything, everything
    return child.exitstatus, everything


def screen_of(text: str, rows: int = 60) -> list[str]:
    """The lines a terminal shows once text is drawn (trailing blanks dropped)."""
    screen = pyte.Screen(WIDTH, rows)
    pyte.Stream(screen).feed(text)
    lines = [line.rstrip() for line in screen.display]
    while lines and not lines[-1]:
        lines.pop()
    return lines


# -- the status line ------------------------------------------------------------------


def test_status_line_shows_the_running_command_and_its_time_then_leaves_no_trace(
    ws: Workspace, go: Path
) -> None:
    ws.write("slow.md", "# Slow\n\n" + console("$ echo first", "first", wait_for(go)))
    child = spawn(ws, "slow.md")
    seen = ""
    for elapsed in ("1s", "2s"):  # redrawn while the command runs: its time goes up
        child.expect(r"\r\x1b\[K(\[0/1\] slow\.md:6 block 1/1 \$ until [^\r]*) \(" + elapsed)
        seen = child.match.group(1)
    go.touch()
    status, text = finish(child)
    assert status == 0
    assert seen == f"[0/1] slow.md:6 block 1/1 $ until [ -e {go} ]; do sleep 0.05; done"
    # what stays on the screen is the report alone; nothing is drawn after the summary
    assert screen_of(text) == ["slow.md: 1 passed, 0 failed", "1 passed, 0 failed"]
    assert text.rsplit("\x1b[K", 1)[1] == "1 passed, 0 failed\r\n"


def test_status_line_is_cut_to_the_terminal_width(ws: Workspace, go: Path) -> None:
    long_command = "$ : " + "x" * 300 + f"; until [ -e {go} ]; do sleep 0.05; done"
    ws.write("long.md", console(long_command))
    child = spawn(ws, "long.md")
    child.expect(r"\r\x1b\[K(\[0/1\] long\.md:2 [^\r]*)\r")
    drawn = child.match.group(1)
    go.touch()
    status, _ = finish(child)
    assert status == 0
    assert len(drawn) == WIDTH - 1
    assert drawn.endswith("s)")  # the command is shortened, its elapsed time kept
    assert "xxx..." in drawn


def test_with_jobs_the_status_line_shows_every_running_document(ws: Workspace, go: Path) -> None:
    ws.write("a.md", console(wait_for(go)))
    ws.write("b.md", console(wait_for(go)))
    child = spawn(ws, "-j", "2", "a.md", "b.md")
    child.expect(r"\[0/2\] a\.md:2 block 1/1 \$ until [^\r]*\(\d+s\); b\.md:2 block 1/1 \$ until")
    go.touch()
    status, text = finish(child)
    assert status == 0
    assert screen_of(text) == [
        "a.md: 1 passed, 0 failed",
        "b.md: 1 passed, 0 failed",
        "2 passed, 0 failed",
    ]


def test_with_jobs_the_count_goes_on_while_a_document_runs(ws: Workspace, go: Path) -> None:
    ws.write("a.md", console(wait_for(go)))
    for name in "bcde":
        ws.write(f"{name}.md", PASSING)
    child = spawn(ws, "-j", "2", "a.md", "b.md", "c.md", "d.md", "e.md")
    child.expect(r"\r\x1b\[K\[4/5\] a\.md:2 block 1/1 \$ until")
    assert "a.md: " not in child.logfile_read.getvalue(), "the report waits for a.md"
    go.touch()
    status, text = finish(child)
    assert status == 0
    assert screen_of(text) == [
        *(f"{name}.md: 1 passed, 0 failed" for name in "abcde"),
        "5 passed, 0 failed",
    ]


def test_failures_and_notes_are_never_mixed_with_the_status_line(ws: Workspace, go: Path) -> None:
    ws.write("a.md", console("$ echo one", "two"))
    ws.write("b.md", console("output only, no command") + console(wait_for(go)))
    child = spawn(ws, "a.md", "b.md")
    child.expect(r"b\.md:6 block 1/1")
    go.touch()
    status, text = finish(child)
    assert status == 1
    shown = screen_of(text)
    assert shown[9].startswith("b.md:1: note: ")  # on stderr, the same terminal
    assert shown[:9] + shown[10:] == [
        "a.md:2: FAILED",
        "    $ echo one",
        "--- expected",
        "+++ actual",
        "@@ -3 +3 @@",
        "-two",
        "+one",
        "",
        "a.md: 0 passed, 1 failed",
        "b.md: 1 passed, 0 failed",
        "run txtest --update a.md to accept the actual output",
        "1 passed, 1 failed",
    ]


@pytest.mark.parametrize(
    ("args", "env"),
    [(["-q"], {}), ([], {"TERM": "dumb"})],
    ids=["quiet", "TERM=dumb"],
)
def test_no_status_line_when_quiet_or_on_a_dumb_terminal(
    ws: Workspace, args: list[str], env: dict[str, str]
) -> None:
    ran = ws.root / "ran"
    ws.write("f.md", console("$ echo one", "two") + console(f"$ sleep 1.2; touch {ran}"))
    child = spawn(ws, *args, "f.md", env=env)
    status, text = finish(child)
    assert status == 1
    assert ran.exists()
    assert "[0/1]" not in text
    assert "\x1b[K" not in text
    if env:
        assert "\x1b" not in text, "no escape code at all: no status line, no colour"


def test_no_status_line_when_stdout_is_not_a_terminal(ws: Workspace) -> None:
    ws.write("f.md", console("$ sleep 1.2"))
    run = ws.run("f.md")
    assert run.status == 0
    assert run.stdout == "f.md: 1 passed, 0 failed\n1 passed, 0 failed\n"


def test_colour_on_a_terminal_follows_py_colors(ws: Workspace) -> None:
    ws.write("f.md", console("$ echo one", "two"))
    coloured = finish(spawn(ws, "f.md"))[1]
    plain = finish(spawn(ws, "f.md", env={"PY_COLORS": "0"}))[1]
    forced = finish(spawn(ws, "f.md", env={"TERM": "dumb", "PY_COLORS": "1"}))[1]
    assert "\x1b[31m-two" in coloured
    assert "\x1b[31m" not in plain and "-two" in plain
    assert "\x1b[31m-two" in forced
    assert "[0/1]" not in forced, "TERM=dumb: colour as asked, but no status line"


# -- -v as commands end -----------------------------------------------------------------


def test_verbose_prints_each_command_as_it_ends(ws: Workspace, go: Path) -> None:
    ws.write(
        "v.md",
        console("$ echo first", "first", "$ echo second", "wrong")
        + "<!-- txtest: skip -->\n"
        + console("$ echo skipped")
        + console(wait_for(go)),
    )
    process = subprocess.Popen(
        [*TXTEST, "-v", "v.md"],
        cwd=ws.root,
        env=base_env(ws.tmpdir),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    # written while the last command still runs: it waits for go
    early = [process.stdout.readline() for _ in range(9)]
    go.touch()
    rest = process.stdout.read()
    assert process.wait(timeout=RUN_TIMEOUT) == 1
    assert early == [
        "v.md:2: ok $ echo first\n",
        "v.md:4: FAILED $ echo second\n",
        "--- expected\n",
        "+++ actual\n",
        "@@ -5 +5 @@\n",
        "-wrong\n",
        "+second\n",
        "\n",
        "v.md:9: skipped\n",
    ]
    assert rest == (
        f"v.md:14: ok {wait_for(go)}\n"
        "v.md: 1 passed, 1 failed, 1 skipped\n"
        "run txtest --update v.md to accept the actual output\n"
        "1 passed, 1 failed, 1 skipped\n"
    )


# -- -i ---------------------------------------------------------------------------------


def failing_block(text: str) -> str:
    """A block whose command prints text but expects `x`."""
    return console(f"$ echo {text}", "x")


def answer(child: pexpect.spawn, reply: str) -> str:
    """Wait for -i's question, answer it; the failure shown just before the question."""
    child.expect_exact(QUESTION)
    shown = screen_of(child.before + QUESTION)
    assert shown[-1] == QUESTION.rstrip(), "the question stands alone on its line"
    child.sendline(reply)
    return "\n".join(shown)


def test_interactive_writes_the_blocks_answered_yes_and_all_the_rest_after_a(
    ws: Workspace,
) -> None:
    one = ws.write("one.md", failing_block("a1") + failing_block("b1") + failing_block("c1"))
    two = ws.write("two.md", PASSING + failing_block("d1"))
    child = spawn(ws, "-i", "one.md", "two.md")
    first = answer(child, "y")
    assert "one.md:2: FAILED" in first and "+a1" in first
    second = answer(child, "n")
    assert "one.md:7: FAILED" in second and "+b1" in second
    third = answer(child, "a")
    assert "one.md:12: FAILED" in third and "+c1" in third
    status, text = finish(child)  # `a`: two.md's block is accepted without a question
    assert status == 1
    assert text.count(QUESTION) == 3
    assert one.read_text() == failing_block("a1").replace("x", "a1") + failing_block(
        "b1"
    ) + failing_block("c1").replace("x", "c1")
    assert two.read_text() == PASSING + failing_block("d1").replace("x", "d1")
    shown = screen_of(text)
    assert "updated one.md" in shown and "updated two.md" in shown
    assert shown[-1] == "4 passed, 1 failed"


def test_interactive_quit_writes_nothing_more_and_runs_no_more_documents(ws: Workspace) -> None:
    quit_doc = failing_block("q1") + failing_block("q2")
    ws.write("q.md", quit_doc)
    later = ws.write("later.md", console(f"$ touch {ws.root / 'ran'}", "nope"))
    child = spawn(ws, "-i", "q.md", "later.md")
    answer(child, "q")
    status, text = finish(child)
    assert status == 1
    assert text.count(QUESTION) == 1, "no question after q"
    assert (ws.root / "q.md").read_text() == quit_doc
    assert later.read_text() == console(f"$ touch {ws.root / 'ran'}", "nope")
    assert not (ws.root / "ran").exists(), "the next document did not run"
    shown = screen_of(text)
    assert "q.md:7: FAILED" in shown, "the rest of the document is still reported"
    assert not any("later.md" in line for line in shown)
    assert shown[-1] == "0 passed, 2 failed"


def test_interactive_quit_with_jobs_stops_the_documents_still_running(ws: Workspace) -> None:
    number = marker()
    ws.write("q.md", failing_block("q1"))
    ws.write("slow.md", console(f"$ sleep {number}"))
    child = spawn(ws, "-i", "-j", "2", "q.md", "slow.md")
    try:
        answer(child, "q")
        status, text = finish(child)
        assert status == 1
        assert screen_of(text)[-1] == "0 passed, 1 failed"
        assert leftovers(number) == []
    finally:
        kill_leftovers(number)


def test_interactive_end_of_input_is_quit(ws: Workspace) -> None:
    doc = failing_block("e1") + failing_block("e2")
    ws.write("e.md", doc)
    child = spawn(ws, "-i", "e.md")
    child.expect_exact(QUESTION)
    child.sendeof()
    status, text = finish(child)
    assert status == 1
    assert text.count(QUESTION) == 1
    assert (ws.root / "e.md").read_text() == doc


def test_interactive_asks_again_after_an_unknown_answer(ws: Workspace) -> None:
    ws.write("w.md", failing_block("w1"))
    child = spawn(ws, "-i", "w.md")
    answer(child, "maybe")
    answer(child, "yes")
    status, _ = finish(child)
    assert status == 0
    assert (ws.root / "w.md").read_text() == failing_block("w1").replace("x", "w1")


def test_interactive_without_a_terminal_is_a_usage_error(ws: Workspace) -> None:
    doc = failing_block("t1")
    ws.write("t.md", doc)
    run = ws.run("-i", "t.md")  # stdin is /dev/null
    assert run.status == 2
    assert run.stdout == ""
    assert "-i/--interactive asks questions on a terminal, but standard input is not one" in (
        run.stderr
    )
    run.assert_clean()
    assert (ws.root / "t.md").read_text() == doc


def test_interactive_and_update_together_are_a_usage_error(ws: Workspace) -> None:
    ws.write("t.md", failing_block("t1"))
    child = spawn(ws, "-i", "-u", "t.md")
    status, text = finish(child)
    assert status == 2
    assert "choose one of -i and -u" in text


# -- pieces -----------------------------------------------------------------------------


def started(path: str, line: int, source: str, at: float) -> CommandStarted:
    return CommandStarted(Location(path, line), source, 1, 2, at)


def test_status_text_names_each_running_command_with_its_time() -> None:
    running = {0: started("a.md", 3, "make\tall", 10.0), 2: started("c.md", 9, "sleep 1", 12.5)}
    text = status_text(running, 1, 3, now=14.0, width=200)
    assert text == "[1/3] a.md:3 block 1/2 $ make?all (4s); c.md:9 block 1/2 $ sleep 1 (1s)"
    assert status_text({}, 0, 3, now=0.0, width=200) == "[0/3]"
    assert len(status_text(running, 1, 3, now=14.0, width=40)) == 39


def test_status_text_counts_wide_characters_as_two_columns() -> None:
    running = {0: started("日本.md", 1, "echo 日本語のテキスト" * 10, 0.0)}
    text = status_text(running, 0, 1, now=0.0, width=60)
    assert columns(text) <= 59
    assert text.endswith("... (0s)")
    assert columns("日本\u0301a") == 5


def command_done(path: str, line: int) -> CommandDone:
    command = Command(f"echo {line}", Location(path, line), (f"{line}",), Span(line, line + 1))
    return CommandDone(CommandResult(command, CommandRun((f"{line}",)), output_ok=True))


def test_verbose_lines_of_a_later_document_wait_for_its_turn() -> None:
    out = io.StringIO()
    view = LiveView(out, total=2, status=False, verbose=True, color=False)
    with view:
        view.hear(1, command_done("b.md", 2))
        view.hear(0, command_done("a.md", 5))
        block = Block(Location("a.md", 4), ())
        view.hear(0, BlockDone(BlockResult(block, Outcome.SKIPPED)))
        view.hear(0, DocumentDone())
        assert out.getvalue() == "a.md:5: ok $ echo 5\na.md:4: skipped\n"
        view.write(out, "a.md: the document's own lines\n")
        view.reported()
        assert out.getvalue().endswith("a.md: the document's own lines\nb.md:2: ok $ echo 2\n")
        view.hear(1, command_done("b.md", 3))
    assert out.getvalue().endswith("b.md:2: ok $ echo 2\nb.md:3: ok $ echo 3\n")
    assert "\x1b" not in out.getvalue()


def test_verbose_says_nothing_of_commands_that_exit_80_skips(ws: Workspace) -> None:
    ws.write("s.md", console("$ echo a", "a", "$ exit 80", "$ echo never", "never"))
    run = ws.call("-v", "s.md")
    assert run.status == 0
    assert run.stdout == (
        "s.md:2: ok $ echo a\ns.md:1: skipped\ns.md: 0 passed, 0 failed, 1 skipped\n"
        "0 passed, 0 failed, 1 skipped\n"
    )


def test_ctrl_c_erases_the_status_line_before_saying_so(ws: Workspace, go: Path) -> None:
    ws.write("c.md", console(wait_for(go)))
    child = spawn(ws, "c.md")
    child.expect(r"\[0/1\] c\.md:2 block 1/1")
    child.sendintr()
    status, text = finish(child)
    assert status == 130
    assert screen_of(text) == ["txtest: interrupted; every session was stopped"]
