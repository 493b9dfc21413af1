"""What the user reads: failing commands with their diffs, per-document counts, the summary.

The only module that knows about colours: colorama's codes are inserted when asked
for, and colorama is never initialised here.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Sequence
from typing import NamedTuple, TextIO

from txtest.errors import InputError
from txtest.matchers import escape_line, is_printable
from txtest.model import (
    BlockResult,
    CommandResult,
    DiffLine,
    DocumentResult,
    Location,
    Outcome,
)

QUIET, NORMAL, VERBOSE = -1, 0, 1
"""Verbosity levels: only failures; failures and a line per document; a line per command."""
CONTEXT = 3
"""Unchanged lines shown around each change of a diff."""
WHOLE_DIFF = 10
"""A diff of at most this many lines is shown whole, as one hunk."""
MAX_LINE = 2000
"""Longer lines are cut in the display."""
INDENT = "    "
ESCAPES_HINT = (
    "hint: the output holds escape sequences; --term render "
    "(or the term=render directive) compares what a terminal shows"
)

_TAG_COLOURS = {"-": "red", "+": "green", " ": ""}
_VERDICT_COLOURS = {
    "ok": "green",
    "FAILED": "bright red",
    "skipped": "yellow",
    "updated": "yellow",
}


def format_document(
    result: DocumentResult, *, color: bool, verbosity: int, blocks: bool = True
) -> str:
    """Everything the report says about one document, each line ended; "" for nothing.

    A document that met an input error says nothing here: the error is written instead.
    blocks=False leaves out what is said about its blocks, written already (live, or by -i).
    """
    if result.error is not None:
        return ""
    rewritten = result.update.rewritten if result.update is not None else frozenset()
    lines: list[str] = []
    for block in result.blocks if blocks else ():
        lines += _block_lines(block, color, verbosity, rewritten)
    if verbosity >= NORMAL:
        lines += _update_lines(result)
        lines.append(_document_line(result, color))
    if result.keep_tmp is not None:
        lines.append(f"{result.document.display}: kept work dir {result.keep_tmp}")
    return "".join(f"{line}\n" for line in lines)


def format_block(result: BlockResult, *, color: bool, verbosity: int = NORMAL) -> str:
    """What the report says about one block (its failures, at normal verbosity)."""
    return "\n".join(_block_lines(result, color, verbosity, frozenset())).rstrip("\n")


def format_block_report(result: BlockResult, *, color: bool, verbosity: int) -> str:
    """A block's part of format_document, each line ended."""
    return "".join(f"{line}\n" for line in _block_lines(result, color, verbosity, frozenset()))


def format_command(result: CommandResult, *, color: bool) -> str:
    """What -v says about a command as it finishes: its verdict, and why it failed."""
    verdict = _verdict(result, frozenset())
    return "".join(f"{line}\n" for line in _command_report(result, verdict, color, VERBOSE))


def format_block_end(result: BlockResult, *, color: bool) -> str:
    """What -v says about a block once its commands' lines are out: that it was skipped."""
    if not result.reported and result.outcome is not Outcome.FAILED:
        return ""
    return "".join(f"{line}\n" for line in _block_end_lines(result, color, VERBOSE))


def format_failure(result: CommandResult) -> str:
    """Why a command failed, without colour: the command, then its diff or what went wrong."""
    return "\n".join(_failure_lines(result, color=False))


def format_summary(passed: int, failed: int, skipped: int) -> str:
    """The last line of a run: `N passed, M failed[, K skipped]`, never coloured."""
    summary = f"{passed} passed, {failed} failed"
    return f"{summary}, {skipped} skipped" if skipped else summary


def format_update_hint(paths: Sequence[str]) -> str:
    """The line telling how to accept the actual output."""
    quoted = " ".join(shlex.quote(path) for path in paths)
    if any(path.startswith("-") for path in paths):
        quoted = "-- " + quoted
    return f"run txtest --update {quoted} to accept the actual output"


def format_input_error(error: InputError, *, color: bool) -> str:
    """An input error as `PATH:LINE: error: MESSAGE`."""
    text = str(error)
    tail = f"error: {error.message}"
    if not color or not text.endswith(tail):
        return text
    return f"{text[: -len(tail)]}{_paint('error', 'bright red', color)}: {error.message}"


def count_blocks(results: Iterable[DocumentResult]) -> tuple[int, int, int]:
    """Passed, failed and skipped blocks: those reported, plus unreported ones that failed."""
    counts = dict.fromkeys(Outcome, 0)
    for result in results:
        for block in result.blocks:
            if block.reported or block.outcome is Outcome.FAILED:
                counts[block.outcome] += 1
    return counts[Outcome.PASSED], counts[Outcome.FAILED], counts[Outcome.SKIPPED]


def updatable_paths(results: Iterable[DocumentResult]) -> tuple[str, ...]:
    """Documents with a failing command that `--update` could rewrite (it ran to the end)."""
    return tuple(
        result.document.display
        for result in results
        if any(block.updatable for block in result.blocks)
    )


