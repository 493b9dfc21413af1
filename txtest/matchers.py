"""Expected-line syntax (SPEC §4) compiled to matchers; matching is pure.

An expected line as written — `TEXT`, `TEXT (re)`, `TEXT (glob)`, `TEXT (esc)`,
any of them with `(no-eol)`, or `...` — becomes an `ExpectedLine` that says
whether one actual line matches it. Actual lines are `str` in which bytes that
were not valid UTF-8 appear as surrogate escapes (U+DC80..U+DCFF).
"""

from __future__ import annotations

import enum
import re
import unicodedata
import warnings
from dataclasses import dataclass, field

_BLANKS = " \t"
_ELLIPSIS = "..."
_WILDCARD = "[..]"
_NO_EOL = "no-eol"

# Control characters other than newline (tab included), DEL, C1 controls and
# surrogates (undecodable bytes arrive as U+DC80..U+DCFF). Compiled when first
# needed (re caches them): a class this wide costs about 0.5 ms, and ASCII
# lines never need it.
_UNPRINTABLE = "[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff]"
_TO_ESCAPE = "[\\\\\x00-\x1f\x7f-\x9f\ud800-\udfff]"
_ESCAPE_SEQUENCE = re.compile(
    r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|N\{[^}]+\}|[0-7]{1,3}|.)", re.DOTALL
)
_SIMPLE_ESCAPES = {
    "\\": "\\",
    "'": "'",
    '"': '"',
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\n": "",
}
_NAMED_CHAR_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\r": "\\r", "\n": "\\n"}


class PatternError(ValueError):
    """An expected line whose pattern cannot be used (a bad regex or escape)."""


class MatchKind(enum.Enum):
    """How an expected line matches actual lines."""

    PLAIN = "plain"
    WILDCARD = "wildcard"
    """A plain line holding `[..]`."""
    RE = "re"
    GLOB = "glob"
    ESC = "esc"
    ELLIPSIS = "ellipsis"


_MARKED_KINDS = {"re": MatchKind.RE, "glob": MatchKind.GLOB, "esc": MatchKind.ESC}


@dataclass(frozen=True, slots=True)
class ExpectedLine:
    """One expected output line, compiled: says whether an actual line matches it."""

    text: str
    """The line as written, markers included."""
    kind: MatchKind = MatchKind.PLAIN
    no_eol: bool = False
    """Marked `(no-eol)`: the output must end right after this line, without a newline."""
    literal: str | None = field(default=None, repr=False, compare=False)
    """The text an actual line must equal, when no pattern is needed."""
    pattern: re.Pattern[str] | None = field(default=None, repr=False, compare=False)
    """The pattern a (stripped) actual line must fullmatch."""
    byte_pattern: re.Pattern[bytes] | None = field(default=None, repr=False, compare=False)
    """For `(esc)` lines with `\\xNN` above 0x7f: the pattern the line's bytes must fullmatch."""

    @property
    def is_ellipsis(self) -> bool:
        """True for a `...` line, which matches zero or more whole lines."""
        return self.kind is MatchKind.ELLIPSIS

    def matches(self, actual: str) -> bool:
        """Whether one actual line (trailing spaces and tabs ignored) matches this line."""
        line = actual.rstrip(_BLANKS)
        if self.kind is MatchKind.ELLIPSIS:
            return True
        if self.literal is not None:
            found = line == self.literal
        elif self.pattern is not None:
            found = self.pattern.fullmatch(line) is not None
        elif self.byte_pattern is not None:
            found = self.byte_pattern.fullmatch(_to_bytes(line)) is not None
        else:
            return False
        return found and (self.kind is MatchKind.ESC or is_printable(line))


