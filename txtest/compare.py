"""Expected against actual output: verdicts, diffs and updated expected lines (pure).

Lines are aligned with the matchers of `txtest.matchers`, so a pattern line that
matches shows in the diff as context and survives an update as written.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from txtest.matchers import ExpectedLine, compile_line, is_literal, is_printable, spell_line
from txtest.model import Command, CommandResult, CommandRun, DiffLine

_BLANKS = " \t"
_DP_LIMIT = 250_000
"""Most cells of an exact alignment table; bigger regions are aligned with difflib."""


@dataclass(frozen=True, slots=True)
class Comparison:
    """The verdict on one command's output, with its diff and updated expected lines."""

    matched: bool
    diff: tuple[DiffLine, ...]
    """Expected (`-`) against actual (`+`); matching lines, patterns included, as context."""
    updated: tuple[str, ...]
    """Expected lines that make this output pass, keeping those that still match."""


@dataclass(frozen=True, slots=True)
class _Sides:
    """Both sides of a comparison, ready to match."""

    expected: tuple[ExpectedLine, ...]
    actual: tuple[str, ...]
    """Actual lines with trailing spaces and tabs removed."""
    no_eol: bool
    """The output's last line has no newline (never set for empty output)."""


@dataclass(frozen=True, slots=True)
class _Op:
    """One step of an alignment.

    `=` expected `index` matches actual `position`; `-` expected only; `+` actual
    only; `~` a `...` absorbs actual `position`; `.` a `...` ends here.
    """

    tag: str
    index: int | None = None
    position: int | None = None


def compare_output(
    expected: tuple[str, ...],
    actual: tuple[str, ...],
    *,
    no_eol: bool,
    first_line: int | None = None,
    exact_blank: bool = False,
) -> Comparison:
    """Compare expected lines as written with a command's actual output lines."""
    lines = _trim_actual(actual, exact_blank)
    no_eol = no_eol and bool(lines) and len(lines) == len(actual)
    if _matches_pairwise(expected, lines, no_eol):
        return _passing(expected, first_line)
    sides = _Sides(_compile_all(expected), lines, no_eol)
    if _matches_with_ellipses(sides):
        return _passing(expected, first_line)
    ops = _align(sides)
    return Comparison(False, tuple(_diff_lines(sides, ops, first_line)), _updated(sides, ops))


def compare_command(
    command: Command, run: CommandRun, *, exact_blank: bool = False
) -> CommandResult:
    """Hold a command's run against what it expected."""
    comparison = compare_output(
        command.expected,
        run.actual,
        no_eol=run.no_eol,
        first_line=command.expected_span.start + 1,
        exact_blank=exact_blank,
    )
    updated: tuple[str, ...] | None = None
    if run.lost is None and run.exit_status is not None:
        status = (f"[{run.exit_status}]",) if run.exit_status else ()
        updated = comparison.updated + status
    return CommandResult(command, run, comparison.matched, comparison.diff, updated)


def _trim_actual(actual: tuple[str, ...], exact_blank: bool) -> tuple[str, ...]:
    """Actual lines without trailing spaces and tabs, and without trailing empty lines."""
    lines = [line.rstrip(_BLANKS) for line in actual]
    if not exact_blank:
        while lines and not lines[-1]:
            lines.pop()
    return tuple(lines)


def _compile_all(expected: tuple[str, ...]) -> tuple[ExpectedLine, ...]:
    """Compile every expected line, each distinct text once."""
    compiled: dict[str, ExpectedLine] = {}
    for text in expected:
        if text not in compiled:
            compiled[text] = compile_line(text)
    return tuple(compiled[text] for text in expected)


def _passing(expected: tuple[str, ...], first_line: int | None) -> Comparison:
    """The comparison of output that matched: all context, expected kept as written."""
    diff = tuple(
        DiffLine(" ", text, _line_number(first_line, index)) for index, text in enumerate(expected)
    )
    return Comparison(True, diff, expected)


def _line_number(first_line: int | None, index: int) -> int | None:
    """The source line of expected line index."""
    return None if first_line is None else first_line + index


def _matches_pairwise(expected: tuple[str, ...], actual: tuple[str, ...], no_eol: bool) -> bool:
    """Fast path: line i matches line i, compiling only lines that are not plain text."""
    if len(expected) != len(actual):
        return False
    last = len(actual) - 1
    for index, (text, line) in enumerate(zip(expected, actual, strict=True)):
        if index != last or not no_eol:
            body = text.rstrip(_BLANKS)
            if body == line and is_literal(body) and is_printable(line):
                continue
        compiled = compile_line(text)
        if compiled.is_ellipsis or not _pair_ok(
            compiled, index == last, index == last, no_eol, line
        ):
            return False
    return True


