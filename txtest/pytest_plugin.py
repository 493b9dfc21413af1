"""pytest integration (SPEC §10): documents are collectors, each block is an item.

`pytest --txtest PATHS`, or `txtest = true` in the ini file, collects the
documents the txtest command would find there (`txtest_paths` names them when
pytest is given no paths). A document still runs as a whole in its own
sessions: the first of its items to run runs it, the result is kept on the
document's node, and every item reports its own block with the diff the
command line shows.

Under pytest-xdist, when `-n` is given without a `--dist` mode, the plugin
picks `loadscope` (see DIST_MODE), so each document runs once, on one worker.
Its items also carry `xdist_group(PATH)` for `--dist loadgroup`. A mode the user
picks is kept: one that splits a document (`load`, `worksteal`) costs time, not
verdicts, since every worker holding one of its items runs the whole document
itself.

`txtest_paths` are added to pytest's paths (`config.args`) when pytest chose
its own (testpaths or the current directory), so the documents are collected
like any other file and node ids, `-k` and `--collect-only` work on them.

An item's node id is `PATH:LINE`, LINE being its block's first `$` line, so the
place a failure report names can be handed back to pytest. pytest reads an
argument as `PATH::NAME`, so an argument `PATH:LINE` that names no file but a
line of a document is turned into `PATH::NAME` of the block holding that line
before collection.
"""

from __future__ import annotations

import os
import re
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from _pytest._code.code import TerminalRepr
from pytest import ExitCode

from txtest.api import Mismatch, Shell
from txtest.config import load_config, run_options
from txtest.discover import walk_directory
from txtest.errors import InputError
from txtest.model import (
    Block,
    BlockResult,
    CommandResult,
    DiffLine,
    Document,
    DocumentResult,
    Outcome,
)
from txtest.parse import read_document
from txtest.report import format_block
from txtest.runner import run_document, selected_blocks

if TYPE_CHECKING:
    from _pytest._code.code import TracebackStyle
    from _pytest._io import TerminalWriter

SKIP_REASON = "txtest: skip directive"
DIST_MODE = "loadscope"
"""xdist's mode when `-n` comes without one. It sends the items of one scope to one
worker (for ours, the document: see pytest_xdist_make_scheduler), and the controller
alone applies it. `loadgroup` would need the workers to know the mode, which they
read from their own command line only, and it relies on xdist rewriting node ids,
which pytest 9.2 no longer lets it do (pytest-xdist#1386): groups are lost."""
_DOCUMENTS = pytest.StashKey[frozenset[Path]]()
_PARSED = pytest.StashKey[Document]()
_RESULT = pytest.StashKey[DocumentResult]()
_LINE_ARGUMENT = re.compile(r"(?P<path>.+):(?P<line>[0-9]+)")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("txtest", "txtest: shell transcripts in documents")
    group.addoption(
        "--txtest",
        action="store_true",
        default=False,
        help="Collect the console blocks of Markdown and cram .t documents as tests.",
    )
    parser.addini("txtest", "Collect documents, as --txtest does.", type="bool", default=False)
    parser.addini(
        "txtest_paths",
        "Documents and directories (relative to the rootdir) to collect when pytest gets no paths.",
        type="linelist",
        default=[],
    )


def is_enabled(config: pytest.Config) -> bool:
    """Whether documents are collected in this run."""
    return bool(config.getoption("txtest") or config.getini("txtest"))


@pytest.hookimpl(wrapper=True)
def pytest_cmdline_main(
    config: pytest.Config,
) -> Generator[None, ExitCode | int | None, ExitCode | int | None]:
    """Pick `--dist loadscope` before xdist reads `-n` without a mode as `load`."""
    if is_enabled(config) and _dist_mode_unchosen(config):
        config.option.dist = DIST_MODE
    return (yield)


def _dist_mode_unchosen(config: pytest.Config) -> bool:
    """xdist is about to distribute, and neither `--dist` nor `-d` said how."""
    return (
        bool(config.getoption("numprocesses", None))
        and config.getoption("dist", None) == "no"
        and not config.getoption("distload", False)
    )


