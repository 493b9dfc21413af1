"""Tests for txtest.config and its use by the command: `[tool.txtest]` defaults (SPEC §7)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import PASSING, Workspace, console

from txtest.config import OPTION_TYPES, Config, find_pyproject, load_config
from txtest.errors import InputError


def pyproject(folder: Path, body: str) -> Path:
    """Write folder/pyproject.toml; return it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pyproject.toml"
    path.write_text(body, encoding="utf-8")
    return path


# -- finding and reading ------------------------------------------------------------------


def test_no_pyproject(tmp_path: Path) -> None:
    assert find_pyproject(tmp_path) is None
    assert load_config(tmp_path) == Config()


def test_nearest_pyproject_wins(tmp_path: Path) -> None:
    pyproject(tmp_path, '[tool.txtest]\nshell = "outer"\n')
    inner = pyproject(tmp_path / "a", '[tool.txtest]\nshell = "inner"\n')
    start = tmp_path / "a" / "b" / "c"
    start.mkdir(parents=True)
    assert find_pyproject(start) == inner
    config = load_config(start)
    assert config.source == inner
    assert config.defaults == {"shell": "inner"}


def test_nearest_pyproject_without_the_table(tmp_path: Path) -> None:
    pyproject(tmp_path, '[tool.txtest]\nshell = "outer"\n')
    inner = pyproject(tmp_path / "a", '[project]\nname = "x"\n')
    config = load_config(tmp_path / "a")
    assert config.defaults == {}
    assert config.paths == ()
    assert config.source == inner


def test_a_pyproject_folder_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "a" / "pyproject.toml").mkdir(parents=True)
    pyproject(tmp_path, '[tool.txtest]\nshell = "outer"\n')
    assert find_pyproject(tmp_path / "a") == tmp_path / "pyproject.toml"


def test_every_option_key(tmp_path: Path) -> None:
    (tmp_path / "work").mkdir()
    pyproject(
        tmp_path,
        "[tool.txtest]\n"
        "update = true\n"
        "jobs = 3\n"
        "fail_fast = true\n"
        "timeout = 2.5\n"
        'shell = "/bin/bash"\n'
        'lang = ["console", "shell"]\n'
        'workdir = "work"\n'
        "keep_tmp = true\n"
        'term = "raw"\n'
        'color = "never"\n'
        "verbose = true\n"
        "quiet = false\n"
        "list = true\n"
        'junit_xml = "out/report.xml"\n'
        'max_output = "1G"\n'
        'log = "out/audit.jsonl"\n'
        'paths = ["docs", "README.md"]\n',
    )
    config = load_config(tmp_path)
    assert dict(config.defaults) == {
        "update": True,
        "jobs": "3",
        "fail_fast": True,
        "timeout": 2.5,
        "shell": "/bin/bash",
        "lang": "console,shell",
        "workdir": "work",
        "keep_tmp": True,
        "term": "raw",
        "color": "never",
        "verbose": True,
        "quiet": False,
        "list": True,
        "junit_xml": os.path.join("out", "report.xml"),
        "max_output": "1G",
        "log": os.path.join("out", "audit.jsonl"),
    }
    assert config.paths == ("docs", "README.md")
    assert set(config.defaults) == set(OPTION_TYPES)


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ('jobs = "auto"', "auto"),
        ("timeout = 3", 3),
        ('lang = "console,txtest"', "console,txtest"),
    ],
)
def test_other_accepted_types(tmp_path: Path, line: str, value: object) -> None:
    pyproject(tmp_path, f"[tool.txtest]\n{line}\n")
    key = line.split(" ")[0]
    assert load_config(tmp_path).defaults == {key: value}


def test_paths_relative_to_the_pyproject_folder(tmp_path: Path) -> None:
    pyproject(
        tmp_path,
        "[tool.txtest]\n"
        'paths = ["docs", "README.md"]\n'
        'workdir = "sandbox"\n'
        'junit_xml = "reports/junit.xml"\n',
    )
    start = tmp_path / "docs" / "guide"
    start.mkdir(parents=True)
    (tmp_path / "sandbox").mkdir()
    config = load_config(start)
    assert config.paths == ("..", os.path.join("..", "..", "README.md"))
    assert config.defaults["workdir"] == os.path.join("..", "..", "sandbox")
    assert config.defaults["junit_xml"] == os.path.join("..", "..", "reports", "junit.xml")
    for path in config.paths:
        assert (start / path).resolve() in (tmp_path / "docs", tmp_path / "README.md")


@pytest.mark.parametrize("key", ["bogus", "timeout_seconds", "fail-fast", "keyword", "k"])
def test_unknown_key(tmp_path: Path, key: str) -> None:
    path = pyproject(tmp_path, f"[tool.txtest]\n{key} = 1\n")
    with pytest.raises(InputError) as raised:
        load_config(tmp_path)
    assert raised.value.path == "pyproject.toml"  # as shown: relative to where txtest runs
    assert path.is_file()
    assert f"'{key}'" in str(raised.value)
    assert str(raised.value).startswith(f"pyproject.toml: error: unknown key '{key}'")


