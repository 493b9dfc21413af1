"""The `txtest` command (SPEC §2, §5, §7, §8, §9): what a user sees.

Most tests call the command in this process (`ws.call`, through `cli.run` with
its streams given); a few run a real `python -m txtest` process (`ws.run`) or
one on a terminal, end to end.
"""

from __future__ import annotations

import os
import pty
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PASSING, TXTEST, Run, Workspace, base_env, console, run_txtest

import txtest

ANSI = re.compile(r"\x1b\[[0-9;]*m")

FAILING = """\
# Failing

```console
$ printf 'one\\ntwo\\nfour\\n'
one
two
three
four
$ echo fine
fine
$ (echo oops; exit 2)
```
"""
"""A document with a wrong output (line 4) and a wrong output and status (line 11)."""

FAILING_REPORT = """\
f.md:4: FAILED
    $ printf 'one\\ntwo\\nfour\\n'
--- expected
+++ actual
@@ -5,4 +5,3 @@
 one
 two
-three
 four

f.md:11: FAILED
    $ (echo oops; exit 2)
--- expected
+++ actual
@@ -11,0 +12 @@
+oops
exit status: expected 0, got 2

"""


def documents_shown(run: Run) -> list[str]:
    """The documents whose per-document count line the report holds, in order."""
    counts = re.compile(r"^(.*): [0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$")
    return [match[1] for line in run.lines if (match := counts.match(line))]


# -- --help, --version, bad options ---------------------------------------------------


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help(ws: Workspace, flag: str) -> None:
    run = ws.run(flag)
    assert run.status == 0
    assert run.stdout.startswith("Usage: txtest [OPTIONS] [PATHS]...")
    for option in (
        "--update",
        "--jobs",
        "--fail-fast",
        "-k TEXT",
        "--timeout",
        "--shell",
        "--lang",
        "--workdir",
        "--keep-tmp",
        "--term",
        "--color",
        "--verbose",
        "--quiet",
        "--list",
        "--junit-xml",
        "--version",
    ):
        assert option in run.stdout, option
    assert "passed" not in run.stdout
    run.assert_clean()


def test_version(ws: Workspace) -> None:
    run = ws.run("--version")
    assert run.status == 0
    assert run.stdout == f"txtest, version {txtest.__version__}\n"


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--timeout", "0"], "--timeout"),
        (["--timeout", "abc"], "--timeout"),
        (["-j", "0"], "--jobs"),
        (["--term", "fancy"], "--term"),
        (["--lang", ","], "--lang"),
        (["-v", "-q"], "-v"),
        (["--no-such-option"], "--no-such-option"),
        (["--workdir", "no-such-dir"], "--workdir"),
    ],
)
def test_bad_option(ws: Workspace, args: list[str], complaint: str) -> None:
    ws.write("ok.md", PASSING)
    run = ws.call(*args, "ok.md")
    assert run.status == 2
    assert complaint in run.stderr
    assert run.stdout == ""
    run.assert_clean()


def test_no_path(ws: Workspace) -> None:
    run = ws.call()
    assert run.status == 2
    assert "PATH" in run.stderr
    run.assert_clean()


def test_nonexistent_shell_is_an_input_error(ws: Workspace) -> None:
    ws.write("ok.md", PASSING)
    shell = ws.root / "no-such-shell"
    run = ws.call("--shell", str(shell), "ok.md")
    run.assert_clean()
    assert run.status == 2
    assert run.stderr.startswith(f"ok.md: error: cannot start the shell '{shell}'"), run.stderr
    assert run.summary == "0 passed, 0 failed"


def test_shell_that_does_not_start_is_an_input_error(ws: Workspace) -> None:
    ws.write("ok.md", PASSING)
    run = ws.call("--shell", "/bin/false", "ok.md")
    run.assert_clean()
    assert run.status == 2
    assert run.stderr.startswith("ok.md: error: the shell '/bin/false' did not start"), run.stderr
    assert run.summary == "0 passed, 0 failed"


# -- --list ------------------------------------------------------------------------


