"""The Python API (SPEC §12): Shell, Run, check and Mismatch, as a test author uses them."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import TXTEST, base_env, kill_leftovers, leftovers, marker

import txtest
from txtest import Mismatch, Run, Shell


@pytest.fixture
def sh(temp_root: Path) -> Iterator[Shell]:
    with Shell() as shell:
        yield shell


@pytest.fixture
def mark() -> Iterator[str]:
    text = marker()
    yield text
    kill_leftovers(text)


# -- run ---------------------------------------------------------------------


def test_run_keeps_state_and_says_how_it_went(sh: Shell) -> None:
    sh.run("cd /tmp && export X=1")
    result = sh.run("echo $X; false")
    assert result == Run(
        command="echo $X; false",
        output="1\n",
        raw=b"1\n",
        status=1,
        lost=None,
        duration=result.duration,
    )
    assert not result.ok
    assert 0 <= result.duration < 10
    assert sh.run("pwd").output == "/tmp\n"
    assert sh.run("true").ok


def test_run_is_frozen(sh: Shell) -> None:
    result = sh.run("true")
    with pytest.raises(AttributeError):
        result.status = 3  # type: ignore[misc]


def test_a_command_over_several_lines(sh: Shell) -> None:
    result = sh.run("cat <<EOF\none\ntwo\nEOF\nfor i in 1 2; do\n  echo $i\ndone")
    assert result.output == "one\ntwo\n1\n2\n"


def test_output_without_a_final_newline_and_raw_bytes(sh: Shell) -> None:
    result = sh.run(r"printf 'a\r\nb'")
    assert result.output == "a\nb"
    assert result.raw == b"a\r\nb"


def test_term_modes(temp_root: Path) -> None:
    drawn = r"printf 'abc\rX\n\e[31mred\e[0m\n'"
    with Shell() as auto, Shell(term="raw") as raw, Shell(term="strip") as strip:
        assert auto.run(drawn).output == "Xbc\nred\n"
        assert raw.run(drawn).output == "abc\rX\n\x1b[31mred\x1b[0m\n"
        assert strip.run(drawn).output == "abc\rX\nred\n"


def test_the_environment(sh: Shell, tmp_path: Path) -> None:
    result = sh.run('echo "$TXTEST $LC_ALL $TZ $COLUMNS $LINES $PAGER"; pwd; echo "$TESTTMP"')
    assert result.output == f"1 C.UTF-8 UTC 80 24 cat\n{sh.tmp}\n{sh.tmp}\n"
    assert sh.run('echo "$TESTDIR"').output == f"{Path.cwd()}\n"
    home = sh.run('echo "$HOME"; ls -A "$HOME" "$TMPDIR"').output.splitlines()
    assert home[0] != str(sh.tmp) and not home[0].startswith(str(sh.tmp))
    assert sh.run("stty size </dev/tty; [ -t 0 ] || echo stdin-is-not-a-terminal").output == (
        "24 80\nstdin-is-not-a-terminal\n"
    )


def test_env_cwd_and_size(temp_root: Path, tmp_path: Path) -> None:
    with Shell(env={"GREETING": "hi"}, cwd=tmp_path, size=(100, 30)) as sh:
        assert sh.run('echo "$GREETING"; pwd; stty size </dev/tty; echo $COLUMNS').output == (
            f"hi\n{tmp_path}\n30 100\n100\n"
        )
        assert sh.cwd == tmp_path
        assert sh.tmp != tmp_path
    assert tmp_path.is_dir(), "cwd is the caller's and never removed"


def test_cwd_and_tmp(sh: Shell) -> None:
    assert sh.cwd == sh.tmp
    sh.run("mkdir -p a/b && cd a/b")
    assert sh.cwd == sh.tmp / "a" / "b"


def test_a_timeout_loses_the_session_and_restart_starts_afresh(sh: Shell) -> None:
    sh.run("X=kept; echo data > file")
    result = sh.run("echo started; sleep 30", timeout=0.5)
    assert result.status is None
    assert result.lost == "timed out after 0.5 s"
    assert result.output == "started\n"
    assert not result.ok
    later = sh.run("echo never")
    assert later.lost == "the session was lost earlier: timed out after 0.5 s"
    with pytest.raises(RuntimeError, match="restart"):
        _ = sh.cwd
    sh.restart()
    assert sh.run('echo "[$X]"; cat file; pwd').output == f"[]\ndata\n{sh.tmp}\n"


def test_restart_forgets_state_but_keeps_files(sh: Shell) -> None:
    sh.run("cd / && Y=1 && echo kept > $TESTTMP/f")
    sh.restart()
    assert sh.run('echo "[$Y]"; pwd; cat f').output == f"[]\n{sh.tmp}\nkept\n"


def test_the_shell_exiting(sh: Shell) -> None:
    result = sh.run("exit 3")
    assert result.lost == "the shell exited with status 3"
    assert result.status is None


def test_max_output(temp_root: Path) -> None:
    with Shell(max_output=10_000) as sh:
        result = sh.run("seq 100000")
    assert result.lost == "output exceeded 10000"
    assert result.status is None


def test_a_command_waiting_for_the_terminal(sh: Shell) -> None:
    result = sh.run('read -r -p "Name? " name </dev/tty; echo "[$name]"')
    assert result.lost == "waiting for terminal input"
    assert result.output == "Name? []\n"
    assert sh.run("echo next").output == "next\n"


def test_stdin_is_empty(sh: Shell) -> None:
    assert sh.run("cat; read -r x; echo $?").output == "1\n"


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"timeout": 0}, "timeout must be a positive number"),
        ({"term": "fancy"}, "term must be one of auto, render, strip, raw"),
        ({"size": (0, 24)}, "size must be"),
        ({"max_output": 0}, "max_output must be"),
    ],
)
def test_bad_settings(temp_root: Path, arguments: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Shell(**arguments)  # type: ignore[arg-type]
    assert list(temp_root.iterdir()) == []


def test_a_shell_that_does_not_start(temp_root: Path) -> None:
    with pytest.raises(RuntimeError, match="cannot start the shell '/no/such/shell'"):
        Shell(shell="/no/such/shell")
    assert list(temp_root.iterdir()) == []


# -- input and keys ------------------------------------------------------------


def test_input(sh: Shell) -> None:
    result = sh.run('read -r -p "Name? " n; read -r -p "Sure? " y; echo "$n/$y"', input=["Ada", ""])
    assert result.output == "Name? Ada\nSure? \nAda/\n"
    assert result.ok


def test_input_left_unread(sh: Shell) -> None:
    result = sh.run('read -r -p "Name? " n', input=["Ada", "extra"])
    assert result.lost == "1 input item(s) not read"
    assert result.status == 0


def test_input_runs_out(sh: Shell) -> None:
    result = sh.run('read -r a; read -r b; echo "$a+$b"', input=["one"])
    assert result.lost == "waiting for terminal input"
    assert result.output == "one\none+\n"


def test_keys(sh: Shell) -> None:
    result = sh.run('read -r line; echo "[$line]"', keys=["hi", "Space", "there", "Enter"])
    assert result.output == "hi there\n[hi there]\n"


def test_a_password_prompt_does_not_echo(sh: Shell) -> None:
    result = sh.run('read -r -s -p "Password: " p; echo; echo "${#p} chars"', input=["secret"])
    assert result.output == "Password: \n6 chars\n"


def test_input_and_keys_are_sequences(sh: Shell) -> None:
    with pytest.raises(TypeError, match="sequences"):
        sh.run("cat", input="Ada")
    with pytest.raises(ValueError, match="input or keys, not both"):
        sh.run("cat", input=["a"], keys=["b"])


# -- check ---------------------------------------------------------------------


def test_check_passes(sh: Shell) -> None:
    sh.run("X=1")
    sh.check("""
        $ echo $X
        1
        $ printf 'a\\nb\\n'
        a
        ...
        $ echo "ver 1.2.3"
        ver * (glob)
        $ false
        [1]
    """)


def test_check_keeps_state_for_the_next_call(sh: Shell) -> None:
    sh.check("""
    $ cd "$(mktemp -d)" && touch marker
    """)
    assert (sh.cwd / "marker").is_file()


def test_a_mismatch_is_an_assertion_error_with_the_cli_report(sh: Shell) -> None:
    with pytest.raises(Mismatch) as caught:
        sh.check("""
            $ echo one
            two
            $ false
        """)
    line = _line_of("            $ echo one")
    assert isinstance(caught.value, AssertionError)
    assert str(caught.value) == (
        f"tests/test_api.py:{line}: FAILED\n"
        "    $ echo one\n"
        "--- expected\n"
        "+++ actual\n"
        f"@@ -{line + 1} +{line + 1} @@\n"
        "-two\n"
        "+one\n"
        "\n"
        f"tests/test_api.py:{line + 2}: FAILED\n"
        "    $ false\n"
        "exit status: expected 0, got 1"
    )


def test_a_mismatch_reads_as_the_cli_reports_the_same_block(sh: Shell, tmp_path: Path) -> None:
    transcript = "$ echo one\ntwo\n$ printf 'x\\n' (esc)\n$ false\n[2]\n"
    with pytest.raises(Mismatch) as caught:
        sh.check(transcript)
    first = int(str(caught.value).split(":")[1])
    # the same lines at the same line numbers, in a document
    document = tmp_path / "doc.md"
    document.write_text("\n" * (first - 2) + "```console\n" + transcript + "```\n")
    cli = subprocess.run(
        [*TXTEST, "--color", "never", "-q", str(document)],
        env=base_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    expected = cli.stdout.replace(str(document), "tests/test_api.py")
    assert expected.startswith(str(caught.value) + "\n\n"), (expected, str(caught.value))


def test_check_with_a_term_mode(sh: Shell) -> None:
    sh.check("$ printf 'a\\rb\\n'\nb\n")
    sh.check("$ printf 'a\\rb\\n'\na\\rb (esc)\n", term="raw")


def test_check_of_a_lost_session(sh: Shell) -> None:
    with pytest.raises(Mismatch, match="the shell exited with status 4"):
        sh.check("$ exit 4\n")


def test_check_without_commands_or_with_a_bad_pattern(sh: Shell) -> None:
    with pytest.raises(ValueError, match="no `\\$ ` command"):
        sh.check("just text\n")
    with pytest.raises(ValueError, match=r"test_api.py:\d+: error: expected output line"):
        sh.check("$ echo\n[unclosed (re)\n")


# -- the audit log ---------------------------------------------------------------


CLI_LOG_KEYS = {
    "document",
    "session",
    "line",
    "command",
    "output",
    "exit_status",
    "lost",
    "failure",
    "start",
    "duration",
}


def test_log_to_a_path_as_the_cli_writes_it(temp_root: Path, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    with Shell(log=log) as sh:
        sh.run("echo hi")
        line = _line_of('        sh.run("echo hi")')
        sh.check("$ printf '\\377'\n\\xff (no-eol) (esc)\n")
    records = [json.loads(text) for text in log.read_text().splitlines()]
    assert [set(record) for record in records] == [CLI_LOG_KEYS, CLI_LOG_KEYS]
    first, second = records
    assert (first["document"], first["line"], first["command"]) == (
        "tests/test_api.py",
        line,
        "echo hi",
    )
    assert (first["output"], first["exit_status"], first["lost"], first["session"]) == (
        "hi\n",
        0,
        None,
        "",
    )
    assert second["output"].encode("utf-8", "surrogateescape") == b"\xff"


def test_log_to_an_open_file(temp_root: Path, tmp_path: Path) -> None:
    with (tmp_path / "log").open("w") as handle, Shell(log=handle) as sh:
        sh.run("exit 2")
    record = json.loads((tmp_path / "log").read_text())
    assert record["lost"] == "the shell exited with status 2"
    assert record["exit_status"] is None


# -- lifetime ------------------------------------------------------------------------


def test_close_is_idempotent_and_ends_use(temp_root: Path) -> None:
    sh = Shell()
    sh.close()
    sh.close()
    with pytest.raises(RuntimeError, match="closed"):
        sh.run("true")
    assert list(temp_root.iterdir()) == []


def _escaping(mark: str) -> str:
    """Commands leaving processes behind: a background job, a setsid daemon, a double fork."""
    return (
        f"sleep {mark}1 & setsid sleep {mark}2 >/dev/null 2>&1 & "
        f"(setsid sh -c 'sleep {mark}3' </dev/null >/dev/null 2>&1 &); "
        f"until [ \"$(pgrep -fc '^sleep {mark}[1-3]$')\" -ge 3 ]; do sleep 0.02; done"
    )


def test_nothing_left_after_a_normal_exit(temp_root: Path, mark: str) -> None:
    with Shell() as sh:
        assert sh.run(_escaping(mark)).ok
    assert leftovers(mark) == []
    assert list(temp_root.iterdir()) == []


def test_nothing_left_after_an_exception(temp_root: Path, mark: str) -> None:
    with pytest.raises(ZeroDivisionError), Shell() as sh:
        sh.run(_escaping(mark))
        print(1 / 0)
    assert leftovers(mark) == []
    assert list(temp_root.iterdir()) == []


def test_nothing_left_after_garbage_collection(temp_root: Path, mark: str) -> None:
    sh = Shell()
    sh.run(_escaping(mark))
    with pytest.warns(ResourceWarning, match="unclosed txtest Shell"):
        del sh
        import gc

        gc.collect()
    assert leftovers(mark) == []
    assert list(temp_root.iterdir()) == []


INTERRUPTED = """\
from txtest import Shell
with Shell() as sh:
    sh.run({escaping!r})
    print(sh.tmp, flush=True)
    sh.run("sleep {mark}9")
