"""Documents to blocks: Markdown through markdown-it-py (SPEC §3) and the cram format (§9).

This is the only module that imports markdown_it. Line numbers come from the
tokens' ``map`` (0-based, half-open source line ranges); a token's de-indented
``content`` supplies the text of each line, with list indentation and block
quote markers already taken off.
"""

from __future__ import annotations

import enum
import math
import os
import posixpath
import re
import stat
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

from txtest.errors import InputError
from txtest.matchers import PatternError, compile_line
from txtest.model import (
    DEFAULT_LANGS,
    NO_DIRECTIVES,
    Block,
    Command,
    Directives,
    DocFormat,
    Document,
    FileFixture,
    Item,
    Location,
    Note,
    Span,
    TermMode,
)

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

_Line = tuple[int, str]
"""A line of a block: its 0-based source index and its text."""

_NEWLINE = re.compile(r"\r\n|\r|\n")
_BOM = "\ufeff"
_CRAM_INDENT = "  "
_EXIT_STATUS = re.compile(r"\[(0|[1-9][0-9]{0,2})\]")
_HIDDEN_OPENING = "<!-- txtest"
_DIRECTIVE = re.compile(r"<!--\s*txtest:(?P<words>(?:(?!-->).)*)-->", re.DOTALL)
_TXTEST_COMMENT = re.compile(r"<!--\s*txtest(?![\w-])")
_CONTAINER_MARKER = re.compile(r"[^>\s]")
_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
_SESSION_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_KNOWN_DIRECTIVES = (
    "skip, timeout=SECONDS, session=NAME, term=auto|render|strip|raw, file=PATH, "
    "keys=K1,K2,..., screen, size=COLSxROWS"
)
_INPUT_OPENING = "<!-- txtest: input"
_SIZE = re.compile(r"([0-9]{1,4})x([0-9]{1,4})")
_MAX_SIZE = 1000
_TERMINAL_WORDS = ("input", "keys", "screen", "size")
"""Directives of SPEC §11: they apply to console blocks only (size= to hidden commands too)."""
_TERM_MODES = ", ".join(mode.value for mode in TermMode)


class _Kind(enum.Enum):
    """What a line inside a block is (SPEC §3.2)."""

    COMMAND = "command"
    STOP = "stop"
    CONTINUATION = "continuation"
    OUTPUT = "output"


class _Part(enum.Enum):
    """What a Markdown token is to txtest."""

    FENCE = "fence"
    HIDDEN = "hidden"
    DIRECTIVE = "directive"
    INPUT = "input"
    OTHER = "other"


@dataclass(slots=True)
class _Draft:
    """A command being read: its `$`/`>` lines, then every line after them."""

    source: list[_Line]
    output: list[_Line] = field(default_factory=list)


class _Word(NamedTuple):
    """One directive as written, with the line of the comment holding it."""

    name: str
    value: str
    line: int
    items: tuple[str, ...] = ()
    """The lines of an `input` comment."""


class _Context(NamedTuple):
    """What every step of a Markdown parse needs to know about the document."""

    display: str
    lines: Sequence[str]
    langs: tuple[str, ...]
    """Info-string words that mark a console block, lower-case, in the order given."""

    def at(self, index: int) -> Location:
        """The location of a 0-based source line index."""
        return Location(self.display, index + 1)


def split_lines(text: str) -> list[str]:
    """Split source text into lines, numbered as markdown-it numbers them."""
    lines = _NEWLINE.split(text)
    if lines[-1] == "":
        lines.pop()
    return lines


def read_document(path: Path, display: str, langs: tuple[str, ...] = DEFAULT_LANGS) -> Document:
    """Read the document at path and parse it; display is how messages name it."""
    try:
        data = _read_regular_file(path)
    except OSError as error:
        reason = error.strerror or str(error)
        raise InputError(f"cannot read the document: {reason}", path=display) from None
    if data is None:
        message = "not a regular file (a FIFO or a device): txtest reads documents from files"
        raise InputError(message, path=display)
    return parse_document(_decode(data, display), display, path, langs)


