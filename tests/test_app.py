"""The Python API's App (SPEC §12): interactive programs on a Shell's terminal."""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import kill_leftovers, leftovers, marker

from txtest import App, Shell, Timeout

MENU = shlex.join([sys.executable, str(Path(__file__).parent / "examples" / "menu.py")])
ASK = """read -r -p "Name? " name; echo "Hello, $name!"; read -r -p "Again? " again"""


@pytest.fixture
def sh(temp_root: Path) -> Iterator[Shell]:
    with Shell(env={"TERM": "dumb"}) as shell:
        yield shell


def test_an_app_gets_an_xterm(sh: Shell) -> None:
    app = sh.start('echo "$TERM"')
    assert app.close() == 0
    assert app.screen == ["xterm-256color"]
    assert sh.run('echo "$TERM"').output == "dumb\n"


def test_start_returns_an_app_at_once(sh: Shell) -> None:
    app = sh.start("sleep 30")
    assert isinstance(app, App)
    assert app.close() is None


def test_type_and_wait_for_input(sh: Shell) -> None:
    app = sh.start(ASK)
    app.wait_for_input()
    assert app.screen == ["Name?"]
    app.type("Ada\r")
    app.wait_for_input()
    assert app.screen == ["Name? Ada", "Hello, Ada!", "Again?"]
    app.press("y", "Enter")
    assert app.close() == 0
    assert app.screen == ["Name? Ada", "Hello, Ada!", "Again? y"]


def test_arrow_keys_in_a_curses_program(sh: Shell) -> None:
    app = sh.start(MENU)
    app.wait_for_text("> apple")
    app.press("Down", "Down", "Up")
    app.wait_for_text(re.compile(r"^> banana$", re.MULTILINE))
    assert app.screen[2:] == ["  apple", "> banana", "  cherry"]
    app.press("Enter")
    assert app.close() == 0
    assert app.screen == ["You picked banana."]


def test_wait_for_text_times_out_with_the_screen(sh: Shell) -> None:
    app = sh.start(MENU)
    app.wait_for_input()
    with pytest.raises(Timeout) as caught:
        app.wait_for_text("durian", timeout=0.3)
    assert str(caught.value) == (
        "the screen did not show 'durian' in 0.3 s; the screen:\n"
        "+----------------------+\n"
        "|Pick a fruit (q quits)|\n"
        "|                      |\n"
        "|> apple               |\n"
        "|  banana              |\n"
        "|  cherry              |\n"
        "+----------------------+"
    )
    app.press("q")
    assert app.close() == 1


def test_wait_for_input_times_out(sh: Shell) -> None:
    app = sh.start("echo busy; sleep 30")
    with pytest.raises(
        Timeout, match=r"(?s)did not wait for input in 0.2 s; the screen:\n.*\|busy\|"
    ):
        app.wait_for_input(timeout=0.2)
    assert app.close() is None


def test_wait_for_text_when_the_program_ended(sh: Shell) -> None:
    app = sh.start("echo done")
    with pytest.raises(
        Timeout, match=r"did not show 'never' before the program ended \(exit status 0\)"
    ):
        app.wait_for_text("never", timeout=30)
    app.wait_for_input()  # an ended program waits for nothing: returns at once


def test_close_hangs_up_a_running_program(sh: Shell) -> None:
    mark = marker()
    try:
        app = sh.start(f"sleep {mark} & trap 'echo bye; exit 5' HUP; read -r x")
        app.wait_for_input()
        assert app.close() is None
        assert leftovers(mark) == []
    finally:
        kill_leftovers(mark)
    assert sh.run("echo after").output == "after\n"


def test_close_kills_a_program_ignoring_the_hangup(sh: Shell) -> None:
    app = sh.start("trap '' HUP; sleep 30")
    assert app.close() is None
    assert sh.run("echo after").output == "after\n"


def test_close_of_a_builtin_reading(sh: Shell) -> None:
    app = sh.start("read -r line")
    app.wait_for_input()
    assert app.close() is None
    assert sh.run("echo after").output == "after\n"


def test_close_returns_the_status_of_an_ended_program(sh: Shell) -> None:
    app = sh.start("sh -c 'exit 7'")
    app.wait_for_input()
    assert app.close() == 7
    assert app.close() == 7


def test_run_and_check_refuse_while_an_app_runs(sh: Shell) -> None:
    app = sh.start("read -r x")
    with pytest.raises(RuntimeError, match="App is running"):
        sh.run("true")
    with pytest.raises(RuntimeError, match="App is running"):
        sh.check("$ true\n")
    with pytest.raises(RuntimeError, match="App is running"):
        sh.start("true")
    app.type("x\r")
    assert app.close() == 0
    assert sh.run("echo $x").output == "x\n"


def test_a_size_for_the_app_alone(sh: Shell) -> None:
    app = sh.start("stty size; echo $COLUMNS $LINES; read -r x", size=(40, 10))
    app.wait_for_input()
    assert app.screen == ["10 40", "40 10"]
    app.close()
    assert sh.run("stty size </dev/tty; echo $COLUMNS $LINES").output == "24 80\n80 24\n"


def test_the_terminal_is_quiet_again_after_an_app(sh: Shell) -> None:
    app = sh.start("read -r x")
    app.type("typed\r")
    app.close()
    result = sh.run("printf 'a\\nb\\n'; stty -a </dev/tty | grep -o -- '-echo '")
    assert result.raw == b"a\nb\n-echo \n"


def test_closing_the_shell_closes_the_app(temp_root: Path) -> None:
    with Shell() as sh:
        sh.start("sleep 30")
    assert list(temp_root.iterdir()) == []


def test_log_records_an_app(temp_root: Path, tmp_path: Path) -> None:
    import json

    log = tmp_path / "log"
    with Shell(log=log) as sh:
        app = sh.start("echo hi; (exit 3)")
        app.close()
    record = json.loads(log.read_text())
    assert (record["command"], record["output"], record["exit_status"]) == (
        "echo hi; (exit 3)",
        "hi\r\n",
        3,
    )
