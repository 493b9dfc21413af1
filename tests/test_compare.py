"""Expected against actual output: verdicts, diffs and updated expected lines."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from txtest import compare as compare_module
from txtest.compare import Comparison, compare_command, compare_output
from txtest.matchers import PatternError, compile_line, spell_line
from txtest.model import Command, CommandRun, DiffLine, Location, Span

RAW_FF = b"\xff".decode("utf-8", "surrogateescape")


def compare(
    expected: tuple[str, ...],
    actual: tuple[str, ...],
    *,
    no_eol: bool = False,
    exact_blank: bool = False,
) -> Comparison:
    """Compare with the defaults a Markdown document has."""
    return compare_output(expected, actual, no_eol=no_eol, cram=exact_blank)


def shown(comparison: Comparison) -> list[str]:
    """The diff as a user reads it: tag and text."""
    return [line.tag + line.text for line in comparison.diff]


def assert_passes(comparison: Comparison, expected: tuple[str, ...]) -> None:
    """A pass: no diff, and the expected lines kept as written."""
    assert comparison.matched
    assert comparison.diff == ()
    assert comparison.updated == expected


# Verdicts -------------------------------------------------------------------


def test_same_lines_pass() -> None:
    expected = ("one", "two")
    assert_passes(compare(expected, ("one", "two")), expected)


def test_nothing_expected_and_nothing_printed_passes() -> None:
    assert_passes(compare((), ()), ())


def test_trailing_blanks_are_ignored_on_both_sides() -> None:
    expected = ("one  ", "two\t")
    assert_passes(compare(expected, ("one", "two   \t")), expected)


def test_trailing_empty_actual_lines_are_ignored() -> None:
    assert_passes(compare(("one",), ("one", "", "  ")), ("one",))


def test_exact_blank_keeps_trailing_empty_lines() -> None:
    result = compare(("one",), ("one", ""), exact_blank=True)
    assert not result.matched
    assert shown(result) == [" one", "+"]
    assert result.updated == ("one", "")


def test_exact_blank_passes_when_blank_lines_are_expected() -> None:
    assert_passes(compare(("one", ""), ("one", ""), exact_blank=True), ("one", ""))


def test_empty_lines_inside_the_output_count() -> None:
    result = compare(("a", "b"), ("a", "", "b"))
    assert not result.matched
    assert shown(result) == [" a", "+", " b"]


def test_pattern_lines_pass() -> None:
    expected = ("[0-9]+ files (re)", "*.txt (glob)", "took [..]s", "\\x1b[1mhi (esc)")
    actual = ("12 files", "notes.txt", "took 3s", "\x1b[1mhi")
    assert_passes(compare(expected, actual), expected)


def test_unprintable_output_needs_an_esc_line() -> None:
    result = compare(("a\tb",), ("a\tb",))
    assert not result.matched
    assert shown(result) == ["-a\tb", "+a\\tb (esc)"]
    assert result.updated == ("a\\tb (esc)",)


def test_undecodable_bytes_need_an_esc_line() -> None:
    result = compare(("bad [..]",), (f"bad {RAW_FF}",))
    assert not result.matched
    assert result.updated == ("bad \\xff (esc)",)
    assert_passes(compare(("bad \\xff (esc)",), (f"bad {RAW_FF}",)), ("bad \\xff (esc)",))


def test_bad_regex_raises() -> None:
    with pytest.raises(PatternError):
        compare(("a( (re)",), ("a",))


# Missing final newline ------------------------------------------------------


def test_output_without_final_newline_needs_a_no_eol_line() -> None:
    result = compare(("a", "b"), ("a", "b"), no_eol=True)
    assert not result.matched
    assert shown(result) == [" a", "-b", "+b (no-eol)"]
    assert result.updated == ("a", "b (no-eol)")


def test_no_eol_line_passes_when_the_newline_is_missing() -> None:
    expected = ("a", "b (no-eol)")
    assert_passes(compare(expected, ("a", "b"), no_eol=True), expected)


def test_no_eol_pattern_line_is_kept_when_it_matches() -> None:
    expected = ("[a-z]+ (re) (no-eol)",)
    assert_passes(compare(expected, ("abc",), no_eol=True), expected)


def test_no_eol_line_fails_when_the_newline_is_there() -> None:
    result = compare(("a (no-eol)",), ("a",))
    assert not result.matched
    assert shown(result) == ["-a (no-eol)", "+a"]
    assert result.updated == ("a",)


def test_no_eol_line_must_be_the_last() -> None:
    result = compare(("a (no-eol)", "..."), ("a",), no_eol=True)
    assert not result.matched
    assert result.updated == ("a (no-eol)",)


def test_ellipsis_cannot_stand_for_a_last_line_without_newline() -> None:
    result = compare(("a", "..."), ("a", "b"), no_eol=True)
    assert not result.matched
    assert shown(result) == [" a", " ...", "+b (no-eol)"]
    assert result.updated == ("a", "...", "b (no-eol)")


def test_nothing_after_an_unterminated_last_line_in_update() -> None:
    result = compare(("a", "..."), ("a",), no_eol=True)
    assert result.updated == ("a (no-eol)",)


def test_unprintable_last_line_without_newline() -> None:
    result = compare((), ("\x1b[0m",), no_eol=True)
    assert result.updated == ("\\x1b[0m (esc) (no-eol)",)
    assert_passes(compare(result.updated, ("\x1b[0m",), no_eol=True), result.updated)


def test_empty_output_has_no_missing_newline() -> None:
    assert_passes(compare((), (), no_eol=True), ())


def test_blank_unterminated_tail_is_dropped_with_its_missing_newline() -> None:
    assert_passes(compare(("a",), ("a", "  "), no_eol=True), ("a",))


# Ellipsis --------------------------------------------------------------------


@pytest.mark.parametrize(
    "actual",
    [("a", "b"), ("a", "x", "b"), ("a", "x", "y", "b"), ("a", "b", "b")],
)
def test_ellipsis_matches_zero_or_more_lines(actual: tuple[str, ...]) -> None:
    expected = ("a", "...", "b")
    assert_passes(compare(expected, actual), expected)


def test_ellipsis_backtracks() -> None:
    expected = ("a", "...", "b", "c")
    assert_passes(compare(expected, ("a", "b", "x", "b", "c")), expected)


def test_several_ellipses() -> None:
    expected = ("...", "a", "...", "b", "...")
    assert_passes(compare(expected, ("q", "a", "r", "s", "b", "t")), expected)
    assert_passes(compare(expected, ("a", "b")), expected)


def test_ellipsis_alone_matches_nothing_and_anything() -> None:
    assert_passes(compare(("...",), ()), ("...",))
    assert_passes(compare(("...",), ("x", "\x1b", "y")), ("...",))


def test_failing_ellipsis_shows_as_context() -> None:
    result = compare(("a", "...", "b"), ("a", "x", "y", "c"))
    assert not result.matched
    assert shown(result) == [" a", " ...", "-b", "+c"]
    assert result.updated == ("a", "...", "c")


def test_ellipsis_is_kept_when_it_stands_for_nothing() -> None:
    result = compare(("a", "...", "b"), ("a",))
    assert shown(result) == [" a", " ...", "-b"]
    assert result.updated == ("a", "...")


# Diffs -----------------------------------------------------------------------


def test_changed_line_shows_as_removed_then_added() -> None:
    result = compare(("a", "b", "c"), ("a", "x", "c"))
    assert shown(result) == [" a", "-b", "+x", " c"]
    assert result.updated == ("a", "x", "c")


def test_changed_run_shows_removed_lines_before_added_ones() -> None:
    result = compare(("a", "b", "c", "d"), ("a", "x", "y", "d"))
    assert shown(result) == [" a", "-b", "-c", "+x", "+y", " d"]


def test_added_and_removed_lines() -> None:
    assert shown(compare(("a", "c"), ("a", "b", "c"))) == [" a", "+b", " c"]
    assert shown(compare(("a", "b", "c"), ("a", "c"))) == [" a", "-b", " c"]
    assert shown(compare(("a",), ())) == ["-a"]
    assert shown(compare((), ("a",))) == ["+a"]


def test_matching_pattern_lines_are_context_not_changes() -> None:
    expected = ("[0-9]+ files (re)", "*.txt (glob)", "took [..]s", "done")
    actual = ("12 files", "notes.txt", "took 3s", "failed")
    result = compare(expected, actual)
    assert shown(result) == [
        " [0-9]+ files (re)",
        " *.txt (glob)",
        " took [..]s",
        "-done",
        "+failed",
    ]
    assert result.updated == ("[0-9]+ files (re)", "*.txt (glob)", "took [..]s", "failed")


def test_pattern_line_that_stops_matching_is_replaced() -> None:
    result = compare(("[0-9]+ files (re)",), ("no files",))
    assert shown(result) == ["-[0-9]+ files (re)", "+no files"]
    assert result.updated == ("no files",)


def test_pattern_lines_align_after_an_inserted_line() -> None:
    expected = ("start", "id: [0-9]+ (re)", "end")
    result = compare(expected, ("start", "warning", "id: 42", "end"))
    assert shown(result) == [" start", "+warning", " id: [0-9]+ (re)", " end"]
    assert result.updated == ("start", "warning", "id: [0-9]+ (re)", "end")


def test_diff_numbers_expected_lines_from_first_line() -> None:
    result = compare_output(("a", "b", "c"), ("a", "x", "c"), no_eol=False, first_line=10)
    assert result.diff == (
        DiffLine(" ", "a", 10),
        DiffLine("-", "b", 11),
        DiffLine("+", "x", None),
        DiffLine(" ", "c", 12),
    )


def test_diff_without_first_line_has_no_numbers() -> None:
    assert {line.line for line in compare(("a",), ("b",)).diff} == {None}


def test_expected_lines_keep_their_spelling_in_the_diff() -> None:
    result = compare(("same  ", "old"), ("same", "new"))
    assert shown(result) == [" same  ", "-old", "+new"]


def test_actual_line_that_looks_like_a_pattern_is_escaped() -> None:
    result = compare((), ("result (re)",))
    assert result.updated == ("result (re) (esc)",)
    assert_passes(compare(result.updated, ("result (re)",)), result.updated)


def test_actual_line_that_is_a_bad_regex_is_escaped() -> None:
    result = compare((), ("a( (re)",))
    assert result.updated == ("a( (re) (esc)",)
    assert_passes(compare(result.updated, ("a( (re)",)), result.updated)


@pytest.mark.parametrize("cram", [False, True])
@pytest.mark.parametrize(
    "line", ["foo\\Z bar (re)", "a* (glob)", "x (esc)", "done (no-eol)", "v[..] (re)"]
)
def test_an_expected_line_matches_its_own_text_first(line: str, cram: bool) -> None:
    assert compare_output((line,), (line,), no_eol=False, cram=cram).matched


def test_cram_regex_is_re_match_with_end_anchor() -> None:
    # re.match("a|b\\Z") accepts "ab" (the first branch has no anchor); fullmatch does not
    assert compare_output(("a|b (re)",), ("ab",), no_eol=False, cram=True).matched
    assert not compare_output(("a|b (re)",), ("ab",), no_eol=False).matched


def test_cram_bad_regex_matches_only_its_own_text() -> None:
    assert compare_output(("a( (re)",), ("a( (re)",), no_eol=False, cram=True).matched
    assert not compare_output(("a( (re)",), ("a(",), no_eol=False, cram=True).matched


def test_cram_printed_status_line_matches_an_expected_status() -> None:
    printed = CommandRun(actual=("out", "[1]"), exit_status=0)
    assert compare_command(command(("out",), 1), printed, cram=True).is_ok
    assert not compare_command(command(("out",), 1), printed).is_ok


# compare_command -------------------------------------------------------------


def command(expected: tuple[str, ...], exit_status: int = 0) -> Command:
    """A command whose expected output starts on source line 5 (index 4)."""
    span = Span(4, 4 + len(expected) + (1 if exit_status else 0))
    return Command("echo", Location("doc.md", 4), expected, span, exit_status)


def test_compare_command_passing() -> None:
    result = compare_command(command(("hi",)), CommandRun(("hi",)))
    assert result.is_ok and result.output_ok
    assert result.diff == ()
    assert result.updated == ("hi",)


def test_compare_command_numbers_diff_lines_from_the_expected_span() -> None:
    result = compare_command(command(("a", "b")), CommandRun(("a", "c")))
    assert not result.output_ok
    assert result.diff == (DiffLine(" ", "a", 5), DiffLine("-", "b", 6), DiffLine("+", "c", None))
    assert result.updated == ("a", "c")


def test_compare_command_adds_the_exit_status_to_the_update() -> None:
    result = compare_command(command(("hi",)), CommandRun(("hi",), exit_status=3))
    assert result.output_ok and not result.status_ok
    assert result.updated == ("hi", "[3]")


def test_compare_command_drops_a_status_that_became_zero() -> None:
    result = compare_command(command(("hi",), exit_status=2), CommandRun(("hi",)))
    assert result.updated == ("hi",)


def test_compare_command_writes_no_eol() -> None:
    result = compare_command(command(()), CommandRun(("prompt>",), no_eol=True, exit_status=1))
    assert result.updated == ("prompt> (no-eol)", "[1]")


def test_compare_command_does_not_update_a_lost_session() -> None:
    run = CommandRun(("partial",), exit_status=None, lost="timed out after 1 s")
    result = compare_command(command(("done",)), run)
    assert not result.is_ok
    assert result.updated is None
    assert [line.tag + line.text for line in result.diff] == ["-done", "+partial"]


def test_compare_command_cram_blank_lines_are_exact() -> None:
    run = CommandRun(("a", ""))
    assert compare_command(command(("a",)), run).output_ok
    assert not compare_command(command(("a",)), run, cram=True).output_ok


# Update makes the output pass --------------------------------------------------

_LINES = st.sampled_from(
    ["a", "b", "c", "", "x y", "12 files", "\x1b[0m", "tab\there", "(re)", "f (re)", "...", RAW_FF]
)
_EXPECTED = st.sampled_from(
    [
        "a",
        "b",
        "c",
        "",
        "...",
        "[0-9]+ files (re)",
        "* (glob)",
        "x [..]",
        "c (no-eol)",
        "\\x1b[0m (esc)",
    ]
)


def test_an_ellipsis_before_the_line_that_ends_without_newline_takes_the_lines_before() -> None:
    # in cram a glob meets the unterminated last line as `a (no-eol)`; the first
    # `...` must take the line before it, though a later `...` was tried last
    first = compare(("...", "* (glob)", "..."), ("a", "a"), no_eol=True, exact_blank=True)
    assert first.matched and first.diff == ()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_EXPECTED, max_size=6).map(tuple),
    st.lists(_LINES, max_size=6).map(tuple),
    st.booleans(),
    st.booleans(),
)
def test_updated_lines_pass_and_are_stable(
    expected: tuple[str, ...], actual: tuple[str, ...], no_eol: bool, exact_blank: bool
) -> None:
    first = compare(expected, actual, no_eol=no_eol, exact_blank=exact_blank)
    again = compare(first.updated, actual, no_eol=no_eol, exact_blank=exact_blank)
    assert_passes(again, first.updated)
    if first.matched:
        assert_passes(first, expected)
    else:
        assert any(line.tag in "+-" for line in first.diff)


def reference_verdict(expected: tuple[str, ...], actual: tuple[str, ...], no_eol: bool) -> bool:
    """SPEC §4 restated by brute force: does the output match?"""
    lines = [line.rstrip(" \t") for line in actual]
    while lines and not lines[-1]:
        lines.pop()
    no_eol = no_eol and bool(lines) and len(lines) == len(actual)
    compiled = [compile_line(text) for text in expected]

    def pair(index: int, position: int) -> bool:
        unterminated = no_eol and position == len(lines) - 1
        if compiled[index].no_eol and index != len(compiled) - 1:
            return False  # "the output ends right after it": only a last line can say that
        wants_no_eol = compiled[index].no_eol
        return unterminated == wants_no_eol and compiled[index].matches(lines[position])

    def match(index: int, position: int) -> bool:
        if index == len(compiled):
            return position == len(lines)
        if compiled[index].is_ellipsis:
            takes = position < len(lines) and not (no_eol and position == len(lines) - 1)
            return match(index + 1, position) or (takes and match(index, position + 1))
        return position < len(lines) and pair(index, position) and match(index + 1, position + 1)

    return match(0, 0)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(_EXPECTED, max_size=7).map(tuple),
    st.lists(_LINES, max_size=7).map(tuple),
    st.booleans(),
)
def test_verdict_agrees_with_brute_force(
    expected: tuple[str, ...], actual: tuple[str, ...], no_eol: bool
) -> None:
    verdict = reference_verdict(expected, actual, no_eol)
    assert compare(expected, actual, no_eol=no_eol).matched is verdict


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_EXPECTED, max_size=8).map(tuple),
    st.lists(_LINES, max_size=8).map(tuple),
    st.booleans(),
)
def test_big_output_alignment_also_gives_passing_updates(
    expected: tuple[str, ...], actual: tuple[str, ...], no_eol: bool
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        # Outputs too big for an exact alignment are split at anchors or aligned in one pass.
        patch.setattr(compare_module, "_EXACT_LIMIT", 0)
        first = compare(expected, actual, no_eol=no_eol)
    assert_passes(compare(first.updated, actual, no_eol=no_eol), first.updated)
    if not first.matched:
        assert [line.text for line in first.diff if line.tag != "+"] == list(expected)


@settings(max_examples=300, deadline=None)
@given(st.lists(_EXPECTED, max_size=6).map(tuple), st.lists(_LINES, max_size=6).map(tuple))
def test_failing_diff_holds_every_expected_line_and_added_lines_in_order(
    expected: tuple[str, ...], actual: tuple[str, ...]
) -> None:
    result = compare(expected, actual)
    if result.matched:
        return
    assert [line.text for line in result.diff if line.tag != "+"] == list(expected)
    added = iter(line.text for line in result.diff if line.tag == "+")
    spelled = [spell_line(line) for line in actual]
    remaining = iter(spelled)
    assert all(any(text == candidate for candidate in remaining) for text in added)


# Big outputs -------------------------------------------------------------------

BIG = tuple(f"line {number} of a long output" for number in range(200_000))


def test_big_matching_output_matches() -> None:
    result = compare(BIG, BIG)
    assert result.matched


def test_big_matching_output_with_patterns_matches() -> None:
    expected = tuple(
        "line [0-9]+ of a long output (re)" if number % 10 == 0 else text
        for number, text in enumerate(BIG)
    )
    result = compare(expected, BIG)
    assert result.matched


def test_big_output_with_one_change_has_a_small_diff() -> None:
    actual = (*BIG[:1000], "changed", *BIG[1001:])
    result = compare(BIG, actual)
    assert not result.matched
    assert [line for line in shown(result) if line[0] != " "] == [
        "-line 1000 of a long output",
        "+changed",
    ]


def test_big_output_missing_every_other_line_is_aligned() -> None:
    result = compare(BIG[:20_000], BIG[:20_000:2])
    changes = [line for line in shown(result) if line[0] != " "]
    assert changes == [f"-line {number} of a long output" for number in range(1, 20_000, 2)]


def test_big_output_with_ellipsis_and_a_wrong_tail() -> None:
    expected = (*BIG[:3], "...", *BIG[-3:], "not printed")
    result = compare(expected, BIG)
    assert shown(result)[3:] == [
        " ...",
        *(" " + text for text in BIG[-3:]),
        "-not printed",
    ]
    assert result.updated == expected[:-1]
