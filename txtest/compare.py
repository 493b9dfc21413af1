"""Expected against actual output: verdicts, diffs and updated expected lines (pure).

Lines are aligned with the matchers of `txtest.matchers`, so a pattern line that
matches shows in the diff as context and survives an update as written.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import NamedTuple

from txtest.matchers import (
    NO_EOL_SUFFIX,
    ExpectedLine,
    compile_line,
    is_literal,
    is_printable,
    spell_line,
)
from txtest.model import Command, CommandResult, CommandRun, DiffLine

_BLANKS = " \t"
_EXACT_LIMIT = 100_000
"""Most cells of an exact alignment table; bigger regions are split at anchor lines."""
_SPLIT_DEPTH = 16
"""How many times a big region is split at anchors before it is aligned in one pass."""
_NOT_PLAIN = re.compile(r"\)$|^\.\.\.$|\[\.\.\]", re.MULTILINE)


class Comparison(NamedTuple):
    """The verdict on one command's output, with its diff and updated expected lines."""

    matched: bool
    diff: tuple[DiffLine, ...]
    """Expected (`-`) against actual (`+`), matching lines (patterns included) as
    context; empty when the output matched."""
    updated: tuple[str, ...]
    """Expected lines that make this output pass, keeping those that still match."""


_Line = str | ExpectedLine
"""A prepared expected line: a plain line's text (only that text matches it), or compiled."""


class _Sides(NamedTuple):
    """Both sides of a comparison, ready to match."""

    texts: tuple[str, ...]
    """Expected lines as written."""
    expected: tuple[_Line, ...]
    actual: tuple[str, ...]
    """Actual lines with trailing spaces and tabs removed."""
    no_eol: bool
    """The output's last line has no newline (never set for empty output)."""
    cram: bool = False
    """cram's rules: a `(re)`, `(glob)` or `(esc)` line is matched against an
    unterminated last line followed by ` (no-eol)`, as cram writes it."""


class _Op(NamedTuple):
    """One step of an alignment.

    `=` expected line `expected` matches actual line `actual`; `-` expected only;
    `+` actual only; `.` a `...` starts here; `~` that `...` stands for actual line `actual`.
    """

    tag: str
    expected: int | None = None
    actual: int | None = None


def compare_output(
    expected: tuple[str, ...],
    actual: tuple[str, ...],
    *,
    no_eol: bool,
    first_line: int | None = None,
    cram: bool = False,
) -> Comparison:
    """Compare expected lines as written with a command's actual output lines.

    `cram`: cram's rules (SPEC §9): empty lines at the end count, `(re)` is
    cram's, a pattern that does not compile matches only its own text, and a
    pattern meets an unterminated last line as its text followed by ` (no-eol)`.
    """
    lines = _trim_actual(actual, cram)
    no_eol = no_eol and bool(lines) and len(lines) == len(actual)
    if _equal_plain_text(expected, lines, no_eol):
        return Comparison(True, (), expected)
    sides = _Sides(expected, _prepare(expected, cram), lines, no_eol, cram)
    if _matches(sides):
        return Comparison(True, (), expected)
    ops = _align(sides)
    return Comparison(False, tuple(_diff_lines(sides, ops, first_line)), _updated(sides, ops))


def compare_command(command: Command, run: CommandRun, *, cram: bool = False) -> CommandResult:
    """Hold a command's run against what it expected; no update for an unfinished run."""
    if cram:
        run = _status_line_read(command, run)
    comparison = compare_output(
        command.expected,
        run.actual,
        no_eol=run.no_eol,
        first_line=command.expected_span.start + 1,
        cram=cram,
    )
    updated: tuple[str, ...] | None = None
    if run.lost is None and run.exit_status is not None:
        status = (f"[{run.exit_status}]",) if run.exit_status else ()
        updated = comparison.updated + status
    return CommandResult(command, run, comparison.matched, comparison.diff, updated)


def _status_line_read(command: Command, run: CommandRun) -> CommandRun:
    """cram sees the exit status as a last output line `[N]`: one the command printed counts.

    So a command that exits 0 and prints `[N]` last matches an expected `[N]` (SPEC §9).
    """
    status = command.exit_status
    if not status or run.exit_status != 0 or run.no_eol or not run.actual:
        return run
    if run.actual[-1].rstrip(_BLANKS) != f"[{status}]":
        return run
    return replace(run, actual=run.actual[:-1], exit_status=status)


