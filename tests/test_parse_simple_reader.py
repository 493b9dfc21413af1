"""Documents must be read exactly as markdown-it reads them.

Simple documents are read without markdown-it at all, the rest with it: either
way, the fences and HTML blocks found must be those of a full CommonMark parse.
"""

from __future__ import annotations

import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from txtest.parse import _Context, _simple_fences, _tokens, split_lines

LONG = 300
PIECES = [
    "para\n",
    "> quote\n",
    "- item\n",
    "\n",
    "<div>\n",
    "<!--\n",
    "-->\n",
    "    indented\n",
    "```console\n$ echo x\n" + "x\n" * LONG + "```\n",
    "~~~~\n" + "a\n" * LONG + "~~~\n" + "b\n" * 3 + "~~~~\n",
    "```\n" + "```` \n" * 2,
    "   ```x\n" + "y\n" * LONG + "```\n",
    "```\n" + "z\n" * LONG,
    "```a`b\n" + "c\n" * LONG + "```\n",
    "- ```\n" + "  d\n" * LONG + "  ```\n",
    "```\r\n" + "e\r\n" * LONG + "```\r\n",
    "```\n" + "nul\0\n" * LONG + "```\n",
]
SIMPLE_PIECES = [
    "# Title\n",
    "#hash tag\n",
    "Some text\n",
    "text with `code` and <b>tags</b>\n",
    "\n",
    " \t\n",
    "```console\n$ echo x\nx\n```\n",
    "```console  extra words \n$ true\n```   \n",
    "~~~ console\n$ echo '```'\n```\n~~~\n",
    "````\n```\n````\n",
    "```\n   ```\n",
    "```\n    ```\nstill inside\n```\n",
    "```\n\t```\n```\n",
    "```sh\n$ ls\n",
    "```\r\n$ x\r\n```\r\n",
    "```a`b\n```\n",
    "===\n",
    "1. item\n",
    "  ```\nindented\n```\n",
    "last line without newline",
    # not simple: each must send the document to markdown-it
    "<div>\n",
    "> quote\n",
    "- item\n",
    "    indented code\n",
    "<!-- txtest: skip -->\n",
]


def shape(tokens: object) -> list[tuple[object, ...]]:
    assert isinstance(tokens, list | tuple)
    return [
        (t.type, t.map, t.content, t.info, t.level, t.markup)
        for t in tokens
        if t.type in ("fence", "html_block")
    ]


def context(text: str) -> _Context:
    return _Context("t.md", split_lines(text), ())


def full(text: str) -> list[tuple[object, ...]]:
    return shape(MarkdownIt("commonmark").parse(text))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=6))
def test_any_document_reads_as_a_full_parse(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert shape(_tokens(text, context(text))) == full(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(SIMPLE_PIECES), min_size=1, max_size=8))
def test_simple_reading_equals_full_parse(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert shape(_tokens(text, context(text))) == full(text)


def test_a_simple_document_is_read_without_markdown_it() -> None:
    text = "# Title\n\nSome text.\n\n```console\n$ echo hi\nhi\n```\n"
    fences = _simple_fences(text, split_lines(text))
    assert fences is not None and [(f.map, f.info, f.content) for f in fences] == [
        ([4, 8], "console", "$ echo hi\nhi\n")
    ]
    code = (
        "import sys\nfrom pathlib import Path\nfrom txtest.parse import parse_document\n"
        f"doc = parse_document({text!r}, 'a.md', Path('a.md'))\n"
        "print(len(doc.blocks), 'markdown_it' in sys.modules)\n"
    )
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert ran.stdout.split() == ["1", "False"]


def test_a_list_makes_the_document_not_simple() -> None:
    text = "- item\n\n```console\n$ true\n```\n"
    assert _simple_fences(text, split_lines(text)) is None


def test_a_long_fence_keeps_its_lines_and_body() -> None:
    text = "- x\n\n```console\n$ seq 3\n" + "1\n" * LONG + "```\nafter\n"
    fence = next(t for t in _tokens(text, context(text)) if t.type == "fence")
    assert fence.map == [2, LONG + 5]
    assert fence.content == "$ seq 3\n" + "1\n" * LONG