"""


def test_nothing_left_after_ctrl_c(tmp_path: Path, mark: str) -> None:
    script = tmp_path / "script.py"
    script.write_text(INTERRUPTED.format(escaping=_escaping(mark), mark=mark))
    process = subprocess.Popen(
        [sys.executable, str(script)],
        env=base_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        tmp = Path(process.stdout.readline().strip())
        assert tmp.is_dir()
        from conftest import wait_for_process

        wait_for_process(f"sleep {mark}9")
        process.send_signal(2)
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait()
    assert "KeyboardInterrupt" in stderr
    assert leftovers(mark) == []
    assert not tmp.exists()


# -- the package face ----------------------------------------------------------------


def test_the_public_names() -> None:
    assert sorted(txtest.__all__) == ["App", "Mismatch", "Run", "Shell", "Timeout", "__version__"]
    assert issubclass(txtest.Mismatch, AssertionError)
    assert issubclass(txtest.Timeout, TimeoutError)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = txtest.Nope
    assert (Path(txtest.__file__).parent / "py.typed").is_file()


def test_importing_shell_loads_no_engine() -> None:
    code = (
        "import sys; from txtest import Shell; "
        "engine = ('pexpect', 'markdown_it', 'pyte', 'txtest.session'); "
        "print(sorted(name for name in engine if name in sys.modules))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout == "[]\n"


def _line_of(text: str) -> int:
    """The line of this file that is text."""
    lines = Path(__file__).read_text().splitlines()
    return lines.index(text) + 1
