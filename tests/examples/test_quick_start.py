"""The shortest tour: a Shell, two commands, a transcript."""

from txtest import Shell


def test_quick_start() -> None:
    with Shell() as sh:
        sh.run("cd /tmp && export X=1")
        result = sh.run("echo $X; false")
        assert (result.output, result.status, result.ok) == ("1\n", 1, False)
        sh.check("""
            $ echo $X
            1
            $ false
            [1]
        """)
