"""Expected-line syntax: each marker, what it matches, and the `(esc)` spelling of output."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from txtest.matchers import (
    MatchKind,
    PatternError,
    compile_line,
    escape_line,
    is_printable,
    spell_line,
)


def matches(expected: str, actual: str) -> bool:
    """Whether the expected line as written matches one actual line."""
    return compile_line(expected).matches(actual)


@pytest.mark.parametrize(
    ("expected", "actual"),
    [
        ("hello", "hello"),
        ("hello", "hello   "),
        ("hello  \t", "hello"),
        ("", ""),
        ("  indented", "  indented"),
        ("a (b)", "a (b)"),
        ("(re)", "(re)"),
        ("x(re)", "x(re)"),
        ("é ünïcode", "é ünïcode"),
    ],
)
def test_plain_line_matches_the_same_text(expected: str, actual: str) -> None:
    assert matches(expected, actual)


@pytest.mark.parametrize(
    ("expected", "actual"),
    [("hello", "Hello"), ("hello", " hello"), ("hello", "hello!"), ("", " x"), ("a.c", "abc")],
)
def test_plain_line_rejects_other_text(expected: str, actual: str) -> None:
    assert not matches(expected, actual)


def test_plain_line_kind_and_text_as_written() -> None:
    line = compile_line("hello  ")
    assert (line.kind, line.text, line.no_eol, line.is_ellipsis) == (
        MatchKind.PLAIN,
        "hello  ",
        False,
        False,
    )


@pytest.mark.parametrize(
    ("expected", "actual", "found"),
    [
        ("[0-9]+ files (re)", "12 files", True),
        ("[0-9]+ files (re)", "12 files and more", False),
        ("[0-9]+ files (re)", "x12 files", False),
        ("a|b (re)", "b", True),
        ("a|b (re)", "ab", False),
        (".* (re)", "", True),
        ("size: \\d+ (re)", "size: 42  ", True),
    ],
)
def test_regex_line_uses_fullmatch(expected: str, actual: str, found: bool) -> None:
    assert compile_line(expected).kind is MatchKind.RE
    assert matches(expected, actual) is found


def test_bad_regex_raises_pattern_error_at_compile_time() -> None:
    with pytest.raises(PatternError) as caught:
        compile_line("a( (re)")
    assert str(caught.value) == "bad regex 'a(': missing ), unterminated subpattern at position 1"


def test_pattern_error_is_a_value_error() -> None:
    assert issubclass(PatternError, ValueError)


@pytest.mark.parametrize(
    ("expected", "actual", "found"),
    [
        ("*.txt (glob)", "notes.txt", True),
        ("*.txt (glob)", "notes.txt.bak", False),
        ("*.txt (glob)", ".txt", True),
        ("file?.log (glob)", "file1.log", True),
        ("file?.log (glob)", "file.log", False),
        ("file?.log (glob)", "file12.log", False),
        ("a\\*b (glob)", "a*b", True),
        ("a\\*b (glob)", "axb", False),
        ("what\\? (glob)", "what?", True),
        ("what\\? (glob)", "whatx", False),
        ("back\\\\slash (glob)", "back\\slash", True),
        ("a\\nb (glob)", "a\\nb", True),
        ("[a] (glob)", "[a]", True),
        ("[a] (glob)", "a", False),
        ("1.5 (glob)", "105", False),
        ("x*y*z (glob)", "x--y--z", True),
    ],
)
def test_glob_line(expected: str, actual: str, found: bool) -> None:
    assert compile_line(expected).kind is MatchKind.GLOB
    assert matches(expected, actual) is found


@pytest.mark.parametrize(
    ("expected", "actual", "found"),
    [
        ("took [..] seconds", "took 1.5 seconds", True),
        ("took [..] seconds", "took  seconds", True),
        ("took [..] seconds", "took 1 second", False),
        ("[..]", "anything at all", True),
        ("[..]", "", True),
        ("a[..]b[..]c", "a1b2c", True),
        ("a[..]b[..]c", "a1c", False),
        ("f(x) = [..]", "f(x) = 3", True),
        ("f.x [..]", "fyx 3", False),
    ],
)
def test_wildcard_inside_a_plain_line(expected: str, actual: str, found: bool) -> None:
    assert compile_line(expected).kind is MatchKind.WILDCARD
    assert matches(expected, actual) is found


def test_wildcard_is_literal_inside_a_regex_line() -> None:
    assert not matches("a[..]b (re)", "axyzb")
    assert matches("a[..]b (re)", "a.b")


@pytest.mark.parametrize(
    ("expected", "actual", "found"),
    [
        ("\\x1b[1mbold\\x1b[0m (esc)", "\x1b[1mbold\x1b[0m", True),
        ("a\\tb (esc)", "a\tb", True),
        ("a\\\\b (esc)", "a\\b", True),
        ("cr\\r (esc)", "cr\r", True),
        ("nul\\0 (esc)", "nul\x00", True),
        ("\\u00e9t\\u00e9 (esc)", "été", True),
        ("\\N{BULLET} item (esc)", "• item", True),
        ("\\x41 (esc)", "A", True),
        ("plain (esc)", "plain", True),
        ("a\\tb (esc)", "a b", False),
        ("unknown \\q escape (esc)", "unknown \\q escape", True),
        ("trailing\\t (esc)", "trailing", True),
    ],
)
def test_esc_line_decodes_python_escapes(expected: str, actual: str, found: bool) -> None:
    assert compile_line(expected).kind is MatchKind.ESC
    assert matches(expected, actual) is found


def test_esc_high_byte_matches_the_raw_byte_or_the_character() -> None:
    raw = b"\xff".decode("utf-8", "surrogateescape")
    assert matches("\\xff (esc)", raw)
    assert matches("\\xff (esc)", "ÿ")
    assert not matches("\\xff (esc)", "y")


def test_esc_utf8_bytes_match_the_decoded_character() -> None:
    assert matches("caf\\xc3\\xa9 (esc)", "café")


def test_esc_mixed_raw_bytes_and_text() -> None:
    actual = b"bad \xfe\xff byte\x1b".decode("utf-8", "surrogateescape")
    assert matches("bad \\xfe\\xff byte\\x1b (esc)", actual)
    assert not matches("bad \\xfe\\xfe byte\\x1b (esc)", actual)


@pytest.mark.parametrize("text", ["\\x1 (esc)", "\\xzz (esc)", "\\u12 (esc)", "\\N{NO SUCH} (esc)"])
def test_bad_escape_raises_pattern_error(text: str) -> None:
    with pytest.raises(PatternError, match="bad escape"):
        compile_line(text)


@pytest.mark.parametrize(
    "expected",
    ["a\tb", "a\tb (re)", "a.b (re)", "a?b (glob)", "a[..]b", "a*b (glob)"],
)
def test_unprintable_output_only_matches_an_esc_line(expected: str) -> None:
    assert not matches(expected, "a\tb")


@pytest.mark.parametrize(
    "actual", ["\x1b[0m", "del\x7f", "bell\x07", "\x85", b"\xff".decode("utf-8", "surrogateescape")]
)
def test_regex_never_matches_unprintable_output(actual: str) -> None:
    assert not matches(".* (re)", actual)
    assert not matches("* (glob)", actual)
    assert not matches("[..]", actual)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("x (re) (no-eol)", MatchKind.RE),
        ("x (no-eol) (re)", MatchKind.RE),
        ("x* (glob) (no-eol)", MatchKind.GLOB),
        ("x* (no-eol) (glob)", MatchKind.GLOB),
        ("x\\t (esc) (no-eol)", MatchKind.ESC),
        ("x\\t (no-eol) (esc)", MatchKind.ESC),
        ("x (no-eol)", MatchKind.PLAIN),
        ("x[..] (no-eol)", MatchKind.WILDCARD),
    ],
)
def test_no_eol_combines_with_one_marker_in_either_order(text: str, kind: MatchKind) -> None:
    line = compile_line(text)
    assert (line.kind, line.no_eol) == (kind, True)
    assert line.matches("x\t" if kind is MatchKind.ESC else "x")


def test_markers_need_a_space_before_them() -> None:
    line = compile_line("a(re)")
    assert (line.kind, line.no_eol) == (MatchKind.PLAIN, False)


def test_a_second_kind_marker_is_part_of_the_text() -> None:
    line = compile_line("a (glob) (re)")
    assert line.kind is MatchKind.RE
    assert line.matches("a glob")


def test_ellipsis_alone_on_a_line() -> None:
    line = compile_line("...")
    assert line.is_ellipsis and line.kind is MatchKind.ELLIPSIS
    assert line.matches("anything")
    assert compile_line("...  ").is_ellipsis


@pytest.mark.parametrize("text", ["....", " ...", "... more", "... (no-eol)", "... (re)"])
def test_only_an_exact_ellipsis_line_is_one(text: str) -> None:
    assert not compile_line(text).is_ellipsis


def test_trailing_blanks_are_removed_before_markers_are_read() -> None:
    line = compile_line("[0-9]+ (re)  \t")
    assert line.kind is MatchKind.RE
    assert line.matches("42")


@pytest.mark.parametrize(
    ("line", "printable"),
    [
        ("plain text", True),
        ("", True),
        ("ünïcödé and emoji 🎉", True),
        ("tab\there", False),
        ("esc\x1b", False),
        ("del\x7f", False),
        ("c1\x9b", False),
        ("cr\r", False),
        (b"raw \xff".decode("utf-8", "surrogateescape"), False),
    ],
)
def test_is_printable(line: str, printable: bool) -> None:
    assert is_printable(line) is printable


@pytest.mark.parametrize(
    ("line", "escaped"),
    [
        ("plain", "plain"),
        ("a\\b", "a\\\\b"),
        ("a\tb\r", "a\\tb\\r"),
        ("\x1b[0m", "\\x1b[0m"),
        ("nul\x00del\x7f", "nul\\x00del\\x7f"),
        (b"raw \xfe\xff".decode("utf-8", "surrogateescape"), "raw \\xfe\\xff"),
        ("été", "été"),
        ("\x85", "\\x85"),
        ("lone \ud800", "lone \\ud800"),
        ("ends (no-eol)", "ends \\x28no-eol)"),
    ],
)
def test_escape_line(line: str, escaped: str) -> None:
    assert escape_line(line) == escaped


@pytest.mark.parametrize(
    ("actual", "no_eol", "spelled"),
    [
        ("plain", False, "plain"),
        ("plain", True, "plain (no-eol)"),
        ("a\tb", False, "a\\tb (esc)"),
        ("a\tb", True, "a\\tb (esc) (no-eol)"),
        ("output (re)", False, "output (re) (esc)"),
        ("a( (re)", False, "a( (re) (esc)"),
        ("f(x) = y", False, "f(x) = y"),
        ("done (no-eol)", False, "done \\x28no-eol) (esc)"),
        ("a[..]b", False, "a[..]b"),
        ("trailing  ", False, "trailing"),
    ],
)
def test_spell_line(actual: str, no_eol: bool, spelled: str) -> None:
    assert spell_line(actual, no_eol=no_eol) == spelled


_PIECES = st.sampled_from(["\\", " ", "\t", "(no-eol)", "(esc)", " (re)", "[..]", "...", "\\x"])
_CHARS = st.characters() | st.sampled_from("\t\r\x1b\x7f\x85\udc80\udcff\udcc3\ud800")
_ANY_LINE = st.lists(_PIECES | _CHARS, max_size=12).map("".join)


@settings(max_examples=400, deadline=None)
@given(_ANY_LINE)
def test_escape_line_round_trips(line: str) -> None:
    assert compile_line(escape_line(line) + " (esc)").matches(line)


@settings(max_examples=400, deadline=None)
@given(_ANY_LINE, st.booleans())
def test_spelled_line_matches_exactly_that_line(line: str, no_eol: bool) -> None:
    compiled = compile_line(spell_line(line, no_eol=no_eol))
    assert compiled.no_eol is no_eol
    assert compiled.matches(line)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=20))
def test_escaped_raw_bytes_round_trip(data: bytes) -> None:
    line = data.decode("utf-8", "surrogateescape").replace("\n", "")
    assert compile_line(escape_line(line) + " (esc)").matches(line)


EDGE_CHARACTERS = st.sampled_from(["a", " ", "~", "\n", "\t", "\r", "\x00", "\x1b", "\x7f", "\x85"])
UNDECODABLE = st.sampled_from([chr(code) for code in range(0xDC80, 0xDD00)])


@given(
    st.text(
        alphabet=st.one_of(EDGE_CHARACTERS, st.characters(max_codepoint=0x2FF), UNDECODABLE),
        max_size=12,
    )
)
@example("two\nlines")
@example("tab\there")
@example("caf\u00e9\x85")
def test_is_printable_is_the_spec_rule_for_any_text(text: str) -> None:
    # SPEC §4: control characters other than newline (tab included), DEL, C1
    # controls and undecodable bytes (surrogate escapes) are unprintable
    def unprintable(code: int) -> bool:
        return (code < 0x20 and code != 0x0A) or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF

    assert is_printable(text) is not any(unprintable(ord(char)) for char in text)
