"""Tests for txtest.pytest_plugin, through pytester: what `pytest --txtest` shows a user.

The runs load the plugin as users get it, through the package's `pytest11` entry point.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import SAMPLE

from txtest.pytest_plugin import document_scope

pytest_plugins = ["pytester"]


FAILURE_TEXT = """\
docs/a.md:15: FAILED
    $ echo one
--- expected
+++ actual
@@ -16 +16 @@
-two
+one

docs/a.md:17: FAILED
    $ false
exit status: expected 0, got 1
"""

STATEFUL = """\
```console
$ X=41; echo run >> "$TESTDIR/{name}.runs"
```

```console
$ echo $((X + 1))
42
```

```console
$ echo $X; touch "$TESTDIR/{name}.after"
41
```
"""

HIDDEN_AND_CRAM_ITEMS = ["docs/b.md:2", "docs/c.t:3"]

VERDICT = "(?P<verdict>PASSED|FAILED|SKIPPED|ERROR)"
VERBOSE_LINES = (
    re.compile(rf"^(?P<nodeid>\S*[^\s:]) {VERDICT}"),
    re.compile(rf"^\[(?P<worker>gw\d+)\] \[ *\d+%\] {VERDICT} (?P<nodeid>\S+)"),
)


@pytest.fixture(autouse=True)
def _plugins_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)


def write(root: Path, files: dict[str, str]) -> None:
    """Write files (paths relative to root), making their folders."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def outcomes(result: pytest.RunResult) -> dict[str, str]:
    """Node id (xdist's `@group` suffix cut) → PASSED/FAILED/SKIPPED, from a `-v` run."""
    return {nodeid: verdict for _, verdict, nodeid in verbose_lines(result)}


def workers(result: pytest.RunResult) -> dict[str, set[str]]:
    """Document → the xdist workers that ran its items, from a `-v` run."""
    found: dict[str, set[str]] = defaultdict(set)
    for worker, _, nodeid in verbose_lines(result):
        found[document_scope(nodeid)].add(worker)
    return dict(found)


def verbose_lines(result: pytest.RunResult) -> list[tuple[str, str, str]]:
    """(worker, verdict, node id) for each item line of a `-v` run."""
    lines: list[tuple[str, str, str]] = []
    for line in result.outlines:
        for pattern in VERBOSE_LINES:
            if match := pattern.match(line):
                nodeid = match["nodeid"].split("@")[0]
                lines.append((match.groupdict().get("worker") or "", match["verdict"], nodeid))
    return lines


def test_without_the_option_documents_are_not_collected(pytester: pytest.Pytester) -> None:
    write(pytester.path, {"docs/a.md": SAMPLE, "test_x.py": "def test_x():\n    pass\n"})

    result = pytester.runpytest("-v")

    assert outcomes(result) == {"test_x.py::test_x": "PASSED"}


def test_each_block_is_an_item_named_path_line(pytester: pytest.Pytester) -> None:
    hidden = "<!-- txtest\n$ echo set up\nset up\n-->\n"
    cram = "A cram file.\n\n  $ echo a\n  a\n"
    write(pytester.path, {"docs/a.md": SAMPLE, "docs/b.md": hidden, "docs/c.t": cram})

    result = pytester.runpytest("--txtest", "docs", "--collect-only", "-q")

    assert result.outlines[:5] == [
        "docs/a.md:4",
        "docs/a.md:10",
        "docs/a.md:15",
        *HIDDEN_AND_CRAM_ITEMS,
    ]


def test_each_item_reports_its_own_block(pytester: pytest.Pytester) -> None:
    write(pytester.path, {"docs/a.md": SAMPLE})

    result = pytester.runpytest("--txtest", "docs", "-v")

    assert outcomes(result) == {
        "docs/a.md:4": "PASSED",
        "docs/a.md:10": "SKIPPED",
        "docs/a.md:15": "FAILED",
    }
    result.stdout.fnmatch_lines(["docs/a.md:10 SKIPPED (txtest: skip directive)*"])
    result.assert_outcomes(passed=1, failed=1, skipped=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_a_failure_shows_the_diff_the_command_line_shows(pytester: pytest.Pytester) -> None:
    write(pytester.path, {"docs/a.md": SAMPLE})

    result = pytester.runpytest("--txtest", "docs")

    shown = result.stdout.str()
    result.stdout.fnmatch_lines(["_* docs/a.md:15 $ echo one _*", FAILURE_TEXT.splitlines()[0]])
    assert FAILURE_TEXT in shown
    assert "Traceback" not in shown
    assert FAILURE_TEXT in cli_output(pytester.path, "docs/a.md")


def cli_output(cwd: Path, *arguments: str) -> str:
    """What the txtest command prints, colour off."""
    command = [sys.executable, "-m", "txtest", "--color", "never", *arguments]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False).stdout


