"""The audit log of `--log FILE`: one JSON object per line for each command sent to a session."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

from txtest.model import Command
from txtest.session import RawRun


def log_record(command: Command, session: str | None, raw: RawRun) -> dict[str, object]:
    """What the log says of one command: where, what was sent, what came back, how it ended.

    The output is decoded with surrogateescape, so bytes that are not UTF-8
    survive as lone surrogates (JSON `\\udcXX`) and `.encode("utf-8",
    "surrogateescape")` gives the bytes back.
    """
    import datetime as dt  # here, like json below: only a run with --log needs them

    # a command that failed with a status (waiting for terminal input, input items not
    # read) did not lose the session
    failure = raw.lost if raw.exit_status is not None else None
    lost = raw.lost if failure is None else None
    return {
        "document": command.location.path,
        "session": session or "",
        "line": command.location.line,
        "command": command.source,
        "output": raw.output.decode("utf-8", "surrogateescape"),
        "exit_status": raw.exit_status,
        "lost": lost,
        "failure": failure,
        "start": dt.datetime.fromtimestamp(raw.started, dt.UTC).isoformat(),
        "duration": round(raw.duration, 6),
    }


def append_record(path: Path, record: dict[str, object]) -> None:
    """Append one line with a single write, so documents run in parallel never interleave."""
    line = record_line(record).encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def record_line(record: dict[str, object]) -> str:
    """One record as the log holds it: a JSON object on a line of its own."""
    import json

    return json.dumps(record) + "\n"


def write_record(log: Path | TextIO, record: dict[str, object]) -> None:
    """Add one record to a log given as a path (appended) or as an open text file."""
    if isinstance(log, Path):
        append_record(log, record)
    else:
        log.write(record_line(record))
        log.flush()
