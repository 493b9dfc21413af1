"""Commands that ask for input, and screens (SPEC §11, §5.3), through the real command line."""

from __future__ import annotations

import sys

import pytest
from conftest import Workspace, console, leftovers, marker

MENU = f"""\
#!{sys.executable}
import curses, sys

def main(screen):
    curses.curs_set(0)
    items = sys.argv[1:] or ["apple", "banana", "cherry"]
    at = 0
    while True:
        screen.erase()
        screen.addstr(0, 0, "Pick one:   ")
        for index, item in enumerate(items):
            screen.addstr(2 + index, 2, ("> " if index == at else "  ") + item)
        screen.refresh()
        key = screen.getch()
        if key == curses.KEY_DOWN:
            at = min(at + 1, len(items) - 1)
        elif key == curses.KEY_UP:
            at = max(at - 1, 0)
        elif key in (10, 13):
            return items[at]

print("picked", curses.wrapper(main))
"""
"""A curses menu on the alternate screen, driven by arrow keys (keypad: application mode)."""


def input_comment(*items: str) -> str:
    return "".join(f"{line}\n" for line in ("<!-- txtest: input", *items, "-->"))


@pytest.fixture
def menu_ws(ws: Workspace) -> Workspace:
    menu = ws.write("menu", MENU)
    menu.chmod(0o755)
    return ws


SETUP = """<!-- txtest
$ PATH="$TESTDIR:$PATH"
-->
"""


# -- interactive blocks: stdin is the terminal, echo as a terminal shows it --------


def assert_passes(ws: Workspace) -> None:
    """doc.md, run through the CLI, passes its one block."""
    run = ws.call("doc.md")
    assert run.summary == "1 passed, 0 failed", run.stdout


def test_typed_answers_show_where_a_user_sees_them(ws: Workspace) -> None:
    ws.write(
        "doc.md",
        input_comment("Ada", "y")
        + console(
            '$ read -r -p "Your name? " name; read -r -p "Create? [y/N] " ok; echo "$name/$ok"',
            "Your name? Ada",
            "Create? [y/N] y",
            "Ada/y",
        ),
    )
    run = ws.call("doc.md")
    assert run.status == 0, run.stdout
    assert run.summary == "1 passed, 0 failed"


def test_stdin_is_the_terminal_only_in_interactive_blocks(ws: Workspace) -> None:
    ws.write(
        "doc.md",
        console("$ [ -t 0 ] && echo tty || echo not a tty", "not a tty")
        + input_comment("x")
        + console("$ [ -t 0 ] && echo tty; read -r x", "tty", "x"),
    )
    run = ws.call("doc.md")
    assert run.summary == "2 passed, 0 failed", run.stdout


def test_a_password_prompt_shows_nothing_typed(ws: Workspace) -> None:
    command = f"{sys.executable} -c 'import getpass; print(len(getpass.getpass()))'"
    ws.write("doc.md", input_comment("secret") + console(f"$ {command}", "Password: ", "6"))
    assert_passes(ws)


def test_a_program_reading_one_key_at_a_time(ws: Workspace) -> None:
    script = (
        "$ stty -icanon -echo; answer=$(dd bs=1 count=1 2>/dev/null); stty icanon echo; "
        'echo "Continue? [y/N] $answer"'
    )
    ws.write("doc.md", "<!-- txtest: keys=y -->\n" + console(script, "Continue? [y/N] y"))
    assert_passes(ws)


# -- typing happens when the command waits, never after a fixed sleep -------------


def test_answers_wait_for_a_slow_prompt(ws: Workspace) -> None:
    ws.write(
        "doc.md",
        input_comment("one", "two")
        + console(
            '$ sleep 0.5; read -r -p "First? " a; sleep 0.3; echo working; '
            'read -r -p "Second? " b; echo "[$a] [$b]"',
            "First? one",
            "working",
            "Second? two",
            "[one] [two]",
        ),
    )
    assert_passes(ws)


