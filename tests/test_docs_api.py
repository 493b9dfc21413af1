"""docs/python-api.md shows the example files of tests/examples/ as they are, so every
Python example on the page is run by pytest (its console blocks are run by txtest)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent
PAGE = ROOT / "docs" / "python-api.md"
EXAMPLES = ROOT / "tests" / "examples"
_FILE_DIRECTIVE = "<!-- txtest: file="


def python_blocks(text: str) -> list[tuple[str, str]]:
    """Each ```python block's code, with the line before its fence."""
    blocks = []
    for match in re.finditer(r"^```python\n(.*?)^```$", text, re.MULTILINE | re.DOTALL):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        blocks.append((before, match[1]))
    return blocks


def test_every_python_example_is_an_example_file_or_a_file_the_page_runs() -> None:
    examples = {path.read_text(): path.name for path in EXAMPLES.glob("*.py")}
    shown = []
    for before, code in python_blocks(PAGE.read_text()):
        if before.startswith(_FILE_DIRECTIVE):
            continue  # written by the page, run by its console block
        assert code in examples, f"not a file of tests/examples/:\n{code}"
        shown.append(examples[code])
    assert sorted(shown) == sorted(examples.values()), "every example file is on the page"