def _read_regular_file(path: Path) -> bytes | None:
    """The file's bytes; None, without reading, when it is not a regular file.

    Opened without blocking and checked once open, so a FIFO (or a symlink to
    /dev/zero) put in a document's place is never waited on nor read.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    with open(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return handle.read()


def _decode(data: bytes, display: str) -> str:
    """Decode UTF-8, or name the line of the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start].decode("utf-8")
        line = len(_NEWLINE.findall(before)) + 1
        message = f"not valid UTF-8 (byte 0x{data[error.start]:02x}); save the document as UTF-8"
        raise InputError(message, Location(display, line)) from None


def parse_document(
    text: str, display: str, path: Path, langs: tuple[str, ...] = DEFAULT_LANGS
) -> Document:
    """Parse a document's text: cram for `*.t`, Markdown for anything else."""
    body = text.removeprefix(_BOM)
    if path.suffix == ".t":
        return Document(path, display, DocFormat.CRAM, _parse_cram(body, display))
    items, notes, unmarked = _parse_markdown(body, display, langs)
    return Document(path, display, DocFormat.MARKDOWN, items, notes, unmarked)


def parse_transcript(text: str, location: Location) -> Block:
    """A console block's content given as text (SPEC §12 `Shell.check`), as one block.

    location is where the text's first line stands: its lines are numbered from
    there. The common leading indentation is removed first.
    """
    first = location.line - 1
    lines = list(enumerate(split_lines(textwrap.dedent(text)), start=first))
    drafts = _drafts(lines, cram=False)
    _join_continuations(drafts)
    return Block(
        location=location,
        commands=tuple(_finish(draft, location.path, cram=False) for draft in drafts),
        span=Span(first, first + len(lines)),
    )


# cram (SPEC §9)


def _parse_cram(text: str, display: str) -> tuple[Item, ...]:
    """Every run of two-space-indented lines with a command in it, as a block."""
    blocks = (_cram_block(run, display) for run in _cram_runs(split_lines(text)))
    return tuple(block for block in blocks if block.commands)


def _cram_runs(lines: Sequence[str]) -> list[list[_Line]]:
    """Maximal runs of transcript lines, their two spaces taken off."""
    runs: list[list[_Line]] = []
    previous = -2
    for index, text in enumerate(lines):
        if not text.startswith(_CRAM_INDENT):
            continue
        if index != previous + 1:
            runs.append([])
        runs[-1].append((index, text[len(_CRAM_INDENT) :]))
        previous = index
    return runs


def _cram_block(run: Sequence[_Line], display: str) -> Block:
    """One run of cram transcript lines as a block."""
    first, last = run[0][0], run[-1][0]
    return Block(
        location=Location(display, first + 1),
        commands=tuple(_finish(draft, display, cram=True) for draft in _drafts(run, cram=True)),
        span=Span(first, last + 1),
        prefix=_CRAM_INDENT,
    )


# Markdown (SPEC §3)


def _parse_markdown(
    text: str, display: str, langs: tuple[str, ...]
) -> tuple[tuple[Item, ...], tuple[Note, ...], Note | None]:
    """The blocks and file fixtures of a Markdown document, in source order, and its notes."""
    context = _Context(display, split_lines(text), tuple(lang.lower() for lang in langs))
    found: list[Item | _BlockDraft] = []
    notes: list[Note] = []
    unmarked: Note | None = None
    pending: tuple[_Word, ...] = ()
    for token in _tokens(text, context):
        part = _classify(token, context)
        if part is _Part.DIRECTIVE:
            pending = _merge(pending, _directive_words(token, context), display)
            continue
        if part is _Part.INPUT:
            pending = _merge(pending, (_input_word(token, context),), display)
            continue
        if part is _Part.FENCE:
            item = _fence_item(token, context, pending)
            if item is None and unmarked is None:
                unmarked = _unmarked_note(token, context)
        elif part is _Part.HIDDEN:
            item = _hidden_block(token, context, pending)
        else:
            continue
        pending = ()
        if isinstance(item, _BlockDraft) and not item.drafts:
            notes.append(_runs_nothing_note(item))
        elif item is not None:
            found.append(item)
    if pending:
        message = (
            "this directive comment applies to nothing: "
            "no fenced block or '<!-- txtest' comment follows it"
        )
        raise InputError(message, Location(display, pending[0].line))
    drafts = [draft for item in found if isinstance(item, _BlockDraft) for draft in item.drafts]
    _join_continuations(drafts)
    items = tuple(item.finish(display) if isinstance(item, _BlockDraft) else item for item in found)
    return items, tuple(notes), unmarked


