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

from txtest.model import TermMode
from txtest.terminal import TermOutput, choose_mode, screen_lines, strip_escapes

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
