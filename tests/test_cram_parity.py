"""cram suites: txtest gives prysk's verdict, failing at the same `$` lines (SPEC §9).

Each case in fixtures/cram/ is run under `prysk --shell /bin/bash` and under
txtest (its default shell), each on its own copy. A case's name says what
prysk makes of it (`-pass`, `-fail`, `skip-`), so a case that stopped testing
what it was written for shows too.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import base_env, run_txtest

CASES = sorted((Path(__file__).parent / "fixtures" / "cram").glob("*.t"))
_HUNK = re.compile(r"@@ -([0-9]+)(?:,([0-9]+))? \+")
_TXTEST_FAILED = re.compile(r"^.+:([0-9]+): FAILED", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a tool made of a cram file: passed, failed or skipped, and where it failed."""

    outcome: str
    failing: frozenset[int]
    """1-based lines of the `$ ` commands that failed."""


def test_the_suite_is_big_enough() -> None:
    assert len(CASES) >= 40
    named = {_named_outcome(case) for case in CASES}
    assert named == {"passed", "failed", "skipped"}


@pytest.mark.parametrize("case", CASES, ids=[case.stem for case in CASES])
def test_txtest_agrees_with_prysk(case: Path, tmp_path: Path) -> None:
    expected = prysk_verdict(case, tmp_path / "prysk")
    assert expected.outcome == _named_outcome(case), "the case no longer shows what it is named"
    if expected.outcome == "failed":
        assert expected.failing, "prysk failed without a failing command"
    assert txtest_verdict(case, tmp_path / "txtest") == expected


def _named_outcome(case: Path) -> str:
    if case.stem.startswith("skip-"):
        return "skipped"
    return "failed" if case.stem.endswith("-fail") else "passed"


def _copy(case: Path, folder: Path) -> Path:
    folder.mkdir()
    return Path(shutil.copy(case, folder / case.name))


def prysk_verdict(case: Path, folder: Path) -> Verdict:
    """prysk's verdict; its failing commands read from the diff it prints."""
    copy = _copy(case, folder)
    ran = subprocess.run(
        [sys.executable, "-m", "prysk", "--shell", "/bin/bash", copy.name],
        cwd=folder,
        env=base_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode in (0, 1), ran.stdout + ran.stderr
    if ran.returncode == 0:
        skipped = "1 skipped" in ran.stdout
        return Verdict("skipped" if skipped else "passed", frozenset())
    source = case.read_text(encoding="utf-8").splitlines()
    return Verdict("failed", failing_commands(ran.stdout, source))


def failing_commands(diff: str, source: list[str]) -> frozenset[int]:
    """The `$` lines owning each changed line of a unified diff of the test file.

    A removed line at old index i, or a line added before it, belongs to the
    last command above index i.
    """
    commands = [index for index, line in enumerate(source) if line.startswith("  $ ")]
    failing: set[int] = set()
    old: int | None = None
    for line in diff.splitlines():
        hunk = _HUNK.match(line)
        if hunk is not None:
            start, count = int(hunk[1]), int(hunk[2] or "1")
            old = start if count == 0 else start - 1
            continue
        if old is None or line[:1] not in (" ", "-", "+") or line.startswith(("---", "+++")):
            old = None
            continue
        if line[0] in "-+":
            owner = max((index for index in commands if index < old), default=None)
            if owner is not None:
                failing.add(owner + 1)
        if line[0] in " -":
            old += 1
    return frozenset(failing)


def txtest_verdict(case: Path, folder: Path) -> Verdict:
    copy = _copy(case, folder)
    ran = run_txtest("--color", "never", copy.name, cwd=folder)
    ran.assert_clean()
    assert ran.status in (0, 1), ran.stdout + ran.stderr
    if ran.status == 1:
        failing = frozenset(int(line) for line in _TXTEST_FAILED.findall(ran.stdout))
        return Verdict("failed", failing)
    skipped = ran.summary.endswith("skipped")
    return Verdict("skipped" if skipped else "passed", frozenset())


def test_failing_commands_are_read_from_a_diff() -> None:
    source = ["A.", "", "  $ echo a", "  b", "  $ echo c", "  c", "  $ false"]
    diff = "@@ -3,6 +3,7 @@\n   $ echo a\n-  b\n+  a\n   $ echo c\n   c\n   $ false\n+  [1]\n"
    assert failing_commands(diff, source) == frozenset({3, 7})
