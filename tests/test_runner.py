"""Running documents: sessions, selections, fixtures and the environment."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from txtest.errors import InputError
from txtest.model import Document, DocumentResult, FileFixture, Location, Outcome, RunOptions
from txtest.parse import parse_document
from txtest.runner import (
    blocks_needed,
    make_work_area,
    run_document,
    selected_blocks,
    session_env,
    write_fixture,
)


def document(tmp_path: Path, text: str, name: str = "doc.md") -> Document:
    path = tmp_path / name
    path.write_text(text)
    return parse_document(text, name, path)


def console(*lines: str, directive: str = "") -> str:
    head = f"<!-- txtest: {directive} -->\n" if directive else ""
    return head + "```console\n" + "".join(line + "\n" for line in lines) + "```\n\n"


def outcomes(result: DocumentResult) -> list[tuple[int, str]]:
    return [(block.block.location.line, block.outcome.value) for block in result.blocks]


def test_blocks_share_the_default_session(tmp_path: Path) -> None:
    doc = document(tmp_path, console("$ x=5", "$ cd /") + console("$ echo $x $PWD", "5 /"))
    assert outcomes(run_document(doc, RunOptions())) == [(1, "passed"), (6, "passed")]


def test_named_sessions_share_the_work_dir_but_not_state(tmp_path: Path) -> None:
    text = (
        console("$ x=1; echo shared > note")
        + console("$ echo ${x:-unset}; cat note", "unset", "shared", directive="session=other")
        + console("$ echo $x", "1")
    )
    result = run_document(document(tmp_path, text), RunOptions())
    assert [block.outcome for block in result.blocks] == [Outcome.PASSED] * 3


def test_a_lost_named_session_does_not_stop_the_others(tmp_path: Path) -> None:
    text = (
        console("$ exit 7", directive="session=doomed")
        + console("$ echo gone", "gone", directive="session=doomed")
        + console("$ echo alive", "alive")
    )
    result = run_document(document(tmp_path, text), RunOptions())
    assert [block.outcome for block in result.blocks] == [
        Outcome.FAILED,
        Outcome.FAILED,
        Outcome.PASSED,
    ]
    assert result.blocks[1].commands[0].run.lost == (
        "the session was lost earlier: the shell exited with status 7"
    )


def test_skipped_blocks_do_not_run(tmp_path: Path) -> None:
    text = console("$ touch ran", directive="skip") + console("$ ls", "")
    result = run_document(document(tmp_path, text), RunOptions())
    assert outcomes(result) == [(2, "skipped"), (6, "passed")]


def test_block_timeout_overrides_the_default(tmp_path: Path) -> None:
    text = console("$ sleep 5", directive="timeout=0.3")
    result = run_document(document(tmp_path, text), RunOptions(timeout=60))
    assert result.blocks[0].commands[0].run.lost == "timed out after 0.3 s"


def test_file_fixture_is_written_where_the_session_stands(tmp_path: Path) -> None:
    text = (
        console("$ mkdir sub && cd sub")
        + "<!-- txtest: file=conf/app.ini -->\n```ini\n[app]\nname = x\n```\n\n"
        + console("$ cat conf/app.ini", "[app]", "name = x")
    )
    result = run_document(document(tmp_path, text), RunOptions())
    assert result.is_ok, result


def test_fixture_through_a_symlink_out_of_the_work_dir_is_refused(tmp_path: Path) -> None:
    work, outside = tmp_path / "work", tmp_path / "outside"
    work.mkdir()
    outside.mkdir()
    (work / "link").symlink_to(outside)
    fixture = FileFixture(Location("doc.md", 3), "link/evil.txt", "x\n")
    with pytest.raises(InputError, match=r"doc\.md:3: error: file=link/evil\.txt leads outside"):
        write_fixture(fixture, work)
    assert not (outside / "evil.txt").exists()


def test_selection_runs_earlier_blocks_of_the_same_session_unreported(tmp_path: Path) -> None:
    text = (
        console("$ x=1")
        + console("$ false", directive="session=other")
        + console("$ echo $x", "1")
        + console("$ echo later")
    )
    doc = document(tmp_path, text)
    options = RunOptions(lines=(13,))
    assert selected_blocks(doc, options) == frozenset({2})
    assert blocks_needed(doc, frozenset({2})) == frozenset({0, 2})
    result = run_document(doc, options)
    assert [(b.block.location.line, b.reported) for b in result.blocks] == [(1, False), (10, True)]


def test_a_line_in_no_block_is_an_input_error(tmp_path: Path) -> None:
    doc = document(tmp_path, "prose\n\n" + console("$ true"))
    result = run_document(doc, RunOptions(lines=(1,)))
    assert str(result.error) == "doc.md:1: error: this line is in no block"
    assert result.error is not None and result.error.location == Location("doc.md", 1)


def test_keyword_selects_blocks_by_command_text(tmp_path: Path) -> None:
    doc = document(tmp_path, console("$ echo a", "a") + console("$ echo b", "b"))
    assert selected_blocks(doc, RunOptions(keyword="echo b")) == frozenset({1})


def test_stop_flag_starts_nothing_new(tmp_path: Path) -> None:
    doc = document(tmp_path, console("$ false") + console("$ echo b", "b"))
    stop = threading.Event()
    result = run_document(doc, RunOptions(fail_fast=True), stop)
    assert stop.is_set()
    assert outcomes(result) == [(1, "failed")]


def test_work_area_is_removed_unless_kept(tmp_path: Path) -> None:
    doc = document(tmp_path, console("$ echo $TESTTMP > $TESTTMP/where; cat $TESTTMP/where"))
    result = run_document(doc, RunOptions())
    testtmp = Path(result.blocks[0].commands[0].run.actual[0])
    assert not testtmp.exists()
    kept = run_document(doc, RunOptions(keep_tmp=True))
    assert kept.keep_tmp is not None and Path(kept.keep_tmp, "where").is_file()
    shutil.rmtree(Path(kept.keep_tmp).parent)


def test_markdown_environment(tmp_path: Path) -> None:
    doc = document(tmp_path, console("$ true"))
    area = make_work_area(None)
    env = session_env(doc, area, "bash")
    assert {key: env[key] for key in ("TXTEST", "LC_ALL", "TZ", "PAGER", "GIT_PAGER")} == {
        "TXTEST": "1",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "PAGER": "cat",
        "GIT_PAGER": "cat",
    }
    assert (env["TESTDIR"], env["TESTFILE"]) == (str(tmp_path.resolve()), "doc.md")
    assert Path(env["HOME"]).is_dir() and not Path(env["HOME"]).is_relative_to(env["TESTTMP"])


def test_cram_environment(tmp_path: Path) -> None:
    doc = document(tmp_path, "  $ true\n", name="doc.t")
    env = session_env(doc, make_work_area(None), "/bin/bash")
    assert [env[key] for key in ("LANG", "LC_ALL", "LANGUAGE", "TZ", "TESTSHELL")] == [
        "C",
        "C",
        "C",
        "GMT",
        "/bin/bash",
    ]
    assert env["CDPATH"] == "" and env["GREP_OPTIONS"] == "" and "CRAMTMP" in env
    assert env["TERM"] == "xterm" and env["TMPDIR"] == env["CRAMTMP"]


def test_cram_testtmp_is_named_after_the_test(tmp_path: Path) -> None:
    doc = document(
        tmp_path, "  $ basename $PWD; basename $TESTTMP\n  env.t\n  env.t\n", name="env.t"
    )
    assert run_document(doc, RunOptions()).is_ok