def _unmarked_note(token: _BlockToken, context: _Context) -> Note | None:
    """A note on a fence of another language whose lines start with `$ `, else None."""
    if not any(line.startswith("$ ") for line in split_lines(token.content)):
        return None
    words = token.info.split()
    marked = f"a fence marked {token.markup}{words[0]}" if words else "a fence with no language"
    message = (
        f"no console block found, but {marked} here holds lines starting with '$ '. "
        f"txtest runs only fences marked {', '.join(context.langs)}: "
        f"write {token.markup}console to run this one"
    )
    if words:
        message += f", or widen the list: --lang {','.join(context.langs)},{words[0].lower()}"
    return Note(context.at(_start(token)), message)


def _runs_nothing_note(draft: _BlockDraft) -> Note:
    """A note on a console block (or hidden comment) with no `$ ` line."""
    what = "hidden-command comment" if draft.hidden else "console block"
    message = (
        f"this {what} has no '$ ' line, so it runs nothing: txtest runs the lines "
        "that start with '$ ' (a '#', '%' or 'user@host$' prompt is not one)"
    )
    return Note(draft.location, message)


class _BlockToken(Protocol):
    """What this module reads of a markdown-it block token."""

    type: str
    map: list[int] | None
    info: str
    content: str
    markup: str
    level: int


@dataclass(slots=True)
class _Fence:
    """A fence found without markdown-it, with the attributes its token would have."""

    map: list[int] | None
    info: str
    content: str
    markup: str
    type: str = "fence"
    level: int = 0


def _tokens(text: str, context: _Context) -> Sequence[_BlockToken]:
    """The block tokens that matter here: fences and HTML blocks, with their lines."""
    simple = _simple_fences(text, context.lines)
    if simple is not None:
        return simple
    try:
        tokens = _parser().parse(text)
    except RecursionError:
        message = (
            "lists and block quotes nest too deeply here for the Markdown parser: "
            "nest them less deeply"
        )
        raise InputError(message, context.at(_deepest_line(context.lines))) from None
    _check_depth(tokens, context)
    return tokens


# markdown-it stops reading below maxNesting open tokens (a list level opens
# two: the list and its item) and drops what lies deeper without a word. The
# limit is raised as far as Python's stack surely allows (each level costs
# about two frames); a block still deeper is an input error, never dropped.
_MAX_NESTING = 200
_MAY_HOLD_BLOCK = re.compile(r"```|~~~|<!--")
_CONTAINERS = frozenset(
    {"blockquote_open", "bullet_list_open", "ordered_list_open", "list_item_open"}
)