def test_items_exactly_as_written_and_shared_by_the_commands(ws: Workspace) -> None:
    ws.write(
        "doc.md",
        input_comment("  two spaces", "", "last")
        + console(
            '$ IFS= read -r a; echo "[$a]"',
            "  two spaces",
            "[  two spaces]",
            '$ IFS= read -r b; IFS= read -r c; echo "[$b] [$c]"',
            "",
            "last",
            "[] [last]",
        ),
    )
    assert_passes(ws)


# -- keys= -----------------------------------------------------------------------


def test_keys_are_names_or_text(ws: Workspace) -> None:
    ws.write(
        "doc.md",
        "<!-- txtest: keys=hello,Space,world,Comma,Enter -->\n"
        + console('$ read -r line; echo "[$line]"', "hello world,", "[hello world,]"),
    )
    assert_passes(ws)


def test_arrow_keys_drive_a_curses_menu(menu_ws: Workspace) -> None:
    menu_ws.write(
        "doc.md",
        SETUP + "<!-- txtest: keys=Down,Down,Up,Enter -->\n" + console("$ menu", "picked banana"),
    )
    run = menu_ws.call("doc.md")
    assert run.summary == "2 passed, 0 failed", run.stdout


# -- running out -----------------------------------------------------------------


def test_nothing_left_to_type_fails_at_once(ws: Workspace) -> None:
    ws.write(
        "doc.md",
        input_comment("Ada")
        + console(
            '$ read -r -p "Name? " n; read -r -p "Age? " a; echo "[$n] [$a]"',
            "Name? Ada",
            "Age? ",
            "[Ada] []",
            "$ echo next",
            "next",
        ),
    )
    run = ws.call("--timeout", "60", "doc.md")
    assert run.status == 1
    assert run.lines[:3] == [
        "doc.md:5: FAILED",
        '    $ read -r -p "Name? " n; read -r -p "Age? " a; echo "[$n] [$a]"',
        "waiting for terminal input",
    ]
    assert "doc.md:9" not in run.stdout  # the session went on: the next command passed
    assert run.duration < 10


def test_unread_items_fail_the_last_command(ws: Workspace) -> None:
    ws.write(
        "doc.md",
        input_comment("a", "b", "c") + console("$ read -r x", "a", "$ echo done", "done"),
    )
    run = ws.call("doc.md")
    assert run.status == 1
    assert run.lines[:3] == ["doc.md:9: FAILED", "    $ echo done", "2 input item(s) not read"]


def test_a_timeout_says_what_the_command_was_doing(ws: Workspace) -> None:
    tag = marker()
    ws.write(
        "doc.md", "<!-- txtest: timeout=0.5 -->\n" + input_comment("x") + console(f"$ sleep {tag}")
    )
    run = ws.call("doc.md")
    assert run.lines[:3] == [
        "doc.md:6: FAILED",
        f"    $ sleep {tag}",
        run.lines[2],
    ]
    assert run.lines[2].startswith("timed out after 0.5 s: sleep (pid ")
    assert run.lines[2].endswith(") was sleeping")
    assert leftovers(tag) == []


# -- screen ----------------------------------------------------------------------


def test_a_screen_is_read_when_the_menu_waits_after_its_last_key(menu_ws: Workspace) -> None:
    tag = marker()
    menu_ws.write(
        "doc.md",
        SETUP
        + "<!-- txtest: keys=Down size=30x8 screen -->\n"
        + console(
            f"$ menu apple banana {tag}", "Pick one:", "", "    apple", "  > banana", f"    {tag}"
        ),
    )
    run = menu_ws.call("doc.md")
    assert run.summary == "2 passed, 0 failed", run.stdout
    assert leftovers(tag) == []