def _pair_ok(
    line: ExpectedLine, last_expected: bool, last_actual: bool, no_eol: bool, actual: str
) -> bool:
    """Whether an expected line matches an actual line where each stands."""
    if line.no_eol:
        return last_expected and last_actual and no_eol and line.matches(actual)
    if no_eol and last_actual:
        return False
    return line.matches(actual)


def _ok(sides: _Sides, index: int, position: int) -> bool:
    """Whether expected line index (not `...`) matches actual line position."""
    return _pair_ok(
        sides.expected[index],
        index == len(sides.expected) - 1,
        position == len(sides.actual) - 1,
        sides.no_eol,
        sides.actual[position],
    )


def _absorbable(sides: _Sides, position: int) -> bool:
    """Whether a `...` may stand for actual line position (not a last line lacking its newline)."""
    return not (sides.no_eol and position == len(sides.actual) - 1)


def _matches_with_ellipses(sides: _Sides) -> bool:
    """Whether the expected lines, `...` as zero or more lines, match all actual lines."""
    expected, count = sides.expected, len(sides.actual)
    index = position = 0
    star, mark = -1, 0
    while position < count:
        if index < len(expected) and expected[index].is_ellipsis:
            star, mark = index, position
            index += 1
        elif index < len(expected) and _ok(sides, index, position):
            index += 1
            position += 1
        elif star >= 0 and _absorbable(sides, mark):
            mark += 1
            index, position = star + 1, mark
        else:
            return False
    return all(line.is_ellipsis for line in expected[index:])


def _align(sides: _Sides) -> list[_Op]:
    """Align expected with actual lines: matching prefix, middle, matching suffix."""
    head = _common_prefix(sides)
    tail = _common_suffix(sides, head)
    end_index, end_position = len(sides.expected) - tail, len(sides.actual) - tail
    ops = [_Op("=", offset, offset) for offset in range(head)]
    ops += _align_region(sides, head, end_index, head, end_position)
    ops += [_Op("=", end_index + offset, end_position + offset) for offset in range(tail)]
    return ops


def _common_prefix(sides: _Sides) -> int:
    """How many leading lines match pairwise, up to the first `...`."""
    count = 0
    limit = min(len(sides.expected), len(sides.actual))
    while count < limit and not sides.expected[count].is_ellipsis and _ok(sides, count, count):
        count += 1
    return count


def _common_suffix(sides: _Sides, head: int) -> int:
    """How many trailing lines match pairwise, after the prefix, up to the last `...`."""
    count = 0
    limit = min(len(sides.expected), len(sides.actual)) - head
    while count < limit:
        index, position = len(sides.expected) - 1 - count, len(sides.actual) - 1 - count
        if sides.expected[index].is_ellipsis or not _ok(sides, index, position):
            break
        count += 1
    return count


def _align_region(sides: _Sides, start: int, end: int, first: int, stop: int) -> list[_Op]:
    """Align expected[start:end] with actual[first:stop], exactly when small enough."""
    if (end - start + 1) * (stop - first + 1) <= _DP_LIMIT:
        return _align_exactly(sides, start, end, first, stop)
    if any(not line.is_ellipsis for line in sides.expected[start:end]) and first < stop:
        matcher = SequenceMatcher(None, _keys(sides, start, end), sides.actual[first:stop])
        if matcher.get_matching_blocks()[0].size:
            return _align_by_blocks(sides, matcher, start, first)
    return _align_greedily(sides, start, end, first, stop)


def _keys(sides: _Sides, start: int, end: int) -> Sequence[Hashable]:
    """Keys for difflib: a plain line's text; a pattern line, a key no actual line has."""
    return [
        line.literal if line.literal is not None else (index,)
        for index, line in enumerate(sides.expected[start:end], start)
    ]


def _align_by_blocks(
    sides: _Sides, matcher: SequenceMatcher[Hashable], start: int, first: int
) -> list[_Op]:
    """Align a big region around the equal runs difflib finds."""
    ops: list[_Op] = []
    for tag, low, high, lower, upper in matcher.get_opcodes():
        if tag == "equal":
            ops += _pair_up(sides, start + low, start + high, first + lower)
        else:
            ops += _align_greedily(sides, start + low, start + high, first + lower, first + upper)
    return ops


def _pair_up(sides: _Sides, start: int, end: int, first: int) -> Iterator[_Op]:
    """Lines with equal text, paired: matching, or changed where one is unprintable."""
    for index in range(start, end):
        position = first + index - start
        if _ok(sides, index, position):
            yield _Op("=", index, position)
        else:
            yield _Op("-", index)
            yield _Op("+", None, position)