def test_items_locate_their_blocks(pytester: pytest.Pytester) -> None:
    write(pytester.path, {"docs/a.md": SAMPLE})

    items, _ = pytester.inline_genitems("--txtest", "docs")

    assert [item.location for item in items] == [
        ("docs/a.md", 3, "docs/a.md:4 $ echo hello"),
        ("docs/a.md", 9, "docs/a.md:10 $ echo skipped"),
        ("docs/a.md", 14, "docs/a.md:15 $ echo one"),
    ]
    assert {marker_args(item) for item in items} == {("docs/a.md",)}


def marker_args(item: pytest.Item) -> tuple[object, ...]:
    """The arguments of the item's xdist_group marker."""
    marker = item.get_closest_marker("xdist_group")
    assert marker is not None
    return marker.args


def test_blocks_share_one_session_and_the_document_runs_once(pytester: pytest.Pytester) -> None:
    write(pytester.path, {"docs/s.md": STATEFUL.format(name="s")})

    result = pytester.runpytest("--txtest", "docs")

    result.assert_outcomes(passed=3)
    assert (pytester.path / "docs" / "s.runs").read_text(encoding="utf-8") == "run\n"


def test_a_selected_block_runs_after_the_blocks_it_needs_and_no_later_ones(
    pytester: pytest.Pytester,
) -> None:
    write(pytester.path, {"docs/s.md": STATEFUL.format(name="s")})

    result = pytester.runpytest("--txtest", "docs/s.md:6", "-v")

    assert outcomes(result) == {"docs/s.md:6": "PASSED"}
    assert (pytester.path / "docs" / "s.runs").exists()
    assert not (pytester.path / "docs" / "s.after").exists()


def test_an_input_error_is_a_collection_error_without_a_traceback(
    pytester: pytest.Pytester,
) -> None:
    bad = "<!-- txtest: skp -->\n```console\n$ echo a\na\n```\n"
    write(pytester.path, {"docs/bad.md": bad})

    result = pytester.runpytest("--txtest", "docs")

    result.stdout.fnmatch_lines(
        ["*ERROR collecting docs/bad.md*", "docs/bad.md:1: error: unknown directive 'skp'*"]
    )
    assert "Traceback" not in result.stdout.str()
    assert result.ret == pytest.ExitCode.INTERRUPTED


def test_documents_are_found_as_the_command_line_finds_them(pytester: pytest.Pytester) -> None:
    block = "```console\n$ echo a\na\n```\n"
    names = ["docs/a.md", "docs/b.markdown", "docs/c.t", "docs/notes.txt"]
    names += [".hidden/h.md", "node_modules/n.md", "build/b.md", "venv/v.md", "dist/d.md"]
    write(pytester.path, dict.fromkeys(names, block) | {"docs/c.t": "  $ echo a\n  a\n"})
    pytester.makeini("[pytest]\nnorecursedirs =\n")

    result = pytester.runpytest("--txtest", ".", "--collect-only", "-q")

    assert result.outlines[:4] == [
        "docs/a.md:2",
        "docs/b.markdown:2",
        "docs/c.t:1",
        "",
    ]


def test_a_file_named_on_the_command_line_is_read_as_markdown(pytester: pytest.Pytester) -> None:
    write(pytester.path, {"docs/notes.txt": "```console\n$ echo a\nb\n```\n"})

    result = pytester.runpytest("--txtest", "docs/notes.txt", "-v")

    assert outcomes(result) == {"docs/notes.txt:2": "FAILED"}


def test_the_ini_turns_it_on_and_txtest_paths_name_the_documents(
    pytester: pytest.Pytester,
) -> None:
    block = "```console\n$ echo a\na\n```\n"
    test = "def test_x():\n    pass\n"
    write(
        pytester.path,
        {"README.md": block, "docs/a.md": block, "other/o.md": block, "tests/test_x.py": test},
    )
    pytester.makeini(
        "[pytest]\ntxtest = true\ntxtest_paths =\n    README.md\n    docs\ntestpaths = tests\n"
    )

    result = pytester.runpytest("-v")
    named = pytester.runpytest("other", "-v")

    assert outcomes(result) == {
        "tests/test_x.py::test_x": "PASSED",
        "README.md:2": "PASSED",
        "docs/a.md:2": "PASSED",
    }
    assert outcomes(named) == {"other/o.md:2": "PASSED"}


XDIST_DOCUMENTS = {f"docs/d{n}.md": STATEFUL.format(name=f"d{n}") for n in range(1, 5)} | {
    "docs/a.md": SAMPLE,
    "docs/e.md": STATEFUL.format(name="e").replace("42\n", "43\n"),
}


