"""What the runner tells a listener while a document runs, for the live view of the CLI.

Events are small frozen values so that a -j worker can send them through its
pipe as they happen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from txtest.model import BlockResult, CommandResult, Location


class CommandStarted(NamedTuple):
    """A command was handed to its session and is running from `started` on."""

    location: Location
    """The command's `$` line."""
    first_line: str
    """The first line of the command (all a status line can show; small to send)."""
    block: int
    """1-based number of the command's block in its document."""
    blocks: int
    """How many blocks the document has."""
    started: float
    """time.monotonic() when it started (the same clock in every process)."""


class CommandDone(NamedTuple):
    """A command finished and was compared."""

    result: CommandResult
    reported: bool = True
    """False for a block run only to build the state of a selected one (SPEC §7)."""
    skipped: bool = False
    """Its block is skipped: the session ended with exit status 80 (by this command,
    or earlier, when this one never ran)."""


class BlockDone(NamedTuple):
    """A block was run (or skipped) and judged."""

    result: BlockResult


# a dataclass, not a NamedTuple like the others: an empty tuple is false, and equal to ()
@dataclass(frozen=True, slots=True)
class DocumentDone:
    """A document's result is in (sent by the pool, which knows which document)."""


RunEvent = CommandStarted | CommandDone | BlockDone | DocumentDone
Listener = Callable[[RunEvent], None]