def test_a_screen_without_keys_is_read_at_the_first_wait(menu_ws: Workspace) -> None:
    menu_ws.write(
        "doc.md",
        SETUP
        + "<!-- txtest: screen -->\n"
        + console("$ menu", "Pick one:", "", "  > apple", "    banana", "    cherry"),
    )
    run = menu_ws.call("doc.md")
    assert run.summary == "2 passed, 0 failed", run.stdout


def test_a_failing_screen_block_shows_the_screen(menu_ws: Workspace) -> None:
    menu_ws.write(
        "doc.md",
        SETUP + "<!-- txtest: size=20x6 screen -->\n" + console("$ menu", "Pick two:"),
    )
    run = menu_ws.call("doc.md")
    assert run.status == 1
    shown = run.stdout.split("the screen (20x6):\n", 1)[1].splitlines()[:8]
    assert shown == [
        "    +--------------------+",
        "    |Pick one:           |",
        "    |                    |",
        "    |  > apple           |",
        "    |    banana          |",
        "    |    cherry          |",
        "    |                    |",
        "    +--------------------+",
    ]


def test_a_command_that_ended_has_its_screen_and_status_checked(ws: Workspace) -> None:
    ws.write(
        "doc.md",
        "<!-- txtest: screen size=20x5 -->\n"
        + console(
            "$ printf 'top\\n\\e[3;5Hmiddle   \\n'; exit_with() { return $1; }; exit_with 3",
            "top",
            "",
            "    middle",
            "[3]",
        ),
    )
    assert_passes(ws)


def test_a_command_ignoring_the_hang_up_is_killed(ws: Workspace) -> None:
    tag = marker()
    command = f"bash -c 'trap \"\" HUP; echo ready; read -r x; sleep {tag}'"
    ws.write("doc.md", "<!-- txtest: screen -->\n" + console(f"$ {command}", "ready"))
    assert_passes(ws)
    assert leftovers(tag) == []


def test_the_alternate_screen_is_the_one_read_while_shown(ws: Workspace) -> None:
    command = "printf 'main\\n\\e[?1049h\\e[Halternate\\n'; read -r x"
    ws.write("doc.md", "<!-- txtest: screen -->\n" + console(f"$ {command}", "alternate"))
    assert_passes(ws)


# -- size= and TERM --------------------------------------------------------------


def test_size_is_seen_everywhere_during_the_block_only(ws: Workspace) -> None:
    python = f"{sys.executable} -c 'import os; print(os.get_terminal_size(1))'"
    ws.write(
        "doc.md",
        "<!-- txtest: size=100x30 -->\n"
        + console(
            "$ echo $COLUMNS $LINES; stty size </dev/tty",
            "100 30",
            "30 100",
            f"$ {python}",
            "os.terminal_size(columns=100, lines=30)",
        )
        + console("$ echo $COLUMNS $LINES; stty size </dev/tty", "80 24", "24 80"),
    )
    run = ws.call("doc.md")
    assert run.summary == "2 passed, 0 failed", run.stdout


def test_interactive_blocks_get_an_xterm_term(ws: Workspace) -> None:
    ws.write(
        "doc.md",
        input_comment("x")
        + console('$ read -r x; echo "$TERM"', "x", "xterm-256color")
        + console('$ echo "${TERM-unset}"', "dumb"),
    )
    run = ws.call("doc.md", env={"TERM": "dumb"})
    assert run.summary == "2 passed, 0 failed", run.stdout


# -- update and --list -----------------------------------------------------------


def test_update_writes_the_echoed_answers_and_keeps_the_input(menu_ws: Workspace) -> None:
    before = (
        SETUP
        + input_comment("Ada")
        + console('$ read -r -p "Name? " n; echo "hi $n"')
        + "<!-- txtest: keys=Down size=20x6 screen -->\n"
        + console("$ menu")
    )
    path = menu_ws.write("doc.md", before)
    run = menu_ws.call("-u", "doc.md")
    assert run.status == 0, run.stdout
    after = before.replace('echo "hi $n"\n', 'echo "hi $n"\nName? Ada\nhi Ada\n').replace(
        "$ menu\n", "$ menu\nPick one:\n\n    apple\n  > banana\n    cherry\n"
    )
    assert path.read_text() == after
    assert menu_ws.call("doc.md").summary == "3 passed, 0 failed"