def _trim_actual(actual: tuple[str, ...], exact_blank: bool) -> tuple[str, ...]:
    """Actual lines without trailing spaces and tabs, and without trailing empty lines."""
    lines = [line.rstrip(_BLANKS) for line in actual]
    if not exact_blank:
        while lines and not lines[-1]:
            lines.pop()
    return tuple(lines)


def _equal_plain_text(expected: tuple[str, ...], actual: tuple[str, ...], no_eol: bool) -> bool:
    """Fastest path: the same lines, none of them a pattern or unprintable (no per-line loop)."""
    if no_eol or len(expected) != len(actual):
        return False
    if [text.rstrip(_BLANKS) for text in expected] != list(actual):
        return False
    joined = "\n".join(actual)
    return _NOT_PLAIN.search(joined) is None and is_printable(joined)


def _prepare(expected: tuple[str, ...], cram: bool) -> tuple[_Line, ...]:
    """Plain lines as their text, the others compiled (each distinct text once)."""
    compiled: dict[str, ExpectedLine] = {}
    prepared: list[_Line] = []
    for text in expected:
        body = text.rstrip(_BLANKS)
        if is_literal(body):
            prepared.append(body)
            continue
        if text not in compiled:
            compiled[text] = compile_line(text, cram=cram)
        prepared.append(compiled[text])
    return tuple(prepared)


def _line_number(first_line: int | None, index: int) -> int | None:
    """The source line of expected line index."""
    return None if first_line is None else first_line + index


def _is_ellipsis(sides: _Sides, index: int) -> bool:
    """Whether expected line index is `...`."""
    line = sides.expected[index]
    return not isinstance(line, str) and line.is_ellipsis


def _ok(sides: _Sides, index: int, position: int) -> bool:
    """Whether expected line index (not `...`) matches actual line position where each stands.

    The last actual line, when it lacks its newline, only matches a `(no-eol)`
    line, and a `(no-eol)` line only matches it and only as the last expected line.
    """
    line, actual = sides.expected[index], sides.actual[position]
    unterminated = sides.no_eol and position == len(sides.actual) - 1
    if isinstance(line, str):
        return not unterminated and line == actual and is_printable(actual)
    if line.no_eol:
        if not unterminated:
            return line.is_text_of(actual)
        return index == len(sides.expected) - 1 and line.matches(actual)
    if unterminated and sides.cram:
        return line.matches(actual + NO_EOL_SUFFIX)
    return not unterminated and line.matches(actual)


def _absorbable(sides: _Sides, position: int) -> bool:
    """Whether a `...` may stand for actual line position (not a last line lacking its newline)."""
    return not (sides.no_eol and position == len(sides.actual) - 1)


def _matches(sides: _Sides) -> bool:
    """Whether the expected lines, `...` as zero or more lines, match all actual lines.

    A last line lacking its newline is no `...`'s: the last expected line that is
    not `...` must match it, and the lines before are matched as any others.
    """
    count, total = len(sides.expected), len(sides.actual)
    if not sides.no_eol:
        return _matches_before(sides, count, total)
    last = next((i for i in reversed(range(count)) if not _is_ellipsis(sides, i)), None)
    return (
        last is not None and _ok(sides, last, total - 1) and _matches_before(sides, last, total - 1)
    )


def _matches_before(sides: _Sides, count: int, total: int) -> bool:
    """Whether expected[:count] match actual[:total], all lines a `...` may take.

    Wildcard matching over lines: on a mismatch, the latest `...` takes one more
    line (which finds a match wherever one exists, as `...` can take any line).
    """
    index = position = 0
    star, mark = -1, 0
    while position < total:
        if index < count and _is_ellipsis(sides, index):
            star, mark = index, position
            index += 1
        elif index < count and _ok(sides, index, position):
            index += 1
            position += 1
        elif star >= 0:
            mark += 1
            index, position = star + 1, mark
        else:
            return False
    return all(_is_ellipsis(sides, rest) for rest in range(index, count))


def _align(sides: _Sides) -> list[_Op]:
    """Align expected with actual lines: matching prefix, middle, matching suffix."""
    head = _common_prefix(sides)
    tail = _common_suffix(sides, head)
    end, stop = len(sides.expected) - tail, len(sides.actual) - tail
    ops = [_Op("=", offset, offset) for offset in range(head)]
    ops += _align_region(sides, head, end, head, stop, 0)
    ops += [_Op("=", end + offset, stop + offset) for offset in range(tail)]
    return ops


def _common_prefix(sides: _Sides) -> int:
    """How many leading lines match pairwise, up to the first `...`."""
    count = 0
    limit = min(len(sides.expected), len(sides.actual))
    while count < limit and not _is_ellipsis(sides, count) and _ok(sides, count, count):
        count += 1
    return count


