"""Frozen data every stage shares: documents, blocks, commands and results.

Stdlib and txtest.errors only. Line numbers are 1-based (``line``); spans and indexes are 0-based
and half-open, over the document's source lines.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from txtest.errors import InputError


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a document, in the form editors jump to."""

    path: str
    """The document's path as the user named it (or as found below a directory)."""
    line: int
    """1-based line number."""

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True, slots=True)
class Span:
    """A 0-based, half-open range of source line indexes."""

    start: int
    end: int

    def __len__(self) -> int:
        return self.end - self.start


class TermMode(enum.Enum):
    """How a command's raw terminal output becomes the lines compared (SPEC §6)."""

    AUTO = "auto"
    RENDER = "render"
    STRIP = "strip"
    RAW = "raw"


class DocFormat(enum.Enum):
    """How a document is read (SPEC §2)."""

    MARKDOWN = "markdown"
    CRAM = "cram"


class Outcome(enum.Enum):
    """The verdict on a block."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Command:
    """One `$ command`, its continuations, and what it should print."""

    source: str
    """The command text: the `$` line and its `>` continuations joined with newlines."""
    location: Location
    """Where the `$` line is."""
    expected: tuple[str, ...]
    """Expected output lines as written (pattern markers included), without `[N]`."""
    expected_span: Span
    """Source lines holding the expected output and its `[N]` line; trailing blank
    lines excluded. Empty (start == end) right after the command when it expects
    nothing. Update mode replaces exactly this range."""
    exit_status: int = 0
    """The exit status the command must end with."""


@dataclass(frozen=True, slots=True)
class Directives:
    """What a `<!-- txtest: ... -->` comment says about the next block (SPEC §3.4)."""

    skip: bool = False
    timeout: float | None = None
    session: str | None = None
    term: TermMode | None = None
    file: str | None = None
    input: tuple[str, ...] | None = None
    """The lines of an `input` comment (SPEC §11), each typed followed by Enter."""
    keys: tuple[str, ...] | None = None
    """The items of `keys=`: key names, or text typed as it is."""
    screen: bool = False
    """The block's one command is compared with the terminal screen, not its output."""
    size: tuple[int, int] | None = None
    """`size=COLSxROWS`: the terminal's columns and rows while the block runs."""
    line: int | None = None
    """1-based line of the directive comment, when there is one."""

    @property
    def interactive(self) -> bool:
        """The block's commands read the terminal (SPEC §11): input, keys= or screen."""
        return self.input is not None or self.keys is not None or self.screen

    def describe(self) -> str:
        """The directives in effect, as they would be written."""
        words: list[str] = []
        if self.skip:
            words.append("skip")
        if self.timeout is not None:
            words.append(f"timeout={self.timeout:g}")
        if self.session is not None:
            words.append(f"session={self.session}")
        if self.term is not None:
            words.append(f"term={self.term.value}")
        if self.file is not None:
            words.append(f"file={self.file}")
        if self.input is not None:
            words.append(f"input ({len(self.input)} item{'' if len(self.input) == 1 else 's'})")
        if self.keys is not None:
            words.append(f"keys={','.join(self.keys)}")
        if self.screen:
            words.append("screen")
        if self.size is not None:
            words.append(f"size={self.size[0]}x{self.size[1]}")
        return " ".join(words)


NO_DIRECTIVES = Directives()


@dataclass(frozen=True, slots=True)
class Block:
    """A console block, a hidden-command comment, or a run of cram lines."""

    location: Location
    """The opening fence, the `<!-- txtest` line, or the first cram line."""
    commands: tuple[Command, ...]
    directives: Directives = NO_DIRECTIVES
    hidden: bool = False
    """True for a `<!-- txtest` comment."""
    span: Span = Span(0, 0)
    """Source lines of the whole block, fences or comment markers included."""
    prefix: str = ""
    """What stands before the content on each source line (block quote markers,
    list indentation, cram's two spaces): new expected lines get it."""

    @property
    def session(self) -> str | None:
        """The named session this block runs in, None for the default one."""
        return self.directives.session

    @property
    def skipped(self) -> bool:
        return self.directives.skip


@dataclass(frozen=True, slots=True)
class FileFixture:
    """A non-console block whose content a `file=PATH` directive writes out."""

    location: Location
    """The directive's line (errors about the path name it)."""
    path: str
    """Relative path, below the default session's current directory."""
    content: str
    """The block's content exactly, final newline included."""


Item = Block | FileFixture