def _parser() -> MarkdownIt:
    """A CommonMark parser for block tokens only (inline content is never needed)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"maxNesting": _MAX_NESTING}).disable(["inline", "text_join"])


def _check_depth(tokens: Sequence[_BlockToken], context: _Context) -> None:
    """Refuse a document where markdown-it left out a container that may hold a block."""
    for token in tokens:
        if token.type not in _CONTAINERS or token.level < _MAX_NESTING - 1:
            continue
        span = _span(token)
        if any(_MAY_HOLD_BLOCK.search(line) for line in context.lines[span.start : span.end]):
            message = (
                f"lists and block quotes nest more than {_MAX_NESTING} levels deep here, "
                "deeper than the Markdown parser reads: the blocks inside would be lost; "
                "nest them less deeply"
            )
            raise InputError(message, context.at(span.start))


def _deepest_line(lines: Sequence[str]) -> int:
    """The index of the line with the most container markers before its text."""
    return max(range(len(lines)), key=lambda index: _depth(lines[index]), default=0)


def _depth(line: str) -> int:
    lead = line[: len(line) - len(line.lstrip(" \t>-*+"))]
    return lead.count(">") + len(lead) // 2


# Simple documents: when every line outside fences is blank, a heading, or
# paragraph text starting with a letter, and every fence opens at column 0,
# there is nothing CommonMark could read differently: such lines open no
# container and cannot capture a fence. The fences are then found directly,
# and markdown-it (a third of txtest's start-up) is not even imported.
# tests/test_parse_simple_reader.py holds the two readings equal.
_SIMPLE_LINE = re.compile(r"[A-Za-z#]|[ \t]*$")
_COLUMN_0_FENCE = re.compile(r"(`{3,}|~{3,})(.*)")


def _simple_fences(text: str, lines: Sequence[str]) -> list[_Fence] | None:
    """The fences of a simple document, as markdown-it reads them; None if not simple."""
    if "\0" in text:
        return None
    fences: list[_Fence] = []
    index = 0
    while index < len(lines):
        opener = _COLUMN_0_FENCE.fullmatch(lines[index])
        if opener is None:
            if not _SIMPLE_LINE.match(lines[index]):
                return None
            index += 1
            continue
        fence = _simple_fence(text, lines, index, opener.group(1), opener.group(2))
        if fence is None or fence.map is None:
            return None
        fences.append(fence)
        index = fence.map[1]
    return fences


def _simple_fence(
    text: str, lines: Sequence[str], start: int, markup: str, info: str
) -> _Fence | None:
    """The fence opening at line start; None where markdown-it's reading is not plain."""
    if markup[0] == "`" and "`" in info:
        return None
    closer = _closer(markup)
    end = next((i for i in range(start + 1, len(lines)) if closer.match(lines[i])), None)
    if end is None and not text.endswith(("\n", "\r")):
        return None  # an unclosed fence at a document's unterminated end: let markdown-it say
    body_end = len(lines) if end is None else end
    body = "".join(line + "\n" for line in lines[start + 1 : body_end])
    return _Fence([start, body_end if end is None else end + 1], info, body, markup)


def _closer(fence: str) -> re.Pattern[str]:
    """A line that closes a fence opened with fence (CommonMark: up to 3 spaces before)."""
    return re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", re.MULTILINE)


def _classify(token: _BlockToken, context: _Context) -> _Part:
    """Tell fences, hidden-command comments and directive comments from the rest."""
    if token.type == "fence":
        return _Part.FENCE
    if token.type != "html_block":
        return _Part.OTHER
    text = token.content.strip()
    first = text.split("\n", 1)[0].strip()
    if first == _HIDDEN_OPENING:
        return _Part.HIDDEN
    if first == _INPUT_OPENING:
        return _Part.INPUT
    if _DIRECTIVE.fullmatch(text):
        return _Part.DIRECTIVE
    if _TXTEST_COMMENT.match(text):
        message = (
            "malformed txtest comment: write directives as '<!-- txtest: WORD ... -->' "
            "with nothing after '-->', or hidden commands as a line '<!-- txtest', "
            "the commands, then '-->'"
        )
        raise InputError(message, context.at(_start(token)))
    return _Part.OTHER


def _start(token: _BlockToken) -> int:
    """The 0-based index of a block token's first source line."""
    return _span(token).start


def _span(token: _BlockToken) -> Span:
    """The source lines a block token covers."""
    assert token.map is not None, "block tokens always carry a line map"
    return Span(token.map[0], token.map[1])


def _fence_item(
    token: _BlockToken, context: _Context, pending: Sequence[_Word]
) -> _BlockDraft | FileFixture | None:
    """A console fence as a block, a `file=` fence as a fixture, or nothing."""
    info = token.info.split()
    if info and info[0].lower() in context.langs:
        return _console_block(token, context, pending)
    return _file_fixture(token, context, pending)


def _console_block(token: _BlockToken, context: _Context, pending: Sequence[_Word]) -> _BlockDraft:
    """A console fence as a block to finish once its commands are known."""
    span = _span(token)
    lines = list(zip(range(span.start + 1, span.end), split_lines(token.content), strict=False))
    return _block(token, context, pending, lines, hidden=False)


