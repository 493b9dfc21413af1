"""GitHub Actions workflow commands: an `::error` line per failing command, shown on the PR diff.

The escaping follows the workflow-commands rules (actions/toolkit `command.ts`):
in the message `%`, `\\r` and `\\n` are percent-encoded; in a property value `:`
and `,` are as well, since they separate the properties.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from txtest.errors import InputError
from txtest.model import BlockResult, CommandResult, DocumentResult, Outcome

_DATA_ESCAPES = {"%": "%25", "\r": "%0D", "\n": "%0A"}
_PROPERTY_ESCAPES = {**_DATA_ESCAPES, ":": "%3A", ",": "%2C"}


def github_annotations(results: Iterable[DocumentResult]) -> str:
    """An `::error file=PATH,line=LINE::MESSAGE` line per failure, each line ended; "" if none."""
    return "".join(f"{line}\n" for result in results for line in _document_annotations(result))


def input_error_annotations(errors: Iterable[InputError]) -> str:
    """An `::error` line per input error that kept a document from running."""
    return "".join(_error_annotation(error) + "\n" for error in errors)


def _error_annotation(error: InputError) -> str:
    """An input error at its file and, when it names one, its line."""
    place = {"file": error.path or ""}
    if error.location is not None:
        place["line"] = str(error.location.line)
    return workflow_command("error", place, str(error))


def _document_annotations(result: DocumentResult) -> Iterator[str]:
    """A document's input error, then its failing commands in order."""
    path = result.document.display
    if result.error is not None:
        yield _error_annotation(result.error)
    for block in result.blocks:
        if block.outcome is Outcome.FAILED:
            yield from _block_annotations(path, block)


def _block_annotations(path: str, block: BlockResult) -> Iterator[str]:
    """One line per failing command, at its `$` line; one at the block if none is named."""
    failures = block.failures
    if not failures:
        properties = {"file": path, "line": str(block.block.location.line)}
        yield workflow_command("error", properties, "txtest: the block failed")
    for command in failures:
        properties = {"file": path, "line": str(command.command.location.line)}
        yield workflow_command("error", properties, failure_message(command))


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
