"""`python -m txtest` is the same as `txtest`."""

from __future__ import annotations

from txtest.cli import main

if __name__ == "__main__":
    main()
