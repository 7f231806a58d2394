"""The Qt binding we ship must not leak: guards the PySide6 version pin in pyproject.toml.

PySide6-Essentials 6.12.0 on Python 3.11 dropped a reference to None on every call of a
void-returning method (setText, setEnabled...): None starts with a few thousand references, so
a console updating its labels five times a second aborted with 'none_dealloc' within minutes.
"""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QLabel, QPushButton


def test_void_calls_keep_none_alive(qapp: QApplication):
    label, button = QLabel("x"), QPushButton("x")
    before = sys.getrefcount(None)
    for _ in range(2000):
        label.setText("0:10")
        button.setEnabled(True)
    drift = sys.getrefcount(None) - before
    assert drift > -100, f"None lost {-drift} references over 4000 Qt calls"