def test_list_shows_blocks_and_runs_nothing(ws: Workspace) -> None:
    made = ws.root / "made"
    ws.write(
        "l.md",
        "<!-- txtest\n"
        "$ export KW=1\n"
        "-->\n"
        "\n"
        "<!-- txtest: timeout=5 session=other -->\n"
        "```console\n"
        f"$ for i in 1; do\n"
        f">   touch {made}\n"
        "> done\n"
        "```\n"
        "\n"
        "<!-- txtest: skip -->\n"
        "```console\n"
        "$ echo skipped\n"
        "```\n"
        "\n"
        "```python\n"
        "$ not a command\n"
        "```\n",
    )
    run = ws.call("--list", "l.md")
    assert run.status == 0
    assert run.stdout == (
        "l.md:1: hidden commands\n"
        "  l.md:2: $ export KW=1\n"
        "l.md:6: block [timeout=5 session=other]\n"
        "  l.md:7: $ for i in 1; do\n"
        f"    >   touch {made}\n"
        "    > done\n"
        "l.md:13: block [skip]\n"
        "  l.md:14: $ echo skipped\n"
    )
    assert not made.exists()
    assert ws.temp_left() == []
    run.assert_clean()


def test_list_with_an_input_error(ws: Workspace) -> None:
    ws.write("ok.md", PASSING)
    run = ws.call("--list", "ok.md", "missing.md")
    assert run.status == 2
    assert run.stdout == "ok.md:1: block\n  ok.md:2: $ echo fine\n"
    assert "missing.md: error:" in run.stderr


def test_list_with_a_line_in_no_block(ws: Workspace) -> None:
    ws.write("ok.md", "# Title\n\n" + PASSING)
    run = ws.call("--list", "ok.md:1")
    assert run.status == 2, "a PATH:LINE in no block is an input error, --list or not"
    assert run.stderr.startswith("ok.md:1: error:"), run.stderr
    run.assert_clean()


# -- the report ----------------------------------------------------------------------


def test_failure_display(ws: Workspace) -> None:
    ws.write("f.md", FAILING)
    run = ws.run("f.md")
    assert run.status == 1
    assert run.stdout == FAILING_REPORT + (
        "f.md: 0 passed, 1 failed\n"
        "run txtest --update f.md to accept the actual output\n"
        "0 passed, 1 failed\n"
    )
    assert run.stderr == ""


def test_update_hint_names_every_failing_document_before_the_summary(ws: Workspace) -> None:
    ws.write("b.md", console("$ echo b", "x"))
    ws.write("a.md", console("$ echo a", "x"))
    ws.write("ok.md", PASSING)
    run = ws.call("b.md", "ok.md", "a.md")
    assert run.status == 1
    assert run.lines[-2:] == [
        "run txtest --update b.md a.md to accept the actual output",
        "1 passed, 2 failed",
    ]


@pytest.mark.parametrize("name", ["-dash.md", "it's two.md"])
def test_update_hint_is_a_command_that_works(ws: Workspace, name: str) -> None:
    doc = ws.write(name, console("$ echo new", "old"))
    run = ws.run("--", name)
    assert run.status == 1
    hint = run.lines[-2]
    assert hint.startswith("run txtest ") and hint.endswith(" to accept the actual output")
    words = shlex.split(hint.removeprefix("run ").removesuffix(" to accept the actual output"))
    assert words[:2] == ["txtest", "--update"]
    update = ws.run(*words[1:])
    assert update.status == 0, update.stdout + update.stderr
    assert doc.read_text() == console("$ echo new", "new")


def test_passing_run(ws: Workspace) -> None:
    ws.write("ok.md", PASSING + "\n" + console("$ true"))
    run = ws.run("ok.md")
    assert run.status == 0
    assert run.stdout == "ok.md: 2 passed, 0 failed\n2 passed, 0 failed\n"
    assert run.stderr == ""


def test_document_without_transcripts(ws: Workspace) -> None:
    ws.write("prose.md", "# Nothing to run\n\n```sh\n$ rm -rf /\n```\n")
    run = ws.call("prose.md")
    assert run.status == 0
    assert run.summary == "0 passed, 0 failed"


def test_skipped_blocks_are_counted(ws: Workspace) -> None:
    ws.write("s.md", PASSING + "<!-- txtest: skip -->\n" + console("$ false"))
    run = ws.call("s.md")
    assert run.status == 0
    assert run.summary == "1 passed, 0 failed, 1 skipped"


def test_input_error_wins_over_failure(ws: Workspace) -> None:
    ws.write("bad.md", "<!-- txtest: skp -->\n" + console("$ touch ran"))
    ws.write("f.md", console("$ false"))
    run = ws.call("bad.md", "f.md")
    assert run.status == 2
    assert run.stderr.startswith("bad.md:1: error: unknown directive 'skp'")
    assert run.summary == "0 passed, 1 failed"
    assert "bad.md" not in run.stdout


