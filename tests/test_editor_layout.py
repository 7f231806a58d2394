"""The playlist editor's layout (pytest-qt, offscreen): the per-language boxes are wide enough
to read what is in them."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLineEdit

from player.core.paths import DEMO_PLAYLIST
from player.qt.editor import LOCAL_TEXT_MIN_CHARS, EditorWindow, LineField, LocalTextField


@pytest.fixture
def editor(qtbot, monkeypatch):
    monkeypatch.setattr(EditorWindow, "_ask_recover", lambda self, copy: False)
    monkeypatch.setattr(EditorWindow, "_ask_save_changes", lambda self: "discard")
    window = EditorWindow(DEMO_PLAYLIST)
    qtbot.addWidget(window)
    window.resize(1600, 1000)
    window.show()
    qtbot.waitExposed(window)
    window.order.setCurrentRow(1)  # a film: its form has per-language boxes too
    return window


def test_per_language_boxes_take_the_panels_width(editor):
    for form in (editor.night_form, editor.item_forms["film"]):
        plain = next(f.edit for f in form.fields if isinstance(f, LineField))
        local = [f for f in form.fields if isinstance(f, LocalTextField)]
        assert local and all(len(f.edits) == 3 for f in local)  # zh, fr, en
        for field in local:
            for edit in field.edits.values():
                # One under the other, each as wide (nearly) as a single-value box of the form,
                # not a third of it: the demo's French title, 40 characters, shows whole.
                assert edit.width() >= plain.width() * 0.9, (field.label, edit.width())
                chars = edit.fontMetrics().averageCharWidth() * LOCAL_TEXT_MIN_CHARS
                assert edit.minimumWidth() >= chars
    title_fr = editor.night_form.findChild(QLineEdit, "field_title_fr")
    assert title_fr.fontMetrics().horizontalAdvance(title_fr.text()) < title_fr.width()
