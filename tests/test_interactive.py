"""Tests for txtest.interactive: -i's answers, and which blocks they rewrite.

The same flow through a real terminal is in test_live.py.
"""

from __future__ import annotations

import io
from pathlib import Path

from conftest import console, run_sample

from txtest.interactive import QUESTION, Reviewer, review_document
from txtest.report import NORMAL, VERBOSE


def reviewer(*answers: str) -> tuple[Reviewer, list[str]]:
    """A reviewer reading answers (each a line), and the list its questions are written to."""
    return Reviewer(io.StringIO("".join(answers))), []


def test_y_and_n_answer_one_block_each_enter_is_n() -> None:
    asker, written = reviewer("y\n", "N\n", "\n", "yes\n")
    assert [asker.accepts(written.append) for _ in range(4)] == [True, False, False, True]
    assert written == [QUESTION] * 4


def test_a_accepts_this_and_every_later_block_without_asking() -> None:
    asker, written = reviewer("a\n")
    assert [asker.accepts(written.append) for _ in range(3)] == [True, True, True]
    assert written == [QUESTION]


def test_q_and_end_of_input_refuse_this_and_every_later_block() -> None:
    for answers in (["q\n"], []):
        asker, written = reviewer(*answers)
        assert [asker.accepts(written.append) for _ in range(2)] == [False, False]
        assert asker.quit
        assert written[0] == QUESTION and written.count(QUESTION) == 1


def test_an_unknown_answer_asks_again() -> None:
    asker, written = reviewer("maybe\n", "y\n")
    assert asker.accepts(written.append)
    assert written == [QUESTION, QUESTION]


THREE = console("$ echo a", "x") + console("$ echo b", "x") + console("$ exit 3", "$ echo c", "x")
"""Two blocks update can rewrite, and one whose session is lost."""


def test_review_shows_each_block_asks_about_those_it_could_rewrite_and_writes_the_yes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "r.md"
    result = run_sample(path, THREE)
    asker, written = reviewer("n\n", "y\n")

    reviewed = review_document(
        result, asker, written.append, color=False, verbosity=NORMAL, langs=("console",)
    )

    text = "".join(written)
    assert text.count(QUESTION) == 2, "no question for the lost session"
    assert text.index("r.md:2: FAILED") < text.index(QUESTION) < text.index("r.md:7: FAILED")
    assert "r.md:12: FAILED" in text
    assert path.read_text() == THREE.replace("b\nx", "b\nb")
    assert [block.is_ok for block in reviewed.blocks] == [False, True, False]


def test_review_in_verbose_mode_shows_only_the_blocks_it_asks_about(tmp_path: Path) -> None:
    result = run_sample(tmp_path / "v.md", THREE)
    asker, written = reviewer("n\n", "n\n")

    review_document(
        result, asker, written.append, color=False, verbosity=VERBOSE, langs=("console",)
    )

    text = "".join(written)
    assert "v.md:2: FAILED" in text and "v.md:7: FAILED" in text
    assert "v.md:12" not in text, "its lines were written as it ran"