def test_list_shows_input_items_and_keys(ws: Workspace) -> None:
    ws.write(
        "doc.md",
        input_comment("Ada", "")
        + console("$ read -r a b")
        + "<!-- txtest: keys=Down,Enter size=40x10 -->\n"
        + console("$ menu"),
    )
    run = ws.call("--list", "doc.md")
    assert run.lines == [
        "doc.md:5: block [input (2 items)]",
        "  input: 'Ada'",
        "  input: ''",
        "  doc.md:6: $ read -r a b",
        "doc.md:10: block [keys=Down,Enter size=40x10]",
        "  doc.md:11: $ menu",
    ]


# -- input errors ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            input_comment("a") + "<!-- txtest: keys=Enter -->\n" + console("$ cat"),
            "doc.md:4: error: a block has input or keys=, not both",
        ),
        (
            "<!-- txtest: screen -->\n" + console("$ echo a", "$ echo b"),
            "doc.md:2: error: screen compares one command with the terminal screen, "
            "but this block holds 2",
        ),
        (
            "<!-- txtest: size=80 -->\n" + console("$ true"),
            "doc.md:1: error: size=80: give COLSxROWS",
        ),
        ("<!-- txtest: size=0x24 -->\n" + console("$ true"), "doc.md:1: error: size=0x24: give"),
        (
            "<!-- txtest: keys=a,,b -->\n" + console("$ true"),
            "doc.md:1: error: keys=a,,b has an empty",
        ),
        ("<!-- txtest: screen=yes -->\n" + console("$ true"), "doc.md:1: error: 'screen' takes no"),
        (
            input_comment("a") + console("print(1)", info="python"),
            "doc.md:1: error: input applies to the next console block, but the ```python fence",
        ),
        (
            "<!-- txtest: keys=Enter -->\n<!-- txtest\n$ true\n-->\n",
            "doc.md:1: error: keys= applies to the next console block, but a hidden-command",
        ),
        (input_comment("a"), "doc.md:1: error: this directive comment applies to nothing"),
        ("<!-- txtest: input -->\n" + console("$ true"), "doc.md:1: error: input is a comment"),
        ("<!-- txtest: input\na\n" + console("$ true"), "doc.md:1: error: the input comment"),
    ],
)
def test_misused_directives_are_input_errors(ws: Workspace, text: str, message: str) -> None:
    ws.write("doc.md", text)
    run = ws.call("doc.md")
    assert run.status == 2
    assert run.stderr.startswith(message), run.stderr
    assert "Traceback" not in run.stderr


def test_a_program_polling_a_pipe_with_the_terminal_open_is_not_waiting(ws: Workspace) -> None:
    # pytest's faulthandler keeps a dup of stderr: the terminal, open beyond 1 and 2
    code = "import os, select; os.dup(2); r, w = os.pipe(); select.select([r], [], [], 0.5)"
    ws.write("doc.md", console(f"$ {sys.executable} -c '{code}'; echo done", "done"))
    assert_passes(ws)


def test_ctrl_c_ends_the_program_and_the_session_goes_on(ws: Workspace) -> None:
    ws.write(
        "doc.md",
        console('$ trap "echo trapped" INT')
        + "<!-- txtest: keys=C-c -->\n"
        + console('$ cat; echo "status $?"', "^Cstatus 130")
        + console("$ trap -p INT", "trap -- 'echo trapped' SIGINT"),
    )
    run = ws.call("--timeout", "60", "doc.md")
    assert run.summary == "3 passed, 0 failed", run.stdout
    assert run.duration < 10
