"""The Python API (SPEC §12): `Shell`, `Run` and `Mismatch`, a typed face over the CLI's engine.

A Shell is the session a document gets (txtest.session, the environment of
txtest.runner), driven one call at a time. `check` goes through the parser,
the comparison and the report the command line uses.

This module is what `from txtest import Shell` loads, so it imports only
the standard library at first: the engine (pexpect, the parser) comes in
with the first Shell, keeping the import under a few milliseconds.
"""

from __future__ import annotations

import sys
import warnings
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from txtest.app import App
    from txtest.model import Command, Location, TermMode
    from txtest.runner import WorkArea
    from txtest.session import RawRun, Session

__all__ = ["Mismatch", "Run", "Shell"]

DEFAULT_TIMEOUT = 60.0
DEFAULT_SIZE = (80, 24)
DEFAULT_MAX_OUTPUT = 64 * 2**20


class Mismatch(AssertionError):
    """`Shell.check` found output or a status other than the transcript says.

    Its message is the failure report the command line prints for that block.
    """


@dataclass(frozen=True, slots=True)
class Run:
    """How one command of `Shell.run` went."""

    command: str
    output: str
    """What it printed, after the shell's `term` handling (SPEC §6), `\\r\\n` read as `\\n`."""
    raw: bytes
    """The bytes as received from the terminal."""
    status: int | None
    """Its exit status; None when the session was lost."""
    lost: str | None
    """None, or why it failed: how the session was lost (SPEC §5.4), or
    `waiting for terminal input` (§5.3; the shell goes on)."""
    duration: float
    """Seconds."""

    @property
    def ok(self) -> bool:
        """Exit status 0, and nothing lost."""
        return self.status == 0 and self.lost is None


