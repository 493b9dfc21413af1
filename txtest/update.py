"""Update mode (SPEC §7.1): results → edits → new text, written atomically.

Planning and applying edits are pure; `write_atomically` is the only side
effect. An edit replaces one command's expected-output span. Lines whose text
does not change are copied from the source as they were, bytes and line ending
included; new lines get the block's prefix and the line ending that stands at
that place in the file.

New lines are checked against how the parser will read them back: an output
line that would start a command (`$ ...`), continue one (`> ...` right after
it), stand for an exit status (`[N]` last), close the fence (```` ``` ````) or
the hidden comment (`-->`) is written as an `(esc)` line instead.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from pathlib import Path

from txtest.compare import compare_command
from txtest.matchers import (
    MatchKind,
    PatternError,
    compile_line,
    escape_line,
    line_matches,
    spell_line,
)
from txtest.model import (
    Block,
    BlockResult,
    Command,
    CommandResult,
    CommandRun,
    DiffLine,
    Directives,
    DocFormat,
    DocumentResult,
    FileFixture,
    Frozen,
    Item,
    Location,
    Outcome,
    Span,
)
from txtest.parse import split_lines

_BOM = "\ufeff"
_BLANKS = " \t"
_CLOSER = "-->"
_ROW = re.compile(r"([^\r\n]*)(\r\n|\r|\n)")
_FENCE = re.compile(r"`{3,}|~{3,}")
_STATUS = re.compile(r"\[(0|[1-9][0-9]{0,2})\]")
_GAP = "\n"
"""Stands in `Edit.old` for a blank line before `[N]`: the parser kept no text for it."""
_DEFUSED = {"$": "\\x24", ">": "\\x3e", "[": "\\x5b", "`": "\\x60", "~": "\\x7e"}
"""First characters that make a line read as something else, and their escapes."""

_Row = tuple[str, str]
"""A source line: its content and its line ending ("" for a last line without one)."""


class StaleDocument(ValueError):
    """The file no longer holds what was parsed: its expected lines moved or changed."""


@dataclass(frozen=True, slots=True, repr=False, eq=False)
class Edit(Frozen):
    """New expected lines for one command: they replace the source lines of span."""

    span: Span
    """The command's expected-output span in the source."""
    lines: tuple[str, ...]
    """The new expected lines as read inside the block (no prefix), `[N]` included."""
    old: tuple[str, ...]
    """What each line of span reads now (lines unchanged are kept byte for byte);
    a blank line before `[N]` as a gap that no new line equals."""
    prefix: str
    """Written before each new line that is not empty."""
    blank: str
    """Written for an empty new line."""
    closer: bool = False
    """The block is a hidden comment whose `-->` ends span's last line (or the
    command's last line when span is empty); it must stay after the new lines."""

    @property
    def delta(self) -> int:
        """How many lines the file grows by (negative: shrinks)."""
        closing_line = 1 if self.closer and len(self.span) and not self.lines else 0
        return len(self.lines) + closing_line - len(self.span)


@dataclass(frozen=True, slots=True, repr=False, eq=False)
class _Place(Frozen):
    """What decides how a block's expected lines are written and read back."""

    cram: bool
    hidden: bool
    fence: str | None
    """The opening fence (```` ``` ````, `~~~~`, ...) of a Markdown console block."""
    prefix: str
    blank: str


# Planning


def plan_edits(result: DocumentResult, text: str) -> tuple[Edit, ...]:
    """The edits that update a document's failing commands; text is the file as read."""
    if result.error is not None:
        return ()
    source = split_lines(text.removeprefix(_BOM))
    cram = result.document.format is DocFormat.CRAM
    edits: list[Edit] = []
    for block_result in result.blocks:
        if block_result.outcome is not Outcome.FAILED or not block_result.reported:
            continue
        place = _place(block_result.block, source, cram)
        for command_result in block_result.commands:
            edit = _plan_edit(command_result, place, block_result.block)
            if edit is not None:
                edits.append(edit)
    return tuple(edits)


def _place(block: Block, source: Sequence[str], cram: bool) -> _Place:
    """How lines are written in block: its prefix, its blank line, its closing fence."""
    fence = None
    if not cram and not block.hidden and block.span.start < len(source):
        found = _FENCE.search(source[block.span.start])
        fence = found.group() if found else None
    # cram: an empty line would be a comment and end the block, so it keeps its two spaces.
    blank = block.prefix if cram else block.prefix.rstrip(_BLANKS)
    return _Place(cram, block.hidden, fence, block.prefix, blank)