def pytest_configure(config: pytest.Config) -> None:
    if not is_enabled(config):
        return
    if not config.pluginmanager.hasplugin("xdist"):
        config.addinivalue_line("markers", "xdist_group(name): the items of one document")
    if _uses_txtest_paths(config):
        config.args.extend(str(path) for path in _txtest_paths(config))
    config.args[:] = [_item_argument(config, argument) for argument in config.args]


def _item_argument(config: pytest.Config, argument: str) -> str:
    """`PATH:LINE` naming a line of a document → `PATH::NAME` of the item holding it."""
    match = _LINE_ARGUMENT.fullmatch(argument)
    base = config.invocation_params.dir
    if match is None or "::" in argument or (base / argument).exists():
        return argument
    path = Path(os.path.abspath(base / match["path"]))
    if not path.is_file() or path.suffix == ".py":
        return argument
    try:
        document = _read(config, path)
        options = replace(run_options(load_config(config.rootpath)), lines=(int(match["line"]),))
    except InputError:
        return match["path"]  # the document's own error shows when it is collected
    try:
        picked = selected_blocks(document, options)
    except InputError as error:
        raise pytest.UsageError(str(error)) from error
    if not picked:  # a line either picks its block or is an error above
        return argument
    return f"{match['path']}::{item_name(document, document.blocks[min(picked)])}"


def _uses_txtest_paths(config: pytest.Config) -> bool:
    """pytest chose its own paths (testpaths or the current directory) and txtest_paths is set."""
    return config.args_source is not pytest.Config.ArgsSource.ARGS and bool(_txtest_paths(config))


def _txtest_paths(config: pytest.Config) -> list[Path]:
    return [config.rootpath / line for line in config.getini("txtest_paths")]


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> DocumentFile | None:
    if is_enabled(parent.config) and file_path in _documents(parent.config):
        return DocumentFile.from_parent(parent, path=file_path)
    return None


def _documents(config: pytest.Config) -> frozenset[Path]:
    """The documents the txtest command would find in this run's paths, found once per run."""
    if _DOCUMENTS not in config.stash:
        config.stash[_DOCUMENTS] = frozenset(documents_in(_document_roots(config)))
    return config.stash[_DOCUMENTS]


def _document_roots(config: pytest.Config) -> list[Path]:
    """The paths to look in: txtest_paths when they apply, else pytest's own paths."""
    if _uses_txtest_paths(config):
        return _txtest_paths(config)
    base = config.invocation_params.dir
    return [base / argument.split("::")[0] for argument in config.args]


def documents_in(roots: Sequence[Path]) -> Iterator[Path]:
    """Every document below a directory (the CLI's rules); a file named itself, unless Python."""
    for root in roots:
        path = Path(os.path.abspath(root))
        if path.is_dir():
            yield from walk_directory(path)
        elif path.is_file() and path.suffix != ".py":
            yield path


def display_path(path: Path, root: Path) -> str:
    """The path as reports show it: relative to the rootdir, like node ids."""
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def _read(config: pytest.Config, path: Path) -> Document:
    """The document at path, parsed with the `[tool.txtest]` languages."""
    langs = run_options(load_config(config.rootpath)).langs
    return read_document(path, display_path(path, config.rootpath), langs)


def item_line(block: Block) -> int:
    """The line an item stands for: its block's first `$` line, where reports point."""
    return block.commands[0].location.line if block.commands else block.location.line


def item_name(document: Document, block: Block) -> str:
    """`PATH:LINE`, LINE the block's first `$` line."""
    return f"{document.display}:{item_line(block)}"


