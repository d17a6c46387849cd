"""Keep PySide6 6.12 from killing the interpreter on Python 3.11.

shiboken6 6.12 hands out None, True and False without taking a reference (on Python
3.12+ they are immortal, PEP 683, so that is harmless there). On Python 3.11 every
such call (QLabel.setText, QWidget.setVisible, a signal carrying None, a
QTextDocument relayout, ...) leaves their count one lower; once it reaches zero the
interpreter aborts with "Fatal Python error: none_dealloc" (or "bool_dealloc"),
typically after some minutes of streaming or at exit. Giving them a huge count once
makes them immortal in practice, as Python 3.12 does by design.
"""

from __future__ import annotations

import sys

_HEADROOM = 1 << 40


def make_singletons_immortal() -> None:
    """Raise the reference counts of None, True and False beyond reach (3.11 only)."""
    if sys.version_info >= (3, 12):
        return
    import ctypes

    for obj in (None, True, False):
        if sys.getrefcount(obj) < _HEADROOM // 2:
            # ob_refcnt is the first field of every object in release builds of CPython
            ctypes.c_ssize_t.from_address(id(obj)).value += _HEADROOM