def compile_line(text: str) -> ExpectedLine:
    """Compile one expected line as written; a bad pattern raises PatternError."""
    body = text.rstrip(_BLANKS)
    if body == _ELLIPSIS:
        return ExpectedLine(text, MatchKind.ELLIPSIS)
    if is_literal(body):
        return ExpectedLine(text, literal=body)
    body, marker, no_eol = _split_markers(body)
    kind = _MARKED_KINDS.get(marker or "", MatchKind.PLAIN)
    if kind is MatchKind.RE:
        return ExpectedLine(text, kind, no_eol, pattern=_compile_regex(body))
    if kind is MatchKind.GLOB:
        return ExpectedLine(text, kind, no_eol, pattern=_compile_glob(body.rstrip(_BLANKS)))
    if kind is MatchKind.ESC:
        return _compile_esc(text, body, no_eol)
    body = body.rstrip(_BLANKS)
    if _WILDCARD in body:
        return ExpectedLine(text, MatchKind.WILDCARD, no_eol, pattern=_compile_wildcard(body))
    return ExpectedLine(text, kind, no_eol, literal=body)


def is_literal(body: str) -> bool:
    """Whether an expected line (trailing blanks removed) is plain text matching only itself."""
    return not body.endswith(")") and _WILDCARD not in body and body != _ELLIPSIS


def _take_marker(body: str, names: tuple[str, ...]) -> tuple[str, str | None]:
    """Split a trailing ` (NAME)` marker, one of names, off body."""
    for name in names:
        suffix = f" ({name})"
        if body.endswith(suffix):
            return body[: -len(suffix)], name
    return body, None


def _split_markers(body: str) -> tuple[str, str | None, bool]:
    """Split body into TEXT, its re/glob/esc marker, and whether it is marked no-eol."""
    kinds = tuple(_MARKED_KINDS)
    rest, marker = _take_marker(body, (*kinds, _NO_EOL))
    if marker is None:
        return body, None, False
    if marker == _NO_EOL:
        inner, kind = _take_marker(rest.rstrip(_BLANKS), kinds)
        return (inner, kind, True) if kind is not None else (rest, None, True)
    inner, no_eol = _take_marker(rest.rstrip(_BLANKS), (_NO_EOL,))
    return (inner, marker, True) if no_eol is not None else (rest, marker, False)


def _compile_regex(source: str) -> re.Pattern[str]:
    """Compile a `(re)` line's TEXT."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # "possible nested set": noise here
            return re.compile(source)
    except (re.error, OverflowError, RecursionError) as error:
        raise PatternError(f"bad regex {source!r}: {error}") from None


def _compile_glob(source: str) -> re.Pattern[str]:
    """Translate a `(glob)` line's TEXT to a regex."""
    parts: list[str] = []
    index = 0
    while index < len(source):
        char = source[index]
        if char == "\\" and source[index + 1 : index + 2] in ("*", "?", "\\"):
            parts.append(re.escape(source[index + 1]))
            index += 2
            continue
        parts.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
        index += 1
    return re.compile("".join(parts), re.DOTALL)


def _compile_wildcard(source: str) -> re.Pattern[str]:
    """Translate a plain line holding `[..]` to a regex."""
    return re.compile(".*".join(re.escape(part) for part in source.split(_WILDCARD)), re.DOTALL)


def _compile_esc(text: str, source: str, no_eol: bool) -> ExpectedLine:
    """Compile an `(esc)` line: a literal, or a byte pattern when it holds raw bytes."""
    pieces = _strip_pieces(_decode_escapes(source))
    if all(isinstance(piece, str) for piece in pieces):
        literal = "".join(piece for piece in pieces if isinstance(piece, str))
        return ExpectedLine(text, MatchKind.ESC, no_eol, literal=literal)
    pattern = re.compile(b"".join(_byte_piece_pattern(piece) for piece in pieces), re.DOTALL)
    return ExpectedLine(text, MatchKind.ESC, no_eol, byte_pattern=pattern)


def _byte_piece_pattern(piece: str | int) -> bytes:
    """The byte regex for text, or for `\\xNN` (NN > 0x7f): that raw byte or U+00NN."""
    if isinstance(piece, str):
        return re.escape(_to_bytes(piece))
    raw = re.escape(bytes([piece]))
    return b"(?:" + raw + b"|" + re.escape(chr(piece).encode()) + b")"


