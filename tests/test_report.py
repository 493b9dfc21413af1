"""Tests for txtest.report: what the user reads, as exact text."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from txtest.errors import InputError
from txtest.model import (
    Block,
    BlockResult,
    Command,
    CommandResult,
    CommandRun,
    DiffLine,
    DocFormat,
    Document,
    DocumentResult,
    Location,
    Outcome,
    Span,
    Update,
)
from txtest.report import (
    NORMAL,
    QUIET,
    VERBOSE,
    count_blocks,
    format_block,
    format_block_end,
    format_command,
    format_document,
    format_failure,
    format_input_error,
    format_summary,
    format_update_hint,
    updatable_paths,
    write_report,
)

PATH = "docs/a.md"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def command(line: int, source: str = "echo hi", expected: int = 1, status: int = 0) -> Command:
    """A command at `line` whose expected output takes the `expected` lines after it."""
    last = line + source.count("\n")
    return Command(
        source,
        Location(PATH, line),
        tuple(f"x{n}" for n in range(expected)),
        Span(last, last + expected),
        exit_status=status,
    )


def passed(cmd: Command) -> CommandResult:
    """A command that did what it should."""
    return CommandResult(cmd, CommandRun(cmd.expected, exit_status=cmd.exit_status), True)


def diffed(cmd: Command, *diff: DiffLine, run: CommandRun | None = None) -> CommandResult:
    """A command whose output differs as `diff` says."""
    return CommandResult(cmd, run or CommandRun(("?",)), False, diff)


def block(line: int, *results: CommandResult, **fields: bool) -> BlockResult:
    """A block at `line` holding these command results; its outcome follows from them."""
    outcome = Outcome.PASSED if all(result.is_ok for result in results) else Outcome.FAILED
    commands = tuple(result.command for result in results)
    return BlockResult(Block(Location(PATH, line), commands), outcome, results, **fields)


def skipped(line: int) -> BlockResult:
    """A block a `skip` directive left unrun."""
    return BlockResult(Block(Location(PATH, line), ()), Outcome.SKIPPED)


def document(*blocks: BlockResult, update: Update | None = None) -> DocumentResult:
    """A document result for docs/a.md."""
    doc = Document(Path(PATH), PATH, DocFormat.MARKDOWN)
    return DocumentResult(doc, blocks, update=update)


def hi_hello() -> CommandResult:
    """`echo hi` at line 5 expecting `hello` at line 6."""
    return diffed(command(5), DiffLine("-", "hello", 6), DiffLine("+", "hi"))


def report(*blocks: BlockResult, verbosity: int = NORMAL, update: Update | None = None) -> str:
    """The plain-text report of one document, its final newline left out."""
    text = format_document(document(*blocks, update=update), color=False, verbosity=verbosity)
    assert text == "" or text.endswith("\n")
    return text.removesuffix("\n")


def test_a_failing_command_shows_header_command_and_diff() -> None:
    assert report(block(4, hi_hello()), block(9, passed(command(10))), skipped(14)) == (
        "docs/a.md:5: FAILED\n"
        "    $ echo hi\n"
        "--- expected\n"
        "+++ actual\n"
        "@@ -6 +6 @@\n"
        "-hello\n"
        "+hi\n"
        "\n"
        "docs/a.md: 1 passed, 1 failed, 1 skipped"
    )


def test_continuation_lines_and_exit_status() -> None:
    cmd = command(3, "for i in 1 2\ndo echo $i\ndone", expected=2)
    run = CommandRun(("1", "2"), exit_status=1)
    assert report(block(2, CommandResult(cmd, run, True))) == (
        "docs/a.md:3: FAILED\n"
        "    $ for i in 1 2\n"
        "    > do echo $i\n"
        "    > done\n"
        "exit status: expected 0, got 1\n"
        "\n"
        "docs/a.md: 0 passed, 1 failed"
    )


def test_every_failing_command_of_a_block_gets_a_section() -> None:
    second = command(8, "false", expected=0)
    text = report(
        block(
            4,
            hi_hello(),
            passed(command(7)),
            CommandResult(second, CommandRun((), exit_status=1), True),
        )
    )
    headers = [line for line in text.splitlines() if "FAILED" in line]
    assert headers == ["docs/a.md:5: FAILED", "docs/a.md:8: FAILED"]
    assert text.endswith("docs/a.md: 0 passed, 1 failed")


def context(start: int, count: int, line: int) -> list[DiffLine]:
    """Unchanged lines `l<start>`... numbered from source line `line`."""
    return [DiffLine(" ", f"l{start + n}", line + n) for n in range(count)]


def diff_text(result: CommandResult) -> str:
    """Only the diff part of a failure section."""
    lines = format_block(block(1, result), color=False).splitlines()
    return "\n".join(lines[lines.index("--- expected") :])


def test_hunks_have_three_lines_of_context_and_source_line_numbers() -> None:
    # Expected output on lines 11-30; line 20 differs.
    diff = [
        *context(0, 9, 11),
        DiffLine("-", "old", 20),
        DiffLine("+", "new"),
        *context(10, 10, 21),
    ]
    assert diff_text(diffed(command(10, expected=20), *diff)) == (
        "--- expected\n+++ actual\n@@ -17,7 +17,7 @@\n l6\n l7\n l8\n-old\n+new\n l10\n l11\n l12"
    )


def test_distant_changes_make_separate_hunks_and_shift_the_actual_side() -> None:
    diff = [
        DiffLine("+", "added"),
        *context(0, 10, 11),
        DiffLine("-", "gone", 21),
        *context(10, 2, 22),
    ]
    assert diff_text(diffed(command(10, expected=13), *diff)) == (
        "--- expected\n"
        "+++ actual\n"
        "@@ -11,3 +11,4 @@\n"
        "+added\n"
        " l0\n l1\n l2\n"
        "@@ -18,6 +19,5 @@\n"
        " l7\n l8\n l9\n"
        "-gone\n"
        " l10\n l11"
    )


def test_a_short_diff_is_shown_whole() -> None:
    diff = [DiffLine("-", "a", 6), *context(0, 6, 7), DiffLine("+", "b")]
    assert diff_text(diffed(command(5, expected=7), *diff)) == (
        "--- expected\n+++ actual\n@@ -6,7 +6,7 @@\n-a\n l0\n l1\n l2\n l3\n l4\n l5\n+b"
    )


def test_output_where_none_was_expected() -> None:
    diff = [DiffLine("+", "surprise"), DiffLine("+", "twice")]
    assert diff_text(diffed(command(5, expected=0), *diff)) == (
        "--- expected\n+++ actual\n@@ -5,0 +6,2 @@\n+surprise\n+twice"
    )


def test_expected_output_that_never_came() -> None:
    diff = [DiffLine("-", "one", 6), DiffLine("-", "two", 7)]
    assert diff_text(diffed(command(5, expected=2), *diff)) == (
        "--- expected\n+++ actual\n@@ -6,2 +5,0 @@\n-one\n-two"
    )


def test_expected_line_numbers_default_to_the_span() -> None:
    diff = [DiffLine(" ", "same"), DiffLine("-", "old"), DiffLine("+", "new")]
    assert diff_text(diffed(command(5, expected=2), *diff)).splitlines()[2] == "@@ -6,2 +6,2 @@"


def test_a_timeout_shows_the_reason_and_the_output_so_far() -> None:
    run = CommandRun(("started",), exit_status=None, lost="timed out after 1 s")
    result = CommandResult(
        command(5, "sleep 5", expected=0), run, False, (DiffLine("+", "started"),)
    )
    assert report(block(4, result)) == (
        "docs/a.md:5: FAILED\n"
        "    $ sleep 5\n"
        "timed out after 1 s\n"
        "output so far:\n"
        "    started\n"
        "\n"
        "docs/a.md: 0 passed, 1 failed"
    )


def test_a_command_after_the_session_was_lost() -> None:
    run = CommandRun((), exit_status=None, lost="the shell exited with status 3")
    result = CommandResult(command(9, "echo later"), run, False)
    assert format_block(block(8, result), color=False) == (
        "docs/a.md:9: FAILED\n    $ echo later\nthe shell exited with status 3"
    )


def test_escapes_left_bring_a_hint_and_are_shown_escaped() -> None:
    run = CommandRun(("\x1b[31mred\x1b[0m",), escapes_left=True)
    result = diffed(
        command(5), DiffLine("-", "red", 6), DiffLine("+", "\x1b[31mred\x1b[0m"), run=run
    )
    lines = format_block(block(4, result), color=False).splitlines()
    assert lines[-2:] == [
        "+\\x1b[31mred\\x1b[0m (esc)",
        "hint: the output holds escape sequences; --term render "
        "(or the term=render directive) compares what a terminal shows",
    ]


def test_unprintable_and_undecodable_output_is_shown_as_an_esc_line() -> None:
    result = diffed(command(5), DiffLine("-", "x", 6), DiffLine("+", "a\tb\\c\udce9\r"))
    assert diff_text(result).splitlines()[-1] == "+a\\tb\\\\c\\xe9\\r (esc)"


def test_very_long_lines_are_cut_with_a_note() -> None:
    result = diffed(command(5), DiffLine("-", "short", 6), DiffLine("+", "y" * 2500))
    assert diff_text(result).splitlines()[-1] == "+" + "y" * 2000 + "... (500 chars cut)"


def test_quiet_shows_only_failures() -> None:
    assert report(block(1, passed(command(2))), skipped(5), verbosity=QUIET) == ""
    assert report(block(4, hi_hello()), verbosity=QUIET).splitlines()[0] == "docs/a.md:5: FAILED"
    assert "passed" not in report(block(4, hi_hello()), verbosity=QUIET)


def test_verbose_shows_a_line_per_command() -> None:
    heredoc = command(12, "cat <<EOF\nx\nEOF")
    assert report(
        block(1, passed(command(2))),
        block(4, hi_hello()),
        skipped(9),
        block(11, CommandResult(heredoc, CommandRun((), exit_status=2), True)),
        verbosity=VERBOSE,
    ) == (
        "docs/a.md:2: ok $ echo hi\n"
        "docs/a.md:5: FAILED $ echo hi\n"
        "--- expected\n"
        "+++ actual\n"
        "@@ -6 +6 @@\n"
        "-hello\n"
        "+hi\n"
        "\n"
        "docs/a.md:9: skipped\n"
        "docs/a.md:12: FAILED $ cat <<EOF\n"
        "    $ cat <<EOF\n"
        "    > x\n"
        "    > EOF\n"
        "exit status: expected 0, got 2\n"
        "\n"
        "docs/a.md: 1 passed, 2 failed, 1 skipped"
    )


def test_verbose_lines_written_piece_by_piece_add_up_to_the_document_report() -> None:
    blocks = (block(1, passed(command(2))), block(4, hi_hello()), skipped(9))
    doc = document(*blocks)
    live = "".join(
        format_command(result, color=False) for result in blocks[0].commands + blocks[1].commands
    ) + "".join(format_block_end(result, color=False) for result in blocks)
    tail = format_document(doc, color=False, verbosity=VERBOSE, blocks=False)
    assert tail == "docs/a.md: 1 passed, 1 failed, 1 skipped\n"
    assert live + tail == format_document(doc, color=False, verbosity=VERBOSE)


def test_a_failure_for_annotations_is_the_command_and_its_diff_without_colour() -> None:
    assert format_failure(hi_hello()) == (
        "    $ echo hi\n--- expected\n+++ actual\n@@ -6 +6 @@\n-hello\n+hi"
    )


def test_an_updated_block_is_reported_as_updated_not_failed() -> None:
    result = hi_hello()
    updated = CommandResult(result.command, result.run, True, updated=("hi",))
    rewritten = BlockResult(
        Block(Location(PATH, 4), (updated.command,)), Outcome.PASSED, (updated,)
    )
    update = Update(frozenset({updated.command.location}))
    assert report(rewritten, update=update) == (
        "docs/a.md:4: updated\nupdated docs/a.md\ndocs/a.md: 1 passed, 0 failed"
    )
    assert report(rewritten, verbosity=VERBOSE, update=update) == (
        "docs/a.md:5: updated $ echo hi\nupdated docs/a.md\ndocs/a.md: 1 passed, 0 failed"
    )
    assert report(rewritten, verbosity=QUIET, update=update) == ""


def test_a_timed_out_command_in_an_updated_block_still_fails() -> None:
    lost = CommandResult(
        command(8, "sleep 9"), CommandRun((), exit_status=None, lost="timed out after 1 s"), False
    )
    updated = CommandResult(hi_hello().command, hi_hello().run, True, updated=("hi",))
    result = BlockResult(Block(Location(PATH, 4), ()), Outcome.FAILED, (updated, lost))
    assert report(result, update=Update(frozenset({updated.command.location}))) == (
        "docs/a.md:4: updated\n"
        "docs/a.md:8: FAILED\n"
        "    $ sleep 9\n"
        "timed out after 1 s\n"
        "\n"
        "updated docs/a.md\n"
        "docs/a.md: 0 passed, 1 failed"
    )


def test_blocks_run_only_for_state_are_hidden_unless_they_fail() -> None:
    hidden_pass = block(1, passed(command(2)), reported=False)
    hidden_fail = block(4, hi_hello(), reported=False)
    text = report(hidden_pass, hidden_fail, verbosity=VERBOSE)
    assert "docs/a.md:2" not in text
    assert "docs/a.md:5: FAILED" in text
    assert text.endswith("docs/a.md: 0 passed, 1 failed")
    assert count_blocks([document(hidden_pass, hidden_fail)]) == (0, 1, 0)


def test_a_failed_block_without_failing_commands_still_shows() -> None:
    result = BlockResult(Block(Location(PATH, 7), ()), Outcome.FAILED)
    assert report(result) == "docs/a.md:7: FAILED\n\ndocs/a.md: 0 passed, 1 failed"


def test_what_update_mode_did_comes_before_the_document_line() -> None:
    doc = document(block(1, passed(command(2))), update=Update(problem="the file is read-only"))
    assert format_document(doc, color=False, verbosity=NORMAL) == (
        "not updated docs/a.md: the file is read-only\ndocs/a.md: 1 passed, 0 failed\n"
    )
    assert format_document(doc, color=False, verbosity=QUIET) == ""


def test_count_blocks_over_documents() -> None:
    first = document(block(1, passed(command(2))), skipped(4), block(6, hi_hello()))
    second = document(block(1, passed(command(2))), block(3, passed(command(4)), reported=False))
    assert count_blocks([first, second]) == (2, 1, 1)
    assert count_blocks([]) == (0, 0, 0)


@pytest.mark.parametrize(
    ("counts", "summary"),
    [
        ((3, 1, 0), "3 passed, 1 failed"),
        ((0, 0, 0), "0 passed, 0 failed"),
        ((2, 0, 5), "2 passed, 0 failed, 5 skipped"),
    ],
)
def test_format_summary(counts: tuple[int, int, int], summary: str) -> None:
    assert format_summary(*counts) == summary


def test_format_update_hint_quotes_paths() -> None:
    assert format_update_hint(["README.md", "docs/my notes.md"]) == (
        "run txtest --update README.md 'docs/my notes.md' to accept the actual output"
    )


def test_only_documents_with_updatable_failures_get_the_hint() -> None:
    lost = CommandResult(
        command(2), CommandRun((), exit_status=None, lost="timed out after 1 s"), False
    )
    assert updatable_paths([document(block(1, lost))]) == ()
    assert updatable_paths([document(block(1, passed(command(2))))]) == ()
    assert updatable_paths([document(block(4, hi_hello()))]) == (PATH,)


def test_format_input_error() -> None:
    error = InputError("unknown directive 'skp'", Location(PATH, 14))
    assert format_input_error(error, color=False) == "docs/a.md:14: error: unknown directive 'skp'"
    coloured = format_input_error(error, color=True)
    assert coloured != str(error)
    assert ANSI.sub("", coloured) == str(error)
    assert format_input_error(InputError("no such file", path="x.md"), color=False) == (
        "x.md: error: no such file"
    )


def test_colour_adds_codes_and_nothing_else() -> None:
    doc = document(block(1, passed(command(2))), block(4, hi_hello()), skipped(9))
    for verbosity in (QUIET, NORMAL, VERBOSE):
        plain = format_document(doc, color=False, verbosity=verbosity)
        coloured = format_document(doc, color=True, verbosity=verbosity)
        assert ANSI.search(coloured)
        assert not ANSI.search(plain)
        assert ANSI.sub("", coloured) == plain


def test_colours_of_diff_lines_and_headers() -> None:
    lines = format_document(
        document(block(4, hi_hello())), color=True, verbosity=NORMAL
    ).splitlines()
    assert lines[0] == "docs/a.md:5: \x1b[1m\x1b[31mFAILED\x1b[0m"
    assert "\x1b[36m@@ -6 +6 @@\x1b[0m" in lines
    assert "\x1b[31m-hello\x1b[0m" in lines
    assert "\x1b[32m+hi\x1b[0m" in lines
    assert lines[-1] == "docs/a.md: 0 passed, \x1b[31m1 failed\x1b[0m"


def test_write_report_ends_with_the_plain_summary() -> None:
    stream = io.StringIO()
    doc = document(block(1, passed(command(2))), block(4, hi_hello()))
    write_report(stream, [doc, document()], color=True, verbosity=NORMAL)
    lines = stream.getvalue().splitlines()
    assert lines[-2:] == [
        "run txtest --update docs/a.md to accept the actual output",
        "1 passed, 1 failed",
    ]
    assert stream.getvalue().endswith("\n")


def test_write_report_quiet_and_passing() -> None:
    stream = io.StringIO()
    write_report(stream, [document(block(1, passed(command(2))))], color=False, verbosity=QUIET)
    assert stream.getvalue() == "1 passed, 0 failed\n"


def test_importing_report_does_not_initialise_colorama() -> None:
    code = (
        "import colorama.initialise as init, sys\n"
        "stdout = sys.stdout\n"
        "import txtest.report\n"
        "assert init.orig_stdout is None and not init.fixed_windows_console\n"
        "assert sys.stdout is stdout\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