def write_document(stream: TextIO, result: DocumentResult, *, color: bool, verbosity: int) -> None:
    """Write what the report says about one document (its input error aside)."""
    stream.write(format_document(result, color=color, verbosity=verbosity))
    stream.flush()


def write_input_error(stream: TextIO, error: InputError, *, color: bool) -> None:
    """Write an input error on its own line."""
    stream.write(format_input_error(error, color=color) + "\n")


def write_summary(stream: TextIO, results: Sequence[DocumentResult], *, verbosity: int) -> None:
    """Write the update hint (unless quiet), then the summary line."""
    paths = updatable_paths(results)
    if paths and verbosity >= NORMAL:
        stream.write(format_update_hint(paths) + "\n")
    stream.write(format_summary(*count_blocks(results)) + "\n")
    stream.flush()


def write_report(
    stream: TextIO, results: Sequence[DocumentResult], *, color: bool, verbosity: int
) -> None:
    """Write every document's report, the update hint (unless quiet), then the summary."""
    for result in results:
        write_document(stream, result, color=color, verbosity=verbosity)
    write_summary(stream, results, verbosity=verbosity)


def _update_lines(result: DocumentResult) -> list[str]:
    """Whether update mode rewrote the document, or why it could not."""
    update, display = result.update, result.document.display
    if update is None:
        return []
    if update.problem is not None:
        return [f"not updated {display}: {update.problem}"]
    return [f"updated {display}"] if update.rewritten else []


def _block_lines(
    result: BlockResult, color: bool, verbosity: int, rewritten: frozenset[Location]
) -> list[str]:
    """A block's lines: failure sections, and in verbose mode a line per command."""
    if not result.reported and result.outcome is not Outcome.FAILED:
        return []
    if result.outcome is Outcome.SKIPPED:
        return _block_end_lines(result, color, verbosity)
    lines: list[str] = []
    updated = any(command.command.location in rewritten for command in result.commands)
    if updated and verbosity == NORMAL:
        lines.append(_status(result.block.location, "updated", color))
    for command in result.commands:
        lines += _command_report(command, _verdict(command, rewritten), color, verbosity)
    return lines + _block_end_lines(result, color, verbosity)


def _command_report(command: CommandResult, verdict: str, color: bool, verbosity: int) -> list[str]:
    """A command's lines: its status line (verbose, or failed), then why it failed."""
    lines: list[str] = []
    if verbosity >= VERBOSE:
        first_line = command.command.source.split("\n")[0]
        lines.append(_status(command.command.location, verdict, color, first_line))
    elif verdict == "FAILED":
        lines.append(_status(command.command.location, verdict, color))
    if verdict == "FAILED":
        # A verbose status line shows a one-line command already.
        listed = verbosity < VERBOSE or "\n" in command.command.source
        lines += [*_failure_lines(command, color, listed), ""]
    return lines


def _block_end_lines(result: BlockResult, color: bool, verbosity: int) -> list[str]:
    """Below a block's commands: that it was skipped (verbose), or failed with none named."""
    where = result.block.location
    if result.outcome is Outcome.SKIPPED:
        return [_status(where, "skipped", color)] if verbosity >= VERBOSE else []
    if result.outcome is Outcome.FAILED and not result.failures:
        return [_status(where, "FAILED", color), ""]
    return []


def _status(where: Location, verdict: str, color: bool, command: str | None = None) -> str:
    """`PATH:LINE: VERDICT`, followed by `$ COMMAND` when given."""
    line = f"{where}: {_paint(verdict, _VERDICT_COLOURS[verdict], color)}"
    return line if command is None else f"{line} $ {_display(command)}"


def _verdict(command: CommandResult, rewritten: frozenset[Location]) -> str:
    """ok, updated or FAILED: how one command is reported."""
    if command.command.location in rewritten:
        return "updated"
    return "ok" if command.is_ok else "FAILED"


def _failure_lines(result: CommandResult, color: bool, listed: bool = True) -> list[str]:
    """Below a FAILED header: the command (when listed), then what went wrong."""
    run = result.run
    lines = _command_lines(result.command.source) if listed else []
    if run.lost is not None:
        lines += _lost_lines(run.lost, run.actual, color)
    elif not result.output_ok:
        lines += _diff_lines(result.diff, result.command.expected_span.start + 1, color)
        if run.escapes_left:
            lines.append(ESCAPES_HINT)
        if run.screen is not None:
            lines += _screen_lines(run.actual, run.screen)
    if not result.status_ok and run.exit_status is not None:
        lines.append(f"exit status: expected {result.command.exit_status}, got {run.exit_status}")
    return lines


def _screen_lines(rows: Sequence[str], size: tuple[int, int]) -> list[str]:
    """The whole screen a `screen` block got, framed, so its layout shows (SPEC §11)."""
    columns, height = size
    rule = INDENT + "+" + "-" * columns + "+"
    framed = [f"{INDENT}|{_display(row)}{' ' * (columns - len(row))}|" for row in rows]
    blank = [f"{INDENT}|{' ' * columns}|"] * (height - len(rows))
    return [f"the screen ({columns}x{height}):", rule, *framed, *blank, rule]