class Shell:
    """One bash on a pseudo-terminal, as a document's session (SPEC §5), for Python tests.

    A context manager: leaving it (an exception and Ctrl-C included) kills
    every process the shell started and removes its temporary directories.
    An unclosed Shell is cleaned up when it is garbage collected, with a
    ResourceWarning.
    """

    def __init__(
        self,
        *,
        shell: str = "bash",
        cwd: str | Path | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        size: tuple[int, int] = DEFAULT_SIZE,
        term: str = "auto",
        max_output: int = DEFAULT_MAX_OUTPUT,
        log: str | Path | TextIO | None = None,
    ) -> None:
        from txtest.model import TermMode
        from txtest.runner import make_work_area

        self._term = _term_mode(term, TermMode)
        _check_settings(timeout, size, max_output)
        self._shell = shell
        self._timeout = float(timeout)
        self._size = size
        self._max_output = max_output
        self._log: Path | TextIO | None = Path(log) if isinstance(log, str | Path) else log
        self._app: App | None = None
        self._restarts = 0
        area = make_work_area(None)
        self._resources = _Resources(area)
        self._finalizer = weakref.finalize(self, self._resources.release, True)
        try:
            self._start_dir = Path(cwd).resolve() if cwd is not None else area.testtmp
            if not self._start_dir.is_dir():
                raise ValueError(f"cwd is not a directory: {cwd}")
            self._env = _shell_env(area, size, env)
            self._resources.session = self._new_session()
        except BaseException:
            self.close()
            raise

    # -- lifetime -----------------------------------------------------------

    def __enter__(self) -> Shell:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """End the shell and everything it started; remove its temporary directories."""
        if self._app is not None:
            self._app.close()
        self._finalizer.detach()
        self._resources.release(False)

    def restart(self) -> None:
        """Replace the shell by a fresh one: the same TESTTMP, HOME and files, nothing else."""
        if self._app is not None:
            self._app.close()
        session = self._session
        self._resources.session = None
        session.close()
        self._restarts += 1
        self._resources.session = self._new_session()

    def _new_session(self) -> Session:
        from txtest.session import DEFAULT_SIZE, Session

        area = self._resources.area
        name = f"default-{self._restarts}" if self._restarts else ""
        session = Session(
            self._shell, self._env, self._start_dir, area.control(name), max_output=self._max_output
        )
        session.start()
        if self._size != DEFAULT_SIZE:
            session.set_terminal(self._size)
        return session

    @property
    def _session(self) -> Session:
        session = self._resources.session
        if session is None:
            raise RuntimeError("this Shell is closed")
        return session

    # -- state --------------------------------------------------------------

    @property
    def tmp(self) -> Path:
        """The shell's TESTTMP: a fresh directory, removed when the Shell closes."""
        return self._resources.area.testtmp

    @property
    def cwd(self) -> Path:
        """The shell's current directory."""
        session = self._session
        if session.lost is not None:
            raise RuntimeError(f"the shell is lost ({session.lost}); restart() starts a fresh one")
        return session.cwd()

    # -- running ------------------------------------------------------------

    def run(
        self,
        command: str,
        *,
        input: Sequence[str] = (),
        keys: Sequence[str] = (),
        timeout: float | None = None,
    ) -> Run:
        """Run one command (it may span lines); never raises because the command failed."""
        from txtest.session import Job

        self._check_idle()
        if isinstance(input, str) or isinstance(keys, str):
            raise TypeError("input and keys are sequences of items, not a string")
        if input and keys:
            raise ValueError("a command gets input or keys, not both")
        where = caller_location(command)
        job = Job(command, self._limit(timeout))
        if input or keys:
            from txtest.model import Directives
            from txtest.runner import terminal_runs

            items = Directives(input=tuple(input)) if input else Directives(keys=tuple(keys))
            raw = next(terminal_runs(self._session, items, [job], home=self._size))
        else:
            raw = next(self._session.run([job]))
        self._record(_command(command, where), raw)
        return Run(
            command=command,
            output=output_text(raw.output, self._term),
            raw=raw.output,
            status=raw.exit_status,
            lost=raw.lost,
            duration=raw.duration,
        )

    def check(self, transcript: str, *, term: str | None = None) -> None:
        """Run a console block's content (SPEC §3.2) and raise Mismatch unless it matches."""
        from txtest.errors import InputError
        from txtest.model import Outcome, RunOptions, TermMode
        from txtest.parse import parse_transcript
        from txtest.report import format_block
        from txtest.runner import finish_block
        from txtest.session import Job

        self._check_idle()
        mode = self._term if term is None else _term_mode(term, TermMode)
        try:
            block = parse_transcript(transcript, caller_location(transcript))
        except InputError as error:
            raise ValueError(str(error)) from None
        if not block.commands:
            raise ValueError(f"{block.location}: the transcript has no `$ ` command line")
        jobs = [Job(command.source, self._timeout) for command in block.commands]
        raws = self._logged(block.commands, self._session.run(jobs))
        result = finish_block(block, True, raws, RunOptions(term=mode), False)
        if result.outcome is Outcome.SKIPPED:
            raise Mismatch(
                f"{block.location}: the shell exited with status 80 (a skip in documents)"
            )
        if result.outcome is not Outcome.PASSED:
            raise Mismatch(format_block(result, color=False))

    def start(self, command: str, *, size: tuple[int, int] | None = None) -> App:
        """Start an interactive program on the terminal and return at once."""
        from txtest.app import App

        self._check_idle()
        if size is not None:
            _check_settings(self._timeout, size, self._max_output)
        app = App(self, command, size or self._size, caller_location(command))
        self._app = app
        return app

    # -- for txtest.app -------------------------------------------------------

    def _check_idle(self) -> None:
        if self._app is not None:
            raise RuntimeError("an App is running in this shell: close() it first")

    def _limit(self, timeout: float | None) -> float:
        if timeout is None:
            return self._timeout
        if not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        return float(timeout)

    def _app_closed(self, app: App, command: Command, raw: RawRun) -> None:
        """An App ended: the shell is free again, and the log gets its record."""
        if self._app is app:
            self._app = None
        self._record(command, raw)

    def _record(self, command: Command, raw: RawRun) -> None:
        if self._log is not None:
            from txtest.audit import log_record, write_record

            write_record(self._log, log_record(command, None, raw))

    def _logged(self, commands: Sequence[Command], raws: Iterator[RawRun]) -> Iterator[RawRun]:
        for command, raw in zip(commands, raws, strict=False):
            self._record(command, raw)
            yield raw


