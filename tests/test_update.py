"""Tests for txtest.update: update mode rewrites failing expected output (SPEC §7.1).

Goldens live in tests/golden/update/CASE/: before.md (or before.t) is run and
updated in a temporary directory, and must then equal after.md byte for byte.
An optional case.json gives the timeout and whether the document still fails.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from txtest.compare import compare_command
from txtest.errors import InputError
from txtest.files import write_atomically
from txtest.model import (
    BlockResult,
    CommandRun,
    DocFormat,
    DocumentResult,
    Outcome,
    RunOptions,
    Span,
)
from txtest.parse import read_document
from txtest.report import NORMAL, format_document
from txtest.runner import run_document
from txtest.update import Edit, apply_edits, split_rows, update_document

GOLDEN = Path(__file__).parent / "golden" / "update"
CASES = sorted(path.name for path in GOLDEN.iterdir() if path.is_dir())


# Goldens


def golden_file(case: str, stem: str) -> Path:
    """The before.* or after.* file of a case."""
    (path,) = (GOLDEN / case).glob(f"{stem}.*")
    return path


def case_settings(case: str) -> dict[str, float | bool]:
    """What case.json says about a case (timeout, still_fails), if it has one."""
    path = GOLDEN / case / "case.json"
    settings: dict[str, float | bool] = json.loads(path.read_text()) if path.exists() else {}
    return settings


def run_and_update(path: Path, timeout: float) -> DocumentResult:
    """Parse, run and update a document the way `txtest -u` does."""
    document = read_document(path, path.name)
    return update_document(run_document(document, RunOptions(update=True, timeout=timeout)))


def test_there_are_enough_goldens_and_each_has_its_pair() -> None:
    assert len(CASES) >= 15
    for case in CASES:
        before, after = golden_file(case, "before"), golden_file(case, "after")
        assert before.suffix == after.suffix


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, tmp_path: Path) -> None:
    before = golden_file(case, "before")
    settings = case_settings(case)
    timeout = float(settings.get("timeout", 10.0))
    still_fails = bool(settings.get("still_fails", False))
    path = tmp_path / f"doc{before.suffix}"
    path.write_bytes(before.read_bytes())
    path.chmod(0o640)

    result = run_and_update(path, timeout)

    assert path.read_bytes() == golden_file(case, "after").read_bytes()
    assert path.stat().st_mode & 0o777 == 0o640
    assert sorted(os.listdir(tmp_path)) == [path.name]
    assert result.is_ok is not still_fails
    assert result.document.blocks == read_document(path, path.name).blocks

    again = run_and_update(path, timeout)
    assert path.read_bytes() == golden_file(case, "after").read_bytes()
    assert again.update is None or not again.update.rewritten
    assert again.is_ok is not still_fails


# Results built without a shell: each command gets the run given for it


def ran(*actual: str, status: int | None = 0, no_eol: bool = False) -> CommandRun:
    """A command's run: the lines it printed and how it ended."""
    lost = None if status is not None else "timed out after 1 s"
    return CommandRun(actual=actual, no_eol=no_eol, exit_status=status, lost=lost)


def results_for(path: Path, runs: Sequence[CommandRun], reported: bool = True) -> DocumentResult:
    """A document's result as if its commands had run as given, in order."""
    document = read_document(path, path.name)
    exact = document.format is DocFormat.CRAM
    pending = iter(runs)
    blocks: list[BlockResult] = []
    for block in document.blocks:
        commands = tuple(compare_command(c, next(pending), cram=exact) for c in block.commands)
        passed = all(command.is_ok for command in commands)
        outcome = Outcome.PASSED if passed else Outcome.FAILED
        blocks.append(BlockResult(block, outcome, commands, reported))
    return DocumentResult(document, tuple(blocks))


def rewritten_lines(result: DocumentResult) -> list[int]:
    """The `$` lines of the commands update mode rewrote."""
    assert result.update is not None
    return sorted(location.line for location in result.update.rewritten)


def report_lines(result: DocumentResult) -> list[str]:
    """What the report says about updating the document."""
    lines = format_document(result, color=False, verbosity=NORMAL).splitlines()
    return [line for line in lines if line.startswith(("updated ", "not updated "))]


