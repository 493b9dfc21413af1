"""Tests for txtest.terminal: raw output → the lines compared (SPEC §6).

Goldens live in tests/golden/terminal as pairs: MODE-CASE.raw holds the bytes a
command wrote; MODE-CASE.txt the lines compared, each ended by a newline, except
that the last one has none when the output did not end a line (no_eol). Both
are bytes; undecodable bytes in .txt stand for surrogate escapes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Workspace, console
from hypothesis import given, settings
from hypothesis import strategies as st

from txtest.compare import compare_output
from txtest.model import TermMode
from txtest.terminal import (
    Terminal,
    TermOutput,
    _render_on_screen,
    _render_plain,
    _screen_size,
    choose_mode,
    read_screen,
    render_screen,
    screen_lines,
    strip_escapes,
)

GOLDEN = Path(__file__).parent / "golden" / "terminal"
FIXTURE = Path(__file__).parent / "bin" / "txfixture"
CASES = sorted(path.stem for path in GOLDEN.glob("*.raw"))


def read_expected(path: Path) -> tuple[tuple[str, ...], bool]:
    """The lines and no_eol flag a golden .txt file stands for."""
    text = path.read_bytes().decode("utf-8", "surrogateescape")
    if text == "" or text.endswith("\n"):
        return tuple(text.split("\n")[:-1]), False
    return tuple(text.split("\n")), True


def mode_of(case: str) -> TermMode:
    """The mode a case name starts with."""
    return TermMode(case.split("-", 1)[0])


def test_every_golden_has_its_pair() -> None:
    assert len(CASES) >= 20
    assert sorted(path.stem for path in GOLDEN.glob("*.txt")) == CASES


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str) -> None:
    raw = (GOLDEN / f"{case}.raw").read_bytes()
    output = screen_lines(raw, mode_of(case))
    assert (output.lines, output.no_eol) == read_expected(GOLDEN / f"{case}.txt")


@pytest.mark.parametrize(
    ("raw", "mode"),
    [
        (b"plain\n", TermMode.RAW),
        (b"one\r\ntwo\r\n", TermMode.RAW),
        (b"", TermMode.RAW),
        (b"caf\xe9\n", TermMode.RAW),
        (b"\x1b[1mbold\n", TermMode.RENDER),
        (b"a\rb\n", TermMode.RENDER),
        (b"a\r\r\n", TermMode.RENDER),
        (b"ab\x08c\n", TermMode.RENDER),
    ],
)
def test_auto_chooses(raw: bytes, mode: TermMode) -> None:
    assert choose_mode(raw, TermMode.AUTO) is mode


@pytest.mark.parametrize("mode", [TermMode.RENDER, TermMode.STRIP, TermMode.RAW])
def test_explicit_mode_is_kept(mode: TermMode) -> None:
    assert choose_mode(b"\x1b[1m", mode) is mode


@pytest.mark.parametrize(
    ("raw", "mode", "left"),
    [
        (b"\x1b[31mred\x1b[0m\n", TermMode.RAW, True),
        (b"\x1b[31mred\x1b[0m\n", TermMode.STRIP, False),
        (b"\x1b]0;unterminated\n", TermMode.STRIP, True),
        (b"\x1b[31mred\x1b[0m\n", TermMode.RENDER, False),
        (b"\x1b[31mred\x1b[0m\n", TermMode.AUTO, False),
        (b"plain\n", TermMode.RAW, False),
    ],
)
def test_escapes_left(raw: bytes, mode: TermMode, left: bool) -> None:
    assert screen_lines(raw, mode).escapes_left is left


@pytest.mark.parametrize(
    ("raw", "no_eol"),
    [
        (b"done", True),
        (b"done\n", False),
        (b"done  ", True),
        (b"50%\r", False),
        (b"line\n   ", False),
        (b"one\ntwo\x1b[1A", False),
        (b"\x1b[0m", False),
    ],
)
def test_render_no_eol_means_the_cursor_ends_after_the_last_line(raw: bytes, no_eol: bool) -> None:
    assert screen_lines(raw, TermMode.RENDER).no_eol is no_eol


def test_strip_of_nothing_but_escapes_is_empty() -> None:
    assert screen_lines(b"\x1b[0m", TermMode.STRIP) == TermOutput(
        (), no_eol=False, escapes_left=False
    )


@pytest.mark.parametrize(
    ("text", "stripped"),
    [
        ("\x1b[38;2;1;2;3mx", "x"),
        ("\x1b[?1049hx\x1b[?1049l", "x"),
        ("\x1b]2;title\x1b\\x", "x"),
        ("\x1bPdevice\x1b\\x", "x"),
        ("\x1b)0x", "x"),
        ("\x1b=x\x1b>", "x"),
        ("\x1bMx\x1bc", "x"),
        ("a\rb\x08c\td\x07", "a\rb\x08c\td\x07"),
    ],
)
def test_strip_escapes(text: str, stripped: str) -> None:
    assert strip_escapes(text) == stripped


def test_erase_heavy_progress_on_one_line_renders_its_last_state() -> None:
    raw = b"".join(b"\r%d%% \x1b[K" % n for n in range(5000)) + b"\n"
    assert screen_lines(raw, TermMode.RENDER).lines == ("4999%",)


def test_pyte_is_imported_only_to_render() -> None:
    code = (
        "import sys\n"
        "from txtest.model import TermMode\n"
        "from txtest.terminal import screen_lines\n"
        "screen_lines(b'\\x1b[1mx\\n', TermMode.STRIP)\n"
        "screen_lines(b'x\\n', TermMode.AUTO)\n"
        "assert 'pyte' not in sys.modules\n"
        "screen_lines(b'\\x1b[1mx\\n', TermMode.AUTO)\n"
        "assert 'pyte' not in sys.modules\n"  # colours alone are read without a screen
        "screen_lines(b'50%\\r100%\\n', TermMode.AUTO)\n"
        "assert 'pyte' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def run_fixture(*args: str) -> subprocess.CompletedProcess[bytes]:
    """Run tests/bin/txfixture with arguments."""
    return subprocess.run([sys.executable, str(FIXTURE), *args], capture_output=True, check=False)


def test_fixture_progress_renders_to_the_full_bar() -> None:
    output = screen_lines(run_fixture("progress", "7").stdout, TermMode.AUTO)
    assert output.lines == ("[##########] 100%",)


def test_fixture_color_noeol_and_exit_chain() -> None:
    result = run_fixture("color", "hi", "noeol", "end", "exit", "3")
    assert result.returncode == 3
    assert result.stdout == b"\x1b[31mhi\x1b[0m\nend"
    assert screen_lines(result.stdout, TermMode.AUTO) == TermOutput(
        ("hi", "end"), no_eol=True, escapes_left=False
    )


def test_fixture_bytes_lines_and_err() -> None:
    result = run_fixture("bytes", "ff0a", "lines", "2", "err", "oops")
    assert result.stdout == b"\xff\nline 1\nline 2\n"
    assert result.stderr == b"oops\n"


def test_fixture_help_and_bad_use() -> None:
    assert b"usage: txfixture" in run_fixture("--help").stdout
    assert run_fixture("nope", "1").returncode == 2
    assert run_fixture("color").returncode == 2


# -- the fast path for colour-only output equals playing it on a screen ---------------------

PIECES = (
    "line",
    "x",
    " ",
    "  ",
    "é",
    "中",
    "✓",
    "\u0301",  # combining acute: joins the character before it
    "\u200d",  # zero-width joiner
    "\x1b[32m",
    "\x1b[0m",
    "\x1b[1;31m",
    "\x1b[m",
    "\n",
    "\r\n",
    "\r",
    "\b",
    "\t",
    "\x1b[2A",
    "\x1b[B",
    "\x1b[3C",
    "\x1b[D",
    "\x1b[K",
    "\x1b[1K",
    "\x1b[2K",
    "\x1b[J",
    "\x1b[2;5H",
    "\x1b[G",
)
COLOUR_ONLY = tuple(
    piece for piece in PIECES if piece == "\x1b[m" or piece[-1] not in "\r\bABCDKJHG"
)
outputs = st.one_of(
    # what the fast path takes: tabs are expanded there only in ASCII text
    st.lists(
        st.sampled_from(tuple(piece for piece in COLOUR_ONLY if piece.isascii())), max_size=40
    ),
    st.lists(st.sampled_from(COLOUR_ONLY), max_size=40),
    st.lists(st.sampled_from(PIECES), max_size=40),
).map(lambda parts: "".join(parts).encode())


def pyte_rendering(data: bytes) -> tuple[tuple[str, ...], bool]:
    """What pyte's own parser and screen show for data (the renderer before its fast path)."""
    import pyte
    from wcwidth import wcwidth

    from txtest.terminal import _draw_visible

    class Screen(pyte.Screen):
        def draw(self, text: str) -> None:
            _draw_visible(self, text, super().draw, wcwidth)

    data = data.replace(b"\r\n", b"\n")
    size = _screen_size(data)
    screen = Screen(size.columns, size.rows)
    pyte.Stream(screen).feed(data.decode("utf-8", "replace").replace("\n", "\r\n"))
    rows = [""] * screen.lines
    for y, row in screen.buffer.items():
        if row:
            rows[y] = "".join(row[x].data for x in range(max(row) + 1)).rstrip(" ")
    while rows and not rows[-1]:
        rows.pop()
    no_eol = screen.cursor.x > 0 and screen.cursor.y == len(rows) - 1
    return tuple(rows), no_eol