def _common_suffix(sides: _Sides, head: int) -> int:
    """How many trailing lines match pairwise, after the prefix, up to the last `...`."""
    count = 0
    limit = min(len(sides.expected), len(sides.actual)) - head
    while count < limit:
        index, position = len(sides.expected) - 1 - count, len(sides.actual) - 1 - count
        if _is_ellipsis(sides, index) or not _ok(sides, index, position):
            break
        count += 1
    return count


def _align_region(
    sides: _Sides, start: int, end: int, first: int, stop: int, depth: int
) -> list[_Op]:
    """Align expected[start:end] with actual[first:stop]: exactly, or split at anchors."""
    if (end - start + 1) * (stop - first + 1) <= _EXACT_LIMIT:
        return _align_exactly(sides, start, end, first, stop)
    anchors = _anchors(sides, start, end, first, stop) if depth < _SPLIT_DEPTH else []
    if not anchors:
        return _align_greedily(sides, start, end, first, stop)
    ops: list[_Op] = []
    for index, position in anchors:
        ops += _align_region(sides, start, index, first, position, depth + 1)
        ops.append(_Op("=", index, position))
        start, first = index + 1, position + 1
    ops += _align_region(sides, start, end, first, stop, depth + 1)
    return ops


def _anchors(sides: _Sides, start: int, end: int, first: int, stop: int) -> list[tuple[int, int]]:
    """Matching plain lines found once on each side, the longest run in the same order."""
    expected_at = _found_once(sides.expected, start, end)
    actual_at = _found_once(sides.actual, first, stop)
    pairs = sorted(
        (index, actual_at[text]) for text, index in expected_at.items() if text in actual_at
    )
    return _longest_increasing([pair for pair in pairs if _ok(sides, *pair)])


def _found_once(lines: Sequence[_Line], start: int, stop: int) -> dict[str, int]:
    """Where each plain line of lines[start:stop] that occurs just once stands."""
    seen: dict[str, int] = {}
    repeated: set[str] = set()
    for index in range(start, stop):
        line = lines[index]
        if isinstance(line, str):
            if line in seen:
                repeated.add(line)
            seen[line] = index
    return {text: index for text, index in seen.items() if text not in repeated}