def _plan_edit(result: CommandResult, place: _Place, block: Block) -> Edit | None:
    """The edit for one command, or None when it passes, was lost, or nothing changes."""
    if result.is_ok or result.run.lost is not None or result.updated is None:
        return None
    old = old_lines(result.command)
    lines = _new_lines(result, place)
    if lines == old:
        return None
    span = expected_span(result.command)
    closer = place.hidden and span.end == block.span.end
    return Edit(span, lines, old, place.prefix, place.blank, closer)


def expected_span(command: Command) -> Span:
    """The command's expected span, from the line right after the command.

    The parser starts the span of a command expecting only `[N]` at the `[N]`
    line, leaving blank lines before it out; they belong to the span.
    """
    after = command.location.line + command.source.count("\n")
    return Span(min(after, command.expected_span.start), command.expected_span.end)


def old_lines(command: Command) -> tuple[str, ...]:
    """What each line of a command's expected span reads; blank lines before `[N]` as gaps."""
    extra = len(expected_span(command)) - len(command.expected)
    if extra <= 0:
        return command.expected
    return command.expected + (_GAP,) * (extra - 1) + (f"[{command.exit_status}]",)


def _new_lines(result: CommandResult, place: _Place) -> tuple[str, ...]:
    """The expected lines to write for a command, `[N]` included, safe to read back."""
    status = result.run.exit_status or 0
    updated = result.updated or ()
    output = updated[:-1] if status else updated
    # An explicit `[0]` the author wrote still holds when the exit status is 0.
    tail = (f"[{status}]",) if status or _wrote_zero(result.command) else ()
    guarded = _guard_all(output, (None,) * len(output), place, bool(tail))
    if guarded is None:
        spelled, literals = _spell_actual(result.run, place.cram)
        guarded = _guard_all(spelled, literals, place, bool(tail))
    assert guarded is not None, "an actual line can always be written as an (esc) line"
    return guarded + tail


def _wrote_zero(command: Command) -> bool:
    """Whether the command's expected output ends with an explicit `[0]`."""
    return command.exit_status == 0 and len(command.expected_span) > len(command.expected)


def _spell_actual(run: CommandRun, cram: bool) -> tuple[tuple[str, ...], tuple[str | None, ...]]:
    """Every actual line spelled as an expected line, beside the line itself."""
    lines = [line.rstrip(_BLANKS) for line in run.actual]
    while not cram and lines and not lines[-1]:
        lines.pop()
    no_eol = run.no_eol and bool(lines) and len(lines) == len(run.actual)
    last = len(lines) - 1
    spelled = tuple(
        spell_line(line, no_eol=no_eol and index == last) for index, line in enumerate(lines)
    )
    return spelled, tuple(lines)


def _guard_all(
    lines: Sequence[str], literals: Sequence[str | None], place: _Place, status: bool
) -> tuple[str, ...] | None:
    """Lines rewritten where the parser would misread them; None if one cannot be."""
    guarded: list[str] = []
    last = len(lines) - 1
    for index, (text, literal) in enumerate(zip(lines, literals, strict=True)):
        if not _misread(text, place, first=index == 0, last=index == last and not status):
            guarded.append(text)
            continue
        safe = _escaped(text, literal, place)
        if safe is None:
            return None
        guarded.append(safe)
    return tuple(guarded)


def _misread(text: str, place: _Place, *, first: bool, last: bool) -> bool:
    """Whether the parser would read this expected line as something else."""
    return (
        text.startswith("$ ")
        or (not place.cram and text.rstrip(_BLANKS) == "$")
        or (first and (text == ">" or text.startswith("> ")))
        or (last and _is_status(text))
        or (place.fence is not None and _closes_fence(text, place.fence))
        or (place.hidden and _CLOSER in text)
    )


def _is_status(text: str) -> bool:
    """Whether a line reads as `[N]` (N = 0..255)."""
    match = _STATUS.fullmatch(text.rstrip(_BLANKS))
    return match is not None and int(match[1]) <= 255


