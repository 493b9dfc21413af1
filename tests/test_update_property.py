"""Property test of update mode over generated documents (SPEC §7.1).

Documents hold prose, console fences (plain, in a block quote, in a list),
other fences, hidden-command comments, or cram blocks, with LF, CRLF or CR
line endings, a final newline or not. Commands print known bytes (`printf` of
octal escapes, so the command line itself holds nothing special) and exit with
known statuses; expected lines are drawn from the output, plain text, patterns,
blank lines and `[N]`. After an update: bytes outside the rewritten expected
output are as they were, the updated result reads like the new file, a plain
run passes, and a second update changes nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from txtest.compare import compare_command
from txtest.matchers import PatternError, compile_line
from txtest.model import DocFormat, DocumentResult, RunOptions, Span
from txtest.parse import read_document
from txtest.runner import run_document
from txtest.update import split_rows, update_document

EXAMPLES = int(os.environ.get("TXTEST_HYPOTHESIS_EXAMPLES", "250"))
OPTIONS = RunOptions(timeout=10.0)

# Pieces of output lines: plain characters and the spellings update mode must handle.
OUTPUT_PIECES = st.sampled_from(
    [
        *"abcxyz 019.*?-()[]\\",
        "$ ",
        "> ",
        "$",
        ">",
        "```",
        "~~~",
        "-->",
        "[1]",
        "[255]",
        "[..]",
        "...",
        " (re)",
        " (glob)",
        " (esc)",
        " (no-eol)",
        "\t",
        "\x1b[31m",
        "\x1b[0m",
        "\xff",
        "é",
    ]
)
# Expected lines as an author writes them: they never start a command, a continuation
# or a fence, nor close a comment (that would be another document, not a wrong one).
EXPECTED_TEXT = st.text(alphabet="abcxyz 019.*-[]", max_size=8)
PATTERNS = st.sampled_from(
    ["...", ".* (re)", "[a-z]+ (re)", "* (glob)", "a* (glob)", "[..]", "a[..]", "\\x1b (esc)"]
)


@st.composite
def output_lines(draw: st.DrawFn) -> tuple[str, ...]:
    """The lines a command prints (the last one may lack its newline)."""
    count = draw(st.integers(0, 3))
    return tuple("".join(draw(st.lists(OUTPUT_PIECES, max_size=4))) for _ in range(count))


def printf(text: str) -> str:
    """A printf command printing exactly text's bytes (é as UTF-8, \\xff as a raw byte)."""
    data = text.encode("latin-1", "ignore") if "\xff" in text else text.encode()
    return "printf '" + "".join(f"\\{byte:03o}" for byte in data) + "'"


@st.composite
def commands(draw: st.DrawFn) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A command (its source lines) and the lines it prints, as expected lines are drawn."""
    lines = draw(output_lines())
    no_eol = bool(lines) and draw(st.booleans())
    text = "\n".join(lines) + ("" if no_eol or not lines else "\n")
    status = draw(st.sampled_from([0, 0, 0, 1, 2, 255]))
    parts = [printf(text)] if text else []
    if status:
        parts.append(f"(exit {status})")
    source = "; ".join(parts) or "true"
    if len(parts) == 1 and len(text) > 1 and draw(st.booleans()):
        # The same output from two lines joined by a continuation.
        half = len(text) // 2
        source_lines: tuple[str, ...] = (printf(text[:half]), printf(text[half:]))
    else:
        source_lines = (source,)
    return source_lines, draw(expected_lines(lines, status))


@st.composite
def expected_lines(draw: st.DrawFn, lines: tuple[str, ...], status: int) -> tuple[str, ...]:
    """Expected lines an author might have written for this output (right or wrong)."""
    choices = [EXPECTED_TEXT, PATTERNS, st.just("")]
    safe = [line for line in lines if _authorable(line)]
    if safe:
        choices.append(st.sampled_from(safe))
    written = draw(st.lists(st.one_of(choices), max_size=4))
    if draw(st.booleans()):
        written.append(f"[{draw(st.sampled_from([status, 0, 1, 3]))}]")
    written += [""] * draw(st.integers(0, 2))
    return tuple(written)


def _authorable(line: str) -> bool:
    """Whether an output line can be written back as is without becoming something else."""
    if line.startswith(("$", ">", "`", "~")) or "-->" in line:
        return False
    try:
        compile_line(line)
    except PatternError:
        return False
    return True


def transcript(source: tuple[str, ...], expected: tuple[str, ...]) -> list[str]:
    """A command's lines as written in a block, without any prefix."""
    return ["$ " + source[0], *("> " + line for line in source[1:]), *expected]


@st.composite
def console_block(draw: st.DrawFn) -> list[str]:
    """A console fence, maybe in a block quote or a list, maybe under a directive."""
    fence = draw(st.sampled_from(["```", "~~~", "````"]))
    body: list[str] = []
    for source, expected in draw(st.lists(commands(), min_size=1, max_size=2)):
        body += transcript(source, expected)
    inner = [fence + draw(st.sampled_from(["console", "console title", "txtest"])), *body, fence]
    container = draw(st.sampled_from(["", "> ", "- "]))
    if container == "> ":
        inner = [("> " + line).rstrip(" ") for line in inner]
    elif container == "- ":
        inner = ["- " + inner[0], *(("  " + line) if line else "" for line in inner[1:])]
    if draw(st.booleans()):
        return ["<!-- txtest: term=raw -->", *inner]
    return inner


