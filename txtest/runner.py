"""Documents and sessions in, results out: the one place a document's blocks are run."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from txtest.audit import append_record, log_record
from txtest.compare import compare_command
from txtest.errors import InputError
from txtest.events import BlockDone, CommandDone, CommandStarted, Listener
from txtest.model import (
    Block,
    BlockResult,
    Command,
    CommandResult,
    CommandRun,
    Directives,
    DocFormat,
    Document,
    DocumentResult,
    FileFixture,
    Location,
    Outcome,
    RunOptions,
    Span,
    StopFlag,
    TermMode,
)
from txtest.session import DEFAULT_SIZE, INTERACTIVE_TERM, Job, RawRun, Session, SessionError
from txtest.terminal import TermOutput, read_screen, screen_lines

if TYPE_CHECKING:
    from txtest.keys import Typist

_PROMPT_VARIABLES = ("PS0", "PS1", "PS2", "PS3", "PS4", "PROMPT_COMMAND", "HISTFILE", "ENV")


class WorkArea(NamedTuple):
    """The directories one document runs in."""

    root: Path
    """Holds everything below; removed at the end unless kept."""
    testtmp: Path
    home: Path
    tmpdir: Path
    """The document's TMPDIR, so `mktemp` leaves nothing behind (SPEC §5.2, §9)."""
    start: Path
    """Where the sessions start: TESTTMP, or --workdir."""

    def control(self, session: str) -> Path:
        """The path the session's own files start with (no directory: a mkdir is dear)."""
        return self.root / f".session-{session or 'default'}"


@dataclass(slots=True)
class _Sessions:
    """The sessions of one document, started on first use."""

    document: Document
    options: RunOptions
    area: WorkArea
    stack: ExitStack
    started: dict[str, Session] = field(default_factory=dict)

    def get(self, name: str | None) -> Session:
        key = name or ""
        if key not in self.started:
            session = Session(
                self.options.shell,
                session_env(self.document, self.area, self.options.shell),
                self.area.start,
                self.area.control(key),
                output_pipe=self.document.format is DocFormat.CRAM,
                max_output=self.options.max_output,
            )
            try:
                self.started[key] = self.stack.enter_context(session)
            except SessionError as error:
                raise InputError(str(error), path=self.document.display) from None
        return self.started[key]

    def cwd(self) -> Path:
        """The default session's current directory (its start, before it runs)."""
        default = self.started.get("")
        if default is None or default.lost is not None:
            return self.area.start
        try:
            return default.cwd()
        except OSError:
            return self.area.start


def session_env(document: Document, area: WorkArea, shell: str) -> dict[str, str]:
    """The environment of a document's sessions (SPEC §5.2, cram's in §9)."""
    env = base_env(area, document.path.resolve().parent)
    env["TESTFILE"] = document.path.name
    if document.format is DocFormat.CRAM:
        env.update(LANG="C", LC_ALL="C", LANGUAGE="C", TZ="GMT", CDPATH="", GREP_OPTIONS="")
        env.update(TESTSHELL=_absolute(shell), CRAMTMP=str(area.root), TERM="xterm")
        env.update(TMP=str(area.tmpdir), TEMP=str(area.tmpdir))
    else:
        env.update(LC_ALL="C.UTF-8", TZ="UTC")
    return env


def base_env(area: WorkArea, testdir: Path) -> dict[str, str]:
    """The caller's environment, its prompts left out, plus what every session gets (§5.2)."""
    env = {key: value for key, value in os.environ.items() if key not in _PROMPT_VARIABLES}
    env.update(
        TXTEST="1",
        TESTDIR=str(testdir),
        TESTTMP=str(area.testtmp),
        HOME=str(area.home),
        TMPDIR=str(area.tmpdir),
        COLUMNS="80",
        LINES="24",
        PAGER="cat",
        GIT_PAGER="cat",
    )
    return env


def _absolute(shell: str) -> str:
    """The shell's absolute path, as cram's TESTSHELL holds it (found on PATH if need be)."""
    found = shutil.which(shell) if "/" not in shell else shell
    return os.path.abspath(found or shell)


def make_work_area(workdir: Path | None, name: str = "tmp", tmpdir: str = "temp") -> WorkArea:
    """A fresh TESTTMP (called name), HOME and TMPDIR side by side in a new temporary directory."""
    root = Path(tempfile.mkdtemp(prefix="txtest-")).resolve()
    testtmp, home, temp = root / name, root / "home", root / tmpdir
    for folder in (testtmp, home, temp):
        folder.mkdir()
    return WorkArea(root, testtmp, home, temp, workdir.resolve() if workdir else testtmp)


