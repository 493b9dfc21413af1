"""txtest: keep command-line documentation true.

The public Python API (SPEC §12) is `Shell`, `Run`, `App`, `Mismatch` and
`Timeout`, loaded on first use so that `import txtest` stays cheap; every
other module of the package is private.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from txtest.api import Mismatch, Run, Shell
    from txtest.app import App, Timeout

__version__ = "0.1.0"
__all__ = ["App", "Mismatch", "Run", "Shell", "Timeout", "__version__"]

_PUBLIC = {
    "Shell": "txtest.api",
    "Run": "txtest.api",
    "Mismatch": "txtest.api",
    "App": "txtest.app",
    "Timeout": "txtest.app",
}


def __getattr__(name: str) -> object:
    """Load a public name of the API from its module on first use."""
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'txtest' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