def _longest_increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest subsequence of pairs (sorted by index) whose positions increase too."""
    tails: list[int] = []
    """tails[k]: the least position that ends an increasing run of k + 1 pairs."""
    ends: list[int] = []
    before = [-1] * len(pairs)
    for number, (_, position) in enumerate(pairs):
        length = bisect_left(tails, position)
        if length == len(tails):
            tails.append(position)
            ends.append(number)
        else:
            tails[length], ends[length] = position, number
        before[number] = ends[length - 1] if length else -1
    chain: list[tuple[int, int]] = []
    number = ends[-1] if ends else -1
    while number >= 0:
        chain.append(pairs[number])
        number = before[number]
    return chain[::-1]


def _align_greedily(sides: _Sides, start: int, end: int, first: int, stop: int) -> list[_Op]:
    """Align in one pass: lines paired in order, a `...` taking lines until the next matches."""
    ops: list[_Op] = []
    position = first
    for index in range(start, end):
        if _is_ellipsis(sides, index):
            ops.append(_Op(".", index))
            while position < stop and _absorbable(sides, position):
                if _next_matches(sides, index + 1, end, position):
                    break
                ops.append(_Op("~", index, position))
                position += 1
        elif position < stop and _ok(sides, index, position):
            ops.append(_Op("=", index, position))
            position += 1
        elif position < stop:
            ops += [_Op("-", index), _Op("+", None, position)]
            position += 1
        else:
            ops.append(_Op("-", index))
    ops += [_Op("+", None, rest) for rest in range(position, stop)]
    return ops


def _next_matches(sides: _Sides, index: int, end: int, position: int) -> bool:
    """Whether expected line index, before end and not `...`, matches actual position."""
    return index < end and not _is_ellipsis(sides, index) and _ok(sides, index, position)


def _align_exactly(sides: _Sides, start: int, end: int, first: int, stop: int) -> list[_Op]:
    """The cheapest alignment of a region, by the costs below."""
    table = _cost_table(sides, start, end, first, stop)
    return list(_trace(sides, table, start, end, first, stop))


# What each step of an alignment costs. A changed pair costs less than a line
# removed plus a line added, so a changed line reads `-old` `+new`; two changed
# pairs cost more than a removed and an added line around a match, so a line
# that moved stays context. A `...` takes a line for less than adding it, but a
# changed pair beats leaving the expected line out and giving the `...` its line.
_ADD = _REMOVE = 4
_CHANGE = 6
_ABSORB = 3


def _cost_table(sides: _Sides, start: int, end: int, first: int, stop: int) -> list[list[int]]:
    """table[r][c]: least cost of aligning expected[start + r:end] with actual[first + c:stop]."""
    width = stop - first
    table = [[0] * (width + 1) for _ in range(end - start + 1)]
    bottom = table[end - start]
    for column in range(width - 1, -1, -1):
        bottom[column] = bottom[column + 1] + _ADD
    for row in range(end - start - 1, -1, -1):
        _fill_row(sides, table, row, start + row, first)
    return table


def _fill_row(sides: _Sides, table: list[list[int]], row: int, index: int, first: int) -> None:
    """Fill one row of the cost table from the row below it."""
    cells, below = table[row], table[row + 1]
    ellipsis = _is_ellipsis(sides, index)
    width = len(cells) - 1
    cells[width] = below[width] + (0 if ellipsis else _REMOVE)
    for column in range(width - 1, -1, -1):
        position = first + column
        if ellipsis:
            step = _ABSORB if _absorbable(sides, position) else _ADD
            cells[column] = min(below[column], cells[column + 1] + step)
        else:
            pair = below[column + 1] + (0 if _ok(sides, index, position) else _CHANGE)
            cells[column] = min(pair, below[column] + _REMOVE, cells[column + 1] + _ADD)


def _trace(
    sides: _Sides, table: list[list[int]], start: int, end: int, first: int, stop: int
) -> Iterator[_Op]:
    """Walk the cost table from its corner along a cheapest path."""
    row = column = 0
    rows, width = end - start, stop - first
    opened = -1
    while row < rows or column < width:
        index, position, here = start + row, first + column, table[row][column]
        if row < rows and _is_ellipsis(sides, index):
            if opened != row:
                yield _Op(".", index)
                opened = row
            step = _ABSORB if column < width and _absorbable(sides, position) else _ADD
            if column < width and here == table[row][column + 1] + step:
                yield _Op("~", index, position) if step == _ABSORB else _Op("+", None, position)
                column += 1
            else:
                row += 1
        elif (
            row < rows
            and column < width
            and _matched_here(sides, table, row, column, (index, position))
        ):
            yield _Op("=", index, position)
            row, column = row + 1, column + 1
        elif row < rows and column < width and here == table[row + 1][column + 1] + _CHANGE:
            yield from (_Op("-", index), _Op("+", None, position))
            row, column = row + 1, column + 1
        elif row < rows and here == table[row + 1][column] + _REMOVE:
            yield _Op("-", index)
            row += 1
        else:
            yield _Op("+", None, position)
            column += 1


def _matched_here(
    sides: _Sides, table: list[list[int]], row: int, column: int, pair: tuple[int, int]
) -> bool:
    """Whether a cheapest path from table[row][column] matches the pair of lines there."""
    return table[row][column] == table[row + 1][column + 1] and _ok(sides, *pair)


def _diff_lines(sides: _Sides, ops: list[_Op], first_line: int | None) -> Iterator[DiffLine]:
    """The diff of an alignment: each run of changes as its `-` lines, then its `+` lines."""
    removed: list[DiffLine] = []
    added: list[DiffLine] = []
    for tag, index, position in ops:
        if tag == "-" and index is not None:
            removed.append(DiffLine("-", sides.texts[index], _line_number(first_line, index)))
        elif tag == "+" and position is not None:
            added.append(DiffLine("+", _spell(sides, position)))
        elif tag in "=." and index is not None:
            yield from removed
            yield from added
            removed, added = [], []
            yield DiffLine(" ", sides.texts[index], _line_number(first_line, index))
    yield from removed
    yield from added


def _spell(sides: _Sides, position: int) -> str:
    """How an actual line is written as an expected line."""
    last = sides.no_eol and position == len(sides.actual) - 1
    return spell_line(sides.actual[position], no_eol=last)


def _updated(sides: _Sides, ops: list[_Op]) -> tuple[str, ...]:
    """Expected lines for this output: those that matched as written, the rest as printed."""
    lines: list[str] = []
    ended = False
    for tag, index, position in ops:
        if tag in "=." and index is not None and not ended:
            lines.append(sides.texts[index])
        elif tag == "+" and position is not None:
            lines.append(_spell(sides, position))
        # Nothing may follow a last line that lacks its newline, not even a `...`.
        ended = ended or (position is not None and not _absorbable(sides, position))
    return tuple(lines)