def selected_blocks(document: Document, options: RunOptions) -> frozenset[int] | None:
    """Indexes (into document.blocks) picked by PATH:LINE and -k; None = no selection."""
    if not options.lines and options.keyword is None:
        return None
    blocks = document.blocks
    picked: set[int] = set()
    for line in options.lines:
        hits = [i for i, block in enumerate(blocks) if block.span.start < line <= block.span.end]
        if not hits:
            raise InputError("this line is in no block", Location(document.display, line))
        picked.update(hits)
    if options.keyword is not None:
        keyword = options.keyword
        picked.update(
            i
            for i, block in enumerate(blocks)
            if any(keyword in command.source for command in block.commands)
        )
    return frozenset(picked)


def blocks_needed(document: Document, selection: frozenset[int] | None) -> frozenset[int] | None:
    """The selected blocks, plus the earlier blocks of their sessions that build their state."""
    if selection is None:
        return None
    blocks = document.blocks
    return frozenset(
        index
        for index, block in enumerate(blocks)
        if any(chosen >= index and blocks[chosen].session == block.session for chosen in selection)
    )


class _Notifier(NamedTuple):
    """Tells the listener, if any, what a document's run is doing."""

    listen: Listener | None
    numbers: Mapping[Span, int]
    """Each block's 1-based number, by its span."""

    def started(self, block: Block, command: Command) -> None:
        if self.listen is not None:
            number, total = self.numbers[block.span], len(self.numbers)
            first_line = command.source.split("\n", 1)[0]
            started = CommandStarted(command.location, first_line, number, total, time.monotonic())
            self.listen(started)

    def command_done(self, result: CommandResult, reported: bool, skipped: bool) -> None:
        if self.listen is not None:
            self.listen(CommandDone(result, reported, skipped))

    def block_done(self, result: BlockResult) -> None:
        if self.listen is not None:
            self.listen(BlockDone(result))


def run_document(
    document: Document,
    options: RunOptions,
    stop: StopFlag | None = None,
    listen: Listener | None = None,
    sweeper: Sweeper | None = None,
) -> DocumentResult:
    """Run a document's blocks in order in its sessions; the work area goes at the end.

    listen, when given, hears of each command as it starts and ends, and of each block;
    sweeper, when given, removes the work area while the caller goes on.
    """
    notify = _Notifier(listen, {block.span: n for n, block in enumerate(document.blocks, 1)})
    try:
        selection = selected_blocks(document, options)
    except InputError as error:
        return DocumentResult(document, error=error)
    # cram names each test's TESTTMP after its file ($CRAMTMP/name.t) and its
    # TMPDIR $CRAMTMP/tmp; so does txtest
    if document.format is DocFormat.CRAM:
        area = make_work_area(options.workdir, document.path.name, "tmp")
    else:
        area = make_work_area(options.workdir)
    try:
        with ExitStack() as stack:
            sessions = _Sessions(document, options, area, stack)
            results = tuple(_run_items(document, options, sessions, selection, stop, notify))
    except InputError as error:
        _remove(area, options)
        return DocumentResult(document, error=error)
    except BaseException:
        _remove(area, options)
        raise
    kept = str(area.testtmp) if options.keep_tmp else None
    _remove(area, options, sweeper)
    return DocumentResult(document, results, keep_tmp=kept)


def _remove(area: WorkArea, options: RunOptions, sweeper: Sweeper | None = None) -> None:
    if options.keep_tmp:
        return
    if sweeper is None:
        shutil.rmtree(area.root, ignore_errors=True)
    else:
        sweeper.remove(area.root)


class Sweeper:
    """Removes finished documents' work areas in the background; leaving `with` waits for all.

    Removing a directory costs the disk a journal write (milliseconds on some), which
    the next document's run can overlap on another core.
    """

    def __init__(self) -> None:
        self._threads: list[threading.Thread] = []

    def remove(self, root: Path) -> None:
        self._threads = [thread for thread in self._threads if thread.is_alive()]
        thread = threading.Thread(target=shutil.rmtree, args=(root, True), daemon=True)
        thread.start()
        self._threads.append(thread)

    def __enter__(self) -> Sweeper:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for thread in self._threads:
            thread.join()