@settings(max_examples=400, deadline=None)
@given(outputs)
def test_render_equals_pyte(data: bytes) -> None:
    output = screen_lines(data, TermMode.RENDER)
    assert (output.lines, output.no_eol) == pyte_rendering(data)


@settings(max_examples=400, deadline=None)
@given(st.lists(outputs, max_size=6).map(b"\n".join), st.integers(min_value=0, max_value=30))
def test_rows_read_off_between_pieces_are_the_rows_shown(data: bytes, piece: int) -> None:
    output = _render_on_screen(data.replace(b"\r\n", b"\n"), piece)
    assert (output.lines, output.no_eol) == pyte_rendering(data)


def test_a_long_output_is_read_off_in_pieces() -> None:
    raw = b"".join(b"\r%d%%\x1b[K\r\x1b[32mline %d\x1b[0m\n" % (n, n) for n in range(200_000))
    size = _screen_size(raw)
    terminal = Terminal(size.columns, size.rows)
    terminal.feed(raw[: len(raw) // 2].replace(b"\n", b"\r\n"))
    assert len(terminal.take_settled_rows(0, 0)) > 90_000
    assert terminal.rows().count("") > 90_000
    assert screen_lines(raw, TermMode.RENDER).lines[-1] == "line 199999"


@settings(max_examples=300, deadline=None)
@given(outputs)
def test_fast_path_equals_the_screen(data: bytes) -> None:
    data = data.replace(b"\r\n", b"\n")
    assert render_screen(data) == _render_on_screen(data)


@pytest.mark.parametrize(
    "raw",
    [
        b"\x1b[32mline 1\x1b[0m\nline 2\n",
        b"a\tb\n\x1b[1mtab\tbed\x1b[0m",
        "wide 中文 ✓ and é\n".encode(),
        b"\x1b[31m\xff\xfe\x1b[0m\n",
        b"trailing   \n\n\n",
        b"",
    ],
)
def test_colour_only_output_takes_the_fast_path(raw: bytes) -> None:
    assert _render_plain(raw.decode("utf-8", "replace")) == _render_on_screen(raw)


@pytest.mark.parametrize(
    "raw", [b"a\rb\n", b"a\x08b", b"\x1b[2Ax", b"e\xcc\x81\n", "中\t中".encode(), b"\x1b[?4m"]
)
def test_anything_else_is_played_on_a_screen(raw: bytes) -> None:
    assert _render_plain(raw.decode("utf-8", "replace")) is None


# -- no output makes rendering raise ----------------------------------------------------------

control_sequences = st.builds(
    lambda prefix, numbers, separator, intermediate, final: (
        b"\x1b["
        + prefix
        + separator.join(b"%d" % number for number in numbers)
        + intermediate
        + bytes([final])
    ),
    st.sampled_from([b"", b"?", b">", b"=", b"<"]),
    st.lists(st.integers(min_value=0, max_value=100_000), max_size=5),
    st.sampled_from([b";", b":"]),
    st.sampled_from([b"", b" ", b"$", b"!"]),
    st.integers(min_value=0x40, max_value=0x7E),
)
hostile = st.lists(
    st.one_of(
        control_sequences,
        st.sampled_from(
            [
                b"\x1b",
                b"\x1b[",
                b"\x1b[?",
                b"\x1b]",
                b"\x1bP",
                b"\x1b\\",
                b"\x07",
                b";",
                b":",
                b"?",
                b">",
                b"$",
                b" ",
                b"9999999999",
                b"0",
                b"1",
                b"47",
                b"1049",
                b"m",
                b"h",
                b"l",
                b"r",
                b"J",
                b"K",
                b"H",
                b"#8",
                b"\r",
                b"\n",
                b"\b",
                b"\t",
                b"\x9b",
                b"\xc2\x9b",
                b"\xff",
                "中".encode(),
            ]
        ),
        st.binary(max_size=4),
    ),
    max_size=60,
).map(b"".join)


@settings(max_examples=500, deadline=None)
@given(hostile)
def test_no_output_makes_rendering_raise(data: bytes) -> None:
    for mode in TermMode:
        screen_lines(data, mode)


@settings(max_examples=300, deadline=None)
@given(hostile, st.lists(st.integers(min_value=0, max_value=60), max_size=6))
def test_feeding_in_pieces_shows_what_feeding_at_once_does(data: bytes, cuts: list[int]) -> None:
    whole = Terminal(12, 5)
    whole.feed(data)
    pieces = Terminal(12, 5)
    start = 0
    for cut in sorted(cuts):
        pieces.feed(data[start:cut])
        start = max(start, cut)
    pieces.feed(data[start:])
    assert (pieces.rows(), pieces.cursor) == (whole.rows(), whole.cursor)
    assert len(whole.rows()) == 5


@pytest.mark.parametrize(
    ("raw", "lines"),
    [
        (b"\x1b[?4mvim\x1b[?4l\n", ("vim",)),  # private SGR: pyte raised TypeError
        (b"\x1b[38:2:1:2:3mtrue\x1b[0m colour\n", ("true colour",)),
        (b"\x1b[>4;2mkeys\x1b[>4m\n", ("keys",)),
        (b"a\x1b[4Jb\x1b[7Kc\n", ("abc",)),  # erase with unknown how: pyte raised
        (b"\x1b[1;2;3;4rmargins\n", ("margins",)),
        (b"\x1b[1;2;3;4Ax\x1b[5;6;7Hy\n", ("x", "", "", "", "     y")),
        (b"\x1b#8\x1b[?3h\x1b[?5hnot\x1b[?3l\x1b[?5l shown\n", ("not shown",)),
        (b"\x1b[?6h\x1b[2dline\n", ("", "line")),
        (b"\x1b]0;title\x07text\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\\n", ("textlink",)),
        (b"\x1bPq#0;2;0;0;0\x1b\\sixel\n", ("sixel",)),
        (b"\x1b[12\n\x1b[\xc3\xa9x\n", ("", "éx")),
        (b"\xc2\x9b31mC1\n", ("31mC1",)),
        (b"before\x1b]0;never ended\nafter\n", ("before",)),
        (b"\x1b[c\x1b[6n\x1b[5nreports\n", ("reports",)),
    ],
)
def test_unknown_and_odd_sequences_are_ignored(raw: bytes, lines: tuple[str, ...]) -> None:
    assert screen_lines(raw, TermMode.RENDER).lines == lines


def test_a_document_printing_unknown_sequences_passes_and_fails_normally(ws: Workspace) -> None:
    ws.write(
        "vim.md",
        console(
            "$ printf 'start\\033[?4m\\033[?1049h\\033[>4;2m\\033[38:5:1mvim\\033[?1049l done\\n'",
            "start done",
        )
        + console("$ printf '\\033[?4mchanged\\n'", "expected"),
    )
    run = ws.run("vim.md")
    assert run.status == 1, run.stdout
    assert "Traceback" not in run.stdout + run.stderr
    assert "-expected" in run.lines
    assert "+changed" in run.lines
    assert run.summary == "1 passed, 1 failed"


# -- the alternate screen ---------------------------------------------------------------------


@pytest.mark.parametrize("mode", [b"1049", b"47", b"1047"])
def test_what_is_drawn_on_the_alternate_screen_is_not_rendered(mode: bytes) -> None:
    raw = b"main\n\x1b[?" + mode + b"h\x1b[2J\x1b[Hfull screen\nui\x1b[?" + mode + b"lafter\n"
    assert screen_lines(raw, TermMode.RENDER).lines[0] == "main"
    assert "full screen" not in "\n".join(screen_lines(raw, TermMode.RENDER).lines)


def test_leaving_1049_puts_the_cursor_back() -> None:
    raw = b"$ less file\n\x1b[?1049h\x1b[Hpage 1\npage 2\n\x1b[?1049l$ next\n"
    assert screen_lines(raw, TermMode.RENDER).lines == ("$ less file", "$ next")


def test_output_ending_on_the_alternate_screen_renders_the_main_one() -> None:
    raw = b"before\n\x1b[?1049hediting forever"
    assert screen_lines(raw, TermMode.RENDER) == TermOutput(
        ("before",), no_eol=False, escapes_left=False
    )


def test_terminal_shows_the_alternate_screen_while_a_program_is_on_it() -> None:
    terminal = Terminal(10, 3)
    terminal.feed(b"shell\r\n\x1b[?1049h\x1b[H\x1b[2Jmenu\r\n> item")
    assert terminal.on_alternate_screen
    assert terminal.rows() == ["menu", "> item", ""]
    assert terminal.cursor == (6, 1)
    terminal.feed(b"\x1b[?1049l")
    assert not terminal.on_alternate_screen
    assert terminal.rows() == ["shell", "", ""]
    assert terminal.cursor == (0, 1)


def test_terminal_wraps_and_scrolls_at_its_size() -> None:
    terminal = Terminal(4, 2)
    terminal.feed(b"abcdefgh\r\nij")
    assert terminal.rows() == ["efgh", "ij"]


def test_terminal_keeps_a_sequence_cut_between_two_feeds() -> None:
    terminal = Terminal(20, 2)
    for piece in (b"red \x1b", b"[3", b"1mtext\x1b]0;ti", b"tle\x1b", b"\\ \xe2\x9c", b"\x93"):
        terminal.feed(piece)
    assert terminal.rows() == ["red text ✓", ""]


@pytest.mark.parametrize(
    ("raw", "size", "rows"),
    [
        (b"", (80, 24), ()),
        (b"one   \r\ntwo\r\n\r\n", (80, 24), ("one", "two")),
        (b"abcdefgh", (5, 3), ("abcde", "fgh")),  # a row wraps at the screen's width
        (b"1\r\n2\r\n3\r\n4", (10, 3), ("2", "3", "4")),  # and the screen scrolls
        (b"\x1b[2;3Hx", (10, 3), ("", "  x")),
        (b"main\r\n\x1b[?1049h\x1b[Halt", (10, 3), ("alt",)),  # on the alternate screen
        (b"main\r\n\x1b[?1049h\x1b[Halt\x1b[?1049l", (10, 3), ("main",)),  # and back
        (b"\x1b[?1h\x1b[31mred\x1b[0m\x1b]0;title\x07", (10, 3), ("red",)),
    ],
)
def test_read_screen(raw: bytes, size: tuple[int, int], rows: tuple[str, ...]) -> None:
    assert read_screen(raw, size) == rows


def test_a_screen_is_compared_with_the_matchers_row_by_row() -> None:
    rows = read_screen(b"Total: 42 files\r\n\x1b[3;1H  done in 0.3s", (30, 5))
    expected = ("Total: [..] files", "", "  done in * (glob)")
    assert compare_output(expected, rows, no_eol=False).matched
    assert not compare_output(("Total: 42 files",), rows, no_eol=False).matched