@dataclass(frozen=True, slots=True)
class Note:
    """A word to the author about a document, shown on stderr (SPEC §3.1); never an error."""

    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: note: {self.message}"


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed document: its blocks and fixtures, in source order."""

    path: Path
    """Where the file is on disk."""
    display: str
    """The path as shown to the user."""
    format: DocFormat
    items: tuple[Item, ...] = ()
    notes: tuple[Note, ...] = ()
    """Said whenever the document is run (a console block that runs nothing)."""
    unmarked: Note | None = None
    """The first fence of another language holding `$ ` lines: said when a run finds no block."""

    @property
    def blocks(self) -> tuple[Block, ...]:
        return tuple(item for item in self.items if isinstance(item, Block))


@dataclass(frozen=True, slots=True)
class CommandRun:
    """What one command did in the session."""

    actual: tuple[str, ...]
    """Output lines after terminal handling (§6), `\\r\\n` read as `\\n`,
    trailing spaces kept; undecodable bytes as surrogate escapes."""
    no_eol: bool = False
    """The output did not end with a newline."""
    exit_status: int | None = 0
    """None when the command did not finish (timeout, lost session)."""
    lost: str | None = None
    """Why the session was lost during or before this command, if it was."""
    duration: float = 0.0
    escapes_left: bool = False
    """The compared text still holds escape sequences (strip/raw left them)."""
    screen: tuple[int, int] | None = None
    """The columns and rows of the terminal screen `actual` was read from (SPEC §11
    `screen`); None when it is the command's output."""


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One line of a diff: ' ' both, '-' expected only, '+' actual only."""

    tag: str
    text: str
    line: int | None = None
    """1-based source line of an expected line, when it has one."""


@dataclass(frozen=True, slots=True)
class CommandResult:
    """A command's run held against what it expected."""

    command: Command
    run: CommandRun
    output_ok: bool
    diff: tuple[DiffLine, ...] = ()
    updated: tuple[str, ...] | None = None
    """Expected lines that would make this command pass, `[N]` included; None when
    the run did not finish."""

    @property
    def status_ok(self) -> bool:
        return self.run.exit_status == self.command.exit_status

    @property
    def is_ok(self) -> bool:
        return self.run.lost is None and self.output_ok and self.status_ok


@dataclass(frozen=True, slots=True)
class BlockResult:
    """The verdict on one block."""

    block: Block
    outcome: Outcome
    commands: tuple[CommandResult, ...] = ()
    reported: bool = True
    """False for a passing block that only ran to build state for a selection."""

    @property
    def is_ok(self) -> bool:
        return self.outcome is not Outcome.FAILED

    @property
    def failures(self) -> tuple[CommandResult, ...]:
        return tuple(result for result in self.commands if not result.is_ok)

    @property
    def updatable(self) -> bool:
        """Whether update mode can rewrite it: a reported failure with a command that ran to
        its end (a lost session's output is not written)."""
        failed = self.outcome is Outcome.FAILED and self.reported
        return failed and any(result.run.lost is None for result in self.failures)


@dataclass(frozen=True, slots=True)
class Update:
    """What update mode (SPEC §7.1) did to one document."""

    rewritten: frozenset[Location] = frozenset()
    """The `$` lines, in the rewritten file, of the commands whose expected output was written."""
    problem: str | None = None
    """Why the file could not be updated, when it could not."""


@dataclass(frozen=True, slots=True)
class DocumentResult:
    """Every block result of one document, in source order."""

    document: Document
    blocks: tuple[BlockResult, ...] = ()
    keep_tmp: str | None = None
    """The kept work dir (`--keep-tmp`)."""
    update: Update | None = None
    """What update mode did, when it tried to rewrite the document."""
    error: InputError | None = None
    """An input error found while running (the run exits 2)."""

    @property
    def is_ok(self) -> bool:
        return self.error is None and all(block.is_ok for block in self.blocks)


DEFAULT_LANGS: tuple[str, ...] = (
    "console",
    "shell-session",
    "shellsession",
    "sh-session",
    "terminal",
    "txtest",
)
"""Info-string words that mark a console block unless `--lang` replaces them (SPEC §3.1)."""


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How documents are run: everything the command line can set for a run."""

    timeout: float = 60.0
    shell: str = "bash"
    term: TermMode | None = None
    """`--term`; None: auto for Markdown, raw for cram (which compares exactly)."""
    workdir: Path | None = None
    keep_tmp: bool = False
    fail_fast: bool = False
    keyword: str | None = None
    """`-k TEXT`: only blocks one of whose commands contains it."""
    update: bool = False
    lines: tuple[int, ...] = ()
    """`PATH:LINE` selections for this document (1-based lines)."""
    langs: tuple[str, ...] = DEFAULT_LANGS
    """Info-string words that mark a console block (`--lang`)."""
    max_output: int = 64 * 2**20
    """`--max-output`: bytes a command may print before its session is lost."""
    log: Path | None = None
    """`--log FILE`: where each command sent to a session is recorded (JSON Lines)."""


class StopFlag(Protocol):
    """Shared by the documents of a run: set after a failure under `-x`."""

    def is_set(self) -> bool: ...

    def set(self) -> None: ...