def _decode_escapes(source: str) -> list[str | int]:
    """Decode Python string escapes; `\\xNN` above 0x7f stays a byte value (int)."""
    pieces: list[str | int] = []
    start = 0
    for match in _ESCAPE_SEQUENCE.finditer(source):
        pieces.append(source[start : match.start()])
        pieces.append(_decode_escape(match.group(1), source, match.start()))
        start = match.end()
    pieces.append(source[start:])
    return pieces


def _decode_escape(code: str, source: str, position: int) -> str | int:
    """Decode one escape (what follows the backslash)."""
    head = code[0]
    if head in "xuU" and len(code) > 1:
        value = int(code[1:], 16)
        if head == "x" and value > 0x7F:
            return value
        if value > 0x10FFFF:
            raise PatternError(f"bad escape in {source!r}: \\{code} at position {position}")
        return chr(value)
    if head == "N" and len(code) > 1:
        try:
            return unicodedata.lookup(code[2:-1])
        except KeyError:
            raise PatternError(f"bad escape in {source!r}: unknown \\{code}") from None
    if head in "01234567":
        value = int(code, 8)
        return value if 0x7F < value <= 0xFF else chr(value)
    if head in "xuUN":
        raise PatternError(f"bad escape in {source!r}: truncated \\{head} at position {position}")
    return _SIMPLE_ESCAPES.get(head, "\\" + head)


def _strip_pieces(pieces: list[str | int]) -> list[str | int]:
    """Drop empty text pieces and trailing spaces and tabs of the decoded line."""
    kept = [piece for piece in pieces if piece != ""]
    while kept and isinstance(kept[-1], str):
        last = kept[-1].rstrip(_BLANKS)
        if last:
            kept[-1] = last
            break
        kept.pop()
    return kept


def _to_bytes(text: str) -> bytes:
    """The bytes a line was decoded from (surrogate escapes back to raw bytes)."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return b"".join(_char_to_bytes(char) for char in text)


def _char_to_bytes(char: str) -> bytes:
    """One character's bytes, lone surrogates included."""
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        return bytes([code - 0xDC00])
    return char.encode("utf-8", "surrogatepass")


def is_printable(line: str) -> bool:
    """Whether a line holds no control character (tab included), DEL or raw byte."""
    if line.isascii():  # printable ASCII is exactly what str.isprintable says, newline aside
        return line.isprintable() or line.replace("\n", "").isprintable()
    return re.search(_UNPRINTABLE, line) is None


def escape_line(line: str) -> str:
    """The `(esc)` spelling of an actual line, without the ` (esc)` suffix."""
    text = re.sub(_TO_ESCAPE, escape_character, line)
    body = text.rstrip(_BLANKS)
    marker = f" ({_NO_EOL})"
    if body.endswith(marker):
        # Keep a literal ` (no-eol)` at the end from being read as the marker.
        text = body[: -len(marker)] + " \\x28no-eol)" + text[len(body) :]
    return text


def escape_character(match: re.Match[str]) -> str:
    """The escape spelling one unprintable character (or backslash)."""
    char = match.group()
    if char in _NAMED_CHAR_ESCAPES:
        return _NAMED_CHAR_ESCAPES[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    if code > 0xFF:
        return f"\\u{code:04x}"
    return f"\\x{code:02x}"


def spell_line(actual: str, *, no_eol: bool = False) -> str:
    """The expected line that matches exactly this actual line: plain if it can be, else `(esc)`."""
    line = actual.rstrip(_BLANKS)
    suffix = f" ({_NO_EOL})" if no_eol else ""
    if is_printable(line) and is_literal(line):
        return line + suffix
    if is_printable(line) and line_matches(line + suffix, line, no_eol):
        return line + suffix
    return escape_line(line) + " (esc)" + suffix


def line_matches(candidate: str, line: str, no_eol: bool) -> bool:
    """Whether the expected line `candidate` matches the actual `line` with this no-eol state.

    False, not an error, when candidate is not a usable pattern.
    """
    try:
        compiled = compile_line(candidate)
    except PatternError:
        return False
    return compiled.no_eol == no_eol and compiled.matches(line)