@dataclass(slots=True)
class _BlockDraft:
    """A console fence or hidden comment whose command lines are grouped but not yet joined."""

    location: Location
    directives: Directives
    hidden: bool
    span: Span
    prefix: str
    drafts: list[_Draft]

    def finish(self, display: str) -> Block:
        """The block, once each command has taken its continuation lines."""
        if self.directives.screen and len(self.drafts) > 1:
            message = (
                f"screen compares one command with the terminal screen, but this block "
                f"holds {len(self.drafts)}: move the others to a block of their own"
            )
            raise InputError(message, self.location)
        return Block(
            location=self.location,
            commands=tuple(_finish(draft, display, cram=False) for draft in self.drafts),
            directives=self.directives,
            hidden=self.hidden,
            span=self.span,
            prefix=self.prefix,
        )


def _block(
    token: _BlockToken,
    context: _Context,
    pending: Sequence[_Word],
    lines: Sequence[_Line],
    *,
    hidden: bool,
) -> _BlockDraft:
    """A console fence or hidden-command comment, its lines grouped by command."""
    span = _span(token)
    what = "hidden-command comment" if hidden else "console block"
    directives = _block_directives(pending, context, f"the {what} at line {span.start + 1}")
    return _BlockDraft(
        location=context.at(span.start),
        directives=directives,
        hidden=hidden,
        span=span,
        prefix=_prefix(lines, context.lines, span.start, "<!--" if hidden else token.markup),
        drafts=_drafts(lines, cram=False),
    )


def _file_fixture(
    token: _BlockToken, context: _Context, pending: Sequence[_Word]
) -> FileFixture | None:
    """A non-console fence under a `file=` directive as a fixture."""
    _refuse_terminal_words(pending, context, f"the {token.markup}{token.info.strip()} fence")
    word = next((word for word in pending if word.name == "file"), None)
    if word is None:
        return None
    return FileFixture(Location(context.display, word.line), word.value, token.content)


def _hidden_block(token: _BlockToken, context: _Context, pending: Sequence[_Word]) -> _BlockDraft:
    """A `<!-- txtest` comment as a hidden block to finish once its commands are known."""
    words = [word for word in pending if word.name != "size"]  # hidden commands may be sized
    _refuse_terminal_words(words, context, "a hidden-command comment")
    return _block(token, context, pending, _hidden_lines(token, context), hidden=True)


def _hidden_lines(token: _BlockToken, context: _Context) -> list[_Line]:
    """The lines of a hidden-command comment between `<!-- txtest` and `-->`."""
    start = _start(token)
    inner = split_lines(token.content)[1:]
    if not inner or "-->" not in inner[-1]:
        message = (
            "the hidden-command comment '<!-- txtest' is not closed: end it with '-->' "
            "(inside the same list item or block quote)"
        )
        raise InputError(message, context.at(start))
    last = inner[-1].split("-->", 1)[0].rstrip()
    texts = inner[:-1] + ([last] if last.strip() else [])
    return [(start + 1 + i, text) for i, text in enumerate(texts)]


def _refuse_terminal_words(words: Sequence[_Word], context: _Context, what: str) -> None:
    """input, keys=, screen and size= need a console block after them (SPEC §11)."""
    word = next((word for word in words if word.name in _TERMINAL_WORDS), None)
    if word is not None:
        name = word.name + ("=" if word.name in ("keys", "size") else "")
        message = f"{name} applies to the next console block, but {what} follows it"
        raise InputError(message, Location(context.display, word.line))


def _input_word(token: _BlockToken, context: _Context) -> _Word:
    """An `<!-- txtest: input` comment: each line up to `-->` is an item, exactly as written."""
    start = _start(token)
    inner = split_lines(token.content)[1:]
    if not inner or "-->" not in inner[-1]:
        message = "the input comment '<!-- txtest: input' is not closed: end it with '-->'"
        raise InputError(message, context.at(start))
    last = inner[-1].split("-->", 1)[0]
    items = inner[:-1] + ([last.rstrip()] if last.strip() else [])
    return _Word("input", "", start + 1, tuple(items))


def _prefix(lines: Sequence[_Line], source: Sequence[str], opening: int, marker: str) -> str:
    """What stands before a block's content on its source lines.

    Taken from the first content line that shows it; failing that, from what
    stands before the opening marker, list markers turned into spaces.
    """
    for index, text in lines:
        written = source[index]
        if text.strip() and written.endswith(text):
            return written[: len(written) - len(text)]
    lead = source[opening][: max(source[opening].find(marker), 0)]
    return _CONTAINER_MARKER.sub(" ", lead)


