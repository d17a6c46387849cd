"""A lighter PySide6 import hook: the same answer without keeping every module's source.

PySide6 (its `__feature__` support, PYSIDE-2029) asks of every module imported after it
whether its source mentions "PySide6", through inspect.getsource: each module's whole
source then stays in linecache, 30-45 MB for this app's ~1000 modules (idle RSS 204 MB
instead of 160 MB), read and split into lines on the importing thread. Here the file's
bytes are searched instead; anything that is not a plain .py file gets PySide's own check.
"""

from __future__ import annotations

import linecache
import sys
from types import ModuleType


def lighten_pyside_import_hook() -> None:
    """Replace PySide's check (once; nothing happens on a PySide that lacks it)."""
    import PySide6.QtCore  # noqa: F401  (sets up the hook and its module)

    feature = sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if original is None or getattr(original, "lightened", False):
        return

    def uses_pyside(module: ModuleType) -> bool:
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py"):
            try:
                with open(path, "rb") as source:
                    return b"PySide6" in source.read()
            except OSError:
                pass
        return bool(original(module))

    uses_pyside.lightened = True  # type: ignore[attr-defined]
    feature._mod_uses_pyside = uses_pyside  # type: ignore[union-attr]
    linecache.clearcache()  # the sources PySide read of the modules imported before it