@pytest.mark.parametrize(
    "line",
    [
        'timeout = "5"',
        "timeout = true",
        "update = 1",
        'update = "yes"',
        "verbose = 0",
        "shell = 1",
        "shell = true",
        "jobs = 2.5",
        "jobs = true",
        "lang = 1",
        "lang = [1, 2]",
        "workdir = []",
        'paths = "docs"',
        "paths = [1]",
        "color = false",
        "term = 3",
        "list = []",
        "junit_xml = false",
        "keep_tmp = {}",
    ],
)
def test_wrong_type(tmp_path: Path, line: str) -> None:
    path = pyproject(tmp_path, f"[tool.txtest]\n{line}\n")
    key = line.split(" ")[0]
    with pytest.raises(InputError) as raised:
        load_config(tmp_path)
    assert str(raised.value).startswith(f"{path.name}: error: ")
    assert key in raised.value.message


@pytest.mark.parametrize("body", ["[tool.txtest\n", "[tool]\ntxtest = 1\n", "x = = 1\n"])
def test_unreadable_pyproject(tmp_path: Path, body: str) -> None:
    path = pyproject(tmp_path, body)
    with pytest.raises(InputError) as raised:
        load_config(tmp_path / "sub")
    assert raised.value.path == os.path.join("..", path.name)


# -- the command line ---------------------------------------------------------------------


def test_paths_used_when_none_given(ws: Workspace) -> None:
    pyproject(ws.root, '[tool.txtest]\npaths = ["docs", "extra.md"]\n')
    ws.write("docs/a.md", PASSING)
    ws.write("docs/b.md", PASSING)
    ws.write("extra.md", PASSING)
    ws.write("other.md", console("$ false"))
    run = ws.run()
    assert run.status == 0, run.stdout + run.stderr
    assert run.summary == "3 passed, 0 failed"
    named = ws.run("other.md")
    assert named.summary == "0 passed, 1 failed", "a PATH on the command line wins"


def test_paths_resolved_against_the_pyproject_folder(ws: Workspace) -> None:
    pyproject(ws.root, '[tool.txtest]\npaths = ["docs"]\ntimeout = 0.5\n')
    ws.write("docs/a.md", PASSING)
    ws.write("docs/guide/b.md", console("$ sleep 5"))
    run = ws.run(cwd=ws.root / "docs" / "guide")
    assert run.status == 1, run.stdout + run.stderr
    assert "timed out after 0.5 s" in run.stdout
    assert run.summary == "1 passed, 1 failed"


def test_command_line_wins(ws: Workspace) -> None:
    pyproject(
        ws.root,
        "[tool.txtest]\n"
        'lang = "shell"\n'
        'term = "raw"\n'
        'color = "always"\n'
        "timeout = 0.5\n"
        'jobs = "auto"\n',
    )
    ws.write(
        "a.md",
        console("$ printf '\\033[1mbold\\033[0m\\n'", "bold")
        + console("$ sleep 0.8; false", info="shell"),
    )
    from_config = ws.run("a.md")
    assert from_config.status == 1
    assert "timed out after 0.5 s" in from_config.stdout
    assert "\x1b[" in from_config.stdout
    assert from_config.summary == "0 passed, 1 failed"
    run = ws.run(
        "--lang", "console", "--term", "render", "--color", "never", "--timeout", "5", "a.md"
    )
    assert run.status == 0, run.stdout
    assert "\x1b" not in run.stdout
    assert run.summary == "1 passed, 0 failed"


@pytest.mark.parametrize(
    ("setting", "option", "shown"),
    [
        ("verbose = true", "-q", "1 passed, 0 failed\n"),
        (
            "quiet = true",
            "-v",
            "a.md:2: ok $ echo fine\na.md: 1 passed, 0 failed\n1 passed, 0 failed\n",
        ),
    ],
    ids=["verbose-then-q", "quiet-then-v"],
)
def test_command_line_verbosity_wins(ws: Workspace, setting: str, option: str, shown: str) -> None:
    pyproject(ws.root, f"[tool.txtest]\n{setting}\n")
    ws.write("a.md", PASSING)
    run = ws.run(option, "a.md")
    run.assert_clean()
    assert run.status == 0, run.stderr
    assert run.stdout == shown


@pytest.mark.parametrize(
    ("setting", "effect"),
    [
        ("verbose = true", "a.md:2: ok $ echo fine"),
        ("quiet = true", None),
        ("list = true", "a.md:1: block"),
        ("keep_tmp = true", "a.md: kept work dir "),
        ('shell = "/bin/bash"', None),
    ],
)
def test_options_from_pyproject(ws: Workspace, setting: str, effect: str | None) -> None:
    pyproject(ws.root, f"[tool.txtest]\n{setting}\n")
    ws.write("a.md", PASSING)
    run = ws.run("a.md")
    assert run.status == 0, run.stderr
    if effect is not None:
        assert any(line.startswith(effect) for line in run.lines), run.stdout
    if setting == "quiet = true":
        assert run.stdout == "1 passed, 0 failed\n"


