"""Update mode (SPEC §7.1): results → edits → new text, read back by the parser, written atomically.

An edit replaces a span of source lines. Lines whose text does not change are
copied as they were; new lines get the block's prefix and the line ending that
stands at that place in the file. The new text is then parsed with the real
parser and every rewritten command is held against its run again: an expected
line that the parser reads as something else (a command, an exit status, the
end of the block) is written as an `(esc)` line instead, until the text reads
back as meant.
"""

from __future__ import annotations

import re
from collections.abc import Container, Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher

from txtest.compare import compare_command
from txtest.errors import InputError
from txtest.files import write_atomically
from txtest.matchers import (
    MatchKind,
    PatternError,
    compile_line,
    escape_line,
    line_matches,
    spell_line,
)
from txtest.model import (
    DEFAULT_LANGS,
    Block,
    BlockResult,
    CommandResult,
    CommandRun,
    DocFormat,
    Document,
    DocumentResult,
    Location,
    Outcome,
    Span,
    Update,
)
from txtest.parse import parse_document

_BOM = "\ufeff"
_BLANKS = " \t"
_CLOSER = "-->"
_ROW = re.compile(r"([^\r\n]*)(\r\n|\r|\n)")
_DEFUSED = {"$": "\\x24", ">": "\\x3e", "[": "\\x5b", "`": "\\x60", "~": "\\x7e"}
"""First characters that can make a line read as something else, and their escapes."""
_LINE_BY_LINE = 8
"""Misread lines of one command escaped one at a time; past that, all its lines at once."""

_Row = tuple[str, str]
"""A source line: its content and its line ending ("" for a last line without one)."""


@dataclass(frozen=True, slots=True)
class Edit:
    """Source lines that replace the lines of span (without their line endings)."""

    span: Span
    lines: tuple[str, ...]


class CannotUpdate(ValueError):
    """Why a document is left as it was: it changed since it was run, or its update would
    not read back as meant."""


# Planning


@dataclass(slots=True)
class _Plan:
    """The rewriting of one failing command, refined until the parser reads it as meant."""

    block: int
    """Index of the command's block in the document's blocks."""
    command: int
    """Index of the command in its block."""
    result: CommandResult
    span: Span
    """Source lines replaced: the expected output's, plus the command's own last
    line when a hidden comment's `-->` stands on it."""
    old: tuple[str, ...]
    """The content of span's lines, the `-->` and what follows it taken off."""
    kept: int
    """Leading lines of old that are not expected output (the command's line)."""
    closing: str
    """A hidden comment's `-->` (and what follows it), put back after the new lines."""
    prefix: str
    blank: str
    """What an empty new line is written as."""
    lines: list[str]
    """The expected lines to write, `[N]` included."""
    literals: list[str | None]
    """The actual line each expected line stands for, where known."""
    output: int
    """How many of lines are output (the rest is the `[N]` line)."""
    status: int
    """The exit status written (or implied, when no `[N]` line is)."""
    cram: bool
    escaped: int = 0
    """How many times lines of this plan were written as `(esc)` lines."""

    def edit(self) -> Edit:
        """The edit that writes lines in place of span."""
        old = self.old[self.kept :]
        keys = [_reading(line, self.prefix) for line in old]
        new = [line.rstrip(_BLANKS) for line in self.lines]
        matcher = SequenceMatcher(None, keys, new, autojunk=False)
        rows = list(self.old[: self.kept])
        for tag, low, high, first, stop in matcher.get_opcodes():
            if tag == "equal":
                rows += old[low:high]
            else:
                rows += [
                    self.prefix + line if line else self.blank for line in self.lines[first:stop]
                ]
        if self.closing and rows:
            rows[-1] += self.closing
        elif self.closing:
            rows = [self.prefix + self.closing.lstrip(_BLANKS)]
        return Edit(self.span, tuple(rows))