def _closes_fence(text: str, fence: str) -> bool:
    """Whether a line (a few spaces of indent allowed) would close the fence."""
    body = text.lstrip(" ")
    if len(text) - len(body) > 3:
        return False
    run = len(body) - len(body.lstrip(fence[0]))
    return run >= len(fence) and not body[run:].strip(_BLANKS)


def _escaped(text: str, literal: str | None, place: _Place) -> str | None:
    """An `(esc)` line for text that reads the same to the matcher but not to the parser."""
    try:
        compiled = compile_line(text)
    except PatternError:
        return None
    if compiled.kind is MatchKind.ESC:
        safe = _defuse(text)
    else:
        if compiled.kind is MatchKind.PLAIN and compiled.literal is not None:
            literal = compiled.literal
        if literal is None:
            return None
        suffix = " (esc) (no-eol)" if compiled.no_eol else " (esc)"
        safe = _defuse(escape_line(literal)) + suffix
        if not line_matches(safe, literal, compiled.no_eol):
            return None
    misread = _misread(safe, place, first=True, last=True)
    return None if misread else safe


def _defuse(text: str) -> str:
    """Escape the characters that make an `(esc)` body read as something else."""
    body = text.lstrip(" ")
    indent = text[: len(text) - len(body)]
    if body[:1] in _DEFUSED:
        body = _DEFUSED[body[0]] + body[1:]
    return (indent + body).replace(_CLOSER, "--\\x3e")


# Applying


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """The text with every edit applied; raises StaleDocument if a span no longer fits."""
    bom = _BOM if text.startswith(_BOM) else ""
    rows = split_rows(text[len(bom) :])
    usual = next((ending for _, ending in rows if ending), "\n")
    for edit in sorted(edits, key=lambda edit: edit.span.start, reverse=True):
        _apply(rows, edit, usual)
    return bom + "".join(content + ending for content, ending in rows)


def split_rows(text: str) -> list[_Row]:
    """Source lines with their line endings, numbered as `split_lines` numbers them."""
    rows: list[_Row] = []
    end = 0
    for match in _ROW.finditer(text):
        rows.append((match[1], match[2]))
        end = match.end()
    if end < len(text):
        rows.append((text[end:], ""))
    return rows


def _apply(rows: list[_Row], edit: Edit, usual: str) -> None:
    """Replace the rows of one edit's span, keeping a hidden comment's `-->` after them."""
    start, end = edit.span.start, edit.span.end
    if not 0 < start <= end <= len(rows):
        raise StaleDocument(f"lines {start + 1}-{end} are no longer in the file")
    closing = ""
    if edit.closer:
        content, ending = rows[end - 1]
        head, closing = _split_closer(content)
        rows[end - 1] = (head, ending)
    _check(rows[start:end], edit.old)
    eol = rows[start - 1][1] or usual
    new = _new_rows(rows[start:end], edit, eol)
    if closing:
        new = _close(new, closing, edit, eol)
        if not new:
            rows[end - 1] = (rows[end - 1][0] + closing, rows[end - 1][1])
    _splice(rows, start, end, new, eol)


def _split_closer(content: str) -> tuple[str, str]:
    """A hidden comment's last line as what stands before `-->`, and `-->` onwards."""
    position = content.find(_CLOSER)
    if position < 0:
        raise StaleDocument("the hidden comment's '-->' is no longer where it was")
    head = content[:position].rstrip(_BLANKS)
    return head, content[len(head) :]


def _check(rows: Sequence[_Row], old: Sequence[str]) -> None:
    """Refuse to edit rows that no longer read as the parser saw them."""
    if len(rows) != len(old):
        raise StaleDocument("the expected output changed since it was read")
    for (content, _), text in zip(rows, old, strict=True):
        written = content.rstrip(_BLANKS)
        if text == _GAP and written.strip(" >"):
            raise StaleDocument("a blank line before '[N]' is no longer blank")
        if text != _GAP and not written.endswith(text.rstrip(_BLANKS)):
            raise StaleDocument(f"the line {text!r} changed since it was read")


def _new_rows(old_rows: Sequence[_Row], edit: Edit, eol: str) -> list[_Row]:
    """The rows for an edit's new lines: unchanged lines as they were, the rest written anew."""
    matcher = SequenceMatcher(None, edit.old, edit.lines, autojunk=False)
    rows: list[_Row] = []
    for tag, low, high, first, stop in matcher.get_opcodes():
        if tag == "equal":
            rows += [(content, ending or eol) for content, ending in old_rows[low:high]]
        else:
            rows += [(_written(line, edit), eol) for line in edit.lines[first:stop]]
    return rows