def test_workdir_from_pyproject_is_relative_to_it(ws: Workspace) -> None:
    pyproject(ws.root, '[tool.txtest]\nworkdir = "sandbox"\n')
    (ws.root / "sandbox").mkdir()
    ws.write("docs/a.md", console("$ basename $PWD", "sandbox"))
    run = ws.run("a.md", cwd=ws.root / "docs")
    assert run.status == 0, run.stdout + run.stderr


def test_update_from_pyproject(ws: Workspace) -> None:
    pyproject(ws.root, "[tool.txtest]\nupdate = true\n")
    doc = ws.write("a.md", console("$ echo new", "old"))
    run = ws.run("a.md")
    assert run.status == 0, run.stdout
    assert doc.read_text() == console("$ echo new", "new")


def test_fail_fast_from_pyproject(ws: Workspace) -> None:
    pyproject(ws.root, "[tool.txtest]\nfail_fast = true\n")
    ws.write("a.md", console("$ false"))
    ws.write("b.md", PASSING)
    run = ws.run("a.md", "b.md")
    assert run.summary == "0 passed, 1 failed"


def test_junit_xml_from_pyproject(ws: Workspace) -> None:
    pyproject(ws.root, '[tool.txtest]\njunit_xml = "report.xml"\n')
    ws.write("docs/a.md", PASSING)
    run = ws.run("a.md", cwd=ws.root / "docs")
    assert run.status == 0, run.stderr
    assert (ws.root / "report.xml").is_file()
    assert not (ws.root / "docs" / "report.xml").exists()


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("[tool.txtest]\nbogus = 1", "'bogus'"),
        ('[tool.txtest]\ntimeout = "soon"', "timeout"),
        ("[tool.txtest]\ntimeout = inf", "timeout = inf"),
        ("[tool.txtest]\ntimeout = nan", "timeout = nan"),
        ("[tool.txtest]\ntimeout = 0", "timeout = 0"),
        ("[tool.txtest]\ntimeout = -3", "timeout = -3"),
        ("[tool.txtest]\njobs = 0", "jobs = 0"),
        ('[tool.txtest]\njobs = "many"', "jobs = 'many'"),
        ('[tool.txtest]\nterm = "fancy"', "term = 'fancy'"),
        ('[tool.txtest]\ncolor = "pink"', "color = 'pink'"),
        ("[tool.txtest]\nlang = []", "lang = []"),
        ('[tool.txtest]\nworkdir = "no-such-dir"', "workdir = 'no-such-dir'"),
        ('[tool.txtest]\npaths = "docs"', "paths"),
        ("tool = 3", "tool = 3"),
        ("[tool]\ntxtest = 3", "tool.txtest = 3"),
        ("[tool.txtest\n", "not valid TOML"),
    ],
)
def test_bad_pyproject_is_an_input_error(ws: Workspace, body: str, named: str) -> None:
    pyproject(ws.root, f"{body}\n")
    ws.write("a.md", PASSING)
    run = ws.run("a.md")
    assert run.status == 2
    assert run.stderr.startswith("pyproject.toml: error: ") and named in run.stderr
    assert run.stdout == ""
    run.assert_clean()


def test_a_pyproject_that_is_not_utf8_is_an_input_error(ws: Workspace) -> None:
    (ws.root / "pyproject.toml").write_bytes(b'[tool.txtest]\nshell = "\xff"\n')
    ws.write("a.md", PASSING)
    run = ws.run("a.md")
    assert run.status == 2
    assert run.stderr == "pyproject.toml: error: not valid UTF-8 (byte 0xff); save it as UTF-8\n"
    run.assert_clean()


def test_unknown_key_names_the_pyproject(ws: Workspace) -> None:
    path = pyproject(ws.root, "[tool.txtest]\nbogus = 1\n")
    ws.write("a.md", PASSING)
    run = ws.run("a.md", cwd=ws.root)
    assert run.stderr.startswith(f"{path.name}: error: unknown key 'bogus' in [tool.txtest]")


def test_help_and_version_with_a_pyproject(ws: Workspace) -> None:
    pyproject(ws.root, "[tool.txtest]\nverbose = true\n")
    assert ws.run("--version").status == 0
    assert ws.run("--help").status == 0


def test_a_flag_set_in_pyproject_can_be_turned_off_on_the_command_line(ws: Workspace) -> None:
    pyproject(ws.root, "[tool.txtest]\nupdate = true\n")
    doc = ws.write("a.md", console("$ echo actual", "stale"))
    run = ws.run("--no-update", "a.md", cwd=ws.root)
    assert run.status == 1 and run.summary == "0 passed, 1 failed"
    assert "stale" in doc.read_text()
    updated = ws.run("a.md", cwd=ws.root)
    assert updated.status == 0 and "actual" in doc.read_text()