def _reading(row: str, prefix: str) -> str:
    """A source line as its block reads it: the prefix and trailing blanks taken off."""
    text = row.rstrip(_BLANKS)
    for lead in (prefix, prefix.rstrip(_BLANKS)):
        if lead and text.startswith(lead):
            return text[len(lead) :]
    return text


def _plans(
    result: DocumentResult, rows: Sequence[str], blocks: Container[Location] | None
) -> list[_Plan]:
    """A plan per failing command of a reported block (of blocks, if given) that ran to the end."""
    cram = result.document.format is DocFormat.CRAM
    index = {block.span: number for number, block in enumerate(result.document.blocks)}
    plans: list[_Plan] = []
    for block_result in result.blocks:
        if not block_result.updatable:
            continue
        if blocks is not None and block_result.block.location not in blocks:
            continue
        block = block_result.block
        for number, command_result in enumerate(block_result.commands):
            plan = _plan(command_result, block, rows, cram, (index[block.span], number))
            if plan is not None:
                plans.append(plan)
    return plans


def _plan(
    result: CommandResult, block: Block, rows: Sequence[str], cram: bool, at: tuple[int, int]
) -> _Plan | None:
    """The plan for one command, or None when it passes, was lost, or nothing changes."""
    if result.is_ok or result.run.lost is not None or result.updated is None:
        return None
    status = result.run.exit_status or 0
    output = list(result.updated[:-1] if status else result.updated)
    # An explicit `[0]` the author wrote still holds when the exit status is 0.
    command = result.command
    wrote_zero = command.exit_status == 0 and len(command.expected_span) > len(command.expected)
    tail = [f"[{status}]"] if status or wrote_zero else []
    start, end = result.command.expected_span.start, result.command.expected_span.end
    kept, closing = 0, ""
    old = list(rows[start:end])
    if block.hidden and end == block.span.end:
        if start == end:  # it expects nothing: `-->` ends the command's own line
            start, kept = start - 1, 1
            old = [rows[start]]
        position = old[-1].find(_CLOSER)
        if position < 0:
            raise CannotUpdate("it changed while txtest ran (a hidden comment lost its '-->')")
        head = old[-1][:position].rstrip(_BLANKS)
        old[-1], closing = head, old[-1][len(head) :]
    blank = block.prefix if cram else block.prefix.rstrip(_BLANKS)
    lines = output + tail
    if [_reading(line, block.prefix) for line in old[kept:]] == [
        line.rstrip(_BLANKS) for line in lines
    ]:
        return None
    span = Span(start, end)
    literals: list[str | None] = [None] * len(lines)
    return _Plan(
        *at, result, span, tuple(old), kept, closing, block.prefix, blank, lines, literals,
        len(output), status, cram,
    )  # fmt: skip


# Reading back


def _misread(plan: _Plan, document: Document) -> int | None:
    """The first expected line of plan that the new document does not read as meant.

    Returns -1 when the command itself is no longer found as it was, and None
    when it reads back as meant.
    """
    blocks = document.blocks
    if plan.block >= len(blocks) or plan.command >= len(blocks[plan.block].commands):
        return -1
    command = blocks[plan.block].commands[plan.command]
    if command.source != plan.result.command.source:
        return 0
    meant = plan.lines[: plan.output]
    for number, (line, read) in enumerate(zip(meant, command.expected, strict=False)):
        if line != read:
            return number
    if len(command.expected) < len(meant):
        return len(command.expected)
    if len(command.expected) > len(meant) or command.exit_status != plan.status:
        return -1
    return None


def _same_shape(before: Document, after: Document) -> bool:
    """Whether both documents have the same blocks with the same number of commands."""
    counts = [len(block.commands) for block in before.blocks]
    return counts == [len(block.commands) for block in after.blocks]