def _written(line: str, edit: Edit) -> str:
    """How one new expected line stands in the source."""
    return edit.prefix + line if line else edit.blank


def _close(new: list[_Row], closing: str, edit: Edit, eol: str) -> list[_Row]:
    """Put a hidden comment's `-->` back after the new rows."""
    if new:
        content, ending = new[-1]
        return [*new[:-1], (content + closing, ending)]
    if len(edit.span):
        return [(edit.prefix + closing.lstrip(_BLANKS), eol)]
    return new


def _splice(rows: list[_Row], start: int, end: int, new: list[_Row], eol: str) -> None:
    """Put new rows in place of rows[start:end], keeping a missing final newline missing."""
    before_content, before_ending = rows[start - 1]
    if end > start:
        final = rows[end - 1][1]
        if new:
            new[-1] = (new[-1][0], final)
        elif not final:
            rows[start - 1] = (before_content, "")
    elif new and not before_ending:
        rows[start - 1] = (before_content, eol)
        new[-1] = (new[-1][0], "")
    rows[start:end] = new


# Writing


def write_atomically(path: Path, text: str) -> None:
    """Replace the file with text: written beside it, synced, renamed over it, mode kept.

    On any exception, Ctrl-C included, the file is untouched or fully replaced
    and the temporary file is gone.
    """
    target = path.resolve()
    data = text.encode("utf-8")
    status = target.stat()
    if not os.access(target, os.W_OK):
        raise PermissionError(errno.EACCES, "the file is read-only", str(path))
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(8)}.txtest-tmp")
    try:
        _write_new(temporary, data, status)
        os.replace(temporary, target)
    except BaseException as error:
        if not isinstance(error, FileExistsError):
            _discard(temporary)
        raise
    _sync_directory(target.parent)


def _write_new(path: Path, data: bytes, like: os.stat_result) -> None:
    """Create path (it must not exist) holding data, with the mode (and owner) of like, synced."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(descriptor, "wb") as stream:
        with contextlib.suppress(OSError):
            os.fchown(descriptor, like.st_uid, like.st_gid)
        os.fchmod(descriptor, stat.S_IMODE(like.st_mode))
        stream.write(data)
        stream.flush()
        os.fsync(descriptor)


def _discard(path: Path) -> None:
    """Remove a temporary file if it is there."""
    path.unlink(missing_ok=True)


def _sync_directory(path: Path) -> None:
    """Make a rename in a directory durable, where the system allows it."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(descriptor)
    finally:
        os.close(descriptor)


# The document's result after the update


def update_document(result: DocumentResult) -> DocumentResult:
    """Rewrite the document's failing commands in place; the result as the new file reads."""
    display = result.document.display
    if result.error is not None:
        return result
    try:
        text = result.document.path.read_bytes().decode("utf-8")
        edits = plan_edits(result, text)
        if not edits:
            return result
        updated_text = apply_edits(text, edits)
        if updated_text != text:
            write_atomically(result.document.path, updated_text)
    except (OSError, UnicodeDecodeError, StaleDocument) as error:
        return _with_note(result, f"not updated {display}: {_reason(error)}")
    return _with_note(updated_result(result, edits), f"updated {display}")


def _reason(error: Exception) -> str:
    """Why a file could not be updated, in words."""
    if isinstance(error, OSError):
        return error.strerror or str(error)
    if isinstance(error, UnicodeDecodeError):
        return "it is no longer valid UTF-8"
    return f"it changed while txtest ran ({error})"


def _with_note(result: DocumentResult, note: str) -> DocumentResult:
    return replace(result, notes=(*result.notes, note))


def updated_result(result: DocumentResult, edits: Sequence[Edit]) -> DocumentResult:
    """The result as it reads against the updated file: fixed blocks pass, lines moved."""
    shift = _Shift(tuple(edits))
    cram = result.document.format is DocFormat.CRAM
    by_span = {edit.span: edit for edit in edits}
    blocks = tuple(_updated_block(block, by_span, shift, cram) for block in result.blocks)
    moved = {old.block.span: new.block for old, new in zip(result.blocks, blocks, strict=True)}
    items = tuple(_moved_item(item, shift, moved) for item in result.document.items)
    return replace(result, document=replace(result.document, items=items), blocks=blocks)