# Directives (SPEC §3.4)


def _directive_words(token: _BlockToken, context: _Context) -> tuple[_Word, ...]:
    """The checked words of a `<!-- txtest: ... -->` comment."""
    location = context.at(_start(token))
    match = _DIRECTIVE.fullmatch(token.content.strip())
    assert match is not None, "only directive comments get here"
    words = match["words"].split()
    if not words:
        message = f"this directive comment names no directive; known: {_KNOWN_DIRECTIVES}"
        raise InputError(message, location)
    return _merge((), [_read_word(word, location) for word in words], context.display)


def _read_word(word: str, location: Location) -> _Word:
    """Check one directive word and keep its value."""
    name, equals, value = word.partition("=")
    if name == "input":
        message = (
            "input is a comment of its own: its first line is exactly '<!-- txtest: input', "
            "each line after it up to '-->' is typed followed by Enter"
        )
        raise InputError(message, location)
    if name not in ("skip", "timeout", "session", "term", "file", "keys", "screen", "size"):
        raise InputError(f"unknown directive {name!r}; known: {_KNOWN_DIRECTIVES}", location)
    problem = _value_problem(name, value if equals else None)
    if problem is not None:
        raise InputError(problem, location)
    return _Word(name, value, location.line)


def _value_problem(name: str, value: str | None) -> str | None:
    """What is wrong with a known directive's value, or None."""
    match name:
        case "skip" | "screen":
            if value is None:
                return None
            return f"'{name}' takes no value: write {name}, not {name}={value}"
        case "keys":
            return _keys_problem(value)
        case "size":
            return None if read_size(value or "") is not None else _size_problem(value)
        case "timeout":
            return _timeout_problem(value)
        case "session":
            return _session_problem(value)
        case "term":
            return _term_problem(value)
        case _:
            return _file_problem(value)


def _timeout_problem(value: str | None) -> str | None:
    """What is wrong with a `timeout=` value, or None."""
    if value is not None and read_seconds(value) is not None:
        return None
    written = "timeout" if value is None else f"timeout={value}"
    return f"{written}: give a positive number of seconds, e.g. timeout=5 or timeout=0.5"


def read_seconds(text: str) -> float | None:
    """A timeout as written (`timeout=`, `--timeout`, pyproject.toml): a positive, finite
    number of seconds, fractions allowed; None for anything else (0, -1, inf, nan)."""
    if not _SECONDS.fullmatch(text.strip()):
        return None
    seconds = float(text)
    return seconds if seconds > 0 and math.isfinite(seconds) else None


def _keys_problem(value: str | None) -> str | None:
    """What is wrong with a `keys=` value, or None."""
    if not value:
        return "keys needs its keys, e.g. keys=Down,Down,Enter or keys=hello,Enter"
    if "" in value.split(","):
        return f"keys={value} has an empty item: write Comma for a comma, Space for a space"
    return None


def read_size(text: str) -> tuple[int, int] | None:
    """`COLSxROWS` as (columns, rows), each 1 to 1000; None for anything else."""
    match = _SIZE.fullmatch(text)
    if match is None:
        return None
    columns, rows = int(match[1]), int(match[2])
    return (columns, rows) if 0 < columns <= _MAX_SIZE and 0 < rows <= _MAX_SIZE else None


def _size_problem(value: str | None) -> str:
    written = "size" if value is None else f"size={value}"
    return f"{written}: give COLSxROWS, each from 1 to {_MAX_SIZE}, e.g. size=100x30"


def _session_problem(value: str | None) -> str | None:
    """What is wrong with a `session=` value, or None."""
    if value is not None and _SESSION_NAME.fullmatch(value):
        return None
    written = "session" if value is None else f"session={value}"
    return f"{written}: give a name of letters, digits, '_', '.' or '-', e.g. session=server"


def _term_problem(value: str | None) -> str | None:
    """What is wrong with a `term=` value, or None."""
    if value in {mode.value for mode in TermMode}:
        return None
    written = "term" if value is None else f"term={value}"
    return f"{written}: give one of {_TERM_MODES}, e.g. term=strip"


