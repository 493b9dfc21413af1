"""Tests for txtest.annotations: the `::error` lines GitHub Actions turns into annotations."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from conftest import SAMPLE, Workspace, console, run_sample

from txtest.annotations import github_annotations, input_error_annotations, workflow_command
from txtest.errors import InputError
from txtest.model import (
    Block,
    BlockResult,
    Command,
    CommandResult,
    CommandRun,
    DocFormat,
    Document,
    DocumentResult,
    Location,
    Outcome,
    RunOptions,
    Span,
)


def test_each_failing_command_is_an_error_at_its_dollar_line(tmp_path: Path) -> None:
    result = run_sample(tmp_path / "a.md", SAMPLE)

    assert github_annotations([result]) == (
        "::error file=a.md,line=15,title=txtest%3A output differs::a.md:15: FAILED%0A"
        "    $ echo one%0A--- expected%0A+++ actual%0A@@ -16 +16 @@%0A-two%0A+one\n"
        "::error file=a.md,line=17,title=txtest%3A exit status%3A expected 0%2C got 1::"
        "a.md:17: FAILED%0A    $ false%0Aexit status: expected 0, got 1\n"
    )


def test_passing_and_skipped_blocks_say_nothing(tmp_path: Path) -> None:
    text = SAMPLE.replace("two\n", "one\n").replace("$ false\n", "$ true\n")
    result = run_sample(tmp_path / "a.md", text)

    assert github_annotations([result]) == ""


def test_output_and_status_both_wrong_are_one_line(tmp_path: Path) -> None:
    result = run_sample(tmp_path / "b.md", "```console\n$ echo one; false\ntwo\n```\n")

    (line,) = github_annotations([result]).splitlines()
    head, message = line.split("::")[1:]
    assert head == (
        "error file=b.md,line=2,title=txtest%3A output differs; exit status%3A expected 0%2C got 1"
    )
    assert message.endswith("%0A-two%0A+one%0Aexit status: expected 0, got 1")


def test_a_lost_session_gives_its_reason_at_every_command_it_took(tmp_path: Path) -> None:
    text = "```console\n$ echo ok\nok\n$ exit 3\n$ echo after\nafter\n```\n"
    result = run_sample(tmp_path / "lost.md", text)

    assert github_annotations([result]) == (
        "::error file=lost.md,line=4,title=txtest%3A the shell exited with status 3::"
        "lost.md:4: FAILED%0A    $ exit 3%0Athe shell exited with status 3%0A"
        "output so far:%0A    exit\n"
        "::error file=lost.md,line=5,title=txtest%3A the session was lost earlier%3A "
        "the shell exited with status 3::lost.md:5: FAILED%0A    $ echo after%0A"
        "the session was lost earlier: the shell exited with status 3\n"
    )


def test_an_input_error_names_the_file_and_line(tmp_path: Path) -> None:
    result = run_sample(tmp_path / "a.md", SAMPLE, RunOptions(lines=(99,)))

    assert github_annotations([result]) == (
        "::error file=a.md,line=99,title=txtest%3A input error::"
        "a.md:99: error: this line is in no block\n"
    )


def test_documents_are_annotated_in_the_order_given(tmp_path: Path) -> None:
    failing = "```console\n$ echo one\ntwo\n```\n"
    results = [run_sample(tmp_path / name, failing) for name in ("z.md", "a.md")]

    lines = github_annotations(results).splitlines()

    assert [line.split("::")[1].split(",title=")[0] for line in lines] == [
        "error file=z.md,line=2",
        "error file=a.md,line=2",
    ]


def test_a_path_with_separators_is_escaped(tmp_path: Path) -> None:
    result = run_sample(tmp_path / "a,b:c%.md", "```console\n$ echo one\ntwo\n```\n")

    (line,) = github_annotations([result]).splitlines()
    assert line.startswith("::error file=a%2Cb%3Ac%25.md,line=2,title=txtest%3A output differs::")
    assert line.split("::")[2].startswith("a,b:c%25.md:2: FAILED%0A")


def test_a_message_keeps_colons_and_commas_but_escapes_percent_and_newlines() -> None:
    line = workflow_command("error", {"file": "x.md", "line": "3"}, "50%: a,b\r\nnext")

    assert line == "::error file=x.md,line=3::50%25: a,b%0D%0Anext"


def test_a_command_without_properties() -> None:
    assert workflow_command("warning", {}, "careful") == "::warning::careful"


def test_only_commands_still_failing_are_annotated() -> None:
    rewritten = replace(failed_command(line=2, updated=("one",)), output_ok=True)
    lost = failed_command(line=4, lost="timed out after 1 s")
    block = Block(Location("u.md", 1), (rewritten.command, lost.command))
    result = BlockResult(block, Outcome.FAILED, (rewritten, lost))
    document = Document(Path("u.md"), "u.md", DocFormat.MARKDOWN, (block,))

    assert github_annotations([DocumentResult(document, (result,))]) == (
        "::error file=u.md,line=4,title=txtest%3A timed out after 1 s::"
        "u.md:4: FAILED%0A    $ echo one%0Atimed out after 1 s%0Aoutput so far:%0A    one\n"
    )


def failed_command(
    line: int, updated: tuple[str, ...] | None = None, lost: str | None = None
) -> CommandResult:
    """A command at `line` whose output differed, or whose session was lost."""
    command = Command("echo one", Location("u.md", line), ("two",), Span(line, line + 1))
    run = CommandRun(("one",), exit_status=None if lost else 0, lost=lost)
    return CommandResult(command, run, output_ok=False, updated=updated)


def test_input_errors_are_annotated_with_their_line() -> None:
    missing = InputError("no such file or directory", path="missing.md")
    directive = InputError("unknown directive 'skp'", Location("bad.md", 3))
    assert input_error_annotations([missing, directive]) == (
        "::error file=missing.md,title=txtest%3A input error::"
        "missing.md: error: no such file or directory\n"
        "::error file=bad.md,line=3,title=txtest%3A input error::"
        "bad.md:3: error: unknown directive 'skp'\n"
    )


def test_a_diff_with_percent_and_carriage_returns_is_escaped_in_the_message(tmp_path: Path) -> None:
    text = "```console\n$ printf '100%%,\\r\\nok:\\n'\nno\n```\n"
    result = run_sample(tmp_path / "p.md", text)

    (line,) = github_annotations([result]).splitlines()
    message = line.split("::", 2)[2]
    assert "\r" not in line
    assert message.endswith("%0A-no%0A+100%25,%0A+ok:")


def test_paths_are_relative_to_the_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    (repo / "docs").mkdir(parents=True)
    result = run_sample(repo / "docs" / "a.md", "```console\n$ echo one\ntwo\n```\n")
    shown = replace(result, document=replace(result.document, display="a.md"))
    missing = InputError("no such file or directory", path="b.md")
    monkeypatch.chdir(repo / "docs")

    assert github_annotations([shown], repo).startswith("::error file=docs/a.md,line=2,")
    assert input_error_annotations([missing], repo).startswith("::error file=docs/b.md,")
    # a file outside the workspace is named as txtest names it
    assert github_annotations([shown], tmp_path / "other").startswith("::error file=a.md,")
    assert github_annotations([shown]).startswith("::error file=a.md,")


def test_the_command_names_files_from_the_workspace_whatever_its_folder(ws: Workspace) -> None:
    ws.write("docs/guide.md", console("$ echo one", "two"))
    env = {"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(ws.root)}
    run = ws.call("guide.md", "missing.md", env=env, cwd=ws.root / "docs")
    assert run.status == 2
    annotations = [line for line in run.lines if line.startswith("::")]
    assert annotations == [
        "::error file=docs/missing.md,title=txtest%3A input error::"
        "missing.md: error: no such file or directory",
        "::error file=docs/guide.md,line=2,title=txtest%3A output differs::guide.md:2: FAILED%0A"
        "    $ echo one%0A--- expected%0A+++ actual%0A@@ -3 +3 @@%0A-two%0A+one",
    ]
    assert run.summary == "0 passed, 1 failed"
