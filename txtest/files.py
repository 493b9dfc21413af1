"""Replacing a file atomically: the one way txtest writes the files it was asked to write."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path


def write_atomically(path: Path, data: bytes) -> None:
    """Replace path with data: written beside it, synced, renamed over it.

    An existing file keeps its mode (and owner where allowed) and is refused when
    read-only; a new one gets the usual mode. On any exception, Ctrl-C included,
    the file is untouched or fully replaced and the temporary file is gone.
    """
    target = path.resolve()
    try:
        like: os.stat_result | None = target.stat()
    except FileNotFoundError:
        like = None
    if like is not None and not os.access(target, os.W_OK):
        raise PermissionError(errno.EACCES, "the file is read-only", str(path))
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(8)}.txtest-tmp")
    try:
        _write_new(temporary, data, like)
        os.replace(temporary, target)
    except BaseException as error:
        # FileExistsError: the name was taken, so the file there is not ours to remove
        if not isinstance(error, FileExistsError):
            temporary.unlink(missing_ok=True)
        raise
    _sync_directory(target.parent)


def _write_new(path: Path, data: bytes, like: os.stat_result | None) -> None:
    """Create path (it must not exist) holding data, with the mode and owner of like, synced."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if like else 0o666)
    with open(descriptor, "wb") as stream:
        if like is not None:
            with contextlib.suppress(OSError):
                os.fchown(descriptor, like.st_uid, like.st_gid)
            os.fchmod(descriptor, stat.S_IMODE(like.st_mode))
        stream.write(data)
        stream.flush()
        os.fsync(descriptor)


def _sync_directory(path: Path) -> None:
    """Make a rename in a directory durable, where the system allows it."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(descriptor)
    finally:
        os.close(descriptor)