def _file_problem(value: str | None) -> str | None:
    """What is wrong with a `file=` path, or None."""
    if not value:
        return "file needs a relative path, e.g. file=config.toml"
    if value.startswith("/"):
        return f"file={value} is an absolute path: give one relative to the work directory"
    normal = posixpath.normpath(value)
    if normal == ".." or normal.startswith("../"):
        return f"file={value} climbs above the work directory: give a path below it"
    if normal == "." or value.endswith("/"):
        return f"file={value} names a directory: give a file's path, e.g. file=data/input.txt"
    return None


def _merge(pending: Sequence[_Word], words: Sequence[_Word], display: str) -> tuple[_Word, ...]:
    """Add directive words to those waiting for the next block; none twice."""
    merged = tuple(pending)
    for word in words:
        earlier = next((seen for seen in merged if seen.name == word.name), None)
        if earlier is not None:
            where = "" if earlier.line == word.line else f" (also on line {earlier.line})"
            message = f"directive '{word.name}' is given twice{where}: keep one"
            raise InputError(message, Location(display, word.line))
        merged += (word,)
    return merged


def _block_directives(words: Sequence[_Word], context: _Context, what: str) -> Directives:
    """The directives for a console block or hidden comment; `file=` is refused."""
    if not words:
        return NO_DIRECTIVES
    values = {word.name: word for word in words}
    if "file" in values:
        message = (
            f"file= cannot apply to {what}: it writes the content of a non-console block "
            "(such as ```toml) to a file"
        )
        raise InputError(message, Location(context.display, values["file"].line))
    if "input" in values and "keys" in values:
        later = max(values["input"].line, values["keys"].line)
        message = "a block has input or keys=, not both: type the lines with keys=...,Enter"
        raise InputError(message, Location(context.display, later))
    timeout = values.get("timeout")
    session = values.get("session")
    term = values.get("term")
    keys = values.get("keys")
    size = values.get("size")
    return Directives(
        skip="skip" in values,
        timeout=None if timeout is None else float(timeout.value),
        session=None if session is None else session.value,
        term=None if term is None else TermMode(term.value),
        input=values["input"].items if "input" in values else None,
        keys=None if keys is None else tuple(keys.value.split(",")),
        screen="screen" in values,
        size=None if size is None else read_size(size.value),
        line=words[0].line,
    )


# Inside a block (SPEC §3.2)


def _drafts(lines: Sequence[_Line], *, cram: bool) -> list[_Draft]:
    """Group a block's lines by command; lines before the first and after `$` are dropped.

    Every line after a `$ ` line, up to the next, is first taken as output;
    cram's `> ` lines right after a command are its continuations. (Markdown's
    continuations depend on bash: `_join_continuations` moves them.) Only lines
    starting with `$` or `>` are looked at one by one; the runs of output
    between them are taken as slices (a long output costs no loop).
    """
    drafts: list[_Draft] = []
    current: _Draft | None = None
    markers = _CRAM_MARKERS if cram else _MARKDOWN_MARKERS
    marked = [i for i, line in enumerate(lines) if line[1][:1] in markers]
    previous = 0
    for position in [*marked, len(lines)]:
        if current is not None:
            current.output.extend(lines[previous:position])
        if position == len(lines):
            break
        index, text = lines[position]
        kind = _line_kind(text, cram=cram)
        if kind is _Kind.COMMAND:
            current = _Draft([(index, text[2:])])
            drafts.append(current)
        elif kind is _Kind.STOP:
            current = None
        elif current is None:
            pass
        elif kind is _Kind.CONTINUATION and not current.output:
            current.source.append((index, text[2:]))
        else:
            current.output.append((index, text))
        previous = position + 1
    return drafts


_CRAM_MARKERS = ("$", ">")
_MARKDOWN_MARKERS = ("$",)


def _line_kind(text: str, *, cram: bool) -> _Kind:
    """What a line inside a block is; cram has no lone `$`, Markdown no `>` of its own."""
    if not cram and text.rstrip(" \t") == "$":
        return _Kind.STOP
    if text.startswith("$ "):
        return _Kind.COMMAND
    if cram and (text == ">" or text.startswith("> ")):
        return _Kind.CONTINUATION
    return _Kind.OUTPUT