def _escape(plan: _Plan, number: int) -> None:
    """Write expected line number of plan (all of them, once it has taken too many) as `(esc)`."""
    if number < 0 or number >= plan.output:
        raise _unwritable(plan)
    plan.escaped += 1
    before = list(plan.lines)
    targets = range(plan.output) if plan.escaped > _LINE_BY_LINE else (number,)
    for target in targets:
        safe = _escaped(plan.lines[target], plan.literals[target])
        if safe is None:  # a pattern line: write every line as the actual text it matched
            _respell(plan)
            return
        plan.lines[target] = safe
    if plan.lines == before:  # already as safe as it can be, and still misread
        raise _unwritable(plan)


def _unwritable(plan: _Plan) -> CannotUpdate:
    line = plan.result.command.location.line
    return CannotUpdate(f"the output of line {line} cannot be written so that it reads back")


def _respell(plan: _Plan) -> None:
    """Write the command's expected lines as the actual lines, patterns given up."""
    run = plan.result.run
    spelled, literals = _spell_actual(run, plan.cram)
    # The same lines with their actual text now known can still be escaped next time.
    if plan.lines[: plan.output] == spelled and plan.literals[: plan.output] == literals:
        raise _unwritable(plan)
    plan.lines[: plan.output] = spelled
    plan.literals[: plan.output] = literals
    plan.output = len(spelled)


def _spell_actual(run: CommandRun, cram: bool) -> tuple[list[str], list[str | None]]:
    """Every actual line spelled as an expected line, beside the line itself."""
    lines = [line.rstrip(_BLANKS) for line in run.actual]
    while not cram and lines and not lines[-1]:
        lines.pop()
    no_eol = run.no_eol and bool(lines) and len(lines) == len(run.actual)
    last = len(lines) - 1
    spelled = [
        spell_line(line, no_eol=no_eol and index == last) for index, line in enumerate(lines)
    ]
    return spelled, list[str | None](lines)


def _escaped(text: str, literal: str | None) -> str | None:
    """An `(esc)` line that matches what text matches, starting with no special character."""
    try:
        compiled = compile_line(text)
    except PatternError:
        return None
    if compiled.kind is MatchKind.ESC:
        return _defuse(text)
    if compiled.kind is MatchKind.PLAIN and compiled.literal is not None:
        literal = compiled.literal
    if literal is None:
        return None
    suffix = " (esc) (no-eol)" if compiled.no_eol else " (esc)"
    safe = _defuse(escape_line(literal)) + suffix
    return safe if line_matches(safe, literal, compiled.no_eol) else None


def _defuse(text: str) -> str:
    """Escape the characters that could make an `(esc)` body read as something else."""
    body = text.lstrip(" ")
    indent = text[: len(text) - len(body)]
    if body[:1] in _DEFUSED:
        body = _DEFUSED[body[0]] + body[1:]
    return (indent + body).replace(_CLOSER, "--\\x3e")


def _settle(
    result: DocumentResult, text: str, plans: list[_Plan], langs: tuple[str, ...]
) -> tuple[str, Document]:
    """The new text and its document, once every plan reads back as meant."""
    old = result.document
    while True:
        new_text = apply_edits(text, [plan.edit() for plan in plans])
        try:
            document = parse_document(new_text, old.display, old.path, langs)
        except InputError as error:
            raise CannotUpdate(f"the updated text would not parse ({error.message})") from None
        misread = [(plan, _misread(plan, document)) for plan in plans]
        wrong = [(plan, number) for plan, number in misread if number is not None]
        if not wrong:
            return new_text, document
        # A misread line can move every later block: fix only the first until the shape holds.
        for plan, number in wrong if _same_shape(old, document) else wrong[:1]:
            _escape(plan, number)


# Applying


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """The text with every edit's lines in place of its span; line endings kept."""
    bom = _BOM if text.startswith(_BOM) else ""
    rows = split_rows(text[len(bom) :])
    usual = next((ending for _, ending in rows if ending), "\n")
    for edit in sorted(edits, key=lambda edit: edit.span.start, reverse=True):
        start, end = edit.span.start, edit.span.end
        eol = (rows[start - 1][1] if start else "") or usual
        new = [(line, eol) for line in edit.lines]
        _splice(rows, start, end, new, eol)
    return bom + "".join(content + ending for content, ending in rows)


