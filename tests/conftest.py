"""Shared helpers for the end-to-end tests: run txtest as a real process, write documents."""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest

from txtest import cli
from txtest.model import DocumentResult, RunOptions
from txtest.parse import read_document
from txtest.runner import run_document

TXTEST = (sys.executable, "-m", "txtest")
RUN_TIMEOUT = 30.0
"""No single txtest run of the suite may take longer than this (seconds)."""
_UNSET = (
    "NO_COLOR",
    "FORCE_COLOR",
    "PY_COLORS",
    "GITHUB_WORKSPACE",
    "GITHUB_ACTIONS",
    "PS1",
    "PS2",
    "PROMPT_COMMAND",
    "TXTEST",
    "TMPDIR",
    "COLUMNS",
    "LINES",
)


@dataclass(frozen=True, slots=True)
class Run:
    """What a user sees of one txtest run."""

    status: int
    stdout: str
    stderr: str
    duration: float

    @property
    def lines(self) -> list[str]:
        """The lines of standard output."""
        return self.stdout.splitlines()

    @property
    def summary(self) -> str:
        """The last line of standard output (the summary, when txtest tested)."""
        lines = self.lines
        return lines[-1] if lines else ""

    def assert_clean(self) -> None:
        """No traceback anywhere, and every output line ended."""
        assert "Traceback" not in self.stdout, self.stdout
        assert "Traceback" not in self.stderr, self.stderr
        assert self.stdout == "" or self.stdout.endswith("\n"), self.stdout


def base_env(tmpdir: Path | None = None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without what would make results vary, plus extra."""
    env = {key: value for key, value in os.environ.items() if key not in _UNSET}
    if tmpdir is not None:
        env["TMPDIR"] = str(tmpdir)
    env.update(extra or {})
    return env


def run_txtest(
    *args: str | Path,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    tmpdir: Path | None = None,
    timeout: float = RUN_TIMEOUT,
) -> Run:
    """Run `python -m txtest ARGS` in cwd; env is added to a cleaned copy of the caller's."""
    started = time.monotonic()
    completed = subprocess.run(
        [*TXTEST, *(str(arg) for arg in args)],
        cwd=cwd,
        env=base_env(tmpdir, env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    return Run(
        completed.returncode,
        completed.stdout.decode("utf-8", "replace"),
        completed.stderr.decode("utf-8", "replace"),
        time.monotonic() - started,
    )


def write_doc(tmp_path: Path, name: str, text: str | bytes) -> Path:
    """Write a document below tmp_path (creating folders); return its path."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def console(*lines: str, info: str = "console") -> str:
    """A fenced block of the given info word holding lines, then a blank line."""
    return "".join(f"{line}\n" for line in (f"```{info}", *lines, "```", ""))


PASSING = console("$ echo fine", "fine")
"""A document that passes: one block."""


def marker() -> str:
    """A unique number to give `sleep`, so its processes can be found: `31337.NNNNNN`."""
    return f"31337.{secrets.randbelow(10**6):06d}"


def processes_with(text: str) -> list[str]:
    """`PID ARGS` of every live process whose command line contains text."""
    found: list[str] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        args = raw.replace(b"\0", b" ").decode("utf-8", "replace").strip()
        if text in args:
            found.append(f"{entry.name} {args}")
    return found


def leftovers(text: str, grace: float = 1.0) -> list[str]:
    """Processes holding text still alive once `grace` seconds have passed (SIGKILL lag)."""
    deadline = time.monotonic() + grace
    while True:
        found = processes_with(text)
        if not found or time.monotonic() >= deadline:
            return found
        time.sleep(0.05)


def kill_leftovers(text: str) -> None:
    """Clean up after a failing test: SIGKILL what it left behind."""
    for line in processes_with(text):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(int(line.split()[0]), signal.SIGKILL)


def wait_for_process(text: str, timeout: float = 10.0) -> None:
    """Wait until a process whose command line holds text is running."""
    deadline = time.monotonic() + timeout
    while not processes_with(text):
        if time.monotonic() > deadline:
            raise AssertionError(f"no process with {text!r} started")
        time.sleep(0.02)


@dataclass(frozen=True, slots=True)
class Workspace:
    """A test's folder to run txtest in, and the TMPDIR it hands txtest."""

    root: Path
    tmpdir: Path

    def write(self, name: str, text: str | bytes) -> Path:
        return write_doc(self.root, name, text)

    def run(
        self,
        *args: str | Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        timeout: float = RUN_TIMEOUT,
    ) -> Run:
        return run_txtest(*args, cwd=cwd or self.root, env=env, tmpdir=self.tmpdir, timeout=timeout)

    def call(
        self, *args: str | Path, env: Mapping[str, str] | None = None, cwd: Path | None = None
    ) -> Run:
        """Run txtest in this process through `cli.run`, its streams and environment given.

        The process's environment, directory and temporary folder are those a
        real run would get, for the call's duration (sessions inherit them).
        """
        environ = base_env(self.tmpdir, env)
        out, err = io.StringIO(), io.StringIO()
        started = time.monotonic()
        with (
            contextlib.chdir(cwd or self.root),
            mock.patch.dict(os.environ, environ, clear=True),
            mock.patch.object(tempfile, "tempdir", str(self.tmpdir)),
        ):
            status = cli.run([str(arg) for arg in args], out, err, environ)
        return Run(status, out.getvalue(), err.getvalue(), time.monotonic() - started)

    def temp_left(self) -> list[str]:
        """What txtest left in its temporary area."""
        return sorted(path.name for path in self.tmpdir.iterdir())


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """A workspace: documents go to tmp_path/work, txtest's TMPDIR is tmp_path/tmp."""
    root = tmp_path / "work"
    tmpdir = tmp_path / "tmp"
    root.mkdir()
    tmpdir.mkdir()
    return Workspace(root, tmpdir)


# A document with a passing, a skipped and a failing block (two failing commands).
SAMPLE = """\
# Sample

```console
$ echo hello
hello
```

<!-- txtest: skip -->
```console
$ echo skipped
nope
```

```console
$ echo one
two
$ false
```
"""


def run_sample(path: Path, text: str, options: RunOptions | None = None) -> DocumentResult:
    """Write a document, run it as the command line would, and return its result."""
    path.write_text(text, encoding="utf-8")
    return run_document(read_document(path, path.name), options or RunOptions())


DEMO_README = """\
# Demo

```console
$ echo hello
hello
```

```console
$ echo one
two
```
"""
"""A README with a passing and a failing block."""

DEMO_README_FAILURE = """\
README.md:9: FAILED
    $ echo one
--- expected
+++ actual
@@ -10 +10 @@
-two
+one
"""
"""What txtest reports for DEMO_README's failing block, colour off."""


@pytest.fixture
def temp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the Python API's Shells of this test make their temporary directories."""
    root = tmp_path / "temp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root
