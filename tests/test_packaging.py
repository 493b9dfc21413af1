"""End to end: the distributions `python -m build` makes, installed as a user installs them.

One build (an sdist, then a wheel built from that sdist, as `python -m build`
does by default) and one fresh virtual environment, without the system's or
the checkout's packages, serve the whole module: the wheel and pytest are
installed into it by pip, from the package index, with their dependencies.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from conftest import DEMO_README, DEMO_README_FAILURE, base_env

CHECKOUT = Path(__file__).resolve().parents[1]
INSTALL_TIMEOUT = 600.0
RUN_TIMEOUT = 120.0
DISTRIBUTION = "txtest-cli"
NOT_SOURCE = (
    ".git",
    ".venv",
    ".bench",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder holding the sdist and the wheel built from (a copy of) the checkout.

    The copy keeps what setuptools writes while it builds (`build/`, `*.egg-info`)
    out of the checkout.
    """
    out = tmp_path_factory.mktemp("dist")
    source = tmp_path_factory.mktemp("source") / "txtest"
    shutil.copytree(CHECKOUT, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    command = [sys.executable, "-m", "build", "--outdir", str(out), str(source)]
    completed = subprocess.run(
        command, env=clean_env(), capture_output=True, text=True, timeout=INSTALL_TIMEOUT
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return out


@pytest.fixture(scope="module")
def venv(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment holding the wheel and pytest: its bin folder."""
    root = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, timeout=RUN_TIMEOUT)
    bin_dir = root / "bin"
    pip = [str(bin_dir / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    completed = subprocess.run(
        [*pip, str(only(dist, "*.whl")), "pytest"],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return bin_dir


def clean_env(bin_dir: Path | None = None) -> dict[str, str]:
    """The caller's environment without what would point Python at the checkout's venv."""
    env = base_env()
    for name in ("PYTHONPATH", "VIRTUAL_ENV", "PYTEST_ADDOPTS", "PYTEST_PLUGINS"):
        env.pop(name, None)
    env.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
    if bin_dir is not None:
        env["PATH"] = f"{bin_dir}:{env.get('PATH', '/usr/bin:/bin')}"
    env["NO_COLOR"] = "1"
    return env


def only(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, found
    return found[0]


def run(bin_dir: Path, cwd: Path, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=cwd,
        env=clean_env(bin_dir),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )


def test_the_wheel_is_named_txtest_cli_with_an_spdx_licence(dist: Path) -> None:
    wheel = only(dist, "*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = next(name for name in names if name.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(info).decode("utf-8"))

    assert metadata["Name"] == DISTRIBUTION
    assert metadata["License-Expression"] == "MIT"
    assert "Operating System :: POSIX" in metadata.get_all("Classifier", [])
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    assert "txtest/py.typed" in names


def test_the_sdist_holds_the_package_and_its_texts_and_no_test_tree(dist: Path) -> None:
    with tarfile.open(only(dist, "*.tar.gz")) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}

    assert {"LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml"} <= names
    assert "txtest/pytest_plugin.py" in names
    assert not [name for name in names if name.startswith(("tests", "bench", "docs"))]


def test_the_installed_command_runs_a_document(venv: Path, tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(DEMO_README, encoding="utf-8")
    where = run(venv, tmp_path, "python", "-c", "import txtest; print(txtest.__file__)")

    command = run(venv, tmp_path, "txtest", "README.md")
    module = run(venv, tmp_path, "python", "-m", "txtest", "README.md")

    assert where.stdout.startswith(str(venv.parent)), where.stdout + where.stderr
    for result in (command, module):
        assert result.returncode == 1, result.stderr
        assert result.stdout.startswith(DEMO_README_FAILURE)
        assert result.stdout.endswith("1 passed, 1 failed\n")


def test_the_installed_pytest_plugin_runs_a_document(venv: Path, tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(DEMO_README, encoding="utf-8")

    result = run(venv, tmp_path, "pytest", "-p", "no:cacheprovider", "--txtest", "README.md", "-rA")

    assert result.returncode == 1, result.stdout + result.stderr
    assert DEMO_README_FAILURE in result.stdout
    assert "PASSED README.md:4" in result.stdout
    assert "FAILED README.md:9 - README.md:9: expected 'two', got 'one'" in result.stdout
