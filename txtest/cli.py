"""The `txtest` command: options in, documents run, report out, exit status (SPEC §7, §8)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType
from typing import NoReturn, TextIO

import click

from txtest import __version__, pool
from txtest.config import load_config
from txtest.discover import Target, find_documents
from txtest.errors import ExitCode, InputError
from txtest.model import (
    DEFAULT_LANGS,
    Block,
    Document,
    DocumentResult,
    Frozen,
    RunOptions,
    TermMode,
)
from txtest.parse import read_document
from txtest.processes import become_subreaper, reap_orphans
from txtest.report import (
    count_blocks,
    format_document,
    format_input_error,
    format_summary,
    format_update_hint,
    updatable_paths,
)
from txtest.runner import selected_blocks
from txtest.sizes import DEFAULT_MAX_OUTPUT, parse_size


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived: unwind, killing every session on the way."""


@dataclass(frozen=True, slots=True, repr=False, eq=False)
class Settings(Frozen):
    """Everything the command line (and pyproject) said, checked."""

    paths: tuple[str, ...]
    run: RunOptions
    color: bool
    verbosity: int
    list_only: bool
    jobs: int = 1
    junit_xml: Path | None = None
    progress: bool = False


def _positive(value: float | None, name: str) -> float | None:
    if value is not None and not value > 0:
        raise click.BadParameter(
            f"must be a positive number of seconds, not {value:g}", param_hint=name
        )
    return value


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


def _size(value: str | None) -> int:
    if value is None:
        return DEFAULT_MAX_OUTPUT
    try:
        return parse_size(value)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--max-output") from None


def _jobs(value: str) -> int:
    if value == "auto":
        return os.cpu_count() or 1
    if not value.isdigit() or int(value) < 1:
        raise click.BadParameter(
            f"must be a positive whole number or 'auto', not {value!r}", param_hint="--jobs"
        )
    return int(value)


def _langs(value: str | None) -> tuple[str, ...]:
    if value is None:
        return DEFAULT_LANGS
    words = tuple(word.strip().lower() for word in value.split(",") if word.strip())
    if not words:
        raise click.BadParameter("needs at least one info-string word", param_hint="--lang")
    return words


def use_color(choice: str, stream: TextIO, environ: dict[str, str]) -> bool:
    """`--color`: always/never win; auto looks at NO_COLOR, FORCE_COLOR, then the terminal."""
    if choice != "auto":
        return choice == "always"
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    return stream.isatty()


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
@click.option("--timeout", type=float, help="Per-command timeout in seconds (default 60).")
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
@click.option("-v", "--verbose", is_flag=True, help="A line per command.")
@click.option("-q", "--quiet", is_flag=True, help="Only failures and the summary.")
@click.option(
    "--list/--no-list", "list_only", default=False, help="List blocks and commands; run nothing."
)
@click.option("--junit-xml", metavar="FILE", help="Also write a JUnit XML report to FILE.")
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
    timeout: float | None,
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
) -> None:
    """Run the shell transcripts in PATHs (Markdown, cram .t, directories) and diff their output.

    PATH:LINE runs only the block holding that line (and, unreported, what it depends on).
    """
    context = click.get_current_context()
    verbose, quiet = _verbosity_flags(context, verbose, quiet)
    paths = paths or tuple(context.obj or ())
    if not paths:
        raise click.UsageError("name at least one PATH (or set paths in [tool.txtest])")
    if log is not None:
        try:
            Path(log).write_bytes(b"")  # each document appends its commands
        except OSError as error:
            raise click.BadParameter(f"cannot write {log}: {error}", param_hint="--log") from None
    settings = Settings(
        paths=paths,
        run=RunOptions(
            timeout=_positive(timeout, "--timeout") or 60.0,
            shell=shell or "bash",
            term=TermMode(term) if term else None,
            workdir=Path(workdir) if workdir else None,
            keep_tmp=keep_tmp,
            fail_fast=fail_fast,
            keyword=keyword,
            update=update,
            langs=_langs(lang),
            max_output=_size(max_output),
            log=Path(log).resolve() if log else None,
        ),
        color=use_color(color, sys.stdout, dict(os.environ)),
        verbosity=1 if verbose else -1 if quiet else 0,
        list_only=list_only,
        jobs=_jobs(jobs),
        junit_xml=Path(junit_xml) if junit_xml else None,
        progress=not quiet and sys.stdout.isatty(),
    )
    sys.exit(execute(settings, sys.stdout, sys.stderr))


def execute(settings: Settings, out: TextIO, err: TextIO) -> int:
    """Find, parse, run and report; return the exit status."""
    targets, errors = find_documents(settings.paths)
    for error in errors:
        err.write(format_input_error(error, color=settings.color) + "\n")
    if settings.list_only:
        return list_all(settings, targets, errors, out, err)
    results = run_all(settings, targets, out, err)
    return finish(settings, results, errors, out)


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
            err.write(format_input_error(error, color=settings.color) + "\n")
    out.write(list_documents(documents, settings.run, errors))
    return ExitCode.INPUT_ERROR if errors else ExitCode.OK