_AT_ONCE = 8
"""Longer commands are checked this many lines at a time (a here-document of 100 lines)."""


def _join_continuations(drafts: Sequence[_Draft]) -> None:
    """Move each Markdown command's continuation lines from its output to its source.

    A line continues a command while bash would still wait for more of it (SPEC
    §3.2): `> TEXT` gives TEXT, any other line is taken whole. Every command is
    checked in one batch, and a command found open has its next lines checked
    a few at a time, so bash is asked in rounds, never once a line in turn.
    """
    from txtest.shell_syntax import incomplete

    taken = [0] * len(drafts)
    open_ = [index for index, verdict in enumerate(incomplete(_sources(drafts))) if verdict]
    while open_:
        asks = [
            (index, count)
            for index in open_
            for count in range(taken[index] + 1, taken[index] + 1 + _AT_ONCE)
            if count <= len(drafts[index].output)
        ]
        verdicts = incomplete([_source_text(drafts[index], count) for index, count in asks])
        still: dict[int, bool] = {}
        for (index, count), verdict in zip(asks, verdicts, strict=True):
            if still.get(index, True):
                taken[index] = count
                still[index] = verdict
        open_ = [index for index in open_ if still.get(index, False)]
    for draft, count in zip(drafts, taken, strict=True):
        draft.source.extend((index, _continued(text)) for index, text in draft.output[:count])
        del draft.output[:count]


def _sources(drafts: Sequence[_Draft]) -> list[str]:
    return [_source_text(draft, 0) for draft in drafts]


def _source_text(draft: _Draft, count: int) -> str:
    """The command typed so far, with the first count lines after it as continuations."""
    lines = [text for _, text in draft.source]
    lines += [_continued(text) for _, text in draft.output[:count]]
    return "\n".join(lines)


def _continued(text: str) -> str:
    """A continuation line as bash reads it: without its `> ` prompt, if written."""
    if text == ">":
        return ""
    return text[2:] if text.startswith("> ") else text


def _finish(draft: _Draft, display: str, *, cram: bool) -> Command:
    """A command from its draft: expected lines, `[N]` status and span.

    In Markdown a pattern that cannot be compiled is an input error; in cram it
    matches only its own text (SPEC §9).
    """
    output = draft.output if cram else _without_blank_tail(draft.output)
    status, status_index = 0, None
    if output and (found := _exit_status(output[-1][1])) is not None:
        status, status_index = found, output[-1][0]
        output = output[:-1] if cram else _without_blank_tail(output[:-1])
    if not cram and any(text.rstrip(" \t").endswith(")") for _, text in output):
        for index, text in output:
            if text.rstrip(" \t").endswith(")"):
                _check_expected(text, Location(display, index + 1))
    return Command(
        source="\n".join(text for _, text in draft.source),
        location=Location(display, draft.source[0][0] + 1),
        expected=tuple(text for _, text in output),
        expected_span=_expected_span(draft, output, status_index),
        exit_status=status,
    )


def _without_blank_tail(lines: Sequence[_Line]) -> list[_Line]:
    """The lines without the empty (or blank) ones at their end."""
    end = len(lines)
    while end and not lines[end - 1][1].strip(" \t"):
        end -= 1
    return list(lines[:end])


def _exit_status(text: str) -> int | None:
    """N when the line is `[N]` with N in 0..255, else None."""
    match = _EXIT_STATUS.fullmatch(text.rstrip(" \t"))
    if match is None or int(match[1]) > 255:
        return None
    return int(match[1])


def _expected_span(draft: _Draft, output: Sequence[_Line], status_index: int | None) -> Span:
    """The source lines of a command's expected output and `[N]` line."""
    after = draft.source[-1][0] + 1
    if status_index is not None:
        return Span(after, status_index + 1)
    return Span(after, output[-1][0] + 1 if output else after)


def _check_expected(text: str, location: Location) -> None:
    """Refuse an expected line whose pattern cannot be compiled."""
    try:
        compile_line(text)
    except PatternError as error:
        raise InputError(f"expected output line: {error}", location) from None