def _command_lines(source: str) -> list[str]:
    """The command as typed: `$ ` then `> ` continuations, indented."""
    return [
        f"{INDENT}{'>' if index else '$'} {_display(line)}".rstrip(" ")
        for index, line in enumerate(source.split("\n"))
    ]


def _lost_lines(lost: str, actual: Sequence[str], color: bool) -> list[str]:
    """Why the session was lost, and what the command had printed by then."""
    lines = [_paint(lost, "red", color)]
    if actual:
        lines.append("output so far:")
        lines += [INDENT + _display(line) for line in actual]
    return lines


class _Row(NamedTuple):
    """A diff line with the source lines it stands at on each side."""

    tag: str
    text: str
    expected: int
    """The expected line's source line; for a `+` line, the next expected line's."""
    actual: int
    """The actual line's number, counted from the first expected line; for `-`, the next."""


def _diff_lines(diff: Sequence[DiffLine], first: int, color: bool) -> list[str]:
    """A unified diff, expected against actual, numbered by source line; [] if no change."""
    hunks = _hunks(_number_rows(diff, first))
    if not hunks:
        return []
    lines = [_paint("--- expected", "bright", color), _paint("+++ actual", "bright", color)]
    for hunk in hunks:
        lines.append(_paint(_hunk_header(hunk), "cyan", color))
        lines += [
            _paint(row.tag + _display(row.text), _TAG_COLOURS[row.tag], color) for row in hunk
        ]
    return lines


def _number_rows(diff: Sequence[DiffLine], first: int) -> list[_Row]:
    """Give every diff line its numbers; the actual side starts where the expected does."""
    rows: list[_Row] = []
    expected = actual = first
    for line in diff:
        if line.tag != "+" and line.line is not None:
            expected = line.line
        rows.append(_Row(line.tag, line.text, expected, actual))
        expected += line.tag != "+"
        actual += line.tag != "-"
    return rows


def _hunks(rows: Sequence[_Row]) -> list[Sequence[_Row]]:
    """Group changes with CONTEXT lines around them; a short diff stays whole."""
    changed = [index for index, row in enumerate(rows) if row.tag != " "]
    if not changed:
        return []
    if len(rows) <= WHOLE_DIFF:
        return [rows]
    spans: list[tuple[int, int]] = []
    for index in changed:
        start, end = max(index - CONTEXT, 0), min(index + CONTEXT + 1, len(rows))
        if spans and start <= spans[-1][1]:
            start = spans.pop()[0]
        spans.append((start, end))
    return [rows[start:end] for start, end in spans]


def _hunk_header(hunk: Sequence[_Row]) -> str:
    """`@@ -A,B +C,D @@` in source lines, `,1` left out as diff(1) does."""
    expected = sum(row.tag != "+" for row in hunk)
    actual = sum(row.tag != "-" for row in hunk)
    return f"@@ -{_range(hunk[0].expected, expected)} +{_range(hunk[0].actual, actual)} @@"


def _range(start: int, count: int) -> str:
    """One side of a hunk header; an empty side names the line before it."""
    if count == 1:
        return str(start)
    return f"{start - 1 if count == 0 else start},{count}"


def _document_line(result: DocumentResult, color: bool) -> str:
    """`PATH: N passed, M failed[, K skipped]`."""
    passed, failed, skipped = count_blocks([result])
    counts = [
        _paint(f"{passed} passed", "green" if passed else "", color),
        _paint(f"{failed} failed", "red" if failed else "", color),
    ]
    if skipped:
        counts.append(_paint(f"{skipped} skipped", "yellow", color))
    return f"{result.document.display}: {', '.join(counts)}"


def _display(text: str) -> str:
    """A line as it can be shown: unprintables escaped as an `(esc)` line has them, long lines cut.

    Control characters and undecodable bytes are never sent raw to the terminal.
    """
    if not is_printable(text):
        text = escape_line(text) + " (esc)"
    cut = len(text) - MAX_LINE
    return text if cut <= 0 else f"{text[:MAX_LINE]}... ({cut} chars cut)"


def _paint(text: str, colour: str, color: bool) -> str:
    """text in a colour ("red", "bright red", ...) when colour is on; as is otherwise."""
    if not (color and colour and text):
        return text
    return f"{_ansi(colour)}{text}{_ansi('reset')}"


def _ansi(colour: str) -> str:
    """colorama's codes for a colour name; colorama is only imported when colour is on."""
    from colorama import Fore, Style

    codes = {"red": Fore.RED, "green": Fore.GREEN, "yellow": Fore.YELLOW, "cyan": Fore.CYAN}
    codes |= {"bright": Style.BRIGHT, "reset": Style.RESET_ALL}
    return "".join(codes[word] for word in colour.split())