class DocumentFile(pytest.File):
    """A document: parsed when collected, run as a whole when its first item runs."""

    def collect(self) -> list[BlockItem]:
        try:
            document = _read(self.config, self.path)
        except InputError as error:
            raise self.CollectError(str(error)) from error
        self.stash[_PARSED] = document
        self.add_marker(pytest.mark.xdist_group(document.display))
        return [
            BlockItem.from_parent(
                self,
                name=item_name(document, block),
                nodeid=f"{self.nodeid}:{item_line(block)}",
                block=block,
            )
            for block in document.blocks
        ]

    def run(self) -> DocumentResult:
        """The document's result: run on the first call (the blocks pytest will run, and
        the earlier ones they need), kept for the others."""
        if _RESULT not in self.stash:
            defaults = run_options(load_config(self.config.rootpath))
            options = replace(defaults, lines=self._selected_lines())
            self.stash[_RESULT] = run_document(self.stash[_PARSED], options)
        return self.stash[_RESULT]

    def _selected_lines(self) -> tuple[int, ...]:
        """Lines of the blocks whose items this session runs; () when that is every block."""
        lines = tuple(
            item.block.location.line
            for item in self.session.items
            if isinstance(item, BlockItem) and item.document_file is self
        )
        return () if len(lines) == len(self.stash[_PARSED].blocks) else lines


class BlockItem(pytest.Item):
    """One block of a document; its verdict comes from the document's run."""

    def __init__(
        self, *, name: str, parent: DocumentFile, block: Block, nodeid: str | None = None
    ) -> None:
        super().__init__(name, parent, nodeid=nodeid)
        self.document_file = parent
        self.block = block
        if block.skipped:
            self.add_marker(pytest.mark.skip(reason=SKIP_REASON))

    def runtest(self) -> None:
        result = self.document_file.run()
        if result.error is not None:
            pytest.fail(str(result.error), pytrace=False)
        found = block_result(result, self.block)
        if found is None:
            pytest.fail(f"{self.block.location}: the block did not run", pytrace=False)
        if found.outcome is Outcome.SKIPPED:
            pytest.skip(SKIP_REASON)
        if found.outcome is Outcome.FAILED:
            raise BlockFailed(found)

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: TracebackStyle | None = None
    ) -> str | TerminalRepr:
        if isinstance(excinfo.value, BlockFailed):
            return FailureRepr(excinfo.value.result)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, item_line(self.block) - 1, block_title(self.name, self.block)


class BlockFailed(Exception):
    """A block failed; its report is drawn by FailureRepr."""

    def __init__(self, result: BlockResult) -> None:
        super().__init__(failure_summary(result))
        self.result = result


@dataclass(frozen=True)
class CrashLine:
    """What pytest's short summary (`-r f`) and JUnit `message` read from a failure."""

    path: str
    lineno: int
    message: str


class FailureRepr(TerminalRepr):
    """A failed block as the CLI reports it, coloured when pytest colours its output.

    pytest has no public type for a failure's drawing, so this subclasses its
    TerminalRepr as pytest's own doctest plugin does. `reprcrash` is where the
    short summary takes its one line from. Under pytest-xdist a worker sends the
    drawing as plain text, so the summary shows its first line there.
    """

    def __init__(self, result: BlockResult) -> None:
        self.result = result
        first = result.failures[0].command.location if result.failures else result.block.location
        self.reprcrash = CrashLine(first.path, first.line, failure_summary(result))

    def toterminal(self, tw: TerminalWriter) -> None:
        for line in format_block(self.result, color=tw.hasmarkup).split("\n"):
            tw.line(line)


def failure_summary(result: BlockResult) -> str:
    """`PATH:LINE: why`: the first failing command and its first difference."""
    if not result.failures:
        return f"{result.block.location}: the block failed"
    first, *others = result.failures
    more = f" (+{len(others)} more)" if others else ""
    return f"{first.command.location}: {'; '.join(_problems(first))}{more}"


def _problems(result: CommandResult) -> list[str]:
    """What is wrong with a failing command, each in a few words."""
    run = result.run
    if run.lost is not None:
        return [run.lost]
    problems: list[str] = []
    if not result.output_ok:
        problems.append(first_difference(result.diff))
    if not result.status_ok and run.exit_status is not None:
        problems.append(
            f"exit status: expected {result.command.exit_status}, got {run.exit_status}"
        )
    return problems or ["failed"]


