"""Tests for txtest.discover: command-line paths to documents (SPEC §2, §7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from txtest.discover import Target, find_documents, walk_directory


def touch(root: Path, *names: str) -> None:
    """Create empty files (and their folders) below root."""
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")


def displays(targets: list[Target]) -> list[str]:
    """The documents as shown, in order."""
    return [target.display for target in targets]


def relative(root: Path, paths: list[Path]) -> list[str]:
    return [path.relative_to(root).as_posix() for path in paths]


# -- walk_directory -------------------------------------------------------------------


def test_walk_finds_documents_recursively_sorted(tmp_path: Path) -> None:
    touch(
        tmp_path,
        "z.md",
        "a.md",
        "m.markdown",
        "c.t",
        "sub/b.md",
        "sub/deeper/x.t",
        "other/y.markdown",
    )
    assert relative(tmp_path, walk_directory(tmp_path)) == [
        "a.md",
        "c.t",
        "m.markdown",
        "other/y.markdown",
        "sub/b.md",
        "sub/deeper/x.t",
        "z.md",
    ]


def test_walk_ignores_other_files(tmp_path: Path) -> None:
    touch(tmp_path, "a.txt", "b.rst", "c.md.bak", "d.tt", "e.MD.orig", "Makefile", "ok.md")
    assert relative(tmp_path, walk_directory(tmp_path)) == ["ok.md"]


@pytest.mark.parametrize(
    "folder",
    [".git", ".hidden", ".venv", "node_modules", "venv", "__pycache__", "build", "dist"],
)
def test_walk_passes_over_folders(tmp_path: Path, folder: str) -> None:
    touch(tmp_path, f"{folder}/a.md", f"{folder}/sub/b.t", f"sub/{folder}/c.md", "kept.md")
    assert relative(tmp_path, walk_directory(tmp_path)) == ["kept.md"]


def test_walk_keeps_files_named_like_skipped_folders(tmp_path: Path) -> None:
    touch(tmp_path, "build.md", "dist.t", "venv.markdown", "builds/a.md", "my_dist/b.md")
    assert relative(tmp_path, walk_directory(tmp_path)) == [
        "build.md",
        "builds/a.md",
        "dist.t",
        "my_dist/b.md",
        "venv.markdown",
    ]


def test_walk_of_a_skipped_folder_named_by_the_user(tmp_path: Path) -> None:
    touch(tmp_path, "build/a.md", "build/.cache/b.md")
    assert relative(tmp_path, walk_directory(tmp_path / "build")) == ["build/a.md"]


def test_walk_empty(tmp_path: Path) -> None:
    assert walk_directory(tmp_path) == []


# -- find_documents -----------------------------------------------------------------


def test_files_and_directories_in_argument_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    touch(tmp_path, "docs/b.md", "docs/a.md", "z.md", "notes.txt")
    monkeypatch.chdir(tmp_path)
    targets, errors = find_documents(["z.md", "docs", "notes.txt"])
    assert errors == []
    assert displays(targets) == ["z.md", "docs/a.md", "docs/b.md", "notes.txt"]
    assert all(target.lines == () for target in targets)
    assert targets[0] == Target(Path("z.md"), "z.md")


def test_any_named_file_is_a_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    touch(tmp_path, "README", "guide.rst")
    monkeypatch.chdir(tmp_path)
    targets, errors = find_documents(["README", "guide.rst"])
    assert errors == []
    assert displays(targets) == ["README", "guide.rst"]


def test_missing_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    touch(tmp_path, "a.md")
    monkeypatch.chdir(tmp_path)
    targets, errors = find_documents(["missing.md", "a.md", "gone/"])
    assert displays(targets) == ["a.md"]
    assert [str(error) for error in errors] == [
        "missing.md: error: no such file or directory",
        "gone/: error: no such file or directory",
    ]


@pytest.mark.parametrize(
    ("argument", "path", "lines"),
    [
        ("a.md:7", "a.md", (7,)),
        ("a.md:007", "a.md", (7,)),
        ("sub/a.md:12", "sub/a.md", (12,)),
        # file names holding colons
        ("a:b.md", "a:b.md", ()),
        ("a:b.md:4", "a:b.md", (4,)),
        ("v1:2", "v1:2", ()),
        ("v1:2:5", "v1:2", (5,)),
        ("v1:2:3.md", "v1:2:3.md", ()),
        ("v1:2:3.md:6", "v1:2:3.md", (6,)),
        ("c:d/e.md:9", "c:d/e.md", (9,)),
    ],
)
def test_path_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    argument: str,
    path: str,
    lines: tuple[int, ...],
) -> None:
    touch(tmp_path, "a.md", "sub/a.md", "a:b.md", "v1:2", "v1:2:3.md", "c:d/e.md")
    monkeypatch.chdir(tmp_path)
    targets, errors = find_documents([argument])
    assert errors == []
    assert targets == [Target(Path(path), path, lines)]


@pytest.mark.parametrize("argument", ["a.md:", "a.md:x", "a.md:-1", "a.md:1.5", "a.md: 3"])
def test_path_with_a_bad_line_is_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argument: str
) -> None:
    touch(tmp_path, "a.md")
    monkeypatch.chdir(tmp_path)
    targets, errors = find_documents([argument])
    assert targets == []
    assert [str(error) for error in errors] == [f"{argument}: error: no such file or directory"]


def test_directory_with_a_colon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    touch(tmp_path, "c:d/e.md", "c:d/f:1.md")
    monkeypatch.chdir(tmp_path)
    targets, errors = find_documents(["c:d"])
    assert errors == []
    assert displays(targets) == ["c:d/e.md", "c:d/f:1.md"]


def test_a_file_named_like_path_line_is_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    touch(tmp_path, "notes", "notes:3")
    monkeypatch.chdir(tmp_path)
    targets, _ = find_documents(["notes:3"])
    assert targets == [Target(Path("notes:3"), "notes:3")]


def test_line_of_a_directory_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    touch(tmp_path, "docs/a.md")
    monkeypatch.chdir(tmp_path)
    targets, errors = find_documents(["docs:3"])
    assert targets == []
    assert len(errors) == 1
    assert str(errors[0]).startswith("docs: error:")


def test_duplicates_merge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    touch(tmp_path, "docs/a.md", "docs/b.md")
    monkeypatch.chdir(tmp_path)
    targets, errors = find_documents(["docs/a.md:3", "docs/b.md", "docs/a.md:9", "docs/b.md"])
    assert errors == []
    assert targets == [
        Target(Path("docs/a.md"), "docs/a.md", (3, 9)),
        Target(Path("docs/b.md"), "docs/b.md"),
    ]


def test_a_whole_document_and_a_line_of_it_merge_to_the_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    touch(tmp_path, "docs/a.md", "docs/b.md")
    monkeypatch.chdir(tmp_path)
    targets, errors = find_documents(["docs/a.md:3", "docs", "docs/b.md:4"])
    assert errors == []
    assert displays(targets) == ["docs/a.md", "docs/b.md"]
    assert [target.lines for target in targets] == [(), ()], "docs names all of a.md and b.md"


def test_same_line_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    touch(tmp_path, "a.md")
    monkeypatch.chdir(tmp_path)
    targets, _ = find_documents(["a.md:3", "a.md:3"])
    assert len(targets) == 1
    assert set(targets[0].lines) == {3}


def test_absolute_paths(tmp_path: Path) -> None:
    touch(tmp_path, "a.md")
    path = tmp_path / "a.md"
    targets, errors = find_documents([str(path), f"{path}:2"])
    assert errors == []
    assert [(target.path, target.display) for target in targets] == [(path, str(path))]
