"""Drive a curses program with keys and check what its screen shows."""

import shlex
import sys
from pathlib import Path

from txtest import Shell

MENU = shlex.join([sys.executable, str(Path(__file__).with_name("menu.py"))])


def test_pick_the_second_fruit() -> None:
    with Shell() as sh:
        app = sh.start(MENU)
        app.wait_for_input()
        assert app.screen == [
            "Pick a fruit (q quits)",
            "",
            "> apple",
            "  banana",
            "  cherry",
        ]
        app.press("Down")
        app.wait_for_text("> banana")
        app.press("Enter")
        assert app.close() == 0
        assert app.screen == ["You picked banana."]


def test_quit(txtest_shell: Shell) -> None:
    app = txtest_shell.start(MENU)
    app.wait_for_text("Pick a fruit")
    app.press("q")
    assert app.close() == 1
