"""Whether bash would still wait for more of a command (SPEC §3.2), asked of bash itself.

A terminal shows bash's `> ` prompt only while the command typed so far is
incomplete: an open quote, a here-document not yet ended, an unfinished `if`,
`for`, `case`, `{` or `(`, a trailing `|`, `&&` or `\\`. Guessing that with a
parser of our own would be wrong at the edges, so `bash -n` (which only
parses) decides. Most commands hold none of the characters or words that can
leave one open, and never cost a process.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import subprocess

_MAY_STAY_OPEN = re.compile(
    r"""["'`\\(){}|&]|<<|(?:^|[\s;])(?:if|then|else|elif|for|while|until|do|case|select"""
    r"""|function|coproc|\[\[|!)(?=$|[\s;])"""
)
"""What can leave a command open; a command without any of it is complete."""
_AT_END_OF_FILE = ("unexpected end of file", "unexpected EOF")
_OPEN_HERE_DOCUMENT = "delimited by end-of-file"
_PROBE = "\nfi"
"""Joined to a line ending in `\\`, this is an argument; on a line of its own, an error."""
_AT_ONCE = 16
"""Most `bash -n` processes running at one time."""
_PARSE_TIMEOUT = 10.0


def incomplete(commands: Sequence[str]) -> list[bool]:
    """For each command (lines joined with newlines): would bash wait for another line?"""
    verdicts = [False] * len(commands)
    asked = [index for index, text in enumerate(commands) if _MAY_STAY_OPEN.search(text)]
    if not asked:
        return verdicts
    outcomes = _parse([commands[index] for index in asked])
    continued: list[int] = []
    for index, (status, errors) in zip(asked, outcomes, strict=True):
        if any(marker in errors for marker in _AT_END_OF_FILE) or _OPEN_HERE_DOCUMENT in errors:
            verdicts[index] = True
        elif status == 0 and commands[index].endswith("\\"):
            continued.append(index)
    if continued:
        probes = _parse([commands[index] + _PROBE for index in continued])
        for index, (status, _) in zip(continued, probes, strict=True):
            verdicts[index] = status == 0
    return verdicts


def _parse(scripts: Sequence[str]) -> list[tuple[int, str]]:
    """`bash -n` on each script: its exit status and what it wrote to stderr.

    The processes run side by side, a few at a time. Where bash cannot be run,
    every script reads as complete (exit status -1).
    """
    import subprocess  # here: most documents never need it, and start-up counts

    bash = shutil.which("bash")
    if bash is None:
        return [(-1, "")] * len(scripts)
    env = {"PATH": os.environ.get("PATH", os.defpath), "LC_ALL": "C"}
    results: list[tuple[int, str]] = []
    for start in range(0, len(scripts), _AT_ONCE):
        batch = scripts[start : start + _AT_ONCE]
        processes: list[subprocess.Popen[bytes] | None] = []
        for _ in batch:
            try:
                processes.append(
                    subprocess.Popen(
                        [bash, "--norc", "--noprofile", "-n"],
                        stdin=subprocess.PIPE,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE,
                        env=env,
                    )
                )
            except OSError:
                processes.append(None)
        results.extend(
            _outcome(process, script) for process, script in zip(processes, batch, strict=True)
        )
    return results


def _outcome(process: subprocess.Popen[bytes] | None, script: str) -> tuple[int, str]:
    """Give a `bash -n` process its script; its exit status and stderr (-1: no verdict)."""
    import subprocess

    if process is None:
        return -1, ""
    try:
        _, errors = process.communicate(
            (script + "\n").encode("utf-8", "surrogateescape"), timeout=_PARSE_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return -1, ""
    return process.returncode, errors.decode("utf-8", "replace")
