"""Long fences are parsed without their body: the tokens must be those of a full parse."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from txtest.parse import _tokens, split_lines

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


def shape(text: str) -> list[tuple[object, ...]]:
    return [
        (t.type, t.map, t.content, t.info, t.level, t.markup)
        for t in _tokens(text, split_lines(text))
    ]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=6))
def test_skeleton_parse_equals_full_parse(pieces: list[str]) -> None:
    text = "".join(pieces)
    full = [
        (t.type, t.map, t.content, t.info, t.level, t.markup)
        for t in MarkdownIt("commonmark").parse(text)
    ]
    assert shape(text) == full


def test_a_long_fence_keeps_its_lines_and_body() -> None:
    text = "# t\n\n```console\n$ seq 3\n" + "1\n" * LONG + "```\nafter\n"
    fence = next(t for t in _tokens(text, split_lines(text)) if t.type == "fence")
    assert fence.map == [2, LONG + 5]
    assert fence.content == "$ seq 3\n" + "1\n" * LONG