def test_verbose_a_line_per_command(ws: Workspace) -> None:
    ws.write("f.md", FAILING)
    ws.write("ok.md", "<!-- txtest: skip -->\n" + console("$ echo no") + PASSING)
    run = ws.call("-v", "f.md", "ok.md")
    assert run.status == 1
    assert run.stdout == (
        "f.md:4: FAILED $ printf 'one\\ntwo\\nfour\\n'\n"
        "--- expected\n"
        "+++ actual\n"
        "@@ -5,4 +5,3 @@\n"
        " one\n"
        " two\n"
        "-three\n"
        " four\n"
        "\n"
        "f.md:9: ok $ echo fine\n"
        "f.md:11: FAILED $ (echo oops; exit 2)\n"
        "--- expected\n"
        "+++ actual\n"
        "@@ -11,0 +12 @@\n"
        "+oops\n"
        "exit status: expected 0, got 2\n"
        "\n"
        "f.md: 0 passed, 1 failed\n"
        "ok.md:2: skipped\n"
        "ok.md:7: ok $ echo fine\n"
        "ok.md: 1 passed, 0 failed, 1 skipped\n"
        "run txtest --update f.md to accept the actual output\n"
        "1 passed, 1 failed, 1 skipped\n"
    )


def test_quiet_only_failures_and_summary(ws: Workspace) -> None:
    ws.write("f.md", FAILING)
    ws.write("ok.md", PASSING)
    run = ws.call("-q", "ok.md", "f.md")
    assert run.status == 1
    assert run.stdout == FAILING_REPORT + "1 passed, 1 failed\n"


def test_quiet_passing_run_prints_only_the_summary(ws: Workspace) -> None:
    ws.write("ok.md", PASSING)
    run = ws.call("--quiet", "ok.md")
    assert run.stdout == "1 passed, 0 failed\n"


# -- colour ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "env", "coloured"),
    [
        (["--color", "always"], {}, True),
        (["--color", "never"], {}, False),
        ([], {}, False),
        ([], {"NO_COLOR": "1"}, False),
        ([], {"FORCE_COLOR": "1"}, True),
        ([], {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False),
        ([], {"NO_COLOR": "", "FORCE_COLOR": "1"}, True),
        (["--color", "always"], {"NO_COLOR": "1"}, True),
        (["--color", "never"], {"FORCE_COLOR": "1"}, False),
        # PY_COLORS, as pytest reads it: 1 or 0 decides before NO_COLOR and FORCE_COLOR
        ([], {"PY_COLORS": "1"}, True),
        ([], {"PY_COLORS": "1", "NO_COLOR": "1"}, True),
        ([], {"PY_COLORS": "0", "FORCE_COLOR": "1"}, False),
        ([], {"PY_COLORS": "yes", "NO_COLOR": "1"}, False),
        (["--color", "never"], {"PY_COLORS": "1"}, False),
        (["--color", "always"], {"PY_COLORS": "0"}, True),
    ],
)
def test_color(ws: Workspace, args: list[str], env: dict[str, str], coloured: bool) -> None:
    ws.write("f.md", FAILING)
    run = ws.call(*args, "f.md", env=env)
    assert run.status == 1
    if coloured:
        assert "\x1b[31m-three\x1b[0m" in run.stdout
        assert "\x1b[36m@@ -5,4 +5,3 @@\x1b[0m" in run.stdout
        assert ANSI.sub("", run.stdout).startswith(FAILING_REPORT)
    else:
        assert "\x1b" not in run.stdout
    assert run.summary == "0 passed, 1 failed"


