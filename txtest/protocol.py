"""The bash side of the protocol: the init script, and the line that runs one command.

Pure: text in, bytes out. session.py writes these to bash's command pipe.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from txtest.prompt import Sentinel


def init_script(cwd: Path, sentinel: Sentinel) -> bytes:
    """session_init.sh, for a shell starting in cwd with this sentinel prompt."""
    # beside this module: importlib.resources would cost more to import than to read
    text = Path(__file__).with_name("session_init.sh").read_text("utf-8")
    text = text.replace("@CWD@", shlex.quote(str(cwd)))
    return text.replace("@SENTINEL@", sentinel.ps1).encode()


def command_line(source: str, redirect: bytes = b"", *, terminal_input: bool = False) -> bytes:
    """The line that runs one command (session_init.sh says why each piece is there).

    The text is a $'...' word, parsed by bash alone, so nothing is appended
    to it; the backslashes keep aliases off the session's own words. An
    empty line follows text that might be unfinished (Session._frame).
    Its stdin is empty, or the terminal for an interactive command (SPEC §11).
    """
    text = ansi_c_quote(source.encode("utf-8", "surrogateescape"))
    return (
        (b"\\__txtest_int; " if terminal_input else b"")
        + b'POSIXLY_CORRECT=y \\eval "\\__txtest_ret $__txtest_s'
        + b"${__txtest_k[__txtest_s>0]}\"$'\\n'"
        + text
        + (b" </dev/tty" if terminal_input else b" </dev/null")
        + redirect
        + b"; \\__txtest_fin $?"
        + (b"; \\__txtest_unint" if terminal_input else b"")
        + b"\n"
        + (b"\n" if might_be_unfinished(source) else b"")
    )


_PLAIN = re.compile(r"[\w./=:,+@%^ -]*")
_RESERVED = frozenset(
    [
        "if",
        "then",
        "else",
        "elif",
        "fi",
        "case",
        "esac",
        "for",
        "select",
        "while",
        "until",
        "do",
        "done",
        "function",
        "time",
        "{",
        "}",
        "[[",
        "]]",
        "!",
    ]
)


def terminal_line(columns: int, rows: int, term: str) -> bytes:
    """The line that gives the session a terminal size, and a TERM ("" puts the caller's back).

    It leaves the status, `$?` of the next command, as it was.
    """
    size = b"%d %d " % (columns, rows)
    return (
        b"\\__txtest_size " + size + shlex.quote(term).encode() + b"; \\__txtest_fin $__txtest_s\n"
    )


def might_be_unfinished(source: str) -> bool:
    """False only for text bash surely parses to its end: plain words, no reserved word.

    An unfinished command needs a quote, a backslash, a bracket, an operator
    or a reserved word; anything else is one simple command.
    """
    return _PLAIN.fullmatch(source) is None or not _RESERVED.isdisjoint(source.split())


def ansi_c_quote(data: bytes) -> bytes:
    """Spell bytes as a bash $'...' word holding only printable ASCII (no `!` either).

    bash ends the word's string at a NUL, as it ends any string there.
    """
    return b"$'" + _UNSAFE.sub(_octal, data) + b"'"


_UNSAFE = re.compile(rb"[^\x20-\x7e]|['\\!]")


def _octal(match: re.Match[bytes]) -> bytes:
    return b"\\%03o" % match[0][0]
