"""-i: after each failing block, show it and ask whether to accept its actual output (SPEC §7).

Accepted blocks are rewritten as -u rewrites them, and only those. The answers
are `y`, `n`, `a` (this block and all the rest, without asking again) and `q`
(no more; the run stops after this document).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from txtest.model import DocumentResult, Location
from txtest.report import NORMAL, VERBOSE, format_block_report

QUESTION = "accept the actual output of this block? [y]es, [n]o, [a]ll the rest, [q]uit (n): "


@dataclass(slots=True)
class Reviewer:
    """The answers so far, and where the next ones are read from."""

    stdin: TextIO
    accept_all: bool = False
    quit: bool = False

    def accepts(self, write: Callable[[str], None]) -> bool:
        """Ask about the block just shown, unless `a` or `q` already answered for it."""
        while not (self.accept_all or self.quit):
            write(QUESTION)
            line = self.stdin.readline()
            if not line:  # end of input (Ctrl-D): as `q`
                write("\n")
            answer = line.strip().lower() or ("n" if line else "q")
            if answer in ("y", "yes"):
                return True
            if answer in ("n", "no"):
                return False
            self.accept_all = answer in ("a", "all")
            self.quit = answer in ("q", "quit")
        return self.accept_all


def review_document(
    result: DocumentResult,
    reviewer: Reviewer,
    write: Callable[[str], None],
    *,
    color: bool,
    verbosity: int,
    langs: tuple[str, ...],
) -> DocumentResult:
    """Write each block's report, asking after each failing block that update could rewrite;
    rewrite the accepted ones. The result as the file now reads.

    In verbose mode the blocks' lines were written as they ran: a failing block is
    shown again just before its question.
    """
    accepted: list[Location] = []
    for block in result.blocks:
        if verbosity < VERBOSE:
            write(format_block_report(block, color=color, verbosity=verbosity))
        if not block.updatable or reviewer.quit:
            continue
        if verbosity >= VERBOSE:
            write(format_block_report(block, color=color, verbosity=NORMAL))
        if reviewer.accepts(write):
            accepted.append(block.block.location)
    if not accepted:
        return result
    from txtest.update import update_document

    return update_document(result, langs, frozenset(accepted))