def _run_items(
    document: Document,
    options: RunOptions,
    sessions: _Sessions,
    selection: frozenset[int] | None,
    stop: StopFlag | None,
    notify: _Notifier,
) -> Iterator[BlockResult]:
    """Yield a result per block that is run or skipped, in order."""
    needed = blocks_needed(document, selection)
    last = max(needed, default=-1) if needed is not None else None
    block_index = -1
    segment: list[tuple[Block, bool]] = []
    for item in document.items:
        if isinstance(item, FileFixture):
            yield from _run_segment(segment, options, sessions, stop, notify)
            segment = []
            if last is None or block_index < last:
                write_fixture(item, sessions.cwd())
            continue
        block_index += 1
        if needed is not None and block_index not in needed:
            continue
        reported = selection is None or block_index in selection
        if segment and (
            options.fail_fast
            or segment[0][0].session != item.session
            or _own_terminal(item)
            or _own_terminal(segment[0][0])
        ):
            yield from _run_segment(segment, options, sessions, stop, notify)
            segment = []
        segment.append((item, reported))
    yield from _run_segment(segment, options, sessions, stop, notify)


def _run_segment(
    segment: Sequence[tuple[Block, bool]],
    options: RunOptions,
    sessions: _Sessions,
    stop: StopFlag | None,
    notify: _Notifier,
) -> Iterator[BlockResult]:
    """Run consecutive blocks of one session as one batch, so bash never waits for us.

    Under fail-fast a batch is one block: no command of a later block may start
    before the block is judged.
    """
    exact = sessions.document.format is DocFormat.CRAM
    runnable = [(block, reported) for block, reported in segment if not block.skipped]
    jobs = [
        Job(_typed(command.source, exact), block.directives.timeout or options.timeout)
        for block, _ in runnable
        for command in block.commands
    ]
    raw_runs: Iterator[RawRun] = iter(())
    if jobs and not (stop is not None and stop.is_set()):
        session = sessions.get(segment[0][0].session)
        if _own_terminal(runnable[0][0]):
            raw_runs = terminal_runs(session, runnable[0][0].directives, jobs)
        else:
            raw_runs = session.run(jobs)
    for block, reported in segment:
        if block.skipped:
            if reported:
                skipped = BlockResult(block, Outcome.SKIPPED)
                notify.block_done(skipped)
                yield skipped
            continue
        if stop is not None and stop.is_set():
            return
        result = finish_block(block, reported, raw_runs, options, exact, notify)
        if not result.is_ok and options.fail_fast and stop is not None:
            stop.set()
        notify.block_done(result)
        yield result


def _own_terminal(block: Block) -> bool:
    """A block whose commands need the terminal set for them alone: interactive, or sized."""
    return block.directives.interactive or block.directives.size is not None


def terminal_runs(
    session: Session,
    directives: Directives,
    jobs: Sequence[Job],
    home: tuple[int, int] = DEFAULT_SIZE,
) -> Iterator[RawRun]:
    """Run a block of SPEC §11: its size and TERM, its commands typed into when they wait.

    One command at a time, as the report asks for it. Unread items fail the
    block's last command; the session's terminal is put back as it was (`home`,
    the caller's TERM) before that command's run is handed on. (The Python API
    runs its `input=` and `keys=` commands through here too.)
    """
    size = directives.size or home
    term = INTERACTIVE_TERM if directives.interactive else ""
    changed = size != home or bool(term)
    if changed:
        session.set_terminal(size, term)
    lines = directives.input is not None
    from txtest.keys import Typist, strokes  # here: most documents type no keys

    typist = Typist(strokes(directives.input or directives.keys or (), lines=lines))
    for index, job in enumerate(jobs):
        raw = _run_one(session, job, typist, directives)
        if index == len(jobs) - 1:
            if typist.left and raw.lost is None:
                raw = raw._replace(lost=f"{typist.left} input item(s) not read")
            if changed:
                session.set_terminal(home)
        yield raw


def _run_one(session: Session, job: Job, typist: Typist, directives: Directives) -> RawRun:
    """One command of a §11 block; after a loss, it fails without running."""
    if session.lost is not None:
        return RawRun(b"", None, f"the session was lost earlier: {session.lost}")
    if not directives.interactive:
        return next(session.run([job]))
    return session.interact(job.source, typist, timeout=job.timeout, screen=directives.screen)


def _typed(source: str, cram: bool) -> str:
    """What the session runs for a command: in cram, as under cram, `$?` starts at 0.

    (cram runs its own `echo` between the commands of a test, so `$?` never
    carries over; a Markdown session keeps it, as a terminal does.)
    """
    return f"\\builtin :\n{source}" if cram else source


