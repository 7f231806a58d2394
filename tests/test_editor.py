"""The playlist editor window (pytest-qt, offscreen): add by drop (probed on arrival), reorder,
edit with validation as you type, undo/redo, save and reopen with comments kept, the show lock,
the unsaved-changes guard and the recovery copy."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QDropEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QLineEdit

from player.core.model import format_duration
from player.core.playlist_io import load_playlist
from player.core.yaml_source import parse_duration_ms
from player.media.probe import probe
from player.qt.editor import (
    ROW_MIME,
    EditorWindow,
    mime_for_files,
    mime_for_row,
    recovery_file,
)

NIGHT = """\
# Written by hand: these comments must survive the editor.
version: 1
title: {fr: Nuit, en: Night}   # both languages
languages: [fr, en]
items:
  - card: {id: hello, text: Bonsoir, seconds: 5}
  # the first film
  - film: missing.mp4
    id: first
    title: {fr: Premier, en: First}
    runtime: 1:00     # from the festival sheet
  - intermission: {id: pause, minutes: 10}
"""


@pytest.fixture
def night(tmp_path) -> Path:
    path = tmp_path / "night.yaml"
    path.write_text(NIGHT, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def no_dialogs(monkeypatch):
    """No modal question may block a test: recovery declined, unsaved changes discarded,
    unless a test says otherwise."""
    monkeypatch.setattr(EditorWindow, "_ask_recover", lambda self, copy: False)
    monkeypatch.setattr(EditorWindow, "_ask_save_changes", lambda self: "discard")
    monkeypatch.setattr(EditorWindow, "_ask_path", lambda self, title: None)


@pytest.fixture
def editor(qtbot, night):
    window = EditorWindow(night)
    qtbot.addWidget(window)
    window.show()
    return window


def type_text(edit: QLineEdit, text: str) -> None:
    """Type any text (QTest.keyClicks knows ASCII only): one key event carrying the text, as
    an input method delivers CJK."""
    event = QKeyEvent(QEvent.Type.KeyPress, 0, Qt.KeyboardModifier.NoModifier, text)
    QApplication.sendEvent(edit, event)


def ids(window: EditorWindow) -> list[str]:
    return [item.id for item in window.doc.to_playlist().items]


def field(window: EditorWindow, name: str, form: str = "film") -> QLineEdit:
    """A line edit by object name in the night form ("night") or an item form."""
    holder = window.night_form if form == "night" else window.item_forms[form]
    edit = holder.findChild(QLineEdit, name)
    assert edit is not None, name
    return edit


def test_drop_files_adds_probed_films(qtbot, editor, night, clip2s, tmp_path):
    odd = tmp_path / "-odd: name #1.mp4"
    odd.symlink_to(clip2s)
    with qtbot.waitSignals([editor.probed, editor.probed], timeout=20_000):
        assert editor.order.handle_drop(mime_for_files([clip2s, odd]), 2)
    assert ids(editor)[:2] == ["hello", "first"] and len(ids(editor)) == 5
    films = editor.doc.to_playlist().films()
    added = [f for f in films if f.id != "first"]
    assert [f.path for f in added] == [clip2s, odd]
    assert added[1].title.first() == "-odd: name #1"
    # The runtime is the probed duration, written as m:ss (rounded to the second).
    probed = format_duration(probe(clip2s).duration_ms)
    assert [editor.doc.items[i]["runtime"] for i in (2, 3)] == [probed, probed]
    assert [f.runtime_ms for f in added] == [parse_duration_ms(probed)] * 2
    assert not editor.order.item(2).icon().isNull()  # the poster frame
    # One drop is one undo step, and it takes the probe results with it.
    editor.undo_action.trigger()
    assert ids(editor) == ["hello", "first", "pause"]


def test_a_dropped_file_with_a_title_tag_takes_that_title(qtbot, editor, tmp_path):
    from support.synth import make_clip

    tagged = make_clip(
        tmp_path / "dsc_0042.mp4",
        seconds=1,
        extra_output_args=("-metadata", "title=致亲爱的自己 — To My Dearest Self"),
    )
    with qtbot.waitSignal(editor.probed, timeout=20_000):
        assert editor.order.handle_drop(mime_for_files([tagged]), 0)
    film = editor.doc.to_playlist().films()[0]
    assert film.path == tagged
    assert film.title.first() == "致亲爱的自己 — To My Dearest Self"


def test_a_real_drop_event_reaches_the_running_order(qtbot, editor, clip2s):
    mime = mime_for_files([clip2s])
    event = QDropEvent(
        QPointF(5, 5),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(editor.probed, timeout=20_000):
        editor.order.dropEvent(event)
    assert event.isAccepted()
    assert len(editor.doc.to_playlist().films()) == 2


@pytest.mark.parametrize(
    ("source", "row", "order"),
    [(0, 3, ["first", "pause", "hello"]), (2, 0, ["pause", "hello", "first"])],
)
def test_reorder_by_drag(editor, source, row, order):
    assert editor.order.handle_drop(mime_for_row(source), row)
    assert ids(editor) == order
    assert (
        editor.order.currentItem()
        .text()
        .endswith(editor.order.item(order.index(["hello", "first", "pause"][source])).text()[3:])
    )
    editor.undo_action.trigger()
    assert ids(editor) == ["hello", "first", "pause"]


def test_edit_fields_validate_as_you_type_and_undo_redo(qtbot, editor, night):
    editor.order.setCurrentRow(1)
    title_en = field(editor, "field_title_en")
    assert title_en.text() == "First"
    title_en.selectAll()
    qtbot.keyClicks(title_en, "Opening film")
    assert editor.doc.to_playlist().items[1].title.get("en") == "Opening film"
    assert editor.isWindowModified()
    year = field(editor, "field_year")
    qtbot.keyClicks(year, "20x4")
    problems = editor.validate_now()
    assert any("year" in p.message for p in problems)
    # Same message as `validate` gives for the same file.
    night.with_name("check.yaml").write_text(editor.doc.dump(), encoding="utf-8")
    with pytest.raises(Exception) as err:
        load_playlist(night.with_name("check.yaml"))
    assert problems[0].message in str(err.value)
    assert editor.order.item(1).toolTip()  # the row with the problem says so
    # Typing is one undo step per field; Ctrl+Z / Ctrl+Shift+Z are the shortcuts.
    assert QKeySequence("Ctrl+Z") in editor.undo_action.shortcuts()
    assert QKeySequence("Ctrl+Shift+Z") in editor.redo_action.shortcuts()
    editor.undo_action.trigger()
    assert "year" not in editor.doc.items[1]
    # Only the file check is left: the night's film missing.mp4 is not there.
    assert [p.message for p in editor.validate_now()] == [
        f"film not found: {night.parent / 'missing.mp4'}"
    ]
    editor.undo_action.trigger()
    assert editor.doc.to_playlist().items[1].title.get("en") == "First"
    assert field(editor, "field_title_en").text() == "First"  # the form follows undo
    editor.redo_action.trigger()
    assert field(editor, "field_title_en").text() == "Opening film"


def test_card_and_intermission_editing(editor):
    editor.order.setCurrentRow(0)
    editor.add_card_action.trigger()
    assert ids(editor)[1].startswith("new-card")
    hold = editor.item_forms["card"].fields[2]
    hold.box.click()
    card = editor.doc.to_playlist().items[1]
    assert card.hold and card.duration_ms is None
    editor.add_intermission_action.trigger()
    assert editor.doc.to_playlist().items[2].duration_ms == 15 * 60_000
    editor.duplicate_action.trigger()
    assert len(editor.doc.items) == 6
    editor.remove_action.trigger()
    assert len(editor.doc.items) == 5


def test_save_and_reopen_same_night_with_comments(qtbot, editor, night, clip2s):
    with qtbot.waitSignal(editor.probed, timeout=20_000):
        editor.add_files([clip2s], 3)
    editor.order.handle_drop(mime_for_row(2), 0)  # intermission first
    editor.order.setCurrentRow(1)
    text = field(editor, "field_text_fr", "card")
    qtbot.keyClick(text, Qt.Key.Key_End)
    qtbot.keyClicks(text, " !")
    before = editor.doc.to_playlist()
    with qtbot.waitSignal(editor.saved, timeout=5_000) as saved:
        editor.save_action.trigger()
    assert saved.args == [night]
    assert not editor.isWindowModified()
    text = night.read_text(encoding="utf-8")
    for comment in ("# Written by hand", "# both languages", "# from the festival sheet"):
        assert comment in text
    assert night.with_name("night.yaml.bak").read_text(encoding="utf-8") == NIGHT
    reopened = EditorWindow(night)
    qtbot.addWidget(reopened)
    assert reopened.doc.to_playlist() == before
    assert load_playlist(night) == before
    assert [i.id for i in before.items][:2] == ["pause", "hello"]
    assert before.items[1].text.first() == "Bonsoir !"


def test_locked_editor_refuses_edits(qtbot, editor, night, clip2s):
    editor.set_locked(True)
    assert editor.lock_banner.isVisibleTo(editor)
    assert editor.add_files([clip2s]) == 0
    assert editor.order.handle_drop(mime_for_files([clip2s]), 0)  # the drop is swallowed
    editor.order.handle_drop(mime_for_row(0), 3)
    editor.add_card()
    editor.remove_selected()
    assert ids(editor) == ["hello", "first", "pause"]
    assert not editor.item_forms["film"].isEnabled() and not editor.save_action.isEnabled()
    assert editor.save() is None and night.read_text(encoding="utf-8") == NIGHT
    editor.set_show_locked(False)  # the console's name for the same call
    editor.add_card()
    assert len(ids(editor)) == 4


def test_close_with_unsaved_changes_asks(qtbot, editor, night):
    editor.add_card()
    answers = iter(["cancel", "discard"])
    editor.ask_save_changes = lambda: next(answers)
    assert not editor.close()  # cancelled: still open, work still there
    assert len(editor.doc.items) == 4
    assert editor.close()
    assert night.read_text(encoding="utf-8") == NIGHT


def test_autosave_and_recovery(qtbot, editor, night, monkeypatch):
    editor.order.setCurrentRow(1)
    title_fr = field(editor, "field_title_fr")
    qtbot.keyClick(title_fr, Qt.Key.Key_End)
    qtbot.keyClicks(title_fr, " film")
    copy = editor.autosave()
    assert copy == recovery_file(night) and copy.exists()
    assert night.read_text(encoding="utf-8") == NIGHT  # the real file is untouched
    declined = EditorWindow(night)
    qtbot.addWidget(declined)
    assert declined.doc.to_playlist().items[1].title.get("fr") == "Premier"
    asked = []
    monkeypatch.setattr(EditorWindow, "_ask_recover", lambda self, path: asked.append(path) or True)
    again = EditorWindow(night)
    qtbot.addWidget(again)
    assert asked == [copy]
    assert again.doc.to_playlist().items[1].title.get("fr") == "Premier film"
    assert again.is_modified
    assert again.save() == night
    assert not copy.exists()
    assert "Premier film" in night.read_text(encoding="utf-8")
    assert "# the first film" in night.read_text(encoding="utf-8")


def test_new_night_saved_next_to_its_media_gets_relative_paths(qtbot, tmp_path, clip2s):
    window = EditorWindow(None)
    qtbot.addWidget(window)
    media = tmp_path / "films"
    media.mkdir()
    (media / "a.mp4").symlink_to(clip2s)
    with qtbot.waitSignal(window.probed, timeout=20_000):
        window.add_files([media / "a.mp4"])
    window.ask_path = lambda _title: tmp_path / "new.yaml"
    assert window.save() == tmp_path / "new.yaml"
    assert "film: films/a.mp4" in (tmp_path / "new.yaml").read_text(encoding="utf-8")
    assert load_playlist(tmp_path / "new.yaml").films()[0].path == media / "a.mp4"


def test_changing_languages_rebuilds_the_side_by_side_boxes(qtbot, editor):
    languages = field(editor, "field_languages", "night")
    languages.selectAll()
    qtbot.keyClicks(languages, "zh, fr, en")
    assert field(editor, "field_languages", "night") is languages  # not rebuilt while typing
    qtbot.keyClick(languages, Qt.Key.Key_Return)
    editor.order.setCurrentRow(1)
    zh = field(editor, "field_title_zh")
    type_text(zh, "第一部")
    title = editor.doc.to_playlist().items[1].title
    assert title.lines(("zh", "fr", "en")) == [("zh", "第一部"), ("fr", "Premier"), ("en", "First")]
    editor.undo_action.trigger()
    editor.undo_action.trigger()  # back to two languages: the zh box goes away
    assert editor.item_forms["film"].findChild(QLineEdit, "field_title_zh") is None


def test_a_drag_from_the_list_carries_its_row(editor):
    # What Qt's drag start asks the model for (it calls the list's mimeData override).
    model = editor.order.model()
    mime = model.mimeData([model.index(0, 0)])
    assert mime.hasFormat(ROW_MIME)
    assert editor.order.handle_drop(mime, editor.order.count())
    assert ids(editor) == ["first", "pause", "hello"]


def test_unreadable_playlist_is_refused_with_the_reason(qtbot, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ntitle: x\ntitle: y\nitems: []\n", encoding="utf-8")
    window = EditorWindow(bad)
    qtbot.addWidget(window)
    assert window.doc.path is None  # a new night instead
    shown = [window.problem_list.item(i).text() for i in range(window.problem_list.count())]
    assert any("bad.yaml:3" in line and "title" in line for line in shown)


def test_schema_problems_open_so_they_can_be_fixed(qtbot, tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text("version: 1\ntitle: x\nitems:\n  - film: a.mp4\n    titel: y\n")
    window = EditorWindow(path)
    qtbot.addWidget(window)
    assert window.doc.path == path
    assert [p.location.line for p in window.problems] == [5]
    assert "did you mean 'title'" in window.problems[0].message
    assert window.order.item(0).toolTip()


def test_fade_out_field(qtbot, editor, night):
    editor.order.setCurrentRow(1)
    fade = field(editor, "field_fade_out")
    assert fade.text() == "" and fade.placeholderText() == "none"
    qtbot.keyClicks(fade, "2.5")
    assert editor.doc.items[1]["fade_out"] == 2.5
    assert editor.doc.to_playlist().items[1].fade_out_ms == 2_500
    fade.selectAll()
    qtbot.keyClicks(fade, "90")
    problems = editor.validate_now()
    assert any(
        p.message.startswith("'fade_out' (1:30) is longer than the longest fade") for p in problems
    )
    fade.selectAll()
    qtbot.keyClick(fade, Qt.Key.Key_Backspace)
    assert "fade_out" not in editor.doc.items[1]  # emptied: no fade
    assert editor.doc.to_playlist().items[1].fade_out_ms == 0
    editor.undo_action.trigger()  # the whole typing in the field is one step
    assert "fade_out" not in editor.doc.items[1] and editor.doc.dump() == NIGHT
    editor.redo_action.trigger()
    qtbot.keyClicks(field(editor, "field_fade_out"), "0:03")
    with qtbot.waitSignal(editor.saved, timeout=5_000):
        editor.save_action.trigger()
    text = night.read_text(encoding="utf-8")
    assert "    runtime: 1:00     # from the festival sheet\n    fade_out: 0:03\n" in text
    assert load_playlist(night).items[1].fade_out_ms == 3_000
    editor.order.setCurrentRow(0)
    editor.order.setCurrentRow(1)
    assert field(editor, "field_fade_out").text() == "0:03"  # the form shows what is written
