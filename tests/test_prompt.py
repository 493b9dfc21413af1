"""The sentinel prompt and the frame reader: bytes in, (output, status) frames out."""

from __future__ import annotations

from txtest.prompt import Frame, PromptReader, Sentinel

SENTINEL = Sentinel("11111111111111", "222222222222222")


def prompt(status: int, background: str = "") -> bytes:
    return f"11111111111111:{status}:{background}:222222222222222".encode()


def test_a_frame_is_the_output_up_to_the_prompt_and_its_status() -> None:
    reader = PromptReader(SENTINEL)
    reader.feed(b"hello\n" + prompt(3) + b"next")
    assert reader.next_frame() == Frame(b"hello\n", 3)
    assert reader.next_frame() is None
    assert reader.take() == b"next"


def test_a_prompt_split_across_reads_is_found() -> None:
    reader = PromptReader(SENTINEL)
    whole = b"out\n" + prompt(0)
    for index in range(len(whole)):
        reader.feed(whole[index : index + 1])
        frame = reader.next_frame()
        if index < len(whole) - 1:
            assert frame is None
    assert frame == Frame(b"out\n", 0)


def test_ps1_spells_the_colons_so_printing_it_is_not_a_prompt() -> None:
    reader = PromptReader(SENTINEL)
    reader.feed(SENTINEL.ps1.encode() + b"\n" + b"11111111111111:0::2222")
    assert reader.next_frame() is None


def test_another_nonce_is_not_a_prompt() -> None:
    reader = PromptReader(SENTINEL)
    reader.feed(b"99999999999999:0::222222222222222")
    assert reader.next_frame() is None


def test_job_notices_go_only_when_a_job_was_started() -> None:
    reader = PromptReader(SENTINEL)
    reader.feed(b"[1] 4242\n" + prompt(0, "4242") + b"[1] 4242\n" + prompt(0))
    assert reader.next_frame() == Frame(b"", 0)
    assert reader.next_frame() == Frame(b"[1] 4242\n", 0)


def test_fresh_sentinels_differ_and_hold_at_least_64_bits() -> None:
    first, second = Sentinel.fresh(), Sentinel.fresh()
    assert first != second
    digits = first.first + first.second
    assert digits.isdigit() and len(digits) >= 20
