"""The key encoder: names of SPEC §11 → the bytes xterm sends."""

from __future__ import annotations

import pytest

from txtest.keys import Stroke, Typist, application_cursor_after, encode_key, is_key_name, strokes


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("Enter", b"\r"),
        ("Tab", b"\t"),
        ("Space", b" "),
        ("Comma", b","),
        ("Esc", b"\x1b"),
        ("Backspace", b"\x7f"),
        ("Up", b"\x1b[A"),
        ("Down", b"\x1b[B"),
        ("Right", b"\x1b[C"),
        ("Left", b"\x1b[D"),
        ("Home", b"\x1b[H"),
        ("End", b"\x1b[F"),
        ("PageUp", b"\x1b[5~"),
        ("PageDown", b"\x1b[6~"),
        ("Delete", b"\x1b[3~"),
        ("F1", b"\x1bOP"),
        ("F4", b"\x1bOS"),
        ("F5", b"\x1b[15~"),
        ("F10", b"\x1b[21~"),
        ("F12", b"\x1b[24~"),
        ("C-a", b"\x01"),
        ("C-c", b"\x03"),
        ("C-d", b"\x04"),
        ("C-z", b"\x1a"),
        ("M-x", b"\x1bx"),
        ("M-Enter", b"\x1b\r"),
    ],
)
def test_key_names_are_sent_as_xterm_sends_them(item: str, expected: bytes) -> None:
    assert is_key_name(item)
    assert encode_key(item) == expected


@pytest.mark.parametrize(
    ("item", "expected"),
    [("Up", b"\x1bOA"), ("Down", b"\x1bOB"), ("Home", b"\x1bOH"), ("End", b"\x1bOF")],
)
def test_application_cursor_mode_sends_ss3(item: str, expected: bytes) -> None:
    assert encode_key(item, application_cursor=True) == expected


def test_application_cursor_mode_leaves_other_keys_alone() -> None:
    assert encode_key("PageUp", application_cursor=True) == b"\x1b[5~"
    assert encode_key("Enter", application_cursor=True) == b"\r"


@pytest.mark.parametrize("item", ["hello", "enter", "y", "C-", "C-1", "M-", "Ctrl-a", "café"])
def test_other_items_are_typed_as_text(item: str) -> None:
    assert not is_key_name(item)
    assert encode_key(item) == item.encode("utf-8")


def test_input_lines_are_typed_with_enter_as_written() -> None:
    lines = strokes(["  Ada", ""], lines=True)
    assert [stroke.encode(application_cursor=False) for stroke in lines] == [b"  Ada\r", b"\r"]


def test_keys_items_follow_the_cursor_mode() -> None:
    (up,) = strokes(["Up"], lines=False)
    assert up.encode(application_cursor=False) == b"\x1b[A"
    assert up.encode(application_cursor=True) == b"\x1bOA"


def test_a_typist_hands_out_each_stroke_once() -> None:
    typist = Typist(strokes(["a", "b"], lines=True))
    assert typist.left == 2
    assert [typist.next_stroke(), typist.next_stroke(), typist.next_stroke()] == [
        Stroke("a", True),
        Stroke("b", True),
        None,
    ]
    assert typist.left == 0


@pytest.mark.parametrize(
    ("output", "before", "after"),
    [
        (b"", False, False),
        (b"", True, True),
        (b"\x1b[?1h\x1b=", False, True),
        (b"\x1b[?1049h\x1b[?1h", False, True),
        (b"\x1b[?1;1049h", False, True),
        (b"\x1b[?1h then \x1b[?1l", False, False),
        (b"\x1b[?12h\x1b[?1049l", True, True),  # other modes leave it alone
        (b"\x1bc", True, False),  # a reset
    ],
)
def test_application_cursor_mode_is_read_from_the_output(
    output: bytes, before: bool, after: bool
) -> None:
    assert application_cursor_after(output, before=before) is after
