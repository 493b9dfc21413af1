"""Sizes as `--max-output` spells them: `64M`, `1G`, `512K`, or bytes."""

from __future__ import annotations

DEFAULT_MAX_OUTPUT = 64 * 2**20
_FACTORS = {"K": 2**10, "M": 2**20, "G": 2**30}


def format_size(size: int) -> str:
    """64 MiB as `64M`, as --max-output spells it."""
    for suffix, factor in sorted(_FACTORS.items(), key=lambda item: -item[1]):
        if size % factor == 0:
            return f"{size // factor}{suffix}"
    return str(size)


def parse_size(text: str) -> int:
    """`64M`, `1G`, `512K` or plain bytes; ValueError if not a positive size."""
    text = text.strip()
    factor = _FACTORS.get(text[-1:].upper(), 1)
    digits = text[:-1] if factor != 1 else text
    if not digits.isdigit() or int(digits) <= 0:
        raise ValueError(f"not a size: {text!r} (use 64M, 1G or bytes)")
    return int(digits) * factor