def first_difference(diff: Sequence[DiffLine]) -> str:
    """The diff's first changed line, with the line that replaces it when there is one."""
    changed = [index for index, line in enumerate(diff) if line.tag != " "]
    if not changed:
        return "output differs"
    index = changed[0]
    line = diff[index]
    after = diff[index + 1] if index + 1 < len(diff) else None
    if line.tag == "-" and after is not None and after.tag == "+":
        return f"expected {line.text!r}, got {after.text!r}"
    if line.tag == "-":
        return f"expected {line.text!r}, missing"
    return f"got an extra line {line.text!r}"


def block_title(name: str, block: Block) -> str:
    """`PATH:LINE $ first command`: a failure's heading.

    Never the item's name alone: pytest reads a name that ends a node id as a
    Python `module.function` and would show `a.md:3` as `a::md:3`.
    """
    if not block.commands:
        return f"{name} (no commands)"
    first_line = block.commands[0].source.split("\n")[0]
    return f"{name} $ {first_line}"


def block_result(result: DocumentResult, block: Block) -> BlockResult | None:
    """The result of one block of a document's run, if it ran."""
    return next((found for found in result.blocks if found.block == block), None)


@pytest.fixture
def txtest_shell() -> Iterator[Shell]:
    """A fresh txtest Shell for one test (SPEC §12), closed after it whatever happens."""

    with Shell() as shell:
        yield shell


@pytest.fixture(scope="module")
def txtest_module_shell() -> Iterator[Shell]:
    """One txtest Shell shared, in order, by the tests of a module.

    Under pytest-xdist a module's tests must stay on one worker: `--dist
    loadfile` (or `loadscope` for a module without test classes).
    """

    with Shell() as shell:
        yield shell


_MODULE_SHELL = "txtest_module_shell"
_PREVIOUS = pytest.StashKey[dict[str, str]]()
_RAN = pytest.StashKey[set[str]]()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Fail a test of a module shell whose predecessor in the module ran in another process.

    That happens when pytest-xdist splits a module between workers: the shell
    this test gets would lack what the earlier tests did to it.
    """
    if _MODULE_SHELL not in getattr(item, "fixturenames", ()):
        return
    stash = item.config.stash
    if _PREVIOUS not in stash:
        stash[_PREVIOUS], stash[_RAN] = _module_shell_order(item.session.items), set()
    previous = stash[_PREVIOUS].get(item.nodeid)
    stash[_RAN].add(item.nodeid)
    if previous is not None and previous not in stash[_RAN]:
        pytest.fail(
            f"{_MODULE_SHELL}: {previous} runs before this test in the module's shell, but "
            "in another process: pytest-xdist split the module; run with --dist loadfile",
            pytrace=False,
        )


def _module_shell_order(items: Sequence[pytest.Item]) -> dict[str, str]:
    """For each test using the module shell, the one before it in its module."""
    last: dict[Path, str] = {}
    previous: dict[str, str] = {}
    for item in items:
        if _MODULE_SHELL in getattr(item, "fixturenames", ()):
            if item.path in last:
                previous[item.nodeid] = last[item.path]
            last[item.path] = item.nodeid
    return previous


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed `Shell.check` shows as the command line's report, not as a traceback."""
    report = yield
    if call.excinfo is not None and report.failed and isinstance(call.excinfo.value, Mismatch):
        report.longrepr = str(call.excinfo.value)
    return report


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """Under `--dist loadscope`, keep a document's items (`PATH:LINE`) on one worker.

    xdist's loadscope groups node ids by what precedes their last `::`, which
    ours do not have: this scheduler groups them by their document instead.
    """
    if not is_enabled(config) or config.getvalue("dist") != DIST_MODE:
        return None
    from xdist.scheduler import LoadScopeScheduling

    class DocumentScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return document_scope(nodeid)

    return DocumentScheduling(config, log)


def document_scope(nodeid: str) -> str:
    """A node id's document: `PATH` for our `PATH:LINE`; else what precedes the last `::`."""
    if "::" not in nodeid and (match := _LINE_ARGUMENT.fullmatch(nodeid)):
        return match["path"]
    return nodeid.rsplit("::", 1)[0]
