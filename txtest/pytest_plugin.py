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
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from pytest import ExitCode

from txtest.config import load_config, run_options
from txtest.discover import walk_directory
from txtest.errors import InputError
from txtest.model import Block, BlockResult, Document, DocumentResult, Outcome
from txtest.parse import read_document
from txtest.report import format_block
from txtest.runner import run_document

SKIP_REASON = "txtest: skip directive"
DIST_MODE = "loadscope"
"""xdist's mode when `-n` comes without one. It sends the items whose node ids agree
up to the last `::` (for ours, the document) to one worker, and the controller
alone applies it. `loadgroup` would need the workers to know the mode, which they
read from their own command line only, and it relies on xdist rewriting node ids,
which pytest 9.2 no longer lets it do (pytest-xdist#1386): groups are lost."""
_DOCUMENTS = pytest.StashKey[frozenset[Path]]()
_PARSED = pytest.StashKey[Document]()
_RESULT = pytest.StashKey[DocumentResult]()


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


class DocumentFile(pytest.File):
    """A document: parsed when collected, run as a whole when its first item runs."""

    def collect(self) -> list[BlockItem]:
        try:
            langs = run_options(load_config(self.config.rootpath)).langs
            document = read_document(
                self.path, display_path(self.path, self.config.rootpath), langs
            )
        except InputError as error:
            raise self.CollectError(str(error)) from error
        self.stash[_PARSED] = document
        self.add_marker(pytest.mark.xdist_group(document.display))
        return [
            BlockItem.from_parent(self, name=str(block.location), block=block)
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

    def __init__(self, *, name: str, parent: DocumentFile, block: Block) -> None:
        super().__init__(name, parent)
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
            pytest.fail(format_block(found, color=False), pytrace=False)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.block.location.line - 1, block_title(self.block)


def block_title(block: Block) -> str:
    """`PATH:LINE $ first command`: a failure's heading.

    Never the item's name alone: pytest reads a name that ends a node id as a
    Python `module.function` and would show `a.md:3` as `a::md:3`.
    """
    if not block.commands:
        return f"{block.location} (no commands)"
    first_line = block.commands[0].source.split("\n")[0]
    return f"{block.location} $ {first_line}"


def block_result(result: DocumentResult, block: Block) -> BlockResult | None:
    """The result of one block of a document's run, if it ran."""
    return next((found for found in result.blocks if found.block == block), None)
