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
    text = text.replace("@FIRST@", f"{sentinel.first}\\072")
    text = text.replace("@SECOND@", f"\\072{sentinel.second}")
    return text.replace("@SENTINEL@", sentinel.ps1).encode()


def command_line(source: str, redirect: bytes = b"", *, terminal_input: bool = False) -> bytes:
    """The line that runs one command (session_init.sh says why each piece is there).

    The text is a $'...' word, parsed by bash alone; the backslashes keep
    aliases off the session's own words. Only after text that surely parses to
    its end does the session's statement that reads the status share the
    eval, on a line of its own. An empty line follows text that might be
    unfinished (Session._frame). Its stdin is empty, or the terminal for an
    interactive command (SPEC §11).
    """
    text = ansi_c_quote(source.encode("utf-8", "surrogateescape"))
    unfinished = might_be_unfinished(source)
    if terminal_input:
        body = text + b" </dev/tty; \\__txtest_fin $?; \\__txtest_unint"
    elif not redirect and (not unfinished or parses_to_its_end(source)):
        # The eval then ends with 0: an ERR trap runs for a failing command
        # once, not a second time for the eval.
        body = text + b"$'\\n\\\\__txtest_fin $?' </dev/null"
    else:
        body = text + b" </dev/null" + redirect + b"; \\__txtest_fin $?"
    return (
        (b"\\__txtest_int; " if terminal_input else b"")
        + _HEAD
        + body
        + b"\n"
        + (b"\n" if unfinished else b"")
    )


def prompts_after(line: bytes) -> int:
    """How many prompts bash draws for a command line: two when an empty line follows it."""
    return 2 if line.endswith(b"\n\n") else 1


_HEAD = b"POSIXLY_CORRECT=y \\eval \"\\__txtest_ret $__txtest_s${__txtest_k[__txtest_s>0]}\"$'\\n'"
"""What every command line starts with, up to the command's text."""
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
        "coproc",
        "time",
        "{",
        "}",
        "[[",
        "]]",
        "!",
    ]
)
"""bash's reserved words: each may open (or close) a compound command."""


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


def parses_to_its_end(source: str) -> bool:
    """False unless bash surely reads the text as whole commands, ending where it ends.

    Then a line after it is a command of its own: the text holds no here-document,
    comment, `{` group or reserved word, its quotes and brackets close, no line of it
    ends with `\\`, and it does not end with `|`, `|&` or `&&`. Anything else may
    be unfinished (or wrong), and the session then runs nothing of its own inside
    the same eval.
    """
    if _MAY_OPEN.search(source) or _OPEN_END.search(source):
        return False
    if source.endswith("\\") or "\\\n" in source:  # a line joined to the next
        return False
    return _closes(source)


_WORDS = "|".join(re.escape(word) for word in sorted(_RESERVED))
_MAY_OPEN = re.compile(rf"[`{{}}#]|<<|\$\[|\(\s*\)|(?:^|[\s;&|<>()])(?:{_WORDS})(?=$|[\s;&|<>()])")
"""What may leave text open: a backquote, a brace, a comment, a here-document, `$[`,
a function's `()`, a reserved word."""
_OPEN_END = re.compile(r"(?:\|&?|&&)\s*\Z")


_OPENER_OF = {"]": "[", ")": "("}


def _closes(text: str) -> bool:
    """Whether every quote ('...', "...", $'...'), `(` and `[` opened in text is closed.

    (bash reads `name[` at the start of a word as an array subscript, to its `]`.)
    """
    quote = ""
    escaped = dollar = False
    opened: list[str] = []
    for char in text:
        literal = escaped
        if escaped:
            escaped = False
        elif quote == "'":
            quote = "" if char == "'" else quote
        elif char == "\\":
            escaped = True
        elif quote:
            if quote == '"' and dollar and char == "(":
                return False  # a substitution in "...": its own quotes and parentheses
            quote = "" if char == quote[-1] else quote
        elif char in "'\"":
            quote = "$'" if dollar and char == "'" else char
        elif char in "[(":
            opened.append(char)
        elif char in _OPENER_OF and (not opened or opened.pop() != _OPENER_OF[char]):
            return False
        dollar = char == "$" and not literal and quote in ("", '"')
    return not quote and not escaped and not opened


def ansi_c_quote(data: bytes) -> bytes:
    """Spell bytes as a bash $'...' word holding only printable ASCII (no `!` either).

    bash ends the word's string at a NUL, as it ends any string there.
    """
    return b"$'" + _UNSAFE.sub(_octal, data) + b"'"


_UNSAFE = re.compile(rb"[^\x20-\x7e]|['\\!]")


def _octal(match: re.Match[bytes]) -> bytes:
    return b"\\%03o" % match[0][0]