@st.composite
def hidden_block(draw: st.DrawFn) -> list[str]:
    """A hidden-command comment, `-->` on its own line."""
    body: list[str] = []
    for source, expected in draw(st.lists(commands(), min_size=1, max_size=2)):
        body += transcript(source, expected)
    return ["<!-- txtest", *body, "-->"]


@st.composite
def other_block(draw: st.DrawFn) -> list[str]:
    """A fence that is never run, holding what looks like a transcript."""
    lines = draw(st.lists(st.sampled_from(["$ echo hi", "hi", "", "[1]"]), max_size=3))
    return ["```" + draw(st.sampled_from(["sh", "", "python"])), *lines, "```"]


PROSE = st.lists(
    st.sampled_from(["Some prose.", "# A heading", "", "* a list item", "Text with `code`."]),
    min_size=1,
    max_size=2,
)


@st.composite
def markdown_lines(draw: st.DrawFn) -> list[str]:
    """The lines of a Markdown document: prose and blocks, blank lines between them."""
    lines: list[str] = []
    parts = st.one_of(console_block(), hidden_block(), other_block(), PROSE)
    for part in draw(st.lists(parts, min_size=1, max_size=3)):
        lines += [*part, ""]
    return lines


@st.composite
def cram_lines(draw: st.DrawFn) -> list[str]:
    """The lines of a cram document: comments and runs of two-space lines."""
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 2))):
        lines.append(draw(st.sampled_from(["A comment.", "", "Another one:"])))
        for source, expected in draw(st.lists(commands(), min_size=1, max_size=3)):
            lines += ["  " + line for line in transcript(source, expected)]
    return lines


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, bytes]:
    """A document's suffix and bytes."""
    cram = draw(st.integers(0, 3)) == 0
    lines = draw(cram_lines() if cram else markdown_lines())
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    final = newline if draw(st.booleans()) else ""
    bom = "\ufeff" if draw(st.integers(0, 9)) == 0 else ""
    return (".t" if cram else ".md"), (bom + newline.join(lines) + final).encode()


def outside(data: bytes, spans: list[Span]) -> tuple[list[tuple[str, str]], bool]:
    """The rows outside spans (the last one's line ending left out), and the final newline."""
    text = data.decode()
    rows = split_rows(text)
    inside = {index for span in spans for index in range(span.start, span.end)}
    kept = [row for index, row in enumerate(rows) if index not in inside]
    if kept:
        kept[-1] = (kept[-1][0], "")
    return kept, text.endswith(("\n", "\r"))


def rewritable(result: DocumentResult) -> list[int]:
    """Indexes (in document order) of the commands update mode may rewrite."""
    results = [command for block in result.blocks for command in block.commands]
    return [
        i for i, command in enumerate(results) if not command.is_ok and command.run.lost is None
    ]


def spans(result: DocumentResult, indexes: list[int]) -> list[Span]:
    """The expected-output ranges of some commands: from the line after the command."""
    commands = [command for block in result.document.blocks for command in block.commands]
    chosen = [commands[index] for index in indexes]
    return [
        Span(command.location.line + command.source.count("\n"), command.expected_span.end)
        for command in chosen
    ]


def replay(path: Path, first: DocumentResult) -> tuple[DocumentResult, bool]:
    """The document as now written, held against the first run's output.

    Every generated command prints the same bytes and exits the same way each
    time, so this is what a plain run would find, without a second bash.
    """
    document = read_document(path, path.name)
    cram = document.format is DocFormat.CRAM
    runs = [command.run for block in first.blocks for command in block.commands]
    commands = [command for block in document.blocks for command in block.commands]
    assert [command.source for command in commands] == [
        command.command.source for block in first.blocks for command in block.commands
    ]
    passed = all(
        compare_command(command, run, cram=cram).is_ok
        for command, run in zip(commands, runs, strict=True)
    )
    return DocumentResult(document), passed


# Output lines copied into `(re)` lines may hold `[[`, which Python's re warns about.
@pytest.mark.filterwarnings("ignore:Possible nested set:FutureWarning")
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(documents())
def test_update_rewrites_only_expected_output_and_then_passes(
    tmp_path: Path, document: tuple[str, bytes]
) -> None:
    suffix, data = document
    path = tmp_path / f"doc{suffix}"
    path.write_bytes(data)
    first = run_document(read_document(path, path.name), OPTIONS)
    assert first.error is None
    changed = rewritable(first)
    updated = update_document(first)
    after = path.read_bytes()

    again, passed = replay(path, first)
    assert outside(after, spans(again, changed)) == outside(data, spans(first, changed))
    assert passed
    assert updated.is_ok
    assert updated.document.blocks == again.document.blocks
    assert (updated.update is not None and bool(updated.update.rewritten)) == (after != data)

    assert update_document(updated) is updated
    assert path.read_bytes() == after
