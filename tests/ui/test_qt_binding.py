"""Guard against a Qt binding that corrupts Python's reference counts.

PySide6 6.12.0 releases a reference to a Python bool on every signal delivery to a
Python slot; on Python 3.11 (mortal bools) the process then aborts at exit, after the
tests passed. pyproject.toml excludes that release; this test fails on any binding
that has the bug again.
"""

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    changed = Signal(str, bool)

    def on_changed(self, *_args: object) -> None:
        pass


def test_signal_delivery_keeps_bool_reference_counts(qapp) -> None:
    e = _Emitter()
    e.changed.connect(e.on_changed)
    before = sys.getrefcount(True), sys.getrefcount(False)
    for _ in range(100):
        e.changed.emit("x", False)
    assert (sys.getrefcount(True), sys.getrefcount(False)) == before
