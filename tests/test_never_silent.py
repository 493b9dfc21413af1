"""Documents that once passed with nothing tested, or ended in a traceback (issue 10).

Each is run as a user runs txtest, and what the user sees is checked.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import console, run_txtest, write_doc

from txtest import shell_syntax
from txtest.parse import parse_document

FAILING_BLOCK = "```console\n$ echo actual\nexpected\n```\n"


def nested_list(depth: int, body: str) -> str:
    lines = [f"{'  ' * level}- level {level}\n" for level in range(depth)]
    indent = "  " * depth
    return "".join(lines) + "\n" + "".join(f"{indent}{line}\n" for line in body.splitlines())


def nested_quote(depth: int, body: str) -> str:
    return "".join(f"{'> ' * depth}{line}\n" for line in body.splitlines())


@pytest.mark.parametrize(
    "text",
    [
        nested_list(10, FAILING_BLOCK),
        nested_list(60, FAILING_BLOCK),
        nested_quote(20, FAILING_BLOCK),
        nested_quote(150, FAILING_BLOCK),
        "- a\n\n" + nested_quote(25, FAILING_BLOCK),
    ],
    ids=["list-10", "list-60", "quote-20", "quote-150", "list-quote-25"],
)
def test_a_deeply_nested_block_is_run(tmp_path: Path, text: str) -> None:
    write_doc(tmp_path, "deep.md", text + "\n" + FAILING_BLOCK)
    run = run_txtest("deep.md", cwd=tmp_path)
    run.assert_clean()
    assert (run.status, run.summary) == (1, "0 passed, 2 failed")


def test_nesting_past_the_parser_is_an_input_error_naming_the_line(tmp_path: Path) -> None:
    write_doc(tmp_path, "deeper.md", "Intro.\n\n" + nested_quote(400, FAILING_BLOCK))
    run = run_txtest("deeper.md", cwd=tmp_path)
    run.assert_clean()
    assert run.status == 2
    assert run.stderr.startswith("deeper.md:")
    assert "nest" in run.stderr and "error:" in run.stderr


def test_deep_nesting_without_blocks_is_no_error(tmp_path: Path) -> None:
    write_doc(tmp_path, "prose.md", nested_quote(400, "just words") + "\n" + FAILING_BLOCK)
    run = run_txtest("prose.md", cwd=tmp_path)
    assert (run.status, run.summary) == (1, "0 passed, 1 failed")


BASH_ONLY = "# Install\n\n```bash\n$ make install\n```\n\n```sh\n$ make test\n```\n"


def test_transcripts_in_bash_fences_get_a_note(tmp_path: Path) -> None:
    write_doc(tmp_path, "README.md", BASH_ONLY)
    run = run_txtest("README.md", cwd=tmp_path)
    run.assert_clean()
    assert (run.status, run.summary) == (0, "0 passed, 0 failed")
    (note,) = run.stderr.splitlines()
    assert note.startswith("README.md:3: note: no console block found, but a fence marked ```bash")
    assert "write ```console to run this one" in note
    assert "--lang console,shell-session,shellsession,sh-session,terminal,txtest,bash" in note


def test_no_note_on_other_fences_when_the_run_found_blocks(tmp_path: Path) -> None:
    write_doc(tmp_path, "a.md", BASH_ONLY)
    write_doc(tmp_path, "b.md", console("$ true"))
    run = run_txtest("a.md", "b.md", cwd=tmp_path)
    assert (run.status, run.stderr) == (0, "")


def test_a_console_block_without_a_command_gets_a_note(tmp_path: Path) -> None:
    text = "```console\n# apt install tool\n```\n\n```console\n% make\nok\n```\n" + FAILING_BLOCK
    write_doc(tmp_path, "prompts.md", text)
    run = run_txtest("prompts.md", cwd=tmp_path)
    run.assert_clean()
    assert run.status == 1, "a note never changes the exit status"
    assert [line.split(": note: ")[0] for line in run.stderr.splitlines()] == [
        "prompts.md:1",
        "prompts.md:5",
    ]
    assert "has no '$ ' line, so it runs nothing" in run.stderr


def test_quiet_leaves_the_notes_out(tmp_path: Path) -> None:
    write_doc(tmp_path, "README.md", BASH_ONLY + "\n```console\n# root prompt\n```\n")
    run = run_txtest("-q", "README.md", cwd=tmp_path)
    assert (run.status, run.stderr, run.summary) == (0, "", "0 passed, 0 failed")


@pytest.mark.parametrize("word", ["ShellSession", "shell-session", "sh-session", "terminal"])
def test_github_language_names_run(tmp_path: Path, word: str) -> None:
    write_doc(tmp_path, "a.md", f"```{word}\n$ echo hi\nhi\n```\n")
    run = run_txtest("a.md", cwd=tmp_path)
    assert (run.status, run.summary) == (0, "1 passed, 0 failed")


def test_a_fifo_in_a_walk_is_passed_over_and_named_it_is_an_error(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write_doc(docs, "ok.md", console("$ true"))
    os.mkfifo(docs / "pipe.md")
    walked = run_txtest("docs", cwd=tmp_path, timeout=20)
    assert (walked.status, walked.summary) == (0, "1 passed, 0 failed")
    named = run_txtest("docs/pipe.md", "docs/ok.md", cwd=tmp_path, timeout=20)
    named.assert_clean()
    assert named.status == 2
    assert named.stderr.startswith("docs/pipe.md: error: a FIFO, not a regular file")
    assert named.summary == "1 passed, 0 failed"


def test_a_link_to_dev_zero_is_never_read(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write_doc(docs, "ok.md", console("$ true"))
    (docs / "zero.md").symlink_to("/dev/zero")
    walked = run_txtest("docs", cwd=tmp_path, timeout=20)
    assert (walked.status, walked.summary) == (0, "1 passed, 0 failed")
    named = run_txtest("docs/zero.md", cwd=tmp_path, timeout=20)
    named.assert_clean()
    assert named.status == 2
    assert named.stderr.startswith("docs/zero.md: error: a device, not a regular file")


def test_symlink_loops_are_passed_over_in_a_walk(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write_doc(docs, "ok.md", console("$ true"))
    (docs / "loop.md").symlink_to("loop.md")
    (docs / "sub").mkdir()
    (docs / "sub" / "up").symlink_to("..")
    walked = run_txtest("docs", cwd=tmp_path, timeout=20)
    walked.assert_clean()
    assert (walked.status, walked.stderr, walked.summary) == (0, "", "1 passed, 0 failed")
    named = run_txtest("docs/loop.md", cwd=tmp_path, timeout=20)
    named.assert_clean()
    assert named.status == 2 and named.stderr.startswith("docs/loop.md: error: ")


BAD_SECONDS = ["inf", "nan", "0", "-1", "1e3", "soon"]
GOOD_SECONDS = ["0.5", "2", ".5", "3."]


@pytest.mark.parametrize("value", BAD_SECONDS)
def test_timeout_option_and_directive_refuse_the_same_values(tmp_path: Path, value: str) -> None:
    write_doc(tmp_path, "a.md", console("$ true"))
    option = run_txtest("--timeout", value, "a.md", cwd=tmp_path)
    option.assert_clean()
    assert option.status == 2 and "--timeout" in option.stderr
    write_doc(tmp_path, "b.md", f"<!-- txtest: timeout={value} -->\n" + console("$ true"))
    directive = run_txtest("b.md", cwd=tmp_path)
    directive.assert_clean()
    assert directive.status == 2 and directive.stderr.startswith("b.md:1: error: timeout=")


@pytest.mark.parametrize("value", GOOD_SECONDS)
def test_timeout_option_and_directive_accept_the_same_values(tmp_path: Path, value: str) -> None:
    write_doc(tmp_path, "b.md", f"<!-- txtest: timeout={value} -->\n" + console("$ true"))
    run = run_txtest("--timeout", value, "b.md", cwd=tmp_path)
    assert (run.status, run.summary) == (0, "1 passed, 0 failed")


def test_exit_80_skips_the_block_and_the_rest_of_its_session(tmp_path: Path) -> None:
    text = (
        console("$ echo one", "one")
        + "\n"
        + console("$ command -v no-such-tool-here || exit 80", "$ echo never", "never")
        + "\n"
        + console("$ echo later", "wrong")
        + "\n<!-- txtest: session=other -->\n"
        + console("$ echo other", "other")
    )
    write_doc(tmp_path, "tool.md", text)
    run = run_txtest("-v", "tool.md", cwd=tmp_path)
    run.assert_clean()
    assert run.status == 0
    assert run.summary == "2 passed, 0 failed, 2 skipped"


MULTI_LINE = """\
```console
$ printf '%s\\n' one \\
    two
one
two
$ cat <<EOF
first
> second
EOF
first
second
$ npm run build
> pkg@1.0 build
> tsc
```
"""


def test_readme_style_continuations(tmp_path: Path) -> None:
    write_doc(tmp_path, "README.md", MULTI_LINE)
    (tmp_path / "npm").mkdir()
    npm = write_doc(tmp_path / "npm", "npm", "#!/bin/sh\necho '> pkg@1.0 build'\necho '> tsc'\n")
    npm.chmod(0o755)
    run = run_txtest("README.md", cwd=tmp_path, env={"PATH": f"{npm.parent}:{os.environ['PATH']}"})
    assert (run.status, run.summary) == (0, "1 passed, 0 failed"), run.stdout


def test_simple_commands_never_start_bash_to_be_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(scripts: object) -> list[tuple[int, str]]:
        raise AssertionError("bash -n was run for a command that cannot stay open")

    monkeypatch.setattr(shell_syntax, "_parse", refuse)
    body = "".join(f"$ echo line {n} > out.txt; cat out.txt\nline {n}\n" for n in range(1000))
    document = parse_document(f"```console\n{body}```\n", "w1.md", Path("w1.md"))
    assert len(document.blocks[0].commands) == 1000