def xdist_expected() -> dict[str, str]:
    """The verdict of every item of XDIST_DOCUMENTS, as a run in one process gives it."""
    expected = {
        "docs/a.md:4": "PASSED",
        "docs/a.md:10": "SKIPPED",
        "docs/a.md:15": "FAILED",
    }
    for name in ["d1", "d2", "d3", "d4", "e"]:
        for line in (2, 6, 11):
            expected[f"docs/{name}.md:{line}"] = "PASSED"
    expected["docs/e.md:6"] = "FAILED"
    return expected


def test_in_one_process_the_verdicts_are_those_expected_of_xdist(
    pytester: pytest.Pytester,
) -> None:
    write(pytester.path, XDIST_DOCUMENTS)

    result = pytester.runpytest("--txtest", "docs", "-p", "no:xdist", "-v")

    assert outcomes(result) == xdist_expected()


def test_xdist_runs_each_document_once_on_one_worker(pytester: pytest.Pytester) -> None:
    write(pytester.path, XDIST_DOCUMENTS)

    result = pytester.runpytest_subprocess("--txtest", "docs", "-n", "2", "-v")

    assert outcomes(result) == xdist_expected()
    assert sorted(workers(result)) == sorted(XDIST_DOCUMENTS)
    assert all(len(used) == 1 for used in workers(result).values()), workers(result)
    for name in ["d1", "d2", "d3", "d4", "e"]:
        assert (pytester.path / "docs" / f"{name}.runs").read_text(encoding="utf-8") == "run\n"


@pytest.mark.parametrize("mode", ["load", "loadgroup"])
def test_xdist_verdicts_hold_whatever_mode_the_user_picks(
    pytester: pytest.Pytester, mode: str
) -> None:
    """`load` splits documents, and so does `loadgroup` while pytest-xdist#1386 (groups
    lost under pytest 9.2) stands: each worker then runs the whole document itself."""
    write(pytester.path, XDIST_DOCUMENTS)

    result = pytester.runpytest_subprocess("--txtest", "docs", "-n", "2", "--dist", mode, "-v")

    assert outcomes(result) == xdist_expected()


def test_pyproject_defaults_apply_under_pytest(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", pyproject='[tool.txtest]\ntimeout = 0.3\nlang = "console,shell"\n')
    doc = "```console\n$ sleep 2\n```\n\n```shell\n$ echo hi\nbye\n```\n"
    write(pytester.path, {"doc.md": doc})
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--txtest", "doc.md")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*timed out after 0.3 s*"])


@pytest.mark.parametrize("line", ["15", "16", "17"])
def test_a_line_the_report_names_runs_the_item_holding_it(
    pytester: pytest.Pytester, line: str
) -> None:
    write(pytester.path, {"docs/a.md": SAMPLE})

    result = pytester.runpytest("--txtest", f"docs/a.md:{line}", "-v")

    assert outcomes(result) == {"docs/a.md:15": "FAILED"}


def test_a_node_id_from_the_report_is_accepted_back(pytester: pytest.Pytester) -> None:
    write(pytester.path, {"docs/a.md": SAMPLE})
    collected = pytester.runpytest("--txtest", "docs", "--collect-only", "-q").outlines[:3]

    result = pytester.runpytest("--txtest", *collected, "-v")

    assert outcomes(result) == {
        "docs/a.md:4": "PASSED",
        "docs/a.md:10": "SKIPPED",
        "docs/a.md:15": "FAILED",
    }


def test_a_line_in_no_block_is_a_usage_error(pytester: pytest.Pytester) -> None:
    write(pytester.path, {"docs/a.md": SAMPLE})

    result = pytester.runpytest("--txtest", "docs/a.md:2")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*docs/a.md:2: error: this line is in no block*"])


def test_the_short_summary_gives_the_first_difference(pytester: pytest.Pytester) -> None:
    status_only = "```console\n$ false\n```\n"
    extra_line = "```console\n$ printf 'a\\nb\\n'\na\n```\n"
    write(pytester.path, {"docs/a.md": SAMPLE, "docs/s.md": status_only, "docs/x.md": extra_line})

    result = pytester.runpytest("--txtest", "docs", "-rf")

    result.stdout.fnmatch_lines(
        [
            "FAILED docs/a.md:15 - docs/a.md:15: expected 'two', got 'one' (+1 more)",
            "FAILED docs/s.md:2 - docs/s.md:2: exit status: expected 0, got 1",
            "FAILED docs/x.md:2 - docs/x.md:2: got an extra line 'b'",
        ]
    )


def test_the_diff_is_coloured_when_pytest_colours(pytester: pytest.Pytester) -> None:
    write(pytester.path, {"docs/a.md": SAMPLE})

    coloured = pytester.runpytest("--txtest", "docs", "--color=yes").stdout.str()
    plain = pytester.runpytest("--txtest", "docs", "--color=no").stdout.str()

    assert "\x1b[31m-two\x1b[0m" in coloured
    assert "\x1b[32m+one\x1b[0m" in coloured
    assert "\x1b[" not in plain
    assert FAILURE_TEXT in plain
