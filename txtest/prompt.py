"""The sentinel prompt and the pure reader that cuts a byte stream into command frames.

The prompt is `A:STATUS:BGPID:B`, A and B two halves of a random nonce. PS1
spells its colons as `\\072`, which bash decodes only when it draws the
prompt, so `echo $PS1` or a `set -x` trace never prints the form the reader
looks for, and no command can print it without knowing the nonce.
"""

from __future__ import annotations

import os
import re
from typing import NamedTuple

_JOB_NOTICE = re.compile(rb"^\[[0-9]+\] [0-9]+\r?\n", re.MULTILINE)
# The _OWN_TRACE patterns are kept as text and compiled when first needed (re caches
# them): only a `set -x` trace needs them.
_OWN_TRACE_HEAD = (
    rb"\++ POSIXLY_CORRECT=y\r?\n\++ eval (?s:.*?)\r?\n\++ __txtest_ret ([0-9]+)\r?\n"
    rb"\++ unset POSIXLY_CORRECT\r?\n\++ __txtest_s=\r?\n\++ PS1=.*\r?\n"
    rb"\++ \(\( [0-9]+ == 0 \)\)\r?\n"
)
"""The `set -x` lines of the statements every command line starts with, then..."""
_OWN_TRACE_NONZERO = (
    rb"\++ POSIXLY_CORRECT=y\r?\n\++ __txtest_status [0-9]+\r?\n\++ return [0-9]+\r?\n"
)
"""... after a status other than 0."""
_OWN_TRACE_TAIL = (
    rb"\++ __txtest_fin [0-9]+\r?\n\++ __txtest_s=[0-9]+\r?\n"
    rb"\++ PS1=.*\r?\n\++ PS2=\r?\n\++ PS0=\r?\n\++ PROMPT_COMMAND=\r?\n"
    rb"\++ \[\[ -t 2 \]\]\r?\n\Z"
)
"""The `set -x` lines of the statement every command line ends with."""


class Frame(NamedTuple):
    """One command's output up to its prompt, and the status the prompt carried."""

    output: bytes
    status: int
    """The command's exit status; `$?` when the statement after it did not run."""


class Sentinel(NamedTuple):
    """The session's prompt: how bash is told to draw it, and how it is found."""

    first: str
    second: str

    @classmethod
    def fresh(cls) -> Sentinel:
        """A new nonce of 96 bits in decimal digits, split in two halves.

        Digits, not hex: `stty olcuc` would upper-case the letters of the prompt.
        From os.urandom, as `secrets` draws it, without importing `secrets` (and
        through it hashlib and OpenSSL) at every start.
        """
        nonce = f"{int.from_bytes(os.urandom(12)):029d}"
        return cls(nonce[:14], nonce[14:])

    @property
    def ps1(self) -> str:
        """PS1's text: bash expands the variables and decodes `\\072` when drawing it.

        The status is `$?` where __txtest_fin did not run to set it (session_init.sh).
        """
        fields = "\\072".join(("${__txtest_s:=$?}", "${!-}"))
        return f"{self.first}\\072{fields}\\072{self.second}"

    def pattern(self) -> re.Pattern[bytes]:
        first, second = self.first.encode(), self.second.encode()
        return re.compile(rb"%s:([0-9]+):([0-9]*):%s" % (first, second))


class PromptReader:
    """Bytes in, frames out: holds what came after the last prompt."""

    def __init__(self, sentinel: Sentinel) -> None:
        self._pattern = sentinel.pattern()
        self.pending = bytearray()
        self._searched = 0

    def feed(self, data: bytes) -> None:
        self.pending += data

    def next_frame(self) -> Frame | None:
        """The next complete frame, or None until its prompt has come."""
        match = self._pattern.search(self.pending, max(0, self._searched - 64))
        if match is None:
            self._searched = len(self.pending)
            return None
        output = bytes(self.pending[: match.start()])
        status, background = int(match[1]), bool(match[2])
        del self.pending[: match.end()]
        self._searched = 0
        if background and b"] " in output:
            output = _JOB_NOTICE.sub(b"", output)
        return Frame(strip_own_trace(output), status)

    def take(self) -> bytes:
        """Everything pending (the output of a command that never ended)."""
        output = bytes(self.pending)
        self.pending.clear()
        self._searched = 0
        return strip_own_trace(output)


def strip_own_trace(output: bytes) -> bytes:
    """Drop the `set -x` lines of the session's own statements before and after a command's."""
    if b"__txtest_" not in output:
        return output
    start = 0
    head = re.match(_OWN_TRACE_HEAD, output)
    if head is not None:
        start = head.end()
        if head.group(1) != b"0":
            more = re.compile(_OWN_TRACE_NONZERO).match(output, start)
            start = more.end() if more is not None else start
    tail = re.compile(_OWN_TRACE_TAIL).search(output, start)
    return output[start : tail.start() if tail is not None else len(output)]