def run_on_a_terminal(ws: Workspace, *args: str, env: dict[str, str]) -> tuple[int, str]:
    """Run txtest with its stdout and stderr on a pseudo-terminal; the status and the text."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [*TXTEST, *args],
        cwd=ws.root,
        env=base_env(ws.tmpdir, {"TERM": "xterm", **env}),
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every writer has gone
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return process.wait(timeout=30), b"".join(chunks).decode("utf-8", "replace")


def shown_lines(text: str) -> list[str]:
    """The lines a terminal ends up showing: `\\r\\x1b[K` clears what came before it."""
    return [line.split("\r\x1b[K")[-1] for line in text.split("\r\n")]


@pytest.mark.parametrize(
    ("args", "env", "coloured"),
    [([], {}, True), ([], {"NO_COLOR": "1"}, False), (["--color", "never"], {}, False)],
    ids=["auto", "NO_COLOR", "never"],
)
def test_color_on_a_terminal(
    ws: Workspace, args: list[str], env: dict[str, str], coloured: bool
) -> None:
    ws.write("f.md", FAILING)
    ws.write("ok.md", PASSING)
    status, text = run_on_a_terminal(ws, *args, "f.md", "ok.md", env=env)
    assert status == 1
    assert ("\x1b[31m-three\x1b[0m" in text) is coloured
    assert ("\x1b[" in text.replace("\r\x1b[K", "")) is coloured
    lines = shown_lines(text)
    assert lines[-2:] == ["1 passed, 1 failed", ""], "the summary is the last line"
    assert not any(line.startswith("[") for line in lines), "the status line is cleared"


# -- selections ------------------------------------------------------------------------


def selection_doc(ws: Workspace) -> Path:
    """Block 1 (lines 1-4) builds state; block 2 (6-11) shows it; block 3 (13-15) touches after."""
    return ws.write(
        "sel.md",
        console("$ STATE=built", "$ touch first")
        + console('$ echo "$STATE"', "built", "$ ls", "first")
        + console(f"$ touch {ws.root / 'after'}"),
    )


def test_select_a_block_by_line(ws: Workspace) -> None:
    selection_doc(ws)
    run = ws.call("-v", "sel.md:8")
    assert run.status == 0, run.stdout
    assert run.lines == [
        'sel.md:7: ok $ echo "$STATE"',
        "sel.md:9: ok $ ls",
        "sel.md: 1 passed, 0 failed",
        "1 passed, 0 failed",
    ]
    assert not (ws.root / "after").exists()


@pytest.mark.parametrize("line", [6, 11])
def test_every_line_of_a_block_selects_it(ws: Workspace, line: int) -> None:
    selection_doc(ws)
    run = ws.call(f"sel.md:{line}")
    assert run.status == 0, run.stdout
    assert run.summary == "1 passed, 0 failed"
    assert not (ws.root / "after").exists()


def test_select_two_blocks(ws: Workspace) -> None:
    selection_doc(ws)
    run = ws.call("sel.md:2", "sel.md:14")
    assert run.status == 0, run.stdout
    assert run.summary == "2 passed, 0 failed"
    assert (ws.root / "after").exists()


def test_failing_block_run_for_state_is_reported(ws: Workspace) -> None:
    ws.write("sel.md", console("$ STATE=built; false") + console('$ echo "$STATE"', "built"))
    run = ws.call("sel.md:7")
    assert run.status == 1
    assert "sel.md:2: FAILED" in run.lines
    assert run.summary == "1 passed, 1 failed"


def test_selection_runs_only_the_selected_session(ws: Workspace) -> None:
    ws.write(
        "sel.md",
        console(f"$ touch {ws.root / 'default-ran'}")
        + "<!-- txtest: session=other -->\n"
        + console("$ echo other", "other"),
    )
    run = ws.call("sel.md:8")
    assert run.status == 0, run.stdout
    assert run.summary == "1 passed, 0 failed"
    assert not (ws.root / "default-ran").exists()


@pytest.mark.parametrize("line", ["1", "9", "99"])
def test_line_in_no_block(ws: Workspace, line: str) -> None:
    ws.write("sel.md", "# Title\n\n" + console("$ echo x", "x") + "\nprose\n\n" + PASSING)
    ws.write("ok.md", PASSING)
    run = ws.call(f"sel.md:{line}", "ok.md")
    assert run.status == 2
    assert run.stderr.startswith(f"sel.md:{line}: error:"), run.stderr
    assert run.summary == "1 passed, 0 failed"
    run.assert_clean()


def test_keyword_selects_blocks_hidden_commands_count(ws: Workspace) -> None:
    ws.write(
        "k.md",
        "<!-- txtest\n$ export NEEDLE=found\n-->\n\n"
        + console("$ echo other", "other")
        + console('$ echo "$NEEDLE"', "found")
        + console(f"$ touch {ws.root / 'after'}"),
    )
    run = ws.call("-v", "-k", "NEEDLE", "k.md")
    assert run.status == 0, run.stdout
    assert run.lines == [
        "k.md:2: ok $ export NEEDLE=found",
        'k.md:11: ok $ echo "$NEEDLE"',
        "k.md: 2 passed, 0 failed",
        "2 passed, 0 failed",
    ]
    assert not (ws.root / "after").exists()


def test_keyword_is_case_sensitive(ws: Workspace) -> None:
    ws.write("k.md", console("$ echo needle", "needle"))
    assert ws.call("-k", "NEEDLE", "k.md").summary == "0 passed, 0 failed"
    assert ws.call("-k", "needle", "k.md").summary == "1 passed, 0 failed"


# -- fail fast -----------------------------------------------------------------------


def test_fail_fast_starts_no_later_document(ws: Workspace) -> None:
    ws.write("a.md", console("$ false"))
    ws.write("b.md", console(f"$ touch {ws.root / 'b-ran'}"))
    ws.write("c.md", PASSING)
    run = ws.call("-x", "a.md", "b.md", "c.md")
    assert run.status == 1
    assert run.summary == "0 passed, 1 failed"
    assert documents_shown(run) == ["a.md"]
    assert not (ws.root / "b-ran").exists()


def test_fail_fast_starts_no_later_block(ws: Workspace) -> None:
    # A long output makes the comparison slow, so the next block has time to start.
    ws.write(
        "a.md",
        console("$ seq 20000; false") + console(f"$ touch {ws.root / 'next-block-ran'}"),
    )
    run = ws.call("-x", "a.md")
    assert run.status == 1
    assert run.summary == "0 passed, 1 failed"
    assert not (ws.root / "next-block-ran").exists(), "the block after the failure was run"


def test_fail_fast_with_jobs(ws: Workspace) -> None:
    ws.write("a.md", console("$ false"))
    ws.write("b.md", console("$ sleep 0.5"))
    for name in ("c", "d", "e"):
        ws.write(f"{name}.md", console(f"$ touch {ws.root / name}-ran"))
    run = ws.run("-x", "-j", "2", "a.md", "b.md", "c.md", "d.md", "e.md")
    assert run.status == 1
    assert re.fullmatch(r"[01] passed, 1 failed", run.summary), run.summary
    assert [path.name for path in ws.root.glob("*-ran")] == []


def test_without_fail_fast_everything_runs(ws: Workspace) -> None:
    ws.write("a.md", console("$ false") + console(f"$ touch {ws.root / 'a-ran'}"))
    ws.write("b.md", console(f"$ touch {ws.root / 'b-ran'}"))
    run = ws.call("a.md", "b.md")
    assert run.summary == "2 passed, 1 failed"
    assert (ws.root / "a-ran").exists() and (ws.root / "b-ran").exists()


# -- terminal modes, --lang, --shell -------------------------------------------------------

COLOURED = "$ printf '\\033[31mred\\033[0m plain\\n'"


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("raw", r"\x1b[31mred\x1b[0m plain (esc)"),
        ("strip", "red plain"),
        ("render", "red plain"),
        ("auto", "red plain"),
    ],
)
def test_term_modes(ws: Workspace, mode: str, expected: str) -> None:
    ws.write("t.md", console(COLOURED, expected))
    run = ws.call("--term", mode, "t.md")
    assert run.status == 0, run.stdout
    assert run.summary == "1 passed, 0 failed"


def test_term_raw_keeps_the_escapes(ws: Workspace) -> None:
    ws.write("t.md", console(COLOURED, "red plain"))
    run = ws.call("--term", "raw", "t.md")
    assert run.status == 1
    assert r"+\x1b[31mred\x1b[0m plain (esc)" in run.lines


def test_term_strip_keeps_carriage_returns(ws: Workspace) -> None:
    doc = console("$ printf 'old\\rnew\\n'", "new")
    ws.write("t.md", doc)
    assert ws.call("--term", "render", "t.md").status == 0
    assert ws.call("--term", "strip", "t.md").status == 1


def test_lang_replaces_the_info_words(ws: Workspace) -> None:
    ws.write(
        "l.md",
        console("$ echo one", "one", info="shell")
        + console("$ echo two", "two", info="Example extra words")
        + console("$ false", info="console"),
    )
    run = ws.call("--lang", "shell,example", "l.md")
    assert run.status == 0, run.stdout
    assert run.summary == "2 passed, 0 failed"
    assert ws.call("l.md").summary == "0 passed, 1 failed"


def test_shell_option(ws: Workspace) -> None:
    ws.write("s.md", console('$ echo "$BASH"', "/bin/bash"))
    run = ws.call("--shell", "/bin/bash", "s.md")
    assert run.status == 0, run.stdout


# -- work dir, temporary files --------------------------------------------------------------


def test_workdir(ws: Workspace) -> None:
    workdir = ws.root / "wd"
    workdir.mkdir()
    (workdir / "existing").write_text("mine\n")
    ws.write(
        "w.md",
        console(
            "$ pwd",
            str(workdir.resolve()),
            "$ cat existing",
            "mine",
            "$ touch made-here",
            '$ [ "$TESTTMP" != "$PWD" ] && echo different',
            "different",
            '$ ls -A "$TESTTMP" | wc -l',
            "0",
        ),
    )
    run = ws.call("--workdir", "wd", "w.md")
    assert run.status == 0, run.stdout
    assert sorted(path.name for path in workdir.iterdir()) == ["existing", "made-here"]
    assert ws.temp_left() == []


def test_keep_tmp(ws: Workspace) -> None:
    ws.write("k.md", console('$ touch kept; echo "$TESTTMP"', "*/tmp (glob)"))
    run = ws.run("--keep-tmp", "k.md")
    assert run.status == 0, run.stdout
    kept = [line for line in run.lines if line.startswith("k.md: kept work dir ")]
    assert len(kept) == 1, run.stdout
    where = Path(kept[0].removeprefix("k.md: kept work dir "))
    assert (where / "kept").is_file()
    assert ws.tmpdir in where.parents
    assert run.summary == "1 passed, 0 failed"


@pytest.mark.parametrize(
    ("doc", "args"),
    [
        (PASSING, []),
        (console("$ false"), []),
        (console("$ sleep 5"), ["--timeout", "0.5"]),
        (console("$ exit 3"), []),
        (console('$ mkdir locked; touch locked/f; chmod 000 locked "$HOME"'), []),
        (PASSING, ["-j", "2"]),
    ],
    ids=["pass", "fail", "timeout", "lost", "unwritable", "jobs"],
)
def test_nothing_left_in_the_temporary_area(ws: Workspace, doc: str, args: list[str]) -> None:
    ws.write("a.md", doc)
    ws.write("b.md", doc)
    run = ws.call(*args, "a.md", "b.md")
    assert run.status in (0, 1)
    assert ws.temp_left() == []


# -- the session ---------------------------------------------------------------------


def test_environment(ws: Workspace, tmp_path: Path) -> None:
    user_home = tmp_path / "userhome"
    user_home.mkdir()
    (user_home / ".bashrc").write_text("echo BASHRC-READ\n")
    ws.write(
        "docs/env.md",
        console(
            "$ echo $?",
            "0",
            '$ echo "$TXTEST|$TESTFILE|$LC_ALL|$TZ|$COLUMNS|$LINES|$PAGER|$GIT_PAGER"',
            "1|env.md|C.UTF-8|UTC|80|24|cat|cat",
            '$ echo "$TESTDIR"',
            str((ws.root / "docs").resolve()),
            '$ [ "$PWD" = "$TESTTMP" ] && echo starts-in-testtmp',
            "starts-in-testtmp",
            '$ case "$TESTTMP" in ' + str(ws.tmpdir.resolve()) + "/*) echo in-tmpdir;; esac",
            "in-tmpdir",
            '$ ls -A "$HOME" | wc -l',
            "0",
            '$ case "$HOME/" in "$TESTTMP"/*) echo inside;; *) echo outside;; esac',
            "outside",
            f'$ [ "$HOME" != {user_home} ] && echo own-home',
            "own-home",
            '$ echo "$CALLER_VAR"',
            "passed through",
            '$ echo "[$PROMPT_COMMAND]"; case "$PS1" in CALLER*) echo caller-ps1;; esac',
            "[]",
        ),
    )
    env = {
        "HOME": str(user_home),
        "CALLER_VAR": "passed through",
        "PS1": "CALLER> ",
        "PS2": "CALLER2> ",
        "PROMPT_COMMAND": "echo CALLER-PROMPT-COMMAND",
        "LC_ALL": "fr_FR.ISO-8859-1",
        "TZ": "Europe/Paris",
    }
    run = ws.run("docs/env.md", env=env)
    assert run.status == 0, run.stdout
    assert "BASHRC-READ" not in run.stdout
    assert "CALLER" not in run.stdout


def test_quiet_terminal(ws: Workspace) -> None:
    ws.write(
        "q.md",
        console(
            "$ echo !! 'a!b' \"c!d\"",
            "!! a!b c!d",
            "$ true",
            "$ echo !$",
            "!$",
            "$ [ -t 1 ] && [ -t 2 ] && echo tty",
            "tty",
            "$ stty size </dev/tty",
            "24 80",
            "$ echo err >&2",
            "err",
            "$ touch b a c; ls",
            "a  b  c",
            "$ echo $-  | grep -c m",
            "0",
            "[1]",
        ),
    )
    run = ws.call("q.md")
    assert run.status == 0, run.stdout


def test_state_persists_across_blocks(ws: Workspace) -> None:
    ws.write(
        "p.md",
        console(
            '$ X=kept; greet() { echo "hello $1"; }',
            "$ alias hi='echo alias-works'",
            "$ mkdir sub && cd sub",
            "$ set -o pipefail; shopt -s nullglob",
        )
        + "Prose between blocks.\n\n"
        + "<!-- txtest\n$ Y=hidden\n-->\n\n"
        + console(
            '$ echo "$X $Y"',
            "kept hidden",
            "$ greet you",
            "hello you",
            "$ hi",
            "alias-works",
            "$ basename $PWD",
            "sub",
            "$ false | true",
            "[1]",
            "$ echo none*",
            "",
        ),
    )
    run = ws.call("p.md")
    assert run.status == 0, run.stdout
    assert run.summary == "3 passed, 0 failed"


def test_documents_do_not_share_a_session(ws: Workspace) -> None:
    ws.write("a.md", console("$ export SHARED=1; f() { :; }; cd /; (exit 7)", "[7]"))
    ws.write(
        "b.md",
        console(
            '$ echo "[${SHARED-unset}] $?"',
            "[unset] 0",
            "$ type f >/dev/null 2>&1 || echo no-function",
            "no-function",
            '$ [ "$PWD" = "$TESTTMP" ] && echo fresh',
            "fresh",
        ),
    )
    run = ws.call("a.md", "b.md")
    assert run.status == 0, run.stdout
    assert run.summary == "2 passed, 0 failed"


# -- jobs ---------------------------------------------------------------------------------


def jobs_docs(ws: Workspace) -> list[str]:
    """Documents that finish in another order than given, with failures to report."""
    ws.write("a.md", console("$ sleep 0.6; echo slow", "fast"))
    ws.write("b.md", console("$ echo quick", "slow") + console("$ (exit 3)"))
    ws.write("c.md", PASSING)
    ws.write("d.md", console("$ exit 4", "$ echo never"))
    ws.write("e.md", "<!-- txtest: skip -->\n" + console("$ sleep 0.3") + PASSING)
    return ["a.md", "b.md", "c.md", "d.md", "e.md"]


@pytest.mark.parametrize("verbosity", [[], ["-v"]], ids=["normal", "verbose"])
def test_jobs_report_same_as_sequential(ws: Workspace, verbosity: list[str]) -> None:
    names = jobs_docs(ws)
    one = ws.run("-j", "1", *verbosity, *names)
    assert one.status == 1
    assert documents_shown(one) == names
    assert one.summary == "2 passed, 4 failed, 1 skipped"
    for jobs in ("2", "3"):
        many = ws.run("-j", jobs, *verbosity, *names)
        assert (many.status, many.stdout, many.stderr) == (one.status, one.stdout, one.stderr)


def test_jobs_auto(ws: Workspace) -> None:
    ws.write("a.md", PASSING)
    ws.write("b.md", PASSING)
    run = ws.run("-j", "auto", "a.md", "b.md")
    assert run.status == 0, run.stdout + run.stderr
    assert run.summary == "2 passed, 0 failed"


def test_python_m_is_the_txtest_command(ws: Workspace) -> None:
    script = Path(sys.executable).with_name("txtest")
    assert script.exists()
    ws.write("f.md", FAILING)
    module = ws.call("f.md", "missing.md")
    completed = subprocess.run(
        [str(script), "f.md", "missing.md"],
        cwd=ws.root,
        env=base_env(ws.tmpdir),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert (completed.returncode, completed.stdout, completed.stderr) == (
        module.status,
        module.stdout,
        module.stderr,
    )
    assert module.status == 2


# -- cram, directories ---------------------------------------------------------------------

CRAM = """\
A cram test: comments at the left margin, the transcript indented by two spaces.

  $ echo "$LANG $LC_ALL $LANGUAGE $TZ [$CDPATH] [$GREP_OPTIONS]"
  C C C GMT [] []
  $ touch b a c
  $ ls
  a
  b
  c
  $ [ -t 1 ] && echo tty || echo pipe
  pipe
  $ case "$TESTTMP" in "$CRAMTMP"/*) echo inside;; esac
  inside
  $ echo "$TESTSHELL $TESTFILE"
  /bin/bash c.t
  $ false
  [1]
  $ printf 'x\\n\\ny\\n'
  x
\x20\x20
  y

A second block, same session:

  $ ls | wc -l
  3
"""


def test_cram_file(ws: Workspace) -> None:
    ws.write("c.t", CRAM)
    run = ws.call("--shell", "/bin/bash", "c.t")
    assert run.status == 0, run.stdout
    assert run.summary == "2 passed, 0 failed"


def test_cram_output_is_exact(ws: Workspace) -> None:
    ws.write("c.t", "Blank lines count:\n\n  $ printf 'x\\n\\n'\n  x\n")
    run = ws.call("c.t")
    assert run.status == 1
    assert "c.t:3: FAILED" in run.lines


def test_directory_argument(ws: Workspace) -> None:
    cram = "  $ echo ok\n  ok\n"
    for name in (
        "docs/a.md",
        "docs/b.markdown",
        "docs/c.t",
        "docs/sub/build.md",
        "docs/sub/deeper/d.md",
        "docs/.hidden/x.md",
        "docs/node_modules/x.md",
        "docs/.venv/x.md",
        "docs/venv/x.md",
        "docs/__pycache__/x.md",
        "docs/build/x.md",
        "docs/dist/x.md",
        "docs/sub/dist/x.md",
        "docs/notes.txt",
        "docs/script.sh",
    ):
        ws.write(name, cram if name.endswith(".t") else PASSING)
    run = ws.call("docs")
    assert run.status == 0, run.stdout
    assert documents_shown(run) == [
        "docs/a.md",
        "docs/b.markdown",
        "docs/c.t",
        "docs/sub/build.md",
        "docs/sub/deeper/d.md",
    ]
    assert run.summary == "5 passed, 0 failed"


def test_any_file_named_is_markdown(ws: Workspace) -> None:
    ws.write("notes.txt", PASSING)
    run = ws.call("notes.txt")
    assert run.status == 0
    assert run.summary == "1 passed, 0 failed"


def test_duplicate_arguments_run_once(ws: Workspace) -> None:
    ws.write("docs/a.md", PASSING)
    run = ws.call("docs", "docs/a.md", "docs/a.md")
    assert documents_shown(run) == ["docs/a.md"]
    assert run.summary == "1 passed, 0 failed"


def test_whole_document_and_a_line_of_it_run_the_whole_document(ws: Workspace) -> None:
    selection_doc(ws)
    run = ws.call("sel.md", "sel.md:2")
    assert (ws.root / "after").exists(), "naming the document runs all of it"
    assert run.summary == "3 passed, 0 failed"


def test_run_from_another_directory(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text(console('$ basename "$TESTDIR"', "docs"))
    run = run_txtest(docs / "a.md", cwd=tmp_path.parent)
    assert run.status == 0, run.stdout
    assert documents_shown(run) == [str(docs / "a.md")]


def test_a_reader_that_goes_away_gets_no_traceback(ws: Workspace) -> None:
    """`txtest ... | head`: the report's reader leaves early; txtest ends quietly."""
    # a report far longer than a pipe holds, so txtest is still writing when it closes
    ws.write("flood.md", console(*["$ echo actual", "expected"] * 2000))
    process = subprocess.Popen(
        [*TXTEST, "flood.md"],
        cwd=ws.root,
        env=base_env(ws.tmpdir, None),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline() == b"flood.md:2: FAILED\n"
    process.stdout.close()
    errors = process.stderr.read().decode()
    assert process.wait(timeout=60) in (1, 128 + signal.SIGPIPE)
    assert "Traceback" not in errors and "BrokenPipe" not in errors, errors


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_every_work_area_is_gone_when_txtest_ends(ws: Workspace, jobs: str) -> None:
    """Work areas may be removed while the next document runs, but never outlive the run."""
    names = [f"d{number}.md" for number in range(6)]
    for name in names:
        ws.write(name, console('$ touch here "$HOME/dot" "$TMPDIR/t"; mkdir -p a/b/c'))
    run = ws.run("-j", jobs, *names)
    assert run.summary == "6 passed, 0 failed"
    assert ws.temp_left() == []
