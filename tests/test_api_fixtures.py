"""The Python API's pytest fixtures (SPEC §12), through pytester, as a test suite uses them."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import kill_leftovers, leftovers, marker

pytest_plugins = ["pytester"]

FRESH = """
def test_first(txtest_shell):
    txtest_shell.run("X=1; touch here")
    assert txtest_shell.run('echo "[$X]"; ls').output == "[1]\\nhere\\n"

def test_second(txtest_shell):
    assert txtest_shell.run('echo "[$X]"; ls').output == "[]\\n"
"""

STEPS = '''
def test_{name}_1(txtest_module_shell):
    txtest_module_shell.run("cd \\"$(mktemp -d)\\" && X={name}")

def test_{name}_2(txtest_module_shell):
    txtest_module_shell.check("""
        $ echo "$X"; touch {name}
        {name}
    """)

def test_{name}_3(txtest_module_shell):
    assert txtest_module_shell.run("echo $X; ls").output == "{name}\\n{name}\\n"
'''


@pytest.fixture
def mark() -> Iterator[str]:
    text = marker()
    yield text
    kill_leftovers(text)


@pytest.mark.parametrize("xdist", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_txtest_shell_is_fresh_for_each_test(
    pytester: pytest.Pytester,
    temp_root: Path,
    monkeypatch: pytest.MonkeyPatch,
    xdist: tuple[str, ...],
) -> None:
    monkeypatch.setenv("TMPDIR", str(temp_root))
    pytester.makepyfile(test_fresh=FRESH)
    result = pytester.runpytest_subprocess(*xdist, "-p", "no:randomly")
    result.assert_outcomes(passed=2)
    assert list(temp_root.iterdir()) == [], "each test's Shell is closed after it"


@pytest.mark.parametrize("xdist", [(), ("-n", "2", "--dist", "loadfile")], ids=["serial", "xdist"])
def test_txtest_module_shell_is_shared_in_order(
    pytester: pytest.Pytester, temp_root: Path, xdist: tuple[str, ...]
) -> None:
    pytester.makepyfile(
        test_a=STEPS.format(name="alpha"),
        test_b=STEPS.format(name="beta"),
        test_c=STEPS.format(name="gamma"),
    )
    result = pytester.runpytest_subprocess(*xdist, "-v", "-p", "no:randomly")
    result.assert_outcomes(passed=9)


def test_a_module_split_between_workers_is_named(pytester: pytest.Pytester) -> None:
    steps = "".join(
        f"def test_{index}(txtest_module_shell):\n    txtest_module_shell.run('true')\n\n"
        for index in range(40)
    )
    pytester.makepyfile(test_many=steps)
    result = pytester.runpytest_subprocess("-n", "2", "--dist", "load", "-p", "no:randomly")
    result.stdout.fnmatch_lines(
        [
            "*txtest_module_shell: test_many.py::test_* runs before this test in the module's"
            " shell, but in another process: pytest-xdist split the module;"
            " run with --dist loadfile*"
        ]
    )


def test_a_mismatch_shows_as_the_cli_report(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_check='''
def test_greeting(txtest_shell):
    txtest_shell.check("""
        $ echo hello
        goodbye
    """)
'''
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    report = result.stdout.str()
    expected = textwrap.dedent("""\
        test_check.py:3: FAILED
            $ echo hello
        --- expected
        +++ actual
        @@ -4 +4 @@
        -goodbye
        +hello
        """)
    assert expected in report
    assert "def test_greeting" not in report, "the report, not a traceback"
    result.stdout.fnmatch_lines(["FAILED test_check.py::test_greeting - test_check.py:3: FAILED"])


def test_nothing_left_after_a_failing_test(
    pytester: pytest.Pytester, temp_root: Path, mark: str
) -> None:
    pytester.makepyfile(
        test_fails=f"""
def test_daemon(txtest_shell):
    txtest_shell.run("setsid sleep {mark} >/dev/null 2>&1 &")
    txtest_shell.run("until pgrep -f '^sleep {mark}$' >/dev/null; do sleep 0.02; done")
    assert False, "a failing test"

def test_daemon_in_module_shell(txtest_module_shell):
    txtest_module_shell.run("setsid sleep {mark} >/dev/null 2>&1 &")
    txtest_module_shell.run("until pgrep -f '^sleep {mark}$' >/dev/null; do sleep 0.02; done")
    raise RuntimeError("another failing test")
"""
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=2)
    assert leftovers(mark) == []
    assert list(temp_root.iterdir()) == []