def finish_block(
    block: Block,
    reported: bool,
    raw_runs: Iterator[RawRun],
    options: RunOptions,
    exact: bool,
    notify: _Notifier | None = None,
) -> BlockResult:
    """Collect a block's command runs and compare them (cram: blank lines exact)."""
    notify = notify or _Notifier(None, {})
    mode = block.directives.term or options.term or (TermMode.RAW if exact else TermMode.AUTO)
    results: list[CommandResult] = []
    skipped = False
    for command in block.commands:
        notify.started(block, command)
        raw = next(raw_runs)
        skipped = skipped or _asks_to_skip(raw)
        if options.log is not None:
            append_record(options.log, log_record(command, block.session, raw))
        screen = _compared_lines(block, raw, mode)
        run = CommandRun(
            actual=screen.lines,
            no_eol=screen.no_eol,
            # a command hung up at the screen's moment has no status to check (SPEC §11)
            exit_status=command.exit_status if raw.hung_up else raw.exit_status,
            lost=raw.lost,
            duration=raw.duration,
            escapes_left=screen.escapes_left,
            screen=(block.directives.size or DEFAULT_SIZE) if raw.screen is not None else None,
        )
        results.append(compare_command(command, run, cram=exact))
        notify.command_done(results[-1], reported, skipped)
    if skipped:
        return BlockResult(block, Outcome.SKIPPED, reported=reported)
    ok = all(result.is_ok for result in results)
    return BlockResult(block, Outcome.PASSED if ok else Outcome.FAILED, tuple(results), reported)


def _compared_lines(block: Block, raw: RawRun, mode: TermMode) -> TermOutput:
    """What a command's run is compared as: its output (§6), or a `screen` block's screen."""
    if raw.screen is not None:
        rows = read_screen(raw.screen, block.directives.size or DEFAULT_SIZE)
        return TermOutput(rows, no_eol=False, escapes_left=False)
    output = elide_output(raw.output) if raw.exit_status is None else raw.output
    return screen_lines(output, mode)


_SKIP_STATUS = 80
_SKIP_LOSS = f"the shell exited with status {_SKIP_STATUS}"


def _asks_to_skip(raw: RawRun) -> bool:
    """Whether the session was lost by the shell exiting with 80, cram's and scrut's skip.

    A command run after that reports the loss as having happened earlier, and
    so skips its block too (SPEC §9).
    """
    return raw.lost is not None and raw.lost.endswith(_SKIP_LOSS)


_KEPT_LINES = 20


def elide_output(output: bytes, keep: int = _KEPT_LINES) -> bytes:
    """The first and last `keep` lines of a lost command's output, with a line saying how
    many were left out between: nobody reads a diff of millions of lines."""
    head_end = _nth_newline(output, keep)
    tail_start = _nth_newline_from_end(output, keep + 1)
    if head_end < 0 or tail_start < 0 or tail_start <= head_end:
        return output if len(output) <= 8 * _KEPT_BYTES else _cut_bytes(output)
    left_out = output.count(b"\n", head_end + 1, tail_start + 1)
    marker = b"... (%d lines left out) ...\n" % left_out
    return _cut_bytes(output[: head_end + 1]) + marker + _cut_bytes(output[tail_start + 1 :])


_KEPT_BYTES = 4096


def _cut_bytes(text: bytes) -> bytes:
    """A long stretch without newlines, shortened to its two ends."""
    if len(text) <= 2 * _KEPT_BYTES:
        return text
    left_out = len(text) - 2 * _KEPT_BYTES
    return text[:_KEPT_BYTES] + b"\n... (%d bytes left out) ...\n" % left_out + text[-_KEPT_BYTES:]


def _nth_newline(data: bytes, count: int) -> int:
    index = -1
    for _ in range(count):
        index = data.find(b"\n", index + 1)
        if index < 0:
            return -1
    return index


def _nth_newline_from_end(data: bytes, count: int) -> int:
    index = len(data)
    for _ in range(count):
        index = data.rfind(b"\n", 0, index)
        if index < 0:
            return -1
    return index


def write_fixture(fixture: FileFixture, cwd: Path) -> None:
    """Write a `file=` block below the session's directory, refusing to leave it."""
    base = cwd.resolve()
    target = (base / fixture.path).resolve()
    if target != base and base not in target.parents:
        raise InputError(
            f"file={fixture.path} leads outside the work dir (through a symlink)",
            fixture.location,
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(fixture.content, encoding="utf-8", newline="")