def run_all(
    settings: Settings, targets: Sequence[Target], out: TextIO, err: TextIO
) -> list[DocumentResult]:
    """Run the documents, reporting each, in order, as soon as it and those before are done."""
    tasks = [
        (target.path, target.display, replace(settings.run, lines=target.lines))
        for target in targets
    ]
    progress = _progress_writer(out) if settings.progress else None
    results: list[DocumentResult] = []
    for result in pool.run_all(tasks, settings.jobs, progress):
        if progress is not None:
            out.write(_CLEAR_LINE)
        results.append(result)
        _show(settings, result, out, err)
    if progress is not None:
        out.write(_CLEAR_LINE)
    return results


_CLEAR_LINE = "\r\x1b[K"


def _progress_writer(out: TextIO) -> pool.Progress:
    def show(done: int, total: int) -> None:
        out.write(f"{_CLEAR_LINE}txtest: {done}/{total} documents")
        out.flush()

    return show


def _show(settings: Settings, result: DocumentResult, out: TextIO, err: TextIO) -> None:
    if result.error is not None:
        err.write(result.error + "\n")
        return
    out.write(format_document(result, color=settings.color, verbosity=settings.verbosity))
    if result.keep_tmp is not None:
        out.write(f"{result.document.display}: kept work dir {result.keep_tmp}\n")
    out.flush()


def finish(
    settings: Settings, results: Sequence[DocumentResult], errors: Sequence[InputError], out: TextIO
) -> int:
    """The hint, the summary line, and the exit status."""
    had_errors = bool(errors)
    if settings.junit_xml is not None:
        from txtest.junit import write_junit_xml

        try:
            write_junit_xml(settings.junit_xml, results)
        except OSError as error:
            reason = error.strerror or str(error)
            sys.stderr.write(
                f"{settings.junit_xml}: error: cannot write the JUnit report: {reason}\n"
            )
            had_errors = True
    if os.environ.get("GITHUB_ACTIONS") == "true":
        from txtest.annotations import github_annotations, input_error_annotations

        out.write(input_error_annotations(errors) + github_annotations(results))
    passed, failed, skipped = count_blocks(results)
    failing = updatable_paths(results)
    if failing and settings.verbosity >= 0:
        out.write(format_update_hint(failing) + "\n")
    out.write(format_summary(passed, failed, skipped) + "\n")
    out.flush()
    if had_errors or any(result.error is not None for result in results):
        return ExitCode.INPUT_ERROR
    return ExitCode.FAILED if failed else ExitCode.OK


def list_documents(
    documents: Sequence[tuple[Target, Document]], run: RunOptions, errors: list[InputError]
) -> str:
    """`--list`: the blocks a run would report (selections apply), with directives and commands."""
    lines: list[str] = []
    for target, document in documents:
        try:
            chosen = selected_blocks(document, replace(run, lines=target.lines))
        except InputError as error:
            errors.append(error)
            sys.stderr.write(f"{error}\n")
            continue
        for index, block in enumerate(document.blocks):
            if chosen is None or index in chosen:
                lines.extend(_listed_block(block))
    return "".join(line + "\n" for line in lines)


def _listed_block(block: Block) -> list[str]:
    kind = "hidden commands" if block.hidden else "block"
    said = block.directives.describe()
    lines = [f"{block.location}: {kind}" + (f" [{said}]" if said else "")]
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
    try:
        _run_command(argv)
    except SystemExit as ending:
        _leave(ending.code)
    _leave(ExitCode.OK)


def _run_command(argv: Sequence[str] | None) -> None:
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    become_subreaper()
    try:
        config = load_config(Path.cwd())
    except InputError as error:
        sys.stderr.write(f"{error}\n")
        sys.exit(ExitCode.INPUT_ERROR)
    defaults = {
        ("list_only" if key == "list" else key): value for key, value in config.defaults.items()
    }
    try:
        command.main(
            args=list(argv) if argv is not None else None,
            prog_name="txtest",
            default_map=defaults,
            obj=config.paths,
        )
    except Interrupted as interrupt:
        sys.stderr.write("txtest: interrupted; every session was stopped\n")
        signum = interrupt.args[0] if interrupt.args else signal.SIGINT
        sys.exit(ExitCode.INTERRUPTED if signum == signal.SIGINT else 128 + signum)
    finally:
        reap_orphans()


def _leave(code: str | int | None) -> NoReturn:
    """Flush and exit at once, skipping the interpreter's tear-down (about 8 ms).

    Every file txtest wrote is closed by now and every process it started is
    reaped; only stdout and stderr may still hold text.
    """
    if isinstance(code, str):
        sys.stderr.write(code + "\n")
        code = ExitCode.FAILED
    for stream in (sys.stdout, sys.stderr):
        # the reader may have gone away (`txtest ... | head`), or the stream be closed
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(int(code or 0))