def split_rows(text: str) -> list[_Row]:
    """Source lines with their line endings, numbered as the parser numbers them."""
    rows: list[_Row] = []
    end = 0
    for match in _ROW.finditer(text):
        rows.append((match[1], match[2]))
        end = match.end()
    if end < len(text):
        rows.append((text[end:], ""))
    return rows


def _splice(rows: list[_Row], start: int, end: int, new: list[_Row], eol: str) -> None:
    """Put new rows in place of rows[start:end], keeping a missing final newline missing."""
    if end > start:
        final = rows[end - 1][1]
        if new:
            new[-1] = (new[-1][0], final)
        elif not final and start:
            rows[start - 1] = (rows[start - 1][0], "")
    elif new and start and not rows[start - 1][1]:
        rows[start - 1] = (rows[start - 1][0], eol)
        new[-1] = (new[-1][0], "")
    rows[start:end] = new


# The document's result after the update


def update_document(
    result: DocumentResult,
    langs: tuple[str, ...] = DEFAULT_LANGS,
    blocks: Container[Location] | None = None,
) -> DocumentResult:
    """Rewrite the document's failing commands in place; the result as the new file reads.

    blocks, when given, names the blocks (by their location) to rewrite, as -i accepts
    them one by one; the others are left as they are.
    """
    if result.error is not None:
        return result
    document = result.document
    try:
        text = document.path.read_bytes().decode("utf-8")
        if parse_document(text, document.display, document.path, langs) != document:
            raise CannotUpdate("it changed while txtest ran")
        rows = [content for content, _ in split_rows(text.removeprefix(_BOM))]
        plans = _plans(result, rows, blocks)
        if not plans:
            return result
        new_text, new_document = _settle(result, text, plans, langs)
        write_atomically(document.path, new_text.encode("utf-8"))
    except (OSError, UnicodeDecodeError, CannotUpdate, InputError) as error:
        return replace(result, update=Update(problem=_reason(error)))
    return _reread(result, new_document, plans)


def _reason(error: Exception) -> str:
    """Why a file could not be updated, in words."""
    if isinstance(error, OSError):
        return error.strerror or str(error)
    if isinstance(error, UnicodeDecodeError):
        return "it is no longer valid UTF-8"
    if isinstance(error, InputError):
        return f"it changed while txtest ran ({error.message})"
    return str(error)


def _reread(result: DocumentResult, document: Document, plans: Sequence[_Plan]) -> DocumentResult:
    """The result against the new document: rewritten commands compared again with their runs."""
    index = {block.span: number for number, block in enumerate(result.document.blocks)}
    edited = {(plan.block, plan.command) for plan in plans}
    cram = document.format is DocFormat.CRAM
    blocks = tuple(
        _reread_block(
            old, document.blocks[index[old.block.span]], index[old.block.span], edited, cram
        )
        for old in result.blocks
    )
    rewritten = frozenset(
        document.blocks[plan.block].commands[plan.command].location for plan in plans
    )
    return replace(result, document=document, blocks=blocks, update=Update(rewritten))


def _reread_block(
    result: BlockResult, block: Block, number: int, edited: set[tuple[int, int]], cram: bool
) -> BlockResult:
    """A block's result against its new text; a rewritten block passes once all its commands do."""
    if not result.commands:
        return replace(result, block=block)
    commands = tuple(
        compare_command(command, old.run, cram=cram)
        for command, old in zip(block.commands, result.commands, strict=True)
    )
    if not any((number, position) in edited for position in range(len(commands))):
        return replace(result, block=block, commands=commands)
    passed = all(command.is_ok for command in commands)
    return replace(
        result, block=block, commands=commands, outcome=Outcome.PASSED if passed else Outcome.FAILED
    )
