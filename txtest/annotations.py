"""GitHub Actions workflow commands: an `::error` line per failing command, shown on the PR diff.

Each has a title saying what went wrong and, as its message, the failure as the
report shows it (the command and its diff), so the annotation can be read alone.
The escaping follows the workflow-commands rules (actions/toolkit `command.ts`):
in the message `%`, `\\r` and `\\n` are percent-encoded; in a property value `:`
and `,` are as well, since they separate the properties. Files are named
relative to the repository (GITHUB_WORKSPACE), where GitHub looks for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from txtest.errors import InputError
from txtest.model import BlockResult, CommandResult, DocumentResult, Outcome
from txtest.report import format_failure

_DATA_ESCAPES = {"%": "%25", "\r": "%0D", "\n": "%0A"}
_PROPERTY_ESCAPES = {**_DATA_ESCAPES, ":": "%3A", ",": "%2C"}


def github_annotations(results: Iterable[DocumentResult], workspace: Path | None = None) -> str:
    """An `::error file=PATH,line=LINE,title=WHAT::REPORT` line per failure, each line ended;
    "" if none. PATHs are relative to workspace when they lie below it."""
    return "".join(
        f"{line}\n" for result in results for line in _document_annotations(result, workspace)
    )


def input_error_annotations(errors: Iterable[InputError], workspace: Path | None = None) -> str:
    """An `::error` line per input error that kept a document from running."""
    return "".join(_error_annotation(error, workspace) + "\n" for error in errors)


def repository_path(path: str, workspace: Path | None) -> str:
    """path relative to the workspace when it lies below it; as given otherwise."""
    if workspace is None or not path:
        return path
    try:
        return Path(path).resolve().relative_to(workspace.resolve()).as_posix()
    except (ValueError, OSError):
        return path


def _error_annotation(error: InputError, workspace: Path | None) -> str:
    """An input error at its file and, when it names one, its line."""
    place = {"file": repository_path(error.path or "", workspace)}
    if error.location is not None:
        place["line"] = str(error.location.line)
    place["title"] = "txtest: input error"
    return workflow_command("error", place, str(error))


def _document_annotations(result: DocumentResult, workspace: Path | None) -> Iterator[str]:
    """A document's input error, then its failing commands in order."""
    if result.error is not None:
        yield _error_annotation(result.error, workspace)
    path = repository_path(result.document.display, workspace)
    for block in result.blocks:
        if block.outcome is Outcome.FAILED:
            yield from _block_annotations(path, block)


def _block_annotations(path: str, block: BlockResult) -> Iterator[str]:
    """One line per failing command, at its `$` line; one at the block if none is named."""
    failures = block.failures
    if not failures:
        properties = {"file": path, "line": str(block.block.location.line)}
        properties["title"] = "txtest: the block failed"
        yield workflow_command("error", properties, f"{block.block.location}: FAILED")
    for command in failures:
        properties = {"file": path, "line": str(command.command.location.line)}
        properties["title"] = failure_message(command)
        message = f"{command.command.location}: FAILED\n{format_failure(command)}"
        yield workflow_command("error", properties, message)


def failure_message(result: CommandResult) -> str:
    """One line on why a command failed: the lost session, or what differs."""
    run = result.run
    if run.lost is not None:
        return f"txtest: {run.lost}"
    problems: list[str] = []
    if not result.output_ok:
        problems.append("output differs")
    if not result.status_ok and run.exit_status is not None:
        expected = result.command.exit_status
        problems.append(f"exit status: expected {expected}, got {run.exit_status}")
    return "txtest: " + ("; ".join(problems) or "failed")


def workflow_command(name: str, properties: Mapping[str, str], message: str) -> str:
    """`::NAME KEY=VALUE,...::MESSAGE`, every part escaped."""
    listed = ",".join(
        f"{key}={_escape(value, _PROPERTY_ESCAPES)}" for key, value in properties.items()
    )
    head = f"{name} {listed}" if listed else name
    return f"::{head}::{_escape(message, _DATA_ESCAPES)}"


def _escape(text: str, escapes: Mapping[str, str]) -> str:
    return "".join(escapes.get(char, char) for char in text)
