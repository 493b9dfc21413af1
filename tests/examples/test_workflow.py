"""A multi-step command-line workflow: each test goes on where the one before stopped."""

from txtest import Shell


def test_create_a_repository(txtest_module_shell: Shell) -> None:
    txtest_module_shell.check("""
        $ git init -q -b main project && cd project
        $ git config --global user.name "Ada Lovelace"
        $ git config --global user.email ada@example.com
        $ git status --short --branch
        ## No commits yet on main
    """)


def test_first_commit(txtest_module_shell: Shell) -> None:
    sh = txtest_module_shell
    (sh.cwd / "README.md").write_text("# Project\n")
    sh.check("""
        $ git add README.md
        $ git commit -q -m "Add a README"
        $ git log --format='%an: %s'
        Ada Lovelace: Add a README
    """)


def test_the_tree_is_clean(txtest_module_shell: Shell) -> None:
    run = txtest_module_shell.run("git status --porcelain")
    assert run.ok
    assert run.output == ""


def test_an_unknown_command_fails(txtest_module_shell: Shell) -> None:
    run = txtest_module_shell.run("git frobnicate")
    assert run.status == 1
    assert "'frobnicate' is not a git command" in run.output
