"""The `txtest` command: options in, documents run, report out, exit status (SPEC §7, §8)."""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, NamedTuple, NoReturn, TextIO

import click

from txtest import __version__, pool
from txtest.config import OptionError, build_run_options, load_config
from txtest.discover import Target, find_documents
from txtest.errors import ExitCode, InputError
from txtest.live import LiveView, is_smart_terminal
from txtest.model import (
    Block,
    Document,
    DocumentResult,
    Note,
    RunOptions,
    TermMode,
)
from txtest.parse import read_document
from txtest.processes import become_subreaper, reap_orphans
from txtest.report import (
    NORMAL,
    VERBOSE,
    format_document,
    format_input_error,
    write_input_error,
    write_summary,
)
from txtest.runner import selected_blocks

if TYPE_CHECKING:
    from txtest.interactive import Reviewer


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived: unwind, killing every session on the way."""


class Settings(NamedTuple):
    """Everything the command line (and pyproject) said, checked."""

    paths: tuple[str, ...]
    run: RunOptions
    color: bool
    verbosity: int
    list_only: bool
    jobs: int = 1
    junit_xml: Path | None = None
    progress: bool = False
    """Show the status line (stdout is a terminal that takes escape codes, and not -q)."""
    annotations: bool = False
    """Write GitHub Actions annotations (GITHUB_ACTIONS=true)."""
    workspace: Path | None = None
    """GITHUB_WORKSPACE: annotations name files relative to it."""
    interactive: bool = False
    """-i: ask, block by block, whether to accept the actual output."""


def _verbosity_flags(context: click.Context, verbose: bool, quiet: bool) -> tuple[bool, bool]:
    """-v and -q: the command line wins over pyproject.toml; both typed is an error."""
    if not (verbose and quiet):
        return verbose, quiet
    typed = click.core.ParameterSource.COMMANDLINE
    verbose_typed = context.get_parameter_source("verbose") is typed
    quiet_typed = context.get_parameter_source("quiet") is typed
    if verbose_typed == quiet_typed:
        raise click.UsageError("choose one of -v and -q")
    return verbose_typed, quiet_typed


def _jobs(value: str) -> int:
    if value == "auto":
        return os.cpu_count() or 1
    if not value.isdigit() or int(value) < 1:
        raise click.BadParameter(
            f"must be a positive whole number or 'auto', not {value!r}", param_hint="--jobs"
        )
    return int(value)


def use_color(choice: str, stream: TextIO, environ: Mapping[str, str]) -> bool:
    """`--color`: always/never win; auto decides as pytest does: PY_COLORS (1 or 0),
    then NO_COLOR, then FORCE_COLOR, then a terminal that is not `TERM=dumb`."""
    if choice != "auto":
        return choice == "always"
    py_colors = environ.get("PY_COLORS")
    if py_colors in ("0", "1"):
        return py_colors == "1"
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    return is_smart_terminal(stream, environ)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1)
@click.option(
    "-u",
    "--update/--no-update",
    default=False,
    help="Rewrite failing commands' expected output with the actual.",
)
@click.option(
    "-j", "--jobs", metavar="N", default="1", help="Run N documents at a time ('auto': CPUs)."
)
@click.option(
    "-x",
    "--fail-fast/--no-fail-fast",
    default=False,
    help="After the first failing block, start nothing new.",
)
@click.option(
    "-k", "keyword", metavar="TEXT", help="Run only blocks one of whose commands contains TEXT."
)
@click.option("--timeout", metavar="SECONDS", help="Per-command timeout in seconds (default 60).")
@click.option("--shell", metavar="PATH", help="The shell to run (bash-compatible; default bash).")
@click.option("--lang", metavar="LIST", help="Comma-separated info-string words that mark a block.")
@click.option(
    "--workdir", type=click.Path(file_okay=False, exists=True), help="Start every document in DIR."
)
@click.option(
    "--keep-tmp/--no-keep-tmp", default=False, help="Keep each document's work dir; print where."
)
@click.option(
    "--term", type=click.Choice([mode.value for mode in TermMode]), help="Default output handling."
)
@click.option(
    "--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True
)
@click.option("-v", "--verbose", is_flag=True, help="A line per command, as each ends.")
@click.option("-q", "--quiet", is_flag=True, help="Only failures and the summary.")
@click.option(
    "--list/--no-list", "list_only", default=False, help="List blocks and commands; run nothing."
)
@click.option("--junit-xml", metavar="FILE", help="Also write a JUnit XML report to FILE.")
@click.option(
    "-i",
    "--interactive",
    is_flag=True,
    help="After each failing block, show its diff and ask whether to accept the actual output.",
)
@click.option(
    "--max-output", metavar="SIZE", help="Output a command may print (64M, 1G, bytes; default 64M)."
)
@click.option("--log", metavar="FILE", help="Also write an audit log (JSON Lines) to FILE.")
@click.version_option(__version__, "--version", prog_name="txtest")
def command(
    paths: tuple[str, ...],
    update: bool,
    jobs: str,
    fail_fast: bool,
    keyword: str | None,
    timeout: str | None,
    shell: str | None,
    lang: str | None,
    workdir: str | None,
    keep_tmp: bool,
    term: str | None,
    color: str,
    verbose: bool,
    quiet: bool,
    list_only: bool,
    junit_xml: str | None,
    max_output: str | None,
    log: str | None,
    interactive: bool,
) -> Settings:
    """Run the shell transcripts in PATHs (Markdown, cram .t, directories) and diff their output.

    PATH:LINE runs only the block holding that line (and, unreported, what it depends on).
    """
    context = click.get_current_context()
    given: _Given = context.obj
    verbose, quiet = _verbosity_flags(context, verbose, quiet)
    paths = paths or given.paths
    if not paths:
        raise click.UsageError("name at least one PATH (or set paths in [tool.txtest])")
    _check_interactive(interactive, update, given.stdin)
    try:
        run = build_run_options(
            timeout=timeout,
            shell=shell,
            term=term,
            lang=lang,
            workdir=workdir,
            keep_tmp=keep_tmp,
            fail_fast=fail_fast,
            keyword=keyword,
            update=update,
            max_output=max_output,
            log=log,
        )
    except OptionError as error:
        raise click.BadParameter(str(error), param_hint=error.option) from None
    return Settings(
        paths=paths,
        run=run,
        color=use_color(color, given.out, given.environ),
        verbosity=1 if verbose else -1 if quiet else 0,
        list_only=list_only,
        jobs=_jobs(jobs),
        junit_xml=Path(junit_xml) if junit_xml else None,
        progress=not quiet and is_smart_terminal(given.out, given.environ),
        annotations=given.environ.get("GITHUB_ACTIONS") == "true",
        workspace=Path(workspace) if (workspace := given.environ.get("GITHUB_WORKSPACE")) else None,
        interactive=interactive,
    )


def _check_interactive(interactive: bool, update: bool, stdin: TextIO | None) -> None:
    """-i asks on the terminal, and decides block by block what -u would decide for all."""
    if not interactive:
        return
    if update:
        raise click.UsageError("choose one of -i and -u")
    if stdin is None or not stdin.isatty():
        raise click.UsageError(
            "-i/--interactive asks questions on a terminal, but standard input is not one"
        )


class _Given(NamedTuple):
    """What the command reads besides its arguments: pyproject's paths, the streams, the
    environment."""

    paths: tuple[str, ...]
    out: TextIO
    environ: Mapping[str, str]
    stdin: TextIO | None


def run(
    argv: Sequence[str],
    out: TextIO,
    err: TextIO,
    environ: Mapping[str, str],
    stdin: TextIO | None = None,
) -> int:
    """The whole command, its streams and environment given: options, run, report; the status.

    stdin is where -i reads its answers (None: there is no terminal to ask on).
    """
    try:
        config = load_config(Path.cwd())
    except InputError as error:
        write_input_error(err, error, color=False)
        return ExitCode.INPUT_ERROR
    defaults = {
        ("list_only" if key == "list" else key): value for key, value in config.defaults.items()
    }
    try:
        with contextlib.redirect_stdout(out):  # --help and --version print through click.echo
            settings = command.main(
                args=list(argv),
                prog_name="txtest",
                default_map=defaults,
                obj=_Given(config.paths, out, environ, stdin),
                standalone_mode=False,
            )
    except click.ClickException as error:
        error.show(file=err)
        return error.exit_code
    if isinstance(settings, int):  # --help, --version: click has printed it
        return settings
    assert isinstance(settings, Settings)
    return execute(settings, out, err, stdin)


def _start_log(log: Path | None, err: TextIO) -> bool:
    """Empty the `--log` file (each document appends its commands); False if it cannot be."""
    if log is None:
        return True
    try:
        log.write_bytes(b"")
    except OSError as problem:
        err.write(f"{log}: error: cannot write the log: {problem.strerror}\n")
        return False
    return True


def execute(settings: Settings, out: TextIO, err: TextIO, stdin: TextIO | None = None) -> int:
    """Find, parse, run and report; return the exit status."""
    if not _start_log(settings.run.log, err):
        return ExitCode.INPUT_ERROR
    targets, errors = find_documents(settings.paths)
    for error in errors:
        write_input_error(err, error, color=settings.color)
    if settings.list_only:
        return list_all(settings, targets, errors, out, err)
    results = run_all(settings, targets, errors, out, err, stdin)
    if settings.verbosity >= 0:
        err.writelines(f"{note}\n" for note in unmarked_notes([r.document for r in results]))
    report_failed = not write_extras(settings, results, errors, out, err)
    write_summary(out, results, verbosity=settings.verbosity)
    if report_failed or errors or any(result.error is not None for result in results):
        return ExitCode.INPUT_ERROR
    return ExitCode.FAILED if any(not result.is_ok for result in results) else ExitCode.OK


def unmarked_notes(documents: Sequence[Document]) -> list[Note]:
    """When no document holds a block: the first fence of another language with `$ ` lines."""
    if any(document.blocks for document in documents):
        return []
    first = next((doc.unmarked for doc in documents if doc.unmarked is not None), None)
    return [] if first is None else [first]


def list_all(
    settings: Settings,
    targets: Sequence[Target],
    errors: list[InputError],
    out: TextIO,
    err: TextIO,
) -> int:
    """`--list`: parse every document and list what a run would report."""
    documents: list[tuple[Target, Document]] = []
    for target in targets:
        try:
            documents.append(
                (target, read_document(target.path, target.display, settings.run.langs))
            )
        except InputError as error:
            errors.append(error)
            write_input_error(err, error, color=settings.color)
    if settings.verbosity >= 0:
        parsed = [document for _, document in documents]
        notes = [note for document in parsed for note in document.notes]
        err.writelines(f"{note}\n" for note in [*notes, *unmarked_notes(parsed)])
    out.write(list_documents(documents, settings.run, errors, err))
    return ExitCode.INPUT_ERROR if errors else ExitCode.OK


def run_all(
    settings: Settings,
    targets: Sequence[Target],
    errors: list[InputError],
    out: TextIO,
    err: TextIO,
    stdin: TextIO | None = None,
) -> list[DocumentResult]:
    """Run the documents, reporting each, in order, as soon as it and those before are done.

    Documents that cannot be read add their error to errors. Under -i, quitting
    stops the run: the documents not yet reported are not run, or are stopped.
    """
    tasks = [
        (target.path, target.display, replace(settings.run, lines=target.lines))
        for target in targets
    ]
    verbose = settings.verbosity >= VERBOSE
    view = LiveView(
        out, total=len(tasks), status=settings.progress, verbose=verbose, color=settings.color
    )
    listen = view.hear if settings.progress or verbose else None
    reviewer: Reviewer | None = None
    if settings.interactive and stdin is not None:
        from txtest.interactive import Reviewer  # here: only -i asks questions

        reviewer = Reviewer(stdin)
    results: list[DocumentResult] = []
    with view, contextlib.closing(pool.run_all(tasks, settings.jobs, listen, verbose)) as outcomes:
        for outcome in outcomes:
            error = outcome if isinstance(outcome, InputError) else outcome.error
            if error is not None:
                view.write(err, format_input_error(error, color=settings.color) + "\n")
            if isinstance(outcome, InputError):
                errors.append(outcome)
            else:
                results.append(_report(settings, outcome, view, err, reviewer))
            view.reported()
            if reviewer is not None and reviewer.quit:
                break
    return results


def _report(
    settings: Settings,
    result: DocumentResult,
    view: LiveView,
    err: TextIO,
    reviewer: Reviewer | None,
) -> DocumentResult:
    """Write a document's notes and report (its blocks' lines unless written live); under -i,
    ask about its failing blocks first. The result as reported."""
    if settings.verbosity >= NORMAL:
        view.write(err, "".join(f"{note}\n" for note in result.document.notes))
    live = settings.verbosity >= VERBOSE
    if reviewer is not None and not result.is_ok:
        from txtest.interactive import review_document

        with view.paused():
            result = review_document(
                result,
                reviewer,
                functools.partial(view.write, view.out),
                color=settings.color,
                verbosity=settings.verbosity,
                langs=settings.run.langs,
            )
        live = True
    text = format_document(
        result, color=settings.color, verbosity=settings.verbosity, blocks=not live
    )
    view.write(view.out, text)
    return result


def write_extras(
    settings: Settings,
    results: Sequence[DocumentResult],
    errors: Sequence[InputError],
    out: TextIO,
    err: TextIO,
) -> bool:
    """The JUnit file and the GitHub annotations, when asked for; False if the file failed."""
    if settings.annotations:
        from txtest.annotations import github_annotations, input_error_annotations

        workspace = settings.workspace
        out.write(
            input_error_annotations(errors, workspace) + github_annotations(results, workspace)
        )
    if settings.junit_xml is None:
        return True
    from txtest.junit import write_junit_xml

    try:
        write_junit_xml(settings.junit_xml, results, errors)
    except OSError as error:
        reason = error.strerror or str(error)
        err.write(f"{settings.junit_xml}: error: cannot write the JUnit report: {reason}\n")
        return False
    return True


def list_documents(
    documents: Sequence[tuple[Target, Document]],
    run: RunOptions,
    errors: list[InputError],
    err: TextIO,
) -> str:
    """`--list`: the blocks a run would report (selections apply), with directives and commands."""
    lines: list[str] = []
    for target, document in documents:
        try:
            chosen = selected_blocks(document, replace(run, lines=target.lines))
        except InputError as error:
            errors.append(error)
            err.write(f"{error}\n")
            continue
        for index, block in enumerate(document.blocks):
            if chosen is None or index in chosen:
                lines.extend(_listed_block(block))
    return "".join(line + "\n" for line in lines)


def _listed_block(block: Block) -> list[str]:
    kind = "hidden commands" if block.hidden else "block"
    said = block.directives.describe()
    lines = [f"{block.location}: {kind}" + (f" [{said}]" if said else "")]
    lines.extend(f"  input: {item!r}" for item in block.directives.input or ())
    for cmd in block.commands:
        first, *rest = cmd.source.split("\n")
        lines.append(f"  {cmd.location}: $ {first}")
        lines.extend(f"    > {more}" for more in rest)
    return lines


def _interrupt(signum: int, frame: FrameType | None) -> None:
    pool.ignore_stop_signals()
    raise Interrupted(signum)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Entry point: run the command, turning Ctrl-C and SIGTERM into a clean exit."""
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    become_subreaper()
    try:
        args = sys.argv[1:] if argv is None else argv
        code = run(args, sys.stdout, sys.stderr, os.environ, sys.stdin)
    except Interrupted as interrupt:
        sys.stderr.write("txtest: interrupted; every session was stopped\n")
        signum = interrupt.args[0] if interrupt.args else signal.SIGINT
        code = ExitCode.INTERRUPTED if signum == signal.SIGINT else 128 + signum
    except BrokenPipeError:
        # The reader went away (`txtest ... | head`): the sessions are gone with the
        # unwound run; end as a program killed by SIGPIPE would, without a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 128 + signal.SIGPIPE
    finally:
        reap_orphans()
    _leave(code)


def _leave(code: int) -> NoReturn:
    """Flush and exit at once, skipping the interpreter's tear-down.

    Every file txtest wrote is closed by now and every process it started is
    reaped; only stdout and stderr may still hold text.
    """
    for stream in (sys.stdout, sys.stderr):
        # the reader may have gone away (`txtest ... | head`), or the stream be closed
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(int(code))
