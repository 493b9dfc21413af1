"""The bash session: what a command's output and status look like from the outside."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from txtest.keys import Typist, strokes
from txtest.processes import descendants
from txtest.prompt import strip_own_trace
from txtest.protocol import ansi_c_quote, might_be_unfinished, parses_to_its_end
from txtest.session import DEFAULT_SIZE, Event, Job, RawRun, Session
from txtest.shell_syntax import incomplete


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "PS1": "caller$ ", "PROMPT_COMMAND": "echo leak"}
    with Session("bash", env, tmp_path, tmp_path / "control") as started:
        yield started


def run(session: Session, *commands: str, timeout: float = 10) -> list[RawRun]:
    return list(session.run([Job(command, timeout) for command in commands]))


def test_output_and_status_of_each_command(session: Session) -> None:
    runs = run(session, "echo hi", "false", "echo $?", "printf abc")
    assert [(r.output, r.exit_status) for r in runs] == [
        (b"hi\n", 0),
        (b"", 1),
        (b"1\n", 0),
        (b"abc", 0),
    ]


def test_status_is_zero_before_the_first_command(session: Session) -> None:
    assert run(session, "echo $?")[0].output == b"0\n"


def test_state_persists_between_runs(session: Session) -> None:
    run(session, "x=1; f() { echo f$x; }; alias hello='echo hello'; cd /")
    assert [r.output for r in run(session, "f", "hello", "pwd")] == [b"f1\n", b"hello\n", b"/\n"]


def test_declare_makes_a_global_variable(session: Session) -> None:
    run(session, "declare -i n=4")
    assert run(session, "echo $n")[0].output == b"4\n"


def test_heredocs_loops_and_quoted_newlines(session: Session) -> None:
    runs = run(
        session, "cat <<EOF\na\n  b\nEOF", "for i in 1 2; do\n  echo $i\ndone", "echo 'x\ny'"
    )
    assert [r.output for r in runs] == [b"a\n  b\n", b"1\n2\n", b"x\ny\n"]


def test_stdin_is_empty(session: Session) -> None:
    runs = run(session, "cat", "read x; echo $?")
    assert [r.output for r in runs] == [b"", b"1\n"]


def test_history_expansion_is_off(session: Session) -> None:
    assert run(session, "echo hi!!")[0].output == b"hi!!\n"


def test_a_command_longer_than_the_tty_line_limit(session: Session) -> None:
    word = "x" * 10_000
    assert run(session, f"echo {word} | wc -c")[0].output.strip() == b"10001"


def test_control_bytes_in_a_command_reach_bash_literally(session: Session) -> None:
    assert run(session, "printf '%s' '\x03\x04\x15' | od -An -tx1")[0].output.split() == [
        b"03",
        b"04",
        b"15",
    ]


def test_caller_prompt_settings_are_not_used(session: Session) -> None:
    runs = run(session, "echo one", "echo two")
    assert [r.output for r in runs] == [b"one\n", b"two\n"]


def test_reassigned_prompt_and_prompt_command(session: Session) -> None:
    runs = run(session, "PS1='$ '; PROMPT_COMMAND='echo leak'; PS2='> '", "echo after")
    assert [(r.output, r.exit_status) for r in runs] == [(b"", 0), (b"after\n", 0)]


def test_echo_stays_off(session: Session) -> None:
    runs = run(session, "stty echo </dev/tty", "echo visible")
    assert runs[1].output == b"visible\n"


def test_output_that_imitates_a_prompt(session: Session) -> None:
    runs = run(session, "echo 'bash-5.2$ '; printf 'abc:0::abc'", "echo next")
    assert [r.output for r in runs] == [b"bash-5.2$ \nabc:0::abc", b"next\n"]


def test_background_job_notice_is_not_output(session: Session) -> None:
    runs = run(session, "sleep 30 &", "echo $!")
    assert runs[0].output == b""
    assert runs[1].output.strip().isdigit()


def test_set_e_ends_the_session_at_a_failing_command(session: Session) -> None:
    runs = run(session, "set -e", "! false", "echo still here", "false", "echo never")
    assert [r.output for r in runs[:3]] == [b"", b"", b"still here\n"]
    assert runs[3].lost == "the shell exited with status 1"
    assert runs[4].lost == "the session was lost earlier: the shell exited with status 1"


def test_own_trace_lines_are_hidden_under_set_x(session: Session) -> None:
    runs = run(session, "set -x", "echo traced", "set +x", "echo plain")
    assert b"__txtest" not in b"".join(r.output for r in runs)
    assert runs[1].output.endswith(b"echo traced\ntraced\n")
    assert runs[3].output == b"plain\n"


def test_stderr_redirected_for_good_does_not_hide_the_prompt(session: Session) -> None:
    runs = run(session, "exec 2>/dev/null", "echo out; echo err >&2")
    assert runs[1].output == b"out\nerr\n"


def test_timeout_loses_the_session(session: Session) -> None:
    runs = run(session, "echo started; sleep 30", "echo after", timeout=0.5)
    assert runs[0].lost == "timed out after 0.5 s"
    assert runs[0].output == b"started\n"
    assert runs[0].exit_status is None
    assert runs[1].lost == "the session was lost earlier: timed out after 0.5 s"


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        ("exit 3", "the shell exited with status 3"),
        ("exec true", "the shell exited with status 0"),
        ("kill -9 $$", "the shell was killed by signal 9"),
    ],
)
def test_a_lost_shell_says_how(session: Session, command: str, reason: str) -> None:
    assert run(session, command)[0].lost == reason


def test_history_is_not_written(session: Session, tmp_path: Path) -> None:
    run(session, "echo remember me", "history -a 2>/dev/null; true")
    session.close()
    assert not (tmp_path / "home" / ".bash_history").exists()


def test_cwd_follows_cd(session: Session, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    run(session, "cd sub")
    assert session.cwd() == tmp_path / "sub"


def test_close_kills_background_jobs(tmp_path: Path) -> None:
    with Session("bash", dict(os.environ), tmp_path, tmp_path / "c") as started:
        run(started, "sleep 300 & sleep 301 &")
        children = descendants(started.pid)
        assert len(children) == 2
    assert _gone_soon(children)


def test_pipe_mode_output_is_not_a_terminal(tmp_path: Path) -> None:
    with Session("bash", dict(os.environ), tmp_path, tmp_path / "c", output_pipe=True) as piped:
        runs = run(piped, "[ -t 1 ] && echo tty || echo pipe", "echo err >&2; echo out", "exit 4")
    assert [r.output for r in runs[:2]] == [b"pipe\n", b"err\nout\n"]
    assert runs[2].lost == "the shell exited with status 4"


def test_large_output_arrives_whole(session: Session) -> None:
    output = run(session, "seq 1 200000")[0].output
    assert output == subprocess.run(["seq", "1", "200000"], capture_output=True).stdout


@settings(max_examples=50, deadline=None)
@given(st.binary(min_size=1, max_size=64).filter(lambda data: b"\0" not in data))
def test_ansi_c_quote_round_trips_through_bash(data: bytes) -> None:
    quoted = ansi_c_quote(data)
    assert all(0x20 <= byte < 0x7F for byte in quoted) and b"!" not in quoted
    printed = subprocess.run(
        ["bash", "--norc", "-c", b"printf %s " + quoted], capture_output=True, check=True
    )
    assert printed.stdout == data


def test_strip_own_trace_keeps_the_user_trace() -> None:
    fin = (
        b"+ __txtest_fin 1\n+ __txtest_s=1\n+ PS1=x\n+ PS2=\n+ PS0=\n"
        b"+ PROMPT_COMMAND=\n+ [[ -t 2 ]]\n"
    )
    after_zero = (
        b"+ POSIXLY_CORRECT=y\n+ eval '\\__txtest_ret 0\n(( 1 ))'\n++ __txtest_ret 0\n"
        b"++ unset POSIXLY_CORRECT\n++ __txtest_s=\n++ PS1=x\n++ (( 0 == 0 ))\n++ (( 1 ))\nhi\n"
    )
    after_one = (
        b"+ POSIXLY_CORRECT=y\n+ eval '\\__txtest_ret 1 && ((1))\nreturn 3'\n++ __txtest_ret 1\n"
        b"++ unset POSIXLY_CORRECT\n++ __txtest_s=\n++ PS1=x\n++ (( 1 == 0 ))\n"
        b"++ POSIXLY_CORRECT=y\n++ __txtest_status 1\n++ return 1\n++ return 3\n"
    )
    assert strip_own_trace(after_zero + fin) == b"++ (( 1 ))\nhi\n"
    assert strip_own_trace(after_one + fin) == b"++ return 3\n"


def test_own_trace_is_hidden_for_a_long_command_too(session: Session) -> None:
    long = "echo " + "y" * 3000
    runs = run(session, "set -x", long, "set +x")
    assert runs[1].output == b"++ " + long.encode() + b"\n" + b"y" * 3000 + b"\n"


def _gone_soon(pids: list[int]) -> bool:
    """True once none of pids is a live process (SIGKILL lands within moments)."""
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        if all(_zombie(pid) for pid in pids):
            return True
        time.sleep(0.01)
    return False


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except OSError:
        return True


def test_commands_start_with_default_signals(session: Session) -> None:
    # Python ignores SIGPIPE; a forked shell would hand that on, and `yes`
    # would then report a broken pipe instead of dying quietly as in a terminal
    runs = run(session, "yes | head -n 1", "trap -p PIPE")
    assert [(r.output, r.exit_status) for r in runs] == [(b"y\n", 0), (b"", 0)]


def test_no_descriptor_of_txtest_reaches_the_shell(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    os.set_inheritable(write_end, True)
    try:
        with Session("bash", dict(os.environ), tmp_path, tmp_path / "c") as started:
            (listing,) = run(started, "ls /proc/$$/fd")
    finally:
        os.close(read_end)
        os.close(write_end)
    assert b"0" in listing.output.split()
    assert str(write_end).encode() not in listing.output.split()


def test_the_pty_is_the_controlling_terminal(session: Session) -> None:
    runs = run(session, "readlink /proc/$$/fd/1", "ps -o tty= -p $$", "echo to-tty >/dev/tty")
    assert runs[0].output.startswith(b"/dev/pts/")
    assert runs[1].output.strip() == runs[0].output.strip().removeprefix(b"/dev/")
    assert runs[2].output == b"to-tty\n"


def test_the_shell_starts_in_its_directory_whatever_the_callers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = tmp_path / "with space $(x)"
    start.mkdir()
    monkeypatch.chdir("/")
    env = {**os.environ, "OLDPWD": "/usr"}
    with Session("bash", env, start, tmp_path / "c") as started:
        runs = run(started, 'echo "$PWD"', "pwd -P", 'echo "$OLDPWD"')
    assert [r.output for r in runs] == [f"{start}\n".encode()] * 2 + [b"/usr\n"]


def test_session_files_stay_beside_the_control_path(tmp_path: Path) -> None:
    (tmp_path / "tmp").mkdir()
    with Session("bash", dict(os.environ), tmp_path / "tmp", tmp_path / ".s") as started:
        long_command = "echo " + "x" * 5000
        (result,) = run(started, long_command)
        assert result.output == b"x" * 5000 + b"\n"
        assert not list((tmp_path / "tmp").iterdir())
        assert {p.name for p in tmp_path.iterdir()} == {"tmp", ".s.in"}


def test_without_posix_spawn_setsid_pexpect_forks_the_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unsupported(*args: object, **kwargs: object) -> int:
        raise NotImplementedError("setsid")

    monkeypatch.setattr(os, "posix_spawn", unsupported)
    (tmp_path / "start").mkdir()
    with Session("bash", dict(os.environ), tmp_path / "start", tmp_path / "c") as started:
        runs = run(started, "pwd", "echo $((6 * 7))")
    assert [r.output for r in runs] == [f"{tmp_path / 'start'}\n".encode(), b"42\n"]


@pytest.mark.parametrize(
    ("source", "unfinished"),
    [
        ("echo line1", False),
        ("/bin/echo ext-1 a=b", False),
        ("seq 1 200000", False),
        ("echo a \\", True),
        ("echo 'open", True),
        ("cat <<EOF", True),
        ("if true", True),
        ("for i in 1 2", True),
        ("echo a |", True),
        ("{ echo", True),
    ],
)
def test_might_be_unfinished_is_false_only_for_plain_simple_commands(
    source: str, unfinished: bool
) -> None:
    assert might_be_unfinished(source) is unfinished


@pytest.mark.parametrize(
    ("source", "whole"),
    [
        ("false", True),
        ("echo 'one two' | grep -q three", True),
        ('ls x > /dev/null 2>&1 && echo "$HOME"; echo a\\ b', True),
        ("echo $'it\\'s'", True),
        ("echo a \\", False),
        ("echo a |\\\n", False),
        ("echo a \\\n  b", False),
        ("echo 'open", False),
        ("echo \\'open'", False),
        ("echo $'a\\'", False),
        ("cat <<EOF", False),
        ("echo a |", False),
        ("echo a |&", False),
        ("true &&", False),
        ("true;if true", False),
        ("echo $(date) $((1 + 2)) <(true); (cd /tmp && ls)", True),
        ("a=(1 2", False),
        ("f()", False),
        ('echo "$(date)"', False),
        ("echo [(])", False),
        ("echo a # why", False),
    ],
)
def test_parses_to_its_end_only_where_no_line_after_can_join_the_text(
    source: str, whole: bool
) -> None:
    assert parses_to_its_end(source) is whole


PIECES = [" ", "a", "echo", "'", '"', "$", "\\", "|", "&", ";", "&&", "||", ">", "<", "<<", "\n"]
PIECES += ["if", "then", "fi", "(", ")", "{", "}", "#", "`", "$'", "!", "[[", "]]", "x=1", "EOF"]
PIECES += ["[", "]", "$[", "a[", "<<<", "2>&1", ";;", "case", "in", "esac", "$(", "$((", "f()"]


TEXT = st.lists(st.sampled_from(PIECES), min_size=1, max_size=10)


@settings(max_examples=150, deadline=None)
@given(st.lists(TEXT, min_size=16, max_size=16))
def test_text_said_to_parse_to_its_end_is_complete_for_bash(texts: list[list[str]]) -> None:
    sources = ["".join(pieces) for pieces in texts]
    whole = [source for source in sources if parses_to_its_end(source)]
    assert incomplete(whole) == [False] * len(whole), whole


def test_after_a_syntax_error_the_status_is_bashs(session: Session) -> None:
    runs = run(session, "echo a ;; b", "echo $?", "echo a ;; b 'c'", "echo $?")
    assert [r.exit_status for r in runs] == [2, 0, 2, 0]
    assert [r.output for r in runs[1::2]] == [b"2\n", b"2\n"]


def test_a_run_of_unfinished_commands_keeps_every_status(session: Session) -> None:
    runs = run(session, "echo 'a", "echo b \\", "if true", "false", "echo 'c", "echo $?")
    assert [r.exit_status for r in runs] == [2, 0, 2, 1, 2, 0]
    assert runs[-1].output == b"2\n"


# -- interactive commands (SPEC §11) ------------------------------------------------


def lines(*items: str) -> Typist:
    return Typist(strokes(items, lines=True))


def test_interact_types_each_answer_when_asked(session: Session) -> None:
    raw = session.interact(
        'read -r -p "A? " a; read -r -p "B? " b; echo "$a$b"', lines("1", "2"), timeout=10
    )
    assert (raw.output, raw.exit_status, raw.lost) == (b"A? 1\r\nB? 2\r\n12\r\n", 0, None)


def test_interact_with_nothing_left_ends_the_wait(session: Session) -> None:
    raw = session.interact('read -r x; echo "[$x]"', lines(), timeout=10)
    assert (raw.output, raw.exit_status, raw.lost) == (b"[]\r\n", 0, "waiting for terminal input")
    assert run(session, "echo $?")[0].output == b"0\n"  # the session goes on


def test_interact_keeps_the_status_and_restores_the_quiet_terminal(session: Session) -> None:
    session.interact("read -r x; (exit 3)", lines("x"), timeout=10)
    (after,) = run(
        session, "echo $?; [ -t 0 ] || echo empty stdin; stty -a </dev/tty | grep -o ' -echo '"
    )
    assert after.output == b"3\nempty stdin\n -echo \n"


def test_a_screen_is_read_and_the_command_hung_up(session: Session) -> None:
    raw = session.interact(
        "printf 'ready'; read -r x; echo never", lines(), timeout=10, screen=True
    )
    assert raw.screen == b"ready"
    assert raw.hung_up
    assert raw.lost is None


def test_an_interaction_step_by_step(session: Session) -> None:
    interaction = session.start_interactive(
        "sleep 0.3; read -r -p 'go? ' x; echo \"<$x>\"", timeout=10
    )
    assert interaction.wait(within=0.05) is Event.RUNNING
    assert interaction.wait() is Event.WAITING
    assert interaction.output == b"go? "
    interaction.type(b"yes\r")
    assert interaction.wait() is Event.ENDED
    assert interaction.result() == RawRun(
        b"go? yes\r\n<yes>\r\n",
        0,
        None,
        interaction.result().duration,
        interaction.result().started,
    )


def test_set_terminal_sizes_and_puts_term_back(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "TERM"}
    shown = "stty size </dev/tty; echo $COLUMNS $LINES ${TERM-unset}; printenv TERM"
    with Session("bash", env, tmp_path, tmp_path / "c") as started:
        (before,) = run(started, shown)
        started.set_terminal((100, 30), "xterm-256color")
        (inside,) = run(started, shown)
        started.set_terminal(DEFAULT_SIZE)
        (after,) = run(started, shown)
    assert inside.output == b"30 100\n100 30 xterm-256color\nxterm-256color\n"
    assert after.output == before.output == b"24 80\n80 24 dumb\n"  # bash's own, not exported


def test_where_proc_does_not_tell_a_quiet_time_stands_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("txtest.waiting.machine", lambda: "an unknown machine")
    with Session("bash", dict(os.environ), tmp_path, tmp_path / "c") as blind:
        answered = blind.interact('read -r -p "A? " a; echo "[$a]"', lines("1"), timeout=10)
        ran_out = blind.interact("read -r x", lines(), timeout=10)
    assert (answered.output, answered.lost) == (b"A? 1\r\n[1]\r\n", None)
    assert ran_out.lost == "waiting for terminal input"