def _updated_block(
    result: BlockResult, edits: Mapping[Span, Edit], shift: _Shift, cram: bool
) -> BlockResult:
    """A block's result after the update: passed when every command now passes."""
    commands = tuple(_updated_command(command, edits, shift, cram) for command in result.commands)
    block = _moved_block(result.block, shift)
    if not any(expected_span(command.command) in edits for command in result.commands):
        return replace(result, block=block, commands=commands)
    block = replace(block, commands=tuple(command.command for command in commands))
    passed = all(command.is_ok for command in commands)
    outcome = Outcome.PASSED if passed else Outcome.FAILED
    return replace(result, block=block, commands=commands, outcome=outcome, updated=True)


def _updated_command(
    result: CommandResult, edits: Mapping[Span, Edit], shift: _Shift, cram: bool
) -> CommandResult:
    """A command's result against its rewritten expected lines, compared afresh."""
    edit = edits.get(expected_span(result.command))
    if edit is None:
        return _moved_result(result, shift)
    start = shift.insertion(edit.span.start)
    expected, status = _read_back(edit.lines, cram)
    command = replace(
        result.command,
        location=shift.location(result.command.location),
        expected=expected,
        expected_span=Span(start, start + len(edit.lines)),
        exit_status=status,
    )
    return replace(compare_command(command, result.run, cram=cram), rewritten=True)


def _read_back(lines: tuple[str, ...], cram: bool) -> tuple[tuple[str, ...], int]:
    """Expected lines and exit status, as the parser reads written lines."""
    if not lines or not _is_status(lines[-1]):
        return lines, 0
    expected = lines[:-1]
    while not cram and expected and not expected[-1].strip(_BLANKS):
        expected = expected[:-1]
    return expected, int(lines[-1].strip(_BLANKS)[1:-1])


# Moving line numbers past the edits


@dataclass(frozen=True, slots=True, repr=False, eq=False)
class _Shift(Frozen):
    """Where source lines land once edits are applied."""

    edits: tuple[Edit, ...]

    def index(self, index: int) -> int:
        """The new index of a line outside every edit (or of a span's end)."""
        return index + sum(edit.delta for edit in self.edits if edit.span.end <= index)

    def insertion(self, index: int) -> int:
        """The new index of an edit's own start: only earlier edits move it."""
        return index + sum(
            edit.delta
            for edit in self.edits
            if edit.span.end < index or (edit.span.end == index and len(edit.span))
        )

    def location(self, location: Location) -> Location:
        return replace(location, line=self.index(location.line - 1) + 1)

    def span(self, span: Span) -> Span:
        return Span(self.index(span.start), self.index(span.end))


def _moved_item(item: Item, shift: _Shift, blocks: Mapping[Span, Block]) -> Item:
    """A document item where it is after the edits (a block that ran: as its result has it)."""
    if isinstance(item, FileFixture):
        return replace(item, location=shift.location(item.location))
    return blocks.get(item.span) or _moved_block(item, shift)


def _moved_block(block: Block, shift: _Shift) -> Block:
    """A block with its lines where they are after the edits."""
    commands = tuple(_moved_command(command, shift) for command in block.commands)
    return replace(
        block,
        location=shift.location(block.location),
        commands=commands,
        directives=_moved_directives(block.directives, shift),
        span=shift.span(block.span),
    )


def _moved_directives(directives: Directives, shift: _Shift) -> Directives:
    if directives.line is None:
        return directives
    return replace(directives, line=shift.index(directives.line - 1) + 1)


def _moved_command(command: Command, shift: _Shift) -> Command:
    return replace(
        command,
        location=shift.location(command.location),
        expected_span=shift.span(command.expected_span),
    )


def _moved_result(result: CommandResult, shift: _Shift) -> CommandResult:
    """An untouched command's result with its line numbers moved."""
    diff = tuple(_moved_diff_line(line, shift) for line in result.diff)
    return replace(result, command=_moved_command(result.command, shift), diff=diff)


def _moved_diff_line(line: DiffLine, shift: _Shift) -> DiffLine:
    if line.line is None:
        return line
    return replace(line, line=shift.index(line.line - 1) + 1)
