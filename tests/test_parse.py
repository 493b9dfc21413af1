"""Tests for txtest.parse: Markdown and cram documents to blocks, commands and errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from txtest.errors import InputError
from txtest.model import (
    DEFAULT_LANGS,
    NO_DIRECTIVES,
    Block,
    Command,
    Directives,
    DocFormat,
    Document,
    FileFixture,
    Location,
    Span,
    TermMode,
)
from txtest.parse import parse_document, read_document, split_lines

FIXTURES = Path(__file__).parent / "fixtures" / "parse"
KNOWN = (
    "known: skip, timeout=SECONDS, session=NAME, term=auto|render|strip|raw, file=PATH, "
    "keys=K1,K2,..., screen, size=COLSxROWS"
)
SECONDS = ": give a positive number of seconds, e.g. timeout=5 or timeout=0.5"
SESSION = ": give a name of letters, digits, '_', '.' or '-', e.g. session=server"

Summary = tuple[int, str, tuple[str, ...], int, Span]


def parse_fixture(name: str, langs: tuple[str, ...] = DEFAULT_LANGS) -> Document:
    """Read a fixture document, named by its file name."""
    return read_document(FIXTURES / name, name, langs)


def parse_text(text: str, name: str = "doc.md", langs: tuple[str, ...] = DEFAULT_LANGS) -> Document:
    """Parse a document given as text."""
    return parse_document(text, name, Path(name), langs)


def input_error(text: str, name: str = "doc.md") -> str:
    """The message a user sees for a document that cannot be used."""
    with pytest.raises(InputError) as caught:
        parse_text(text, name)
    return str(caught.value)


def summary(command: Command) -> Summary:
    """A command as (line, source, expected, exit status, expected span)."""
    return (
        command.location.line,
        command.source,
        command.expected,
        command.exit_status,
        command.expected_span,
    )


def summaries(block: Block) -> list[Summary]:
    """Every command of a block, summarised."""
    return [summary(command) for command in block.commands]


def only_block(document: Document) -> Block:
    """The single block of a document."""
    (block,) = document.blocks
    return block


def console(body: str) -> str:
    """A Markdown document holding one console block with body (lines 2...)."""
    return f"```console\n{body}```\n"


# Lines


def test_split_lines_breaks_only_where_markdown_it_does() -> None:
    text = "a\r\nb\rc\nd\x0be\x0cf\x1cg\x85h\u2028i\u2029j\n"
    assert split_lines(text) == ["a", "b", "c", "d\x0be\x0cf\x1cg\x85h\u2028i\u2029j"]


@pytest.mark.parametrize(
    ("text", "lines"),
    [("", []), ("a", ["a"]), ("a\n", ["a"]), ("a\n\n", ["a", ""]), ("\n", [""])],
)
def test_split_lines_at_the_end_of_the_text(text: str, lines: list[str]) -> None:
    assert split_lines(text) == lines


def test_unicode_line_separators_do_not_shift_line_numbers() -> None:
    document = parse_text("a\x0bb\u2028c\x85d\n```console\n$ echo \u2028\n```\n")
    block = only_block(document)
    assert str(block.location) == "doc.md:2"
    assert summaries(block) == [(3, "echo \u2028", (), 0, Span(3, 3))]


# Commands inside a block (SPEC §3.2)


def test_top_level_block_location_span_and_prefix() -> None:
    block = only_block(parse_fixture("basic.md"))
    assert str(block.location) == "basic.md:5"
    assert block.span == Span(4, 39)
    assert block.prefix == ""
    assert not block.hidden
    assert block.directives == NO_DIRECTIVES


def test_commands_expected_lines_and_exit_statuses() -> None:
    block = only_block(parse_fixture("basic.md"))
    assert summaries(block) == [
        (7, "echo hello", ("hello",), 0, Span(7, 8)),
        (9, "printf 'a\\nb\\n'", ("a", "b"), 0, Span(9, 11)),
        (13, "false", (), 1, Span(13, 14)),
        (16, "cat <<EOF\none\n\ntwo\nEOF", ("one", "", "two"), 0, Span(20, 23)),
        (24, "quiet() { return 3; }", (), 0, Span(24, 24)),
        (25, "quiet", ("out",), 3, Span(25, 28)),
        (31, "echo '[256]'", ("[256]",), 0, Span(31, 32)),
        (35, "echo last", ("last",), 0, Span(35, 36)),
    ]


def test_lone_dollar_ends_output_and_what_follows_is_ignored() -> None:
    block = only_block(
        parse_text(console("$ echo a\na\n$\nignored\n$ \t\nignored too\n$ echo b\n"))
    )
    assert summaries(block) == [
        (2, "echo a", ("a",), 0, Span(2, 3)),
        (8, "echo b", (), 0, Span(8, 8)),
    ]


def test_continuation_only_while_bash_would_wait() -> None:
    text = console("> before any command\n$ echo 'a\n>\n> b'\na\n> not a continuation\n")
    block = only_block(parse_text(text))
    assert summaries(block) == [
        (3, "echo 'a\n\nb'", ("a", "> not a continuation"), 0, Span(5, 7)),
    ]


def test_a_complete_command_keeps_its_prompt_lines_as_output() -> None:
    # npm prints `> pkg@1.0 build` right after the command
    text = console("$ npm run build\n> pkg@1.0 build\n> tsc\n")
    assert summaries(only_block(parse_text(text))) == [
        (2, "npm run build", ("> pkg@1.0 build", "> tsc"), 0, Span(2, 4)),
    ]


@pytest.mark.parametrize(
    ("body", "source", "expected"),
    [
        ("$ echo a \\\n    b\na b\n", "echo a \\\n    b", ("a b",)),
        ("$ cat <<EOF\nx\n> y\nEOF\nx\ny\n", "cat <<EOF\nx\ny\nEOF", ("x", "y")),
        ("$ if true\nthen echo t\nfi\nt\n", "if true\nthen echo t\nfi", ("t",)),
        ("$ echo 'open\n$ echo next\nnext\n", "echo 'open", ()),
    ],
)
def test_an_incomplete_command_continues_on_plain_lines(
    body: str, source: str, expected: tuple[str, ...]
) -> None:
    command = only_block(parse_text(console(body))).commands[0]
    assert (command.source, command.expected) == (source, expected)


def test_a_long_here_document_is_joined_whole() -> None:
    lines = [f"line {n}" for n in range(30)]
    body = "$ cat <<'EOF'\n" + "\n".join(f"> {line}" for line in lines) + "\n> EOF\nout\n"
    command = only_block(parse_text(console(body))).commands[0]
    assert command.source == "cat <<'EOF'\n" + "\n".join(lines) + "\nEOF"
    assert command.expected == ("out",)


def test_cram_continues_every_prompt_line_after_a_command() -> None:
    doc = parse_text("  $ echo a\n  > echo b\n  a\n  > c\n", "t.t")
    command = only_block(doc).commands[0]
    assert (command.source, command.expected) == ("echo a\necho b", ("a", "> c"))


def test_command_expecting_nothing_has_an_empty_span_after_its_last_line() -> None:
    block = only_block(parse_text(console("$ for i in 1\n> do :\n> done\n\n\n$ true\n")))
    assert summaries(block) == [
        (2, "for i in 1\ndo :\ndone", (), 0, Span(4, 4)),
        (7, "true", (), 0, Span(7, 7)),
    ]


def test_blank_lines_before_exit_status_are_not_expected_output() -> None:
    block = only_block(parse_text(console("$ false\n\n[1]\n\n")))
    # the span starts right after the command, so an update replaces the blank line too
    assert summaries(block) == [(2, "false", (), 1, Span(2, 4))]


def test_leading_blank_expected_lines_are_kept() -> None:
    block = only_block(parse_text(console("$ printf '\\na\\n'\n\na\n")))
    assert summaries(block) == [(2, "printf '\\na\\n'", ("", "a"), 0, Span(2, 4))]


@pytest.mark.parametrize(
    ("last", "expected", "status"),
    [
        ("[0]", (), 0),
        ("[2]", (), 2),
        ("[255]", (), 255),
        ("[7] ", (), 7),
        ("[256]", ("[256]",), 0),
        ("[01]", ("[01]",), 0),
        ("[-1]", ("[-1]",), 0),
        ("[ 1]", ("[ 1]",), 0),
        (" [1]", (" [1]",), 0),
        ("[1] (re)", ("[1] (re)",), 0),
    ],
)
def test_exit_status_line(last: str, expected: tuple[str, ...], status: int) -> None:
    command = only_block(parse_text(console(f"$ cmd\n{last}\n"))).commands[0]
    assert (command.expected, command.exit_status) == (expected, status)
    assert command.expected_span == Span(2, 3)


def test_exit_status_only_as_the_last_expected_line() -> None:
    command = only_block(parse_text(console("$ cmd\n[1]\nmore\n"))).commands[0]
    assert (command.expected, command.exit_status) == (("[1]", "more"), 0)


def test_expected_lines_keep_their_pattern_markers() -> None:
    text = console("$ ls\nfile.* (glob)\n[0-9]+ (re)\n...\nsize: [..]\n\\x1b (esc)\n")
    command = only_block(parse_text(text)).commands[0]
    assert command.expected == ("file.* (glob)", "[0-9]+ (re)", "...", "size: [..]", "\\x1b (esc)")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("# T\n\n```console\n$ echo\nok\n([a-z (re)\n```\n", 6),
        ("<!-- txtest\n$ echo\n([a-z (re)\n-->\n", 3),
    ],
)
def test_bad_regex_is_an_input_error_at_its_line(text: str, line: int) -> None:
    message = input_error(text)
    assert message.startswith(f"doc.md:{line}: error: expected output line: bad regex ")
    assert "([a-z" in message


def test_bad_regex_after_the_exit_status_is_dropped_is_still_checked() -> None:
    assert input_error(console("$ x\n(( (re)\n\n[1]\n")).startswith("doc.md:3: error: ")


# Which blocks (SPEC §3.1)


def test_console_words_match_case_insensitively_and_others_are_ignored() -> None:
    document = parse_fixture("langs.md")
    assert [block.location.line for block in document.blocks] == [3, 7, 11, 15, 19]
    assert [block.commands[0].source for block in document.blocks] == [
        "echo console",
        "echo shell-session",
        "echo sh-session",
        "echo terminal",
        "echo txtest",
    ]


def test_lang_list_replaces_the_default_words() -> None:
    document = parse_fixture("langs.md", langs=("SH", "bash"))
    assert [block.commands[0].source for block in document.blocks] == ["echo sh", "echo bash"]


def test_only_the_first_info_word_counts() -> None:
    assert parse_text("```bash console\n$ echo\n```\n").items == ()


def test_document_without_transcripts_has_no_items() -> None:
    assert parse_text("# Title\n\n    $ indented code\n").items == ()


# Containers (lists, block quotes) and fences


@pytest.mark.parametrize(
    ("index", "line", "span", "prefix", "command"),
    [
        (0, 5, Span(4, 8), "   ", (6, "echo in list", ("in list",), 0, Span(6, 7))),
        (1, 12, Span(11, 15), "> ", (13, "echo quoted", ("quoted",), 0, Span(13, 14))),
        (2, 19, Span(18, 22), ">   ", (20, "echo nested", ("nested",), 0, Span(20, 21))),
        (3, 25, Span(24, 28), "  ", (26, "echo tilde", ("tilde",), 0, Span(26, 27))),
    ],
)
def test_blocks_in_lists_and_block_quotes(
    index: int, line: int, span: Span, prefix: str, command: Summary
) -> None:
    blocks = parse_fixture("containers.md").blocks
    assert len(blocks) == 4
    block = blocks[index]
    assert (block.location, block.span, block.prefix) == (
        Location("containers.md", line),
        span,
        prefix,
    )
    assert summaries(block) == [command]


def test_block_quote_blank_lines_are_empty_expected_lines() -> None:
    block = only_block(parse_text("> ```console\n> $ printf 'a\\n\\nb\\n'\n> a\n>\n> b\n> ```\n"))
    assert summaries(block) == [(2, "printf 'a\\n\\nb\\n'", ("a", "", "b"), 0, Span(2, 5))]
    assert block.prefix == "> "


def test_prefix_falls_back_to_the_fence_line() -> None:
    # markdown-it turns NUL into U+FFFD, so the content line no longer ends the source line.
    block = only_block(parse_text("1. ```console\n   $ echo \x00\n   ```\n"))
    assert block.prefix == "   "


def test_unterminated_fences_are_closed_by_their_container_or_the_document() -> None:
    first, second = parse_fixture("unterminated.md").blocks
    assert (str(first.location), first.span, first.prefix) == (
        "unterminated.md:1",
        Span(0, 3),
        "> ",
    )
    assert summaries(first) == [(2, "echo quoted", ("quoted",), 0, Span(2, 3))]
    assert (str(second.location), second.span) == ("unterminated.md:7", Span(6, 9))
    assert summaries(second) == [(8, "echo open", ("open",), 0, Span(8, 9))]


def test_fence_without_final_newline() -> None:
    block = only_block(parse_text("```console\n$ echo a\na"))
    assert (block.span, summaries(block)) == (Span(0, 3), [(2, "echo a", ("a",), 0, Span(2, 3))])


# Reading files: encodings and line endings


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_other_line_endings_give_the_same_blocks_and_line_numbers(
    tmp_path: Path, newline: str
) -> None:
    source = (FIXTURES / "basic.md").read_text(encoding="utf-8")
    (tmp_path / "basic.md").write_bytes(source.replace("\n", newline).encode())
    document = read_document(tmp_path / "basic.md", "basic.md")
    assert document.items == parse_fixture("basic.md").items
    assert str(document.blocks[0].commands[-1].location) == "basic.md:35"


def test_byte_order_mark_is_ignored_and_keeps_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "bom.md"
    path.write_bytes(b"\xef\xbb\xbf```console\n$ echo hi\nhi\n```\n")
    block = only_block(read_document(path, "bom.md"))
    assert str(block.location) == "bom.md:1"
    assert summaries(block) == [(2, "echo hi", ("hi",), 0, Span(2, 3))]


def test_document_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.md"
    path.write_bytes(b"# Caf\xc3\xa9\r\n\r\nna\xefve\n")
    with pytest.raises(InputError) as caught:
        read_document(path, "docs/latin1.md")
    assert str(caught.value) == (
        "docs/latin1.md:3: error: not valid UTF-8 (byte 0xef); save the document as UTF-8"
    )


def test_missing_document_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        read_document(tmp_path / "missing.md", "missing.md")
    assert str(caught.value) == (
        "missing.md: error: cannot read the document: No such file or directory"
    )


def test_directory_is_an_unreadable_document(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        read_document(tmp_path, "docs")
    assert str(caught.value) == "docs: error: cannot read the document: Is a directory"


@pytest.mark.parametrize(
    ("name", "format"),
    [("a.t", DocFormat.CRAM), ("a.md", DocFormat.MARKDOWN), ("notes.txt", DocFormat.MARKDOWN)],
)
def test_format_follows_the_suffix(name: str, format: DocFormat) -> None:
    document = parse_text("", name)
    assert (document.format, document.display, document.path) == (format, name, Path(name))


# Hidden commands (SPEC §3.3)


def test_hidden_comments_are_blocks() -> None:
    blocks = parse_fixture("hidden.md").blocks
    assert [(str(b.location), b.hidden, b.span, b.prefix) for b in blocks] == [
        ("hidden.md:3", True, Span(2, 9), ""),
        ("hidden.md:13", True, Span(12, 15), "> "),
        ("hidden.md:21", True, Span(20, 23), "  "),
    ]
    assert [summaries(block) for block in blocks] == [
        [
            (4, "export GREETING=hi", (), 0, Span(4, 4)),
            (5, 'echo "$GREETING"', ("hi",), 0, Span(5, 8)),
        ],
        [(14, "echo quoted", ("quoted",), 0, Span(14, 15))],
        [(22, "cd /", (), 0, Span(22, 22))],
    ]


def test_hidden_comment_keeps_blank_lines_inside() -> None:
    block = only_block(parse_text("<!-- txtest\n$ printf 'a\\n\\nb\\n'\na\n\nb\n-->\n"))
    assert summaries(block) == [(2, "printf 'a\\n\\nb\\n'", ("a", "", "b"), 0, Span(2, 5))]


@pytest.mark.parametrize(
    "text",
    ["Intro.\n\n<!-- txtest\n$ echo a\n", "Intro.\n\n- <!-- txtest\n  $ echo a\n-->\n"],
)
def test_unclosed_hidden_comment_is_an_input_error(text: str) -> None:
    assert input_error(text) == (
        "doc.md:3: error: the hidden-command comment '<!-- txtest' is not closed: "
        "end it with '-->' (inside the same list item or block quote)"
    )


@pytest.mark.parametrize(
    "text",
    [
        "<!-- txtest skip -->\n",
        "<!-- txtest: skip --> and more\n",
        "<!--txtest\n$ echo\n-->\n",
        "<!-- txtest -->\n",
    ],
)
def test_malformed_txtest_comment_is_an_input_error(text: str) -> None:
    assert input_error("Intro.\n\n" + text) == (
        "doc.md:3: error: malformed txtest comment: write directives as "
        "'<!-- txtest: WORD ... -->' with nothing after '-->', or hidden commands "
        "as a line '<!-- txtest', the commands, then '-->'"
    )


def test_other_comments_are_ignored() -> None:
    text = "<!-- txtest-lint: off -->\n\n<!-- note: txtest: skip -->\n\n" + console("$ a\n")
    assert only_block(parse_text(text)).directives == NO_DIRECTIVES


# Directives (SPEC §3.4)


def test_directives_apply_to_the_next_block() -> None:
    document = parse_fixture("directives.md")
    assert [(str(item.location), item.directives) for item in document.blocks] == [
        ("directives.md:5", Directives(skip=True, line=3)),
        ("directives.md:13", Directives(timeout=2.5, session="server-1", line=9)),
        ("directives.md:20", Directives(term=TermMode.STRIP, session="other", line=17)),
        ("directives.md:29", NO_DIRECTIVES),
    ]
    assert len(document.items) == 4


def test_skipped_block_is_still_a_block() -> None:
    blocks = parse_fixture("directives.md").blocks
    assert [(block.skipped, block.session) for block in blocks] == [
        (True, None),
        (False, "server-1"),
        (False, "other"),
        (False, None),
    ]


def test_skip_on_a_hidden_comment() -> None:
    block = only_block(parse_text("<!-- txtest: skip -->\n<!-- txtest\n$ echo\n-->\n"))
    assert (block.hidden, block.skipped, block.directives.line) == (True, True, 1)


@pytest.mark.parametrize("mode", list(TermMode))
def test_each_term_mode(mode: TermMode) -> None:
    block = only_block(parse_text(f"<!-- txtest: term={mode.value} -->\n" + console("$ a\n")))
    assert block.directives.term is mode


@pytest.mark.parametrize(("value", "seconds"), [("5", 5.0), ("0.5", 0.5), (".25", 0.25)])
def test_timeout_values(value: str, seconds: float) -> None:
    block = only_block(parse_text(f"<!-- txtest: timeout={value} -->\n" + console("$ a\n")))
    assert block.directives.timeout == seconds


def test_directive_comment_may_span_lines() -> None:
    text = "<!-- txtest:\n  skip\n  session=s\n-->\n\n" + console("$ a\n")
    assert only_block(parse_text(text)).directives == Directives(skip=True, session="s", line=1)


@pytest.mark.parametrize(
    ("words", "message"),
    [
        ("skp", f"unknown directive 'skp'; {KNOWN}"),
        ("color=never", f"unknown directive 'color'; {KNOWN}"),
        ("skip=yes", "'skip' takes no value: write skip, not skip=yes"),
        ("timeout=abc", "timeout=abc" + SECONDS),
        ("timeout=0", "timeout=0" + SECONDS),
        ("timeout=-1", "timeout=-1" + SECONDS),
        ("timeout=inf", "timeout=inf" + SECONDS),
        ("timeout=1e3", "timeout=1e3" + SECONDS),
        ("timeout=1" + "0" * 400, "timeout=1" + "0" * 400 + SECONDS),
        ("timeout", "timeout" + SECONDS),
        ("term=foo", "term=foo: give one of auto, render, strip, raw, e.g. term=strip"),
        ("term=RAW", "term=RAW: give one of auto, render, strip, raw, e.g. term=strip"),
        ("session=", "session=" + SESSION),
        ("session=a/b", "session=a/b" + SESSION),
        ("skip skip", "directive 'skip' is given twice: keep one"),
        ("session=a session=b", "directive 'session' is given twice: keep one"),
        ("", f"this directive comment names no directive; {KNOWN}"),
    ],
)
def test_directive_errors_name_the_directive_line(words: str, message: str) -> None:
    text = f"# Title\n\n<!-- txtest: {words} -->\n\n" + console("$ a\n")
    assert input_error(text) == f"doc.md:3: error: {message}"


def test_same_directive_in_two_comments_names_both_lines() -> None:
    text = "<!-- txtest: skip -->\n\n<!-- txtest: timeout=1 skip -->\n" + console("$ a\n")
    assert (
        input_error(text)
        == "doc.md:3: error: directive 'skip' is given twice (also on line 1): keep one"
    )


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("# Title\n\n<!-- txtest: skip -->\n\nProse only.\n", 3),
        ("# Title\n\n<!-- txtest: skip -->\n\n    $ indented code is no fence\n", 3),
        (console("$ a\n") + "\n<!-- txtest: skip -->\n", 5),
        ("<!-- txtest: skip -->\n<!-- txtest: term=raw -->\n", 1),
    ],
)
def test_directive_without_a_block_is_an_input_error(text: str, line: int) -> None:
    assert input_error(text) == (
        f"doc.md:{line}: error: this directive comment applies to nothing: "
        "no fenced block or '<!-- txtest' comment follows it"
    )


def test_directives_on_other_blocks_are_spent_there() -> None:
    text = "<!-- txtest: skip -->\n```python\npass\n```\n\n" + console("$ a\n")
    document = parse_text(text)
    assert len(document.items) == 1
    assert document.blocks[0].directives == NO_DIRECTIVES


# File fixtures


def test_file_directive_turns_other_blocks_into_fixtures() -> None:
    items = parse_fixture("fixtures.md").items
    assert items[0] == FileFixture(Location("fixtures.md", 3), "config/app.toml", 'name = "demo"\n')
    assert items[1] == FileFixture(
        Location("fixtures.md", 8), "./notes.txt", "line one\n\nline three\n"
    )
    assert isinstance(items[2], Block)
    assert str(items[2].location) == "fixtures.md:16"
    assert items[3] == FileFixture(Location("fixtures.md", 21), "data/../plain.txt", "quoted\n")
    assert len(items) == 4


def test_file_fixture_of_an_unterminated_fence_keeps_its_content() -> None:
    (item,) = parse_text("<!-- txtest: file=a.txt -->\n```\nno final newline").items
    assert item == FileFixture(Location("doc.md", 1), "a.txt", "no final newline")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "/etc/passwd",
            "file=/etc/passwd is an absolute path: give one relative to the work directory",
        ),
        ("../x", "file=../x climbs above the work directory: give a path below it"),
        ("a/../../x", "file=a/../../x climbs above the work directory: give a path below it"),
        ("..", "file=.. climbs above the work directory: give a path below it"),
        ("", "file needs a relative path, e.g. file=config.toml"),
        (".", "file=. names a directory: give a file's path, e.g. file=data/input.txt"),
        ("out/", "file=out/ names a directory: give a file's path, e.g. file=data/input.txt"),
    ],
)
def test_bad_file_paths(value: str, message: str) -> None:
    text = f"# Title\n\n<!-- txtest: file={value} -->\n```toml\nx = 1\n```\n"
    assert input_error(text) == f"doc.md:3: error: {message}"


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("<!-- txtest: file=a.txt -->\n\n```console\n$ a\n```\n", "the console block at line 3"),
        (
            "<!-- txtest: file=a.txt -->\n\n<!-- txtest\n$ a\n-->\n",
            "the hidden-command comment at line 3",
        ),
    ],
)
def test_file_directive_on_a_transcript_is_an_input_error(text: str, what: str) -> None:
    assert input_error(text) == (
        f"doc.md:1: error: file= cannot apply to {what}: it writes the content of a "
        "non-console block (such as ```toml) to a file"
    )


def test_file_error_names_the_comment_holding_file() -> None:
    text = "<!-- txtest: skip -->\n<!-- txtest: file=a.txt -->\n" + console("$ a\n")
    assert input_error(text).startswith("doc.md:2: error: file= cannot apply to the console block")


# cram (SPEC §9)


def test_cram_runs_of_indented_lines_are_blocks() -> None:
    document = parse_fixture("basic.t")
    assert document.format is DocFormat.CRAM
    assert [(str(b.location), b.span, b.prefix, b.hidden) for b in document.blocks] == [
        ("basic.t:3", Span(2, 10), "  ", False),
        ("basic.t:12", Span(11, 21), "  ", False),
    ]
    assert len(document.items) == 2


def test_cram_commands_and_exact_expected_output() -> None:
    first, second = parse_fixture("basic.t").blocks
    assert summaries(first) == [
        (3, "echo hello", ("hello",), 0, Span(3, 4)),
        (5, "printf 'a\\n\\nb\\n'", ("a", "", "b"), 0, Span(5, 8)),
        (9, "false", (), 1, Span(9, 10)),
    ]
    assert summaries(second) == [
        (13, "cat <<EOF\nx\n\nEOF", ("x", ""), 0, Span(16, 18)),
        (19, "echo '$'", ("$", "[256]"), 0, Span(19, 21)),
    ]


def test_cram_keeps_trailing_empty_lines_so_the_status_line_must_be_last() -> None:
    block = only_block(parse_text("  $ false\n  [1]\n  \n", "t.t"))
    assert summaries(block) == [(1, "false", ("[1]", ""), 0, Span(1, 3))]


def test_cram_markdown_syntax_is_plain_comment() -> None:
    text = "<!-- txtest: skip -->\n```console\n$ echo not cram\n```\n  $ echo cram\n"
    block = only_block(parse_text(text, "t.t"))
    assert (block.directives, summaries(block)) == (
        NO_DIRECTIVES,
        [(5, "echo cram", (), 0, Span(5, 5))],
    )


def test_cram_bad_regex_is_no_input_error() -> None:
    # as in cram, it matches only its own text (SPEC §9)
    block = only_block(parse_text("Comment.\n  $ echo\n  (( (re)\n", "t.t"))
    assert block.commands[0].expected == ("(( (re)",)


def test_cram_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "crlf.t"
    path.write_bytes(b"Comment.\r\n  $ echo a\r\n  a\r\n")
    block = only_block(read_document(path, "crlf.t"))
    assert summaries(block) == [(2, "echo a", ("a",), 0, Span(2, 3))]
