"""A small curses menu: pick a fruit with the arrow keys and Enter; q quits."""

from __future__ import annotations

import curses
import sys

FRUITS = ("apple", "banana", "cherry")


def choose(screen: curses.window) -> str | None:
    """Draw the menu until a fruit is picked (Enter) or the user quits (q)."""
    selected = 0
    while True:
        screen.erase()
        screen.addstr(0, 0, "Pick a fruit (q quits)")
        for row, fruit in enumerate(FRUITS):
            screen.addstr(row + 2, 0, f"{'>' if row == selected else ' '} {fruit}")
        screen.refresh()
        key = screen.getch()
        if key == curses.KEY_UP:
            selected = max(selected - 1, 0)
        elif key == curses.KEY_DOWN:
            selected = min(selected + 1, len(FRUITS) - 1)
        elif key in (curses.KEY_ENTER, 10, 13):
            return FRUITS[selected]
        elif key == ord("q"):
            return None


def main() -> int:
    fruit = curses.wrapper(choose)
    if fruit is None:
        return 1
    print(f"You picked {fruit}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
