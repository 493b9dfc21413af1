"""The audit log of `--log FILE`: one JSON object per line for each command sent to a session."""

from __future__ import annotations

import os
from pathlib import Path

from txtest.model import Command
from txtest.session import WAITING, RawRun


def log_record(command: Command, session: str | None, raw: RawRun) -> dict[str, object]:
    """What the log says of one command: where, what was sent, what came back, how it ended.

    The output is decoded with surrogateescape, so bytes that are not UTF-8
    survive as lone surrogates (JSON `\\udcXX`) and `.encode("utf-8",
    "surrogateescape")` gives the bytes back.
    """
    import datetime as dt  # here, like json below: only a run with --log needs them

    lost = raw.lost if raw.lost != WAITING else None
    return {
        "document": command.location.path,
        "session": session or "",
        "line": command.location.line,
        "command": command.source,
        "output": raw.output.decode("utf-8", "surrogateescape"),
        "exit_status": raw.exit_status,
        "lost": lost,
        "failure": raw.lost if raw.lost == WAITING else None,
        "start": dt.datetime.fromtimestamp(raw.started, dt.UTC).isoformat(),
        "duration": round(raw.duration, 6),
    }


def append_record(path: Path, record: dict[str, object]) -> None:
    """Append one line with a single write, so documents run in parallel never interleave."""
    import json

    line = (json.dumps(record) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
