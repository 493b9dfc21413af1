"""Tests for txtest.junit: the report as CI systems read it, parsed back with junitparser."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema
from conftest import SAMPLE, run_sample
from junitparser import Error, Failure, JUnitXml, Skipped, TestCase, TestSuite

from txtest.errors import InputError
from txtest.junit import junit_xml, write_junit_xml
from txtest.model import DocumentResult, Location, RunOptions
from txtest.parse import read_document

CRAM = """\
Two blocks:

  $ echo a
  a

  $ printf 'b\\nc\\n'
  b
  c
"""


def report(tmp_path: Path, results: list[DocumentResult]) -> JUnitXml:
    """Write the report to a file and parse it back."""
    target = tmp_path / "report.xml"
    write_junit_xml(target, results)
    return JUnitXml.fromfile(str(target))


def suites(xml: JUnitXml) -> list[TestSuite]:
    return list(xml)


def cases(suite: TestSuite) -> list[TestCase]:
    return list(suite)


def test_one_suite_per_document_with_its_counts(tmp_path: Path) -> None:
    results = [run_sample(tmp_path / "a.md", SAMPLE), run_sample(tmp_path / "b.t", CRAM)]

    xml = report(tmp_path, results)

    counts = [(s.name, s.tests, s.failures, s.errors, s.skipped) for s in suites(xml)]
    assert counts == [("a.md", 3, 1, 0, 1), ("b.t", 2, 0, 0, 0)]
    assert (xml.tests, xml.failures, xml.errors) == (5, 1, 0)


def test_a_case_per_block_named_by_its_line_and_first_command(tmp_path: Path) -> None:
    xml = report(
        tmp_path, [run_sample(tmp_path / "a.md", SAMPLE), run_sample(tmp_path / "b.t", CRAM)]
    )

    names = [(case.classname, case.name) for suite in suites(xml) for case in cases(suite)]
    assert names == [
        ("a.md", "a.md:3 $ echo hello"),
        ("a.md", "a.md:9 $ echo skipped"),
        ("a.md", "a.md:14 $ echo one"),
        ("b.t", "b.t:3 $ echo a"),
        ("b.t", "b.t:6 $ printf 'b\\nc\\n'"),
    ]


def test_a_multi_line_command_is_named_by_its_first_line(tmp_path: Path) -> None:
    text = "```console\n$ for x in 1 2; do\n>   echo $x\n> done\n1\n2\n```\n"

    xml = report(tmp_path, [run_sample(tmp_path / "loop.md", text)])

    assert [case.name for case in cases(suites(xml)[0])] == ["loop.md:1 $ for x in 1 2; do"]


def test_a_failure_carries_the_diff_the_command_line_shows(tmp_path: Path) -> None:
    xml = report(tmp_path, [run_sample(tmp_path / "a.md", SAMPLE)])
    failing = cases(suites(xml)[0])[2]

    [failure] = failing.result
    assert isinstance(failure, Failure)
    assert failure.message == (
        "a.md:15: txtest: output differs; a.md:17: txtest: exit status: expected 0, got 1"
    )
    assert failure.text == (
        "a.md:15: FAILED\n"
        "    $ echo one\n"
        "--- expected\n"
        "+++ actual\n"
        "@@ -16 +16 @@\n"
        "-two\n"
        "+one\n"
        "\n"
        "a.md:17: FAILED\n"
        "    $ false\n"
        "exit status: expected 0, got 1"
    )
    assert failure.text in cli_output(tmp_path, "a.md")


def cli_output(cwd: Path, path: str) -> str:
    """What `txtest --color never PATH` prints."""
    command = [sys.executable, "-m", "txtest", "--color", "never", path]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False).stdout


def test_passing_and_skipped_cases(tmp_path: Path) -> None:
    xml = report(tmp_path, [run_sample(tmp_path / "a.md", SAMPLE)])
    passing, skipped, _ = cases(suites(xml)[0])

    assert passing.is_passed
    assert passing.result == []
    assert skipped.is_skipped
    assert [type(result) for result in skipped.result] == [Skipped]


@pytest.mark.parametrize(
    ("first_expected", "names"),
    [
        ("hello", ["a.md:14 $ echo one"]),
        ("bye", ["a.md:3 $ echo hello", "a.md:14 $ echo one"]),
    ],
    ids=["state-block-passes", "state-block-fails"],
)
def test_a_selection_counts_its_blocks_and_failing_blocks_it_needed(
    tmp_path: Path, first_expected: str, names: list[str]
) -> None:
    text = SAMPLE.replace("$ echo hello\nhello", f"$ echo hello\n{first_expected}")

    xml = report(tmp_path, [run_sample(tmp_path / "a.md", text, RunOptions(lines=(16,)))])

    suite = suites(xml)[0]
    assert [case.name for case in cases(suite)] == names
    assert (suite.tests, suite.failures, suite.skipped) == (len(names), len(names), 0)


def test_an_input_error_is_an_error_case(tmp_path: Path) -> None:
    xml = report(tmp_path, [run_sample(tmp_path / "a.md", SAMPLE, RunOptions(lines=(99,)))])

    suite = suites(xml)[0]
    [case] = cases(suite)
    [error] = case.result
    assert isinstance(error, Error)
    assert (suite.tests, suite.errors, case.name) == (1, 1, "a.md")
    assert error.message == "a.md:99: error: this line is in no block"


def test_control_characters_and_undecodable_bytes_stay_valid_xml(tmp_path: Path) -> None:
    text = "```console\n$ printf 'bell\\a\\xff\\n' # \x07\nbell\n```\n"

    xml = report(tmp_path, [run_sample(tmp_path / "c.md", text)])

    [case] = cases(suites(xml)[0])
    [failure] = case.result
    assert case.name == "c.md:1 $ printf 'bell\\a\\xff\\n' # \\x07"
    assert "+bell\\x07\\xff (esc)" in failure.text


def test_the_xml_declares_utf_8_and_keeps_non_ascii(tmp_path: Path) -> None:
    text = "```console\n$ echo héllo\nhello\n```\n"

    xml_text = junit_xml([run_sample(tmp_path / "é.md", text)])

    assert xml_text.startswith('<?xml version="1.0" encoding="utf-8"?>\n<testsuites')
    assert 'name="é.md:1 $ echo héllo"' in xml_text
    assert "+héllo" in xml_text


def test_an_empty_run_is_an_empty_report(tmp_path: Path) -> None:
    xml = report(tmp_path, [])

    assert (xml.tests, xml.failures, suites(xml)) == (0, 0, [])


def test_writing_makes_missing_folders(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "txtest" / "report.xml"

    write_junit_xml(target, [run_sample(tmp_path / "a.md", SAMPLE)])

    assert [suite.name for suite in JUnitXml.fromfile(str(target))] == ["a.md"]


def test_writing_replaces_the_file_and_leaves_nothing_beside_it(tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.xml"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")

    write_junit_xml(target, [run_sample(tmp_path / "a.md", SAMPLE)])

    assert target.read_text(encoding="utf-8").startswith("<?xml")
    assert [path.name for path in target.parent.iterdir()] == ["report.xml"]


def test_a_write_that_fails_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "report.xml"
    target.mkdir()

    with pytest.raises(OSError):
        write_junit_xml(target, [])

    assert [path.name for path in tmp_path.iterdir()] == ["report.xml"]


JUNIT_SCHEMA = Path(__file__).parent / "schema" / "junit-10.xsd"
"""Jenkins' JUnit schema, as its xunit plugin validates reports (see schema/SOURCE.txt)."""


def test_the_report_is_valid_against_the_jenkins_junit_schema(tmp_path: Path) -> None:
    bad = tmp_path / "bad.md"
    bad.write_text("<!-- txtest: skp -->\n", encoding="utf-8")
    results = [
        run_sample(tmp_path / "a.md", SAMPLE),
        run_sample(tmp_path / "b.t", CRAM),
        run_sample(tmp_path / "c.md", "```console\n$ printf 'x\\x01\\xff\\n'\ny\n```\n"),
        DocumentResult(
            document=read_document(tmp_path / "a.md", "a.md"),
            error=InputError("this line is in no block", Location("a.md", 99)),
        ),
    ]
    target = tmp_path / "report.xml"
    unreadable = InputError("unknown directive 'skp'", Location(str(bad), 1))
    write_junit_xml(target, results, [unreadable])

    schema = xmlschema.XMLSchema(JUNIT_SCHEMA)
    errors = [str(error) for error in schema.iter_errors(str(target))]

    assert errors == []
    assert ET.parse(target).getroot().get("skipped") is None