@dataclass(slots=True)
class _Resources:
    """What a Shell must give back, apart from the Shell itself (so a finalizer can)."""

    area: WorkArea
    session: Session | None = None
    released: bool = False

    def release(self, warn: bool) -> None:
        """Kill the shell and what it started, escaped daemons too; remove the directories."""
        import shutil

        from txtest.processes import kill_marked

        if self.released:
            return
        self.released = True
        if warn:
            warnings.warn(
                f"unclosed txtest Shell (TESTTMP {self.area.testtmp}): use `with Shell() as sh`",
                ResourceWarning,
                stacklevel=2,
            )
        if self.session is not None:
            self.session.close()
            self.session = None
        kill_marked(f"TESTTMP={self.area.testtmp}")
        shutil.rmtree(self.area.root, ignore_errors=True)


def _shell_env(
    area: WorkArea, size: tuple[int, int], extra: Mapping[str, str] | None
) -> dict[str, str]:
    """A document's environment (SPEC §5.2), TESTDIR the current directory, plus `extra`."""
    from txtest.runner import base_env

    env = base_env(area, Path.cwd())
    env.update(LC_ALL="C.UTF-8", TZ="UTC", COLUMNS=str(size[0]), LINES=str(size[1]))
    env.update(extra or {})
    return env


def _term_mode(term: str, modes: type[TermMode]) -> TermMode:
    try:
        return modes(term)
    except ValueError:
        known = ", ".join(mode.value for mode in modes)
        raise ValueError(f"term must be one of {known}, not {term!r}") from None


def _check_settings(timeout: float, size: tuple[int, int], max_output: int) -> None:
    if not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
    if len(size) != 2 or not all(isinstance(n, int) and 0 < n < 10_000 for n in size):
        raise ValueError(f"size must be (columns, rows), two positive integers, not {size!r}")
    if not max_output > 0:
        raise ValueError(f"max_output must be a positive number of bytes, not {max_output!r}")


def output_text(raw: bytes, mode: TermMode) -> str:
    """The text of the lines compared under mode (SPEC §6), each ended by a newline."""
    from txtest.terminal import screen_lines

    screen = screen_lines(raw, mode)
    text = "\n".join(screen.lines)
    return text if screen.no_eol or not screen.lines else text + "\n"


def _command(source: str, where: Location) -> Command:
    """A command of the API as the audit log names it: the caller's file and line."""
    from txtest.model import Command, Span

    return Command(source, where, (), Span(0, 0))


def caller_location(argument: str) -> Location:
    """Where the user's code called the API: its file, and the line argument starts on.

    The line is that of the string literal passed when the call holds one (so
    a transcript's lines are the file's own), else that of the call.
    """
    from txtest.model import Location

    frame = sys._getframe(2)
    code = frame.f_code
    line = frame.f_lineno
    literal = _literal_line(code, frame.f_lasti, argument)
    path = Path(code.co_filename)
    try:
        shown = path.resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        shown = str(path)
    return Location(shown, literal if literal is not None else line)


def _literal_line(code: object, last: int, value: str) -> int | None:
    """The line of the last constant loaded before offset `last` that is `value` itself."""
    import dis
    import types

    if not isinstance(code, types.CodeType):
        return None
    found = None
    for instruction in dis.get_instructions(code):
        if instruction.offset >= last:
            break
        if instruction.opname == "LOAD_CONST" and instruction.argval is value:
            positions = instruction.positions
            found = positions.lineno if positions is not None else None
    return found
