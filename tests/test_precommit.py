"""End to end: the hooks of .pre-commit-hooks.yaml, run by the real `pre-commit try-repo`.

try-repo installs the hooks by pip-installing this checkout (its HEAD commit, plus
uncommitted changes to files git already tracks) into a store of its own in a
temporary directory, so every run builds the hook's environment afresh (about
20-60 s, from PyPI). PRE_COMMIT_HOME still points into the test's temporary
directory, so nothing of pre-commit's lands in the user's cache.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DEMO_README as README
from conftest import DEMO_README_FAILURE as DIFF
from conftest import base_env

CHECKOUT = Path(__file__).resolve().parents[1]
HOOK_RUN_TIMEOUT = 600.0

FIXED = README.replace("one\ntwo\n", "one\none\n")


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def environment(pre_commit_home: Path) -> dict[str, str]:
    """The caller's environment, cleaned, with git's identity and config pinned."""
    return base_env(
        extra={
            "PRE_COMMIT_HOME": str(pre_commit_home),
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "txtest",
            "GIT_AUTHOR_EMAIL": "txtest@example.invalid",
            "GIT_COMMITTER_NAME": "txtest",
            "GIT_COMMITTER_EMAIL": "txtest@example.invalid",
        }
    )


def git(repo: Path, env: dict[str, str], *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def make_repo(repo: Path, env: dict[str, str], readme: str) -> Path:
    """A new git repository whose one commit holds README.md."""
    repo.mkdir()
    git(repo, env, "init", "-q")
    (repo / "README.md").write_text(readme, encoding="utf-8")
    git(repo, env, "add", "README.md")
    git(repo, env, "commit", "-q", "-m", "Add README")
    return repo


def try_repo(repo: Path, env: dict[str, str], hook: str) -> subprocess.CompletedProcess[str]:
    """`pre-commit try-repo CHECKOUT HOOK --all-files` in repo."""
    command = [sys.executable, "-m", "pre_commit", "try-repo", str(CHECKOUT), hook]
    return subprocess.run(
        [*command, "--all-files", "--color", "never"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=HOOK_RUN_TIMEOUT,
        check=False,
    )


def hook_line(output: str, name: str) -> str | None:
    """pre-commit's `NAME.....Passed`/`Failed` line for a hook: its verdict."""
    match = re.search(rf"^{re.escape(name)}\.+(Passed|Failed)$", output, re.MULTILINE)
    return match[1] if match else None


def test_the_hook_fails_on_a_wrong_transcript_and_shows_the_diff(
    tmp_path: Path, pre_commit_home: Path
) -> None:
    env = environment(pre_commit_home)
    repo = make_repo(tmp_path / "repo", env, README)

    run = try_repo(repo, env, "txtest")

    assert run.returncode == 1, run.stdout + run.stderr
    assert hook_line(run.stdout, "txtest") == "Failed"
    assert DIFF in run.stdout
    assert "1 passed, 1 failed" in run.stdout


def test_the_hook_passes_once_the_readme_is_fixed(tmp_path: Path, pre_commit_home: Path) -> None:
    env = environment(pre_commit_home)
    repo = make_repo(tmp_path / "repo", env, README)
    (repo / "README.md").write_text(FIXED, encoding="utf-8")
    git(repo, env, "commit", "-q", "-a", "-m", "Fix README")

    run = try_repo(repo, env, "txtest")

    assert run.returncode == 0, run.stdout + run.stderr
    assert hook_line(run.stdout, "txtest") == "Passed"


def test_the_update_hook_writes_the_actual_output(tmp_path: Path, pre_commit_home: Path) -> None:
    env = environment(pre_commit_home)
    repo = make_repo(tmp_path / "repo", env, README)

    run = try_repo(repo, env, "txtest-update")

    assert hook_line(run.stdout, "txtest --update") == "Failed"
    assert "files were modified by this hook" in run.stdout
    assert run.returncode == 1
    assert (repo / "README.md").read_text(encoding="utf-8") == FIXED