@pytest.fixture
def doc(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "doc.md"


def test_an_updated_block_passes_and_the_result_names_the_file(doc: Path) -> None:
    doc.write_text("```console\n$ echo hi\nho\n```\n")

    result = update_document(results_for(doc, [ran("hi")]))

    assert doc.read_text() == "```console\n$ echo hi\nhi\n```\n"
    assert report_lines(result) == ["updated doc.md"]
    (block,) = result.blocks
    assert block.outcome is Outcome.PASSED
    assert rewritten_lines(result) == [2]
    assert all(command.is_ok for command in block.commands)
    assert block.failures == ()


def test_only_the_blocks_named_are_rewritten(doc: Path) -> None:
    doc.write_text("```console\n$ echo a\nx\n```\n\n```console\n$ echo b\nx\n```\n")
    failing = results_for(doc, [ran("a"), ran("b")])
    second = failing.blocks[1].block.location
    assert update_document(failing, blocks=set()) is failing  # none named: nothing written

    result = update_document(failing, blocks={second})

    assert doc.read_text() == "```console\n$ echo a\nx\n```\n\n```console\n$ echo b\nb\n```\n"
    assert [block.outcome for block in result.blocks] == [Outcome.FAILED, Outcome.PASSED]
    assert rewritten_lines(result) == [7]


def test_the_result_reads_like_the_new_file(doc: Path) -> None:
    doc.write_text(
        "<!-- txtest: term=raw -->\n```console\n$ seq 3\n1\n$ false\n```\n\n"
        "<!-- txtest: session=two -->\n```console\n$ echo later\nwrong\n```\n"
    )
    runs = [ran("1", "2", "3"), ran(status=1), ran("cut short", status=None)]

    result = update_document(results_for(doc, runs))

    reread = read_document(doc, doc.name)
    assert result.document == reread
    assert [block.block for block in result.blocks] == list(reread.blocks)
    left = result.blocks[1].commands[0]
    assert left.command.location.line == 13
    assert [line.line for line in left.diff if line.tag == "-"] == [14]


def test_a_lost_command_is_left_alone_and_its_block_still_fails(doc: Path) -> None:
    doc.write_text("```console\n$ echo a\nold\n$ sleep 9\nslept\n```\n")

    result = update_document(results_for(doc, [ran("a"), ran("half", status=None)]))

    assert doc.read_text() == "```console\n$ echo a\na\n$ sleep 9\nslept\n```\n"
    (block,) = result.blocks
    assert block.outcome is Outcome.FAILED
    assert rewritten_lines(result) == [2]
    assert [command.command.source for command in block.failures] == ["sleep 9"]
    assert not result.is_ok


def test_a_block_that_only_built_state_for_a_selection_is_not_updated(doc: Path) -> None:
    doc.write_text("```console\n$ echo a\nold\n```\n")

    result = update_document(results_for(doc, [ran("a")], reported=False))

    assert doc.read_text() == "```console\n$ echo a\nold\n```\n"
    assert result.update is None
    assert not result.is_ok


def test_a_passing_document_is_not_written(doc: Path) -> None:
    doc.write_text("```console\n$ echo a\na\n```\n")
    os.utime(doc, ns=(1_000_000_000, 1_000_000_000))

    result = update_document(results_for(doc, [ran("a")]))

    assert doc.stat().st_mtime_ns == 1_000_000_000
    assert result.update is None


def test_a_file_changed_while_running_is_not_updated(doc: Path) -> None:
    doc.write_text("```console\n$ echo a\nold\n```\n")
    result = results_for(doc, [ran("a")])
    doc.write_text("```console\n$ echo a\nedited meanwhile\n```\n")

    updated = update_document(result)

    assert doc.read_text() == "```console\n$ echo a\nedited meanwhile\n```\n"
    assert report_lines(updated)[0].startswith("not updated doc.md: it changed while txtest ran")
    assert not updated.is_ok


def test_a_document_with_an_input_error_is_left_alone(doc: Path) -> None:
    doc.write_text("```console\n$ echo a\nold\n```\n")
    result = DocumentResult(read_document(doc, doc.name), error=InputError("bad", path="doc.md"))

    assert update_document(result) is result
    assert doc.read_text() == "```console\n$ echo a\nold\n```\n"


def test_only_failing_commands_that_finished_are_rewritten(doc: Path) -> None:
    doc.write_text("```console\n$ echo same\nsame\n$ echo a\nb\n$ sleep 9\n```\n")
    result = results_for(doc, [ran("same"), ran("a", status=3), ran(status=None)])

    updated = update_document(result)

    assert doc.read_text() == "```console\n$ echo same\nsame\n$ echo a\na\n[3]\n$ sleep 9\n```\n"
    assert rewritten_lines(updated) == [4]


def test_unchanged_lines_are_kept_byte_for_byte(doc: Path) -> None:
    doc.write_text("> ```console\n> $ cmd\n>same  \n>\n> old\n> ```\n")

    update_document(results_for(doc, [ran("same", "", "new")]))

    assert doc.read_text() == "> ```console\n> $ cmd\n>same  \n>\n> new\n> ```\n"


def test_a_hidden_comment_keeps_its_closing_marker(doc: Path) -> None:
    doc.write_text("<!-- txtest\n$ cmd\nold -->\n")
    update_document(results_for(doc, [ran("a", "b")]))
    assert doc.read_text() == "<!-- txtest\n$ cmd\na\nb -->\n"

    doc.write_text("<!-- txtest\n$ cmd\nold -->\n")
    update_document(results_for(doc, [ran()]))
    assert doc.read_text() == "<!-- txtest\n$ cmd\n-->\n"


def test_output_for_a_command_on_the_closing_line_goes_inside_the_comment(doc: Path) -> None:
    doc.write_text("<!-- txtest\n$ cmd -->\nprose")

    result = update_document(results_for(doc, [ran("out")]))

    assert doc.read_text() == "<!-- txtest\n$ cmd\nout -->\nprose"
    assert result.is_ok


def test_output_the_parser_would_misread_is_written_as_esc_lines(doc: Path) -> None:
    doc.write_text("```console\n$ cmd\n```\n")

    result = update_document(results_for(doc, [ran("$ ls", "```", "[1]")]))

    assert doc.read_text() == (
        "```console\n$ cmd\n\\x24 ls (esc)\n\\x60`` (esc)\n\\x5b1] (esc)\n```\n"
    )
    assert result.is_ok


# apply_edits: new lines into the text, everything else kept


def edit(start: int, end: int, lines: Sequence[str]) -> Edit:
    return Edit(Span(start, end), tuple(lines))


def test_new_lines_take_the_line_ending_used_where_they_go() -> None:
    text = "lf\n$ cmd\r\nold\r\nlf again\n"

    assert apply_edits(text, [edit(2, 3, ["a", "b"])]) == ("lf\n$ cmd\r\na\r\nb\r\nlf again\n")


def test_lines_added_at_the_end_keep_a_missing_final_newline() -> None:
    assert apply_edits("  $ cmd", [edit(1, 1, ["  a", "  b"])]) == "  $ cmd\n  a\n  b"
    assert apply_edits("$ cmd\r\nx", [edit(1, 2, ["y", "z"])]) == "$ cmd\r\ny\r\nz"


def test_lines_removed_at_the_end_keep_a_missing_final_newline() -> None:
    assert apply_edits("  $ true\n  stale", [edit(1, 2, [])]) == "  $ true"
    assert apply_edits("  $ true\n  stale\n", [edit(1, 2, [])]) == "  $ true\n"


def test_a_bom_and_cr_line_endings_are_kept() -> None:
    text = "\ufeff$ cmd\rold\rafter\r"

    assert apply_edits(text, [edit(1, 2, ["new"])]) == "\ufeff$ cmd\rnew\rafter\r"


def test_split_rows_numbers_lines_like_the_parser() -> None:
    assert split_rows("a\r\nb\rc\nd") == [("a", "\r\n"), ("b", "\r"), ("c", "\n"), ("d", "")]
    assert split_rows("a\n") == [("a", "\n")]
    assert split_rows("") == []


# The atomic writer


def test_writing_keeps_the_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "doc.md"
    path.write_text("old")
    path.chmod(0o754)

    write_atomically(path, b"new")

    assert path.read_text() == "new"
    assert path.stat().st_mode & 0o777 == 0o754
    assert os.listdir(tmp_path) == ["doc.md"]


def test_a_read_only_document_is_not_updated(doc: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc.write_text("```console\n$ echo a\nold\n```\n")
    doc.chmod(0o444)
    if os.geteuid() == 0:  # root may write anything; see the file as its owner would
        monkeypatch.setattr(os, "access", lambda path, mode: False)

    result = update_document(results_for(doc, [ran("a")]))

    assert doc.read_text() == "```console\n$ echo a\nold\n```\n"
    assert report_lines(result) == ["not updated doc.md: the file is read-only"]
    assert not result.is_ok


def test_writing_through_a_symlink_updates_its_target(tmp_path: Path) -> None:
    target = tmp_path / "real.md"
    target.write_text("old")
    link = tmp_path / "link.md"
    link.symlink_to(target.name)

    write_atomically(link, b"new")

    assert link.is_symlink()
    assert target.read_text() == "new"


@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_an_interrupted_write_leaves_the_file_untouched_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    path = tmp_path / "doc.md"
    path.write_text("old")

    def interrupt(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, step, interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(path, b"new")

    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["doc.md"]


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from txtest.files import write_atomically

    path = Path(sys.argv[1])
    texts = [path.read_text(), "new\\n" * 200_000]
    print("ready", flush=True)
    count = 0
    while True:
        write_atomically(path, texts[count % 2].encode())
        count += 1
    """
)


def test_ctrl_c_while_writing_leaves_a_whole_file_and_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "doc.md"
    old = "old\n" * 100_000
    for delay in (0.0, 0.005, 0.01, 0.02, 0.05):
        path.write_text(old)
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert child.stdout is not None
        assert child.stdout.readline() == "ready\n"
        time.sleep(delay)
        child.send_signal(signal.SIGINT)
        child.communicate(timeout=30)

        assert path.read_text() in (old, "new\n" * 200_000)
        assert os.listdir(tmp_path) == ["doc.md"]
