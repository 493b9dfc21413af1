"""JUnit XML (`--junit-xml FILE`): a <testsuite> per document, a <testcase> per counted block.

Counted blocks are those the summary counts: the reported ones, and the unreported
ones that failed. A failure's text is the report's own (no colour), its message
one line per failing command. A document with an input error gets one <testcase>
holding an <error>.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from txtest.annotations import failure_message
from txtest.errors import InputError
from txtest.files import write_atomically
from txtest.matchers import escape_character
from txtest.model import Block, BlockResult, DocumentResult, Outcome
from txtest.report import format_block

SKIP_MESSAGE = "skip directive"
_XML_UNSAFE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 cannot hold (control characters, surrogates of undecodable bytes)."""
_COUNTS = (("failures", "failure"), ("errors", "error"), ("skipped", "skipped"))
"""Count attributes of a suite, and the <testcase> child each counts."""


def junit_xml(results: Sequence[DocumentResult], errors: Sequence[InputError] = ()) -> str:
    """The whole report as an XML document; errors: documents that could not be read."""
    root = ET.Element("testsuites", name="txtest")
    suites = [_error_suite(error) for error in errors] + [_testsuite(r) for r in results]
    root.extend(suites)
    # junit-10.xsd (Jenkins) allows no `skipped` on the root: only suites carry it.
    _set_counts(root, [case for suite in suites for case in suite], counts=_COUNTS[:2])
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit_xml(
    path: Path, results: Sequence[DocumentResult], errors: Sequence[InputError] = ()
) -> None:
    """Write the report to path atomically; missing parent folders are made, as pytest's are."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, junit_xml(results, errors).encode("utf-8"))


def _testsuite(result: DocumentResult) -> ET.Element:
    """A document's suite: its counted blocks, or its input error."""
    path = result.document.display
    suite = ET.Element("testsuite", name=_safe(path))
    suite.extend(_testcase(path, block) for block in result.blocks if _counted(block))
    if result.error is not None:
        suite.append(_error_case(path, result.error))
    _set_counts(suite, list(suite))
    return suite


def _error_suite(error: InputError) -> ET.Element:
    """The suite of a document that could not be read: its one error case."""
    path = error.path or ""
    suite = ET.Element("testsuite", name=_safe(path))
    suite.append(_error_case(path, error))
    _set_counts(suite, list(suite))
    return suite


def _counted(block: BlockResult) -> bool:
    return block.reported or block.outcome is Outcome.FAILED


def _testcase(path: str, result: BlockResult) -> ET.Element:
    """`PATH:LINE $ first command`, with a <failure> or <skipped> when it did not pass."""
    case = ET.Element("testcase", name=_safe(testcase_name(result.block)), classname=_safe(path))
    case.set("time", _seconds(sum(command.run.duration for command in result.commands)))
    if result.outcome is Outcome.FAILED:
        failure = ET.SubElement(case, "failure", message=_safe(_failure_message(result)))
        failure.text = _safe(format_block(result, color=False))
    elif result.outcome is Outcome.SKIPPED:
        ET.SubElement(case, "skipped", message=SKIP_MESSAGE)
    return case


def testcase_name(block: Block) -> str:
    """`PATH:LINE $ first command` (the block's line; the first line of its first command)."""
    if not block.commands:
        return str(block.location)
    first_line = block.commands[0].source.split("\n")[0]
    return f"{block.location} $ {first_line}"


def _failure_message(result: BlockResult) -> str:
    """`PATH:LINE: why` for each failing command, joined with `; `."""
    failures = result.failures
    if not failures:
        return f"{result.block.location}: txtest: the block failed"
    return "; ".join(
        f"{command.command.location}: {failure_message(command)}" for command in failures
    )


def _error_case(path: str, error: InputError) -> ET.Element:
    case = ET.Element("testcase", name=_safe(path), classname=_safe(path), time=_seconds(0))
    element = ET.SubElement(case, "error", message=_safe(str(error)))
    element.text = _safe(str(error))
    return case


def _set_counts(
    element: ET.Element, cases: Sequence[ET.Element], counts: Sequence[tuple[str, str]] = _COUNTS
) -> None:
    """tests, time and the given counts (all by default), summed over the <testcase>s."""
    element.set("tests", str(len(cases)))
    for attribute, child in counts:
        element.set(attribute, str(sum(case.find(child) is not None for case in cases)))
    element.set("time", _seconds(sum(float(case.get("time", "0")) for case in cases)))


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def _safe(text: str) -> str:
    """Text XML can hold: other characters as `\\xNN`/`\\uNNNN` escapes."""
    return _XML_UNSAFE.sub(escape_character, text)
