"""The shared data: frozen dataclasses that compare, hash, print and pickle by their fields."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from txtest.model import Directives, Location, Span


def test_values_compare_and_hash_by_their_fields() -> None:
    assert Location("a.md", 3) == Location("a.md", 3)
    assert Location("a.md", 3) != Location("a.md", 4)
    assert len({Location("a.md", 3), Location("a.md", 3), Location("b.md", 3)}) == 2
    # same field values, another kind of value: not equal
    assert Span(1, 2) != Location(1, 2)  # type: ignore[arg-type]
    assert Span(1, 2) != (1, 2)  # type: ignore[comparison-overlap]


def test_values_print_as_dataclasses_do() -> None:
    assert repr(Location("a.md", 3)) == "Location(path='a.md', line=3)"
    assert repr(Directives()).startswith("Directives(skip=False, ")


def test_values_are_frozen() -> None:
    location = Location("a.md", 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        location.line = 4  # type: ignore[misc]
    assert dataclasses.replace(location, line=4) == Location("a.md", 4)


def test_values_pickle_whole() -> None:
    directives = Directives(skip=True, line=7)
    copy = pickle.loads(pickle.dumps(directives))
    assert copy == directives
    assert copy is not directives