def _align_greedily(sides: _Sides, start: int, end: int, first: int, stop: int) -> list[_Op]:
    """Align in one pass: pairs in order, a `...` taking lines until the next line matches."""
    ops: list[_Op] = []
    position = first
    for index in range(start, end):
        if sides.expected[index].is_ellipsis:
            nxt = index + 1
            while position < stop and _absorbable(sides, position):
                if nxt < end and not sides.expected[nxt].is_ellipsis and _ok(sides, nxt, position):
                    break
                ops.append(_Op("~", index, position))
                position += 1
            ops.append(_Op(".", index))
        elif position < stop:
            ops += (
                [_Op("=", index, position)]
                if _ok(sides, index, position)
                else [_Op("-", index), _Op("+", None, position)]
            )
            position += 1
        else:
            ops.append(_Op("-", index))
    ops += [_Op("+", None, rest) for rest in range(position, stop)]
    return ops


def _align_exactly(sides: _Sides, start: int, end: int, first: int, stop: int) -> list[_Op]:
    """The cheapest alignment: fewest changed lines, then fewest lines left to a `...`."""
    table = _cost_table(sides, start, end, first, stop)
    return list(_trace(sides, table, start, end, first, stop))


def _change_cost(first: int, stop: int) -> int:
    """What one changed line costs: more than all `...` absorptions of actual[first:stop]."""
    return stop - first + 1


def _cost_table(sides: _Sides, start: int, end: int, first: int, stop: int) -> list[list[int]]:
    """table[r][c]: least cost of aligning expected[start + r:end] with actual[first + c:stop]."""
    change = _change_cost(first, stop)
    width = stop - first
    table = [[0] * (width + 1) for _ in range(end - start + 1)]
    bottom = table[end - start]
    for column in range(width - 1, -1, -1):
        bottom[column] = bottom[column + 1] + change
    for row in range(end - start - 1, -1, -1):
        _fill_row(sides, table, row, start + row, first, change)
    return table


def _fill_row(
    sides: _Sides, table: list[list[int]], row: int, index: int, first: int, change: int
) -> None:
    """Fill one row of the cost table from the row below it."""
    cells, below = table[row], table[row + 1]
    ellipsis = sides.expected[index].is_ellipsis
    width = len(cells) - 1
    cells[width] = below[width] + (0 if ellipsis else change)
    for column in range(width - 1, -1, -1):
        position = first + column
        if ellipsis:
            step = 1 if _absorbable(sides, position) else change
            cells[column] = min(below[column], cells[column + 1] + step)
        else:
            diagonal = below[column + 1] + (0 if _ok(sides, index, position) else change)
            cells[column] = min(diagonal, below[column] + change, cells[column + 1] + change)


def _trace(
    sides: _Sides, table: list[list[int]], start: int, end: int, first: int, stop: int
) -> Iterator[_Op]:
    """Walk the cost table from its corner, preferring matches, then deletions."""
    change = _change_cost(first, stop)
    row, column = 0, 0
    rows, width = end - start, stop - first
    while row < rows or column < width:
        index, position = start + row, first + column
        here = table[row][column]
        if row < rows and sides.expected[index].is_ellipsis:
            if (
                column < width
                and _absorbable(sides, position)
                and here == table[row][column + 1] + 1
            ):
                yield _Op("~", index, position)
                column += 1
            elif here == table[row + 1][column]:
                yield _Op(".", index)
                row += 1
            else:
                yield _Op("+", None, position)
                column += 1
            continue
        if (
            row < rows
            and column < width
            and here == table[row + 1][column + 1]
            and _ok(sides, index, position)
        ):
            yield _Op("=", index, position)
            row, column = row + 1, column + 1
        elif row < rows and column < width and here == table[row + 1][column + 1] + change:
            yield _Op("-", index)
            yield _Op("+", None, position)
            row, column = row + 1, column + 1
        elif row < rows and here == table[row + 1][column] + change:
            yield _Op("-", index)
            row += 1
        else:
            yield _Op("+", None, position)
            column += 1


def _diff_lines(sides: _Sides, ops: list[_Op], first_line: int | None) -> Iterator[DiffLine]:
    """The diff of an alignment: each run of changes as its `-` lines, then its `+` lines."""
    removed: list[DiffLine] = []
    added: list[DiffLine] = []
    for op in ops:
        if op.tag == "-" and op.index is not None:
            removed.append(
                DiffLine("-", sides.expected[op.index].text, _line_number(first_line, op.index))
            )
        elif op.tag == "+" and op.position is not None:
            added.append(DiffLine("+", _spell(sides, op.position)))
        elif op.tag in "=." and op.index is not None:
            yield from removed
            yield from added
            removed, added = [], []
            yield DiffLine(" ", sides.expected[op.index].text, _line_number(first_line, op.index))
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
    for op in ops:
        if op.tag in "=." and op.index is not None and not ended:
            lines.append(sides.expected[op.index].text)
        elif op.tag == "+" and op.position is not None:
            lines.append(_spell(sides, op.position))
        # Nothing may follow a last line that lacks its newline, not even a `...`.
        ended = ended or (sides.no_eol and op.position == len(sides.actual) - 1 and op.tag in "=+")
    return tuple(lines)
