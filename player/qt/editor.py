"""The playlist editor: build and change a night, with undo, validation as you type, atomic
saves that keep hand-written comments, and a recovery copy of unsaved work.

Every change goes through `player.organiser.editing` commands on a `PlaylistDoc` (the YAML tree),
so the window holds no playlist state of its own: the running order list and the forms are views of
the document, rebuilt from it after each change. Validation dumps the document and loads it
with the same loader as `validate`, so messages are the same, word for word.

Probing dropped files (duration, poster frame) runs on a worker thread
(`player.core.tasks.run_task`); the result fills in the new film's `runtime` if the organiser
has not typed one meanwhile.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from player.core import paths
from player.core.atomic import atomic_write
from player.core.model import PlaylistError, Problem, Severity, format_duration
from player.core.tasks import run_task
from player.organiser.editing import (
    DELETE,
    Batch,
    Command,
    DuplicateItem,
    MoveItem,
    RemoveItem,
    SetField,
    UndoStack,
    add_card,
    add_film,
    add_intermission,
    duration_value,
    get_path,
    item_body_path,
    item_kind,
)
from player.organiser.playlist_doc import (
    PlaylistDoc,
    item_for_line,
    item_start_lines,
    relative_or_absolute,
)
from player.qt.controller import gui_loop

log = logging.getLogger(__name__)

ROW_MIME = "application/x-screening-night-row"
AUTOSAVE_MS = 30_000
VALIDATE_DELAY_MS = 150


def recovery_dir() -> Path:
    return paths.data_dir() / "recovery"


def recovery_file(path: Path | None) -> Path:
    """Where unsaved work on `path` is kept (one file per playlist; untitled ones share)."""
    if path is None:
        return recovery_dir() / "untitled.yaml"
    digest = hashlib.sha256(str(Path(path).absolute()).encode("utf-8")).hexdigest()[:12]
    return recovery_dir() / f"{Path(path).stem}-{digest}.yaml"


def _plain(value: Any) -> str:
    if value is None or value is DELETE:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ------------------------------------------------------------------------------ field widgets


class Field:
    """One editable value at `key` (a path relative to the form's base mapping). `edited` is
    called with the new YAML value (DELETE to remove it) when the person changes the widget;
    `load` shows a value from the document without calling `edited`."""

    typing = False  # line edits: keystrokes merge into one undo step

    def __init__(self, key: tuple, label: str):
        self.key = key
        self.label = label
        self.edited: Callable[[Field, Any], None] = lambda _f, _v: None
        self.finished: Callable[[], None] = lambda: None
        self.widget: QWidget

    def load(self, value: Any) -> None:
        raise NotImplementedError


class LineField(Field):
    """Text, number or duration in a QLineEdit. `kind`: text, int, float, duration, path, or
    track (a language code, or digits for a track's position)."""

    typing = True

    def __init__(self, key: tuple, label: str, kind: str = "text", placeholder: str = ""):
        super().__init__(key, label)
        self.kind = kind
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.edit.setObjectName("field_" + "_".join(map(str, key)))
        self.edit.textEdited.connect(lambda text: self.edited(self, self.value_of(text)))
        self.edit.editingFinished.connect(lambda: self.finished())
        self.widget = self.edit

    def value_of(self, text: str) -> Any:
        stripped = text.strip()
        if not stripped:
            return DELETE
        if self.kind == "duration":
            return duration_value(stripped)
        if self.kind == "track":
            return int(stripped) if stripped.isdigit() else stripped
        if self.kind in ("int", "float"):
            try:
                return int(stripped)
            except ValueError:
                try:
                    return float(stripped)
                except ValueError:
                    return stripped  # written as typed; validation says what is wrong
        return text if self.kind == "text" else stripped

    def load(self, value: Any) -> None:
        if isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items())
        if self.edit.text() != _plain(value):
            self.edit.setText(_plain(value))
            self.edit.setCursorPosition(0)


class ListField(LineField):
    """A list of short strings typed as "zh, fr, en"."""

    def value_of(self, text: str) -> Any:
        parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
        return parts or DELETE

    def load(self, value: Any) -> None:
        self.edit.setText(", ".join(map(str, value)) if isinstance(value, list) else _plain(value))


# The least width of a per-language box, in average characters: enough to read a title.
LOCAL_TEXT_MIN_CHARS = 18


class LocalTextField(Field):
    """Per-language text, one QLineEdit per language of the night, one under the other so each
    gets the whole width of the panel (side by side, three languages left ~70 px each in the
    night panel). A value written as one plain string stays plain as long as only the first
    box is filled."""

    typing = True

    def __init__(self, key: tuple, label: str, languages: Iterable[str]):
        super().__init__(key, label)
        self.languages = list(languages)
        self.widget = QWidget()
        self._layout = QGridLayout(self.widget)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setVerticalSpacing(2)
        self._layout.setColumnStretch(1, 1)
        self.edits: dict[str, QLineEdit] = {}
        self._plain = True
        self._build(self.languages or [""])

    def _build(self, langs: list[str]) -> None:
        for edit in self.edits.values():
            edit.setObjectName("")
            edit.deleteLater()
        for tag in getattr(self, "tags", {}).values():
            tag.deleteLater()
        while self._layout.count():
            self._layout.takeAt(0)
        self.edits = {}
        self.tags: dict[str, QLabel] = {}
        for row, lang in enumerate(langs):
            # A small language tag before each box, so a filled box still says its language.
            tag = QLabel(lang or "all")
            tag.setStyleSheet("color: palette(mid); font-size: 9pt;")
            self._layout.addWidget(tag, row, 0)
            self.tags[lang] = tag
            edit = QLineEdit()
            edit.setMinimumWidth(edit.fontMetrics().averageCharWidth() * LOCAL_TEXT_MIN_CHARS)
            edit.setPlaceholderText(lang or "text")
            edit.setToolTip(f"{self.label} ({lang})" if lang else self.label)
            edit.setObjectName(f"field_{'_'.join(map(str, self.key))}_{lang or 'plain'}")
            edit.textEdited.connect(lambda _t: self.edited(self, self.value()))
            edit.editingFinished.connect(lambda: self.finished())
            self._layout.addWidget(edit, row, 1)
            self.edits[lang] = edit

    def value(self) -> Any:
        texts = {lang: e.text() for lang, e in self.edits.items() if e.text().strip()}
        if not texts:
            return DELETE
        langs = list(self.edits)
        if "" in texts or (self._plain and list(texts) == [langs[0]]):
            return next(iter(texts.values())) if len(texts) == 1 else texts
        return texts

    def load(self, value: Any) -> None:
        if isinstance(value, dict):
            langs = self.languages + [k for k in value if k not in self.languages]
            self._plain = False
        else:
            langs = self.languages or [""]
            self._plain = True
        if list(self.edits) != langs:
            self._build(langs)
        first = next(iter(self.tags))
        plain_text = self._plain and not isinstance(value, dict) and value not in (None, DELETE)
        # A plain string is the same text for every language: say so on its box.
        self.tags[first].setText("all" if plain_text else first or "all")
        for lang, edit in self.edits.items():
            if isinstance(value, dict):
                text = _plain(value.get(lang))
            else:
                text = _plain(value) if lang == langs[0] else ""
            if edit.text() != text:
                edit.setText(text)
                edit.setCursorPosition(0)


class _Custom:
    def __repr__(self) -> str:
        return "CUSTOM"


#: A choice standing for "something richer, written in the YAML" (e.g. a custom title card):
#: shown when the value is a mapping, never written.
CUSTOM: Any = _Custom()


class ChoiceField(Field):
    """A fixed set of values in a combo box; the first choice is usually "default" (absent)."""

    def __init__(self, key: tuple, label: str, choices: list[tuple[str, Any]]):
        super().__init__(key, label)
        self.choices = choices
        self.combo = QComboBox()
        self.combo.setObjectName("field_" + "_".join(map(str, key)))
        for text, _value in choices:
            self.combo.addItem(text)
        self.combo.activated.connect(self._activated)
        self.widget = self.combo

    def _activated(self, index: int) -> None:
        if self.choices[index][1] is not CUSTOM:
            self.edited(self, self.choices[index][1])

    def load(self, value: Any) -> None:
        if isinstance(value, dict):
            for i, (_text, choice) in enumerate(self.choices):
                if choice is CUSTOM:
                    self.combo.setCurrentIndex(i)
                    return
        for i, (_text, choice) in enumerate(self.choices):
            if choice == value or (choice is DELETE and value is None):
                self.combo.setCurrentIndex(i)
                return
        self.combo.setCurrentIndex(0)


class CheckField(Field):
    def __init__(self, key: tuple, label: str, default: bool = False):
        super().__init__(key, label)
        self.default = default
        self.box = QCheckBox()
        self.box.setObjectName("field_" + "_".join(map(str, key)))
        self.box.clicked.connect(lambda on: self.edited(self, bool(on)))
        self.widget = self.box

    def load(self, value: Any) -> None:
        self.box.setChecked(self.default if value is None else bool(value))


FOLLOW_CHOICES = [("night's default", DELETE), ("auto: go on by itself", "auto"),
                  ("hold: wait for GO", "hold")]  # fmt: skip


class Form(QWidget):
    """Fields laid out in a form, bound to a base path in the document."""

    def __init__(self, fields: list[Field], title: str = ""):
        super().__init__()
        self.fields = fields
        self.base: tuple = ()
        layout = QVBoxLayout(self)
        if title:
            heading = QLabel(f"<b>{title}</b>")
            layout.addWidget(heading)
        form = QFormLayout()
        for f in fields:
            form.addRow(f.label, f.widget)
        layout.addLayout(form)
        layout.addStretch(1)

    def load(self, doc: PlaylistDoc, base: tuple) -> None:
        self.base = base
        for f in self.fields:
            f.load(get_path(doc, (*base, *f.key)))


# ------------------------------------------------------------------------------ running order


class RunningOrder(QListWidget):
    """The running order. Dragging a row reorders (through `moved(source, target)`); dropping
    files adds them (through `files_dropped(paths, row)`). The list never moves its own rows:
    the editor rebuilds it from the document."""

    moved = Signal(int, int)
    files_dropped = Signal(list, int)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("running_order")
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setAcceptDrops(True)
        self.setDragEnabled(True)
        self.setDropIndicatorShown(True)
        self.setIconSize(QSize(64, 36))

    def mimeData(self, items):
        data = super().mimeData(items)
        if items:
            data.setData(ROW_MIME, str(self.row(items[0])).encode())
        return data

    def mimeTypes(self):
        return [*super().mimeTypes(), ROW_MIME, "text/uri-list"]

    def _accepts(self, mime: QMimeData) -> bool:
        return mime.hasFormat(ROW_MIME) or mime.hasUrls()

    def dragEnterEvent(self, event):
        if self.isEnabled() and self._accepts(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event):
        if self.isEnabled() and self._accepts(event.mimeData()):
            super().dragMoveEvent(event)
            event.acceptProposedAction()
        else:
            event.ignore()

    def drop_row(self, pos) -> int:
        """The row a drop at `pos` (viewport coordinates) goes before."""
        index = self.indexAt(pos)
        if not index.isValid():
            return self.count()
        rect = self.visualRect(index)
        return index.row() + (1 if pos.y() > rect.center().y() else 0)

    def dropEvent(self, event):
        row = self.drop_row(event.position().toPoint())
        if self.handle_drop(event.mimeData(), row):
            event.setDropAction(Qt.DropAction.CopyAction)  # keep Qt from removing the source row
            event.accept()
        else:
            event.ignore()

    def handle_drop(self, mime: QMimeData, row: int) -> bool:
        """Act on dropped data as if it were dropped before `row`; True when used."""
        if mime.hasFormat(ROW_MIME):
            source = int(bytes(mime.data(ROW_MIME)).decode() or -1)
            if 0 <= source < self.count():
                target = row - 1 if row > source else row
                if target != source:
                    self.moved.emit(source, target)
                return True
            return False
        if mime.hasUrls():
            files = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
            if files:
                self.files_dropped.emit(files, row)
                return True
        return False


# ------------------------------------------------------------------------------ the window


class EditorWindow(QMainWindow):
    """The playlist editor window.

    `EditorWindow(path)` opens `path` (None: a new night). Signals: `saved(Path)` after each
    successful save. `set_locked(True)` makes it read-only (the show is running); the console
    connects its lock to it. All calls on the GUI thread.
    """

    saved = Signal(object)  # Path of the file just written
    validated = Signal(list)  # list[Problem] after each validation (for tests and the status)
    probed = Signal(object)  # Path of a dropped file whose probe result has been applied

    def __init__(self, path: Path | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self.resize(1200, 760)
        self.locked = False
        self.problems: list[Problem] = []
        self._dirty_outside_stack = False  # probe results change the doc without a command
        self._posters: dict[Path, QIcon] = {}
        self._loading = False
        self._typing = False  # a form field is being typed in: do not reload the forms
        self._form_languages: list[str] = []  # the languages the forms were built for
        self._problem_rows: dict[int, list[str]] = {}  # row -> messages, from the last check
        # Hooks a test (or a future settings page) can replace: questions asked of a person.
        self.ask_recover: Callable[[Path], bool] = self._ask_recover
        self.ask_save_changes: Callable[[], str] = self._ask_save_changes
        self.ask_path: Callable[[str], Path | None] = self._ask_path

        self._validate_timer = QTimer(self, singleShot=True, interval=VALIDATE_DELAY_MS)
        self._validate_timer.timeout.connect(self.validate_now)
        self._autosave_timer = QTimer(self, interval=AUTOSAVE_MS)
        self._autosave_timer.timeout.connect(self.autosave)
        self._autosave_timer.start()

        self._build_actions()
        self._build_ui()
        self.doc = PlaylistDoc.new()
        self.stack = UndoStack(self.doc, self._on_stack_changed)
        if path is None:
            self._set_doc(PlaylistDoc.new(), None)
            self._offer_recovery(None)
        elif not self.open(Path(path)):
            reason = [self.problem_list.item(i).text() for i in range(self.problem_list.count())]
            self._set_doc(PlaylistDoc.new(), None)
            self._report("\n".join(reason))  # keep saying why the file did not open

    # ------------------------------------------------------------------ building

    def _build_actions(self) -> None:
        def action(text: str, slot, keys=None, name: str = "") -> QAction:
            act = QAction(text, self)
            if keys:
                act.setShortcuts(keys if isinstance(keys, list) else [keys])
            act.triggered.connect(lambda _=False: slot())
            act.setObjectName(name or text)
            self.addAction(act)
            return act

        S = QKeySequence
        self.new_action = action("New", self.new, S(S.StandardKey.New))
        self.open_action = action("Open…", self.open_dialog, S(S.StandardKey.Open))
        self.save_action = action("Save", self.save, S(S.StandardKey.Save))
        self.save_as_action = action("Save as…", self.save_as_dialog, S("Ctrl+Shift+S"))
        self.undo_action = action("Undo", self.undo, S("Ctrl+Z"))
        self.redo_action = action("Redo", self.redo, [S("Ctrl+Shift+Z"), S("Ctrl+Y")])
        self.add_films_action = action("Add films…", self.add_films_dialog, S("Ctrl+Shift+A"))
        self.add_card_action = action("Add card", self.add_card, S("Ctrl+Shift+C"))
        self.add_intermission_action = action("Add intermission", self.add_intermission)
        self.duplicate_action = action("Duplicate", self.duplicate_selected, S("Ctrl+D"))
        self.remove_action = action("Remove", self.remove_selected, S(S.StandardKey.Delete))
        self.close_action = action("Close", self.close, S(S.StandardKey.Close))
        self.edit_actions = [
            self.undo_action,
            self.redo_action,
            self.add_films_action,
            self.add_card_action,
            self.add_intermission_action,
            self.duplicate_action,
            self.remove_action,
            self.save_action,
            self.save_as_action,
            self.new_action,
            self.open_action,
        ]

        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        for act in (self.new_action, self.open_action, self.save_action, self.save_as_action):
            file_menu.addAction(act)
        file_menu.addSeparator()
        file_menu.addAction(self.close_action)
        edit_menu = bar.addMenu("&Edit")
        for act in (self.undo_action, self.redo_action):
            edit_menu.addAction(act)
        edit_menu.addSeparator()
        item_actions = (
            self.add_films_action,
            self.add_card_action,
            self.add_intermission_action,
            self.duplicate_action,
            self.remove_action,
        )
        edit_menu.addActions(item_actions)
        toolbar = self.addToolBar("Edit")
        toolbar.setObjectName("editor_toolbar")
        toolbar.addActions((self.save_action, self.undo_action, self.redo_action, *item_actions))

    def _build_ui(self) -> None:
        central = QWidget()
        outer = QVBoxLayout(central)
        self.lock_banner = QLabel("The show is locked: the playlist cannot be edited now.")
        self.lock_banner.setStyleSheet("background: #8c3b3b; color: white; padding: 4px;")
        self.lock_banner.hide()
        outer.addWidget(self.lock_banner)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        # Left: the night's details.
        self.night_box = QGroupBox("The night")
        night_layout = QVBoxLayout(self.night_box)
        self.night_form_holder = QVBoxLayout()
        night_layout.addLayout(self.night_form_holder)
        night_scroll = QScrollArea()
        night_scroll.setWidgetResizable(True)
        night_scroll.setWidget(self.night_box)
        splitter.addWidget(night_scroll)

        # Middle: the running order.
        middle = QWidget()
        mid_layout = QVBoxLayout(middle)
        mid_layout.addWidget(QLabel("<b>Running order</b> — drop films here, drag to reorder"))
        self.order = RunningOrder()
        self.order.currentRowChanged.connect(self._on_row_changed)
        self.order.moved.connect(self.move_item)
        self.order.files_dropped.connect(lambda files, row: self.add_files(files, row))
        mid_layout.addWidget(self.order, 1)
        buttons = QHBoxLayout()
        for act in (
            self.add_films_action,
            self.add_card_action,
            self.add_intermission_action,
            self.duplicate_action,
            self.remove_action,
        ):
            button = QPushButton(act.text())
            button.clicked.connect(act.trigger)
            act.changed.connect(lambda b=button, a=act: b.setEnabled(a.isEnabled()))
            buttons.addWidget(button)
        mid_layout.addLayout(buttons)
        splitter.addWidget(middle)

        # Right: the selected item.
        self.item_stack = QStackedWidget()
        self.item_stack.addWidget(QLabel("Select an item to edit it."))
        item_scroll = QScrollArea()
        item_scroll.setWidgetResizable(True)
        item_scroll.setWidget(self.item_stack)
        splitter.addWidget(item_scroll)
        splitter.setSizes([400, 330, 470])
        outer.addWidget(splitter, 1)

        self.problem_list = QListWidget()
        self.problem_list.setObjectName("problems")
        self.problem_list.setMaximumHeight(120)
        self.problem_list.itemActivated.connect(self._on_problem_activated)
        outer.addWidget(self.problem_list)
        self.setCentralWidget(central)
        self.night_form: Form | None = None
        self.item_forms: dict[str, Form] = {}

    def _languages(self) -> list[str]:
        langs = self.doc.data.get("languages")
        return [str(x) for x in langs] if isinstance(langs, list) else []

    def _make_forms(self) -> None:
        """(Re)build the forms for the night's languages."""
        langs = self._languages()
        self._form_languages = langs
        night_fields: list[Field] = [
            LocalTextField(("title",), "Title", langs),
            LocalTextField(("venue",), "Venue", langs),
            LineField(("date",), "Date", placeholder="YYYY-MM-DD"),
            LineField(("start",), "Start", placeholder="HH:MM"),
            ListField(("languages",), "Languages", placeholder="zh, fr, en"),
            LocalTextField(("notes",), "Notes", langs),
            CheckField(("defaults", "title_cards"), "Title cards", default=True),
            LineField(("defaults", "card_seconds"), "Card seconds", "duration", "8"),
            ChoiceField(
                ("defaults", "follow"),
                "After each item",
                [
                    ("go on by itself (default)", DELETE),
                    ("wait for GO (hold)", "hold"),
                    ("go on by itself (auto)", "auto"),
                ],
            ),
            LineField(("defaults", "loudness_target"), "Loudness target", "float", "-23 LUFS"),
            LineField(("defaults", "venue"), "Venue profile", "path", "default"),
            LineField(("theme", "logo"), "Logo", "path"),
            LineField(("theme", "subtitle_font"), "Subtitle font", placeholder="the cards' font"),
            LineField(("theme", "subtitle_size"), "Subtitle size", "float", "5.5 % of height"),
            ChoiceField(
                ("theme", "subtitle_outline"),
                "Subtitle outline",
                [
                    ("normal (default)", DELETE),
                    ("none", "none"),
                    ("thin", "thin"),
                    ("thick", "thick"),
                ],
            ),
            CheckField(("theme", "subtitle_shadow"), "Subtitle shadow", default=True),
        ]
        film_fields: list[Field] = [
            LineField(("film",), "File", "path"),
            LocalTextField(("title",), "Title", langs),
            LocalTextField(("director",), "Director", langs),
            LocalTextField(("country",), "Country", langs),
            LineField(("year",), "Year", "int"),
            LineField(("language",), "Language", placeholder="e.g. zh"),
            LineField(("runtime",), "Runtime", "duration", "m:ss"),
            LineField(("in",), "In", "duration", "0:00"),
            LineField(("out",), "Out", "duration", "end"),
            LineField(("fade_out",), "Fade out", "duration", "none"),
            LineField(("subtitles",), "Subtitles", "path", ".srt, .ass or .vtt file"),
            LineField(("subtitle_track",), "Subtitle track", "track", "in the film: fr, or 1"),
            LineField(("audio_track",), "Audio track", "track", "first; or zh, or 2"),
            LineField(("gain_db",), "Gain (dB)", "float", "0"),
            ChoiceField(("follow",), "After it", FOLLOW_CHOICES),
            ChoiceField(
                ("title_card",),
                "Title card",
                [
                    ("night's default", DELETE),
                    ("yes", True),
                    ("no", False),
                    ("custom card (written in the YAML)", CUSTOM),
                ],
            ),
            LocalTextField(("notes",), "Notes", langs),
            LineField(("id",), "Id", placeholder="from the title"),
        ]
        card_fields: list[Field] = [
            LocalTextField(("text",), "Text", langs),
            LineField(("seconds",), "Seconds", "duration", "8"),
            CheckField(("hold",), "Hold until GO"),
            LineField(("background",), "Background", "path"),
            LocalTextField(("notes",), "Notes", langs),
            LineField(("id",), "Id", placeholder="from the text"),
        ]
        intermission_fields: list[Field] = [
            LineField(("minutes",), "Minutes", "float", "15"),
            LineField(("seconds",), "Seconds (instead)", "duration"),
            LocalTextField(("text",), "Text", langs),
            LineField(("background",), "Background", "path"),
            ChoiceField(("follow",), "After it", FOLLOW_CHOICES),
            LocalTextField(("notes",), "Notes", langs),
            LineField(("id",), "Id"),
        ]
        if self.night_form is not None:
            self.night_form.deleteLater()
        self.night_form = Form(night_fields)
        self.night_form_holder.addWidget(self.night_form)
        for form in self.item_forms.values():
            self.item_stack.removeWidget(form)
            form.deleteLater()
        self.item_forms = {
            "film": Form(film_fields, "Film"),
            "card": Form(card_fields, "Card"),
            "intermission": Form(intermission_fields, "Intermission"),
        }
        for form in self.item_forms.values():
            self.item_stack.addWidget(form)
        for form in (self.night_form, *self.item_forms.values()):
            for f in form.fields:
                f.edited = lambda field, value, form=form: self._field_edited(form, field, value)
                f.finished = lambda f=f: self._field_finished(f)
        self._apply_lock()

    # ------------------------------------------------------------------ document in and out

    def _set_doc(self, doc: PlaylistDoc, path: Path | None, *, dirty: bool = False) -> None:
        self.doc = doc
        self.stack = UndoStack(doc, self._on_stack_changed)
        if dirty:
            self.stack._clean_depth = None  # recovered work: unsaved until saved
        self._dirty_outside_stack = False
        self._make_forms()
        self._refresh(select=0 if len(doc.items) else None, reload_forms=True)
        self.validate_now()

    def open(self, path: Path) -> bool:
        """Open `path`, replacing the current document (the menu's Open asks about unsaved
        changes first; this call does not). A file with schema problems opens, so they can be
        fixed; unreadable or unsafe YAML does not (the reasons are listed). True when opened."""
        path = Path(path).absolute()
        try:
            doc = PlaylistDoc.load(path, strict=False)
        except PlaylistError as exc:
            self._report("Cannot open this playlist:\n" + "\n".join(map(str, exc.problems)))
            return False
        except OSError as exc:
            self._report(f"Cannot open {path}: {exc.strerror or exc}")
            return False
        self._set_doc(doc, path)
        self._offer_recovery(path)
        return True

    def new(self) -> None:
        if not self._may_discard():
            return
        self._set_doc(PlaylistDoc.new(), None)

    def open_dialog(self) -> None:
        if not self._may_discard():
            return
        name, _ = QFileDialog.getOpenFileName(
            self, "Open playlist", str(self.doc.folder), "Playlists (*.yaml *.yml)"
        )
        if name:
            self.open(Path(name))

    def save(self) -> Path | None:
        if self.locked:
            return None
        if self.doc.path is None:
            return self.save_as_dialog()
        return self._write(None)

    def save_as(self, path: Path) -> Path | None:
        if self.locked:
            return None
        return self._write(Path(path).absolute())

    def save_as_dialog(self) -> Path | None:
        path = self.ask_path("Save playlist as")
        return self.save_as(path) if path else None

    def _write(self, path: Path | None) -> Path | None:
        old_recovery = recovery_file(self.doc.path)
        try:
            written = self.doc.save(path)
        except OSError as exc:
            self._report(f"Could not save: {exc.strerror or exc}. The file on disk is unchanged.")
            return None
        self.stack.mark_clean()
        self._dirty_outside_stack = False
        for stale in {old_recovery, recovery_file(written)}:
            stale.unlink(missing_ok=True)
            stale.with_suffix(".json").unlink(missing_ok=True)
        self._update_title()
        self.validate_now()
        errors = [p for p in self.problems if p.severity is Severity.ERROR]
        note = f" ({len(errors)} problem(s) to fix)" if errors else ""
        self.statusBar().showMessage(f"Saved {written}{note}", 5000)
        self.saved.emit(written)
        return written

    @property
    def is_modified(self) -> bool:
        return not self.stack.is_clean or self._dirty_outside_stack

    # ------------------------------------------------------------------ recovery

    def autosave(self) -> Path | None:
        """Write unsaved work to the recovery folder (every ~30 s; also callable)."""
        if not self.is_modified:
            return None
        target = recovery_file(self.doc.path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, self.doc.dump())
            meta = {"path": str(self.doc.path) if self.doc.path else None, "time": time.time()}
            atomic_write(target.with_suffix(".json"), json.dumps(meta))
        except OSError as exc:
            log.warning("could not write the recovery copy %s: %s", target, exc)
            return None
        return target

    def _offer_recovery(self, path: Path | None) -> None:
        copy = recovery_file(path)
        if not copy.exists():
            return
        if path is not None and path.exists() and copy.stat().st_mtime < path.stat().st_mtime:
            return  # the file was saved after the copy: nothing to recover
        if not self.ask_recover(copy):
            return
        try:
            text = copy.read_text(encoding="utf-8")
            doc = PlaylistDoc.from_text(text, path, strict=False)
        except (OSError, PlaylistError, UnicodeDecodeError) as exc:
            self._report(f"The recovery copy {copy} cannot be read: {exc}")
            return
        doc._original = self.doc._original  # compare untouched lines with the file on disk
        self._set_doc(doc, path, dirty=True)
        self.statusBar().showMessage(f"Recovered unsaved changes from {copy}", 8000)

    def _ask_recover(self, copy: Path) -> bool:
        answer = QMessageBox.question(
            self,
            "Recover unsaved changes?",
            f"Unsaved changes to this playlist were kept in\n{copy}\n\nRecover them?",
        )
        return answer == QMessageBox.StandardButton.Yes

    # ------------------------------------------------------------------ closing

    def _ask_save_changes(self) -> str:
        box = QMessageBox(self)
        box.setWindowTitle("Unsaved changes")
        box.setText("This playlist has unsaved changes. Save them?")
        box.setStandardButtons(
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel
        )
        answer = box.exec()
        return {
            QMessageBox.StandardButton.Save: "save",
            QMessageBox.StandardButton.Discard: "discard",
        }.get(QMessageBox.StandardButton(answer), "cancel")

    def _ask_path(self, title: str) -> Path | None:
        name, _ = QFileDialog.getSaveFileName(
            self, title, str(self.doc.folder / "night.yaml"), "Playlists (*.yaml *.yml)"
        )
        return Path(name) if name else None

    def _may_discard(self) -> bool:
        if not self.is_modified:
            return True
        answer = self.ask_save_changes()
        if answer == "save":
            return self.save() is not None
        if answer == "discard":
            recovery_file(self.doc.path).unlink(missing_ok=True)
            return True
        return False

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.is_modified:
            self.autosave()  # whatever the answer, nothing is lost if the machine dies now
        if self._may_discard():
            self._autosave_timer.stop()
            event.accept()
        else:
            event.ignore()

    # ------------------------------------------------------------------ locking

    def set_locked(self, locked: bool) -> None:
        """Read-only while the show is locked: nothing can be changed or saved."""
        self.locked = bool(locked)
        self._apply_lock()

    set_show_locked = set_locked  # the console's name for it

    def _apply_lock(self) -> None:
        locked = getattr(self, "locked", False)
        self.lock_banner.setVisible(locked)
        for act in self.edit_actions:
            act.setEnabled(not locked)
        if not locked:
            self._update_actions()
        self.order.setDragEnabled(not locked)
        self.order.setAcceptDrops(not locked)
        forms = [self.night_form, *self.item_forms.values()] if self.night_form else []
        for form in forms:
            form.setEnabled(not locked)

    # ------------------------------------------------------------------ editing

    def push(self, command: Command) -> bool:
        """Apply `command` (undoable). Refused (False) while locked."""
        if self.locked:
            self.statusBar().showMessage("The show is locked: no edits now.", 3000)
            return False
        self.stack.push(command)
        return True

    def _field_edited(self, form: Form, field: Field, value: Any) -> None:
        if self._loading:
            return
        path = (*form.base, *field.key)
        if value is DELETE and get_path(self.doc, path) is None:
            return
        self._typing = True
        try:
            if field.key == ("hold",) and form is self.item_forms.get("card"):
                seconds = (*form.base, "seconds")
                if value:
                    self.push(Batch([SetField(path, True), SetField(seconds, DELETE)], "Hold"))
                else:
                    self.push(Batch([SetField(path, DELETE), SetField(seconds, 8)], "No hold"))
                self._typing = False  # the seconds field must show the change
            else:
                self.push(SetField(path, value, f"Edit {field.label.lower()}", field.typing))
        finally:
            self._typing = False

    def _field_finished(self, field: Field) -> None:
        self.stack.close_merge()
        # The per-language boxes follow `languages` once the person has finished typing it
        # (rebuilding the forms on each keystroke would take the focus away).
        if field.key == ("languages",) and self._languages() != self._form_languages:
            self._make_forms()
            self._refresh(select=self.order.currentRow(), reload_forms=True)

    def undo(self) -> None:
        if not self.locked:
            self.stack.undo()

    def redo(self) -> None:
        if not self.locked:
            self.stack.redo()

    def _insert_at(self) -> int:
        row = self.order.currentRow()
        return row + 1 if row >= 0 else len(self.doc.items)

    def add_card(self) -> None:
        index = self._insert_at()
        if self.push(add_card(index, self._blank_text("New card"))):
            self._select(index)

    def add_intermission(self) -> None:
        index = self._insert_at()
        if self.push(add_intermission(index, 15)):
            self._select(index)

    def _blank_text(self, text: str) -> Any:
        langs = self._languages()
        return {lang: text for lang in langs[:1]} if langs else text

    def duplicate_selected(self) -> None:
        row = self.order.currentRow()
        if row >= 0 and self.push(DuplicateItem(row)):
            self._select(row + 1)

    def remove_selected(self) -> None:
        row = self.order.currentRow()
        if row < 0:
            return
        if len(self.doc.items) == 1:
            self.statusBar().showMessage("A night needs at least one item.", 4000)
            return
        if self.push(RemoveItem(row)):
            self._select(min(row, len(self.doc.items) - 1))

    def move_item(self, source: int, target: int) -> None:
        if source == target or not (0 <= source < len(self.doc.items)):
            return
        target = max(0, min(target, len(self.doc.items) - 1))
        if self.push(MoveItem(source, target)):
            self._select(target)

    def add_films_dialog(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(
            self, "Add films", str(self.doc.folder), "Media files (*)"
        )
        if names:
            self.add_files([Path(n) for n in names])

    def add_files(self, files: Iterable[Path], row: int | None = None) -> int:
        """Add media files as films before `row` (default: after the selection), in one undo
        step; each is probed in the background. Returns how many were added."""
        if self.locked:
            self.statusBar().showMessage("The show is locked: no edits now.", 3000)
            return 0
        files = [Path(os.path.abspath(f)) for f in files]
        films = [f for f in files if f.is_file() and f.suffix.lower() not in (".yaml", ".yml")]
        skipped = [f for f in files if f not in films]
        if skipped:
            self.statusBar().showMessage(
                "Not added (not a file): " + ", ".join(f.name for f in skipped), 6000
            )
        if not films:
            return 0
        index = self._insert_at() if row is None else max(0, min(row, len(self.doc.items)))

        def written(f: Path) -> str:
            # An untitled night has no folder yet: absolute until it is saved somewhere.
            return relative_or_absolute(f, self.doc.folder) if self.doc.path else str(f)

        commands = [
            add_film(index + i, written(f), title=_title_from(f)) for i, f in enumerate(films)
        ]
        command = commands[0] if len(commands) == 1 else Batch(commands, f"Add {len(films)} films")
        self.push(command)
        for cmd, film in zip(commands, films, strict=True):
            self._probe_in_background(cmd.data, film)
        self._select(index)
        return len(films)

    def _probe_in_background(self, node: Any, path: Path) -> None:
        def work() -> tuple[int | None, bytes | None]:
            from player.media.probe import ProbeError, poster_frame, probe

            info = probe(path)
            poster = None
            if info.video is not None and not info.video.is_still:
                at = min(10_000, (info.duration_ms or 0) // 10)
                try:
                    poster = poster_frame(path, at, width=160)
                except ProbeError:
                    poster = None
            return info.duration_ms, poster, info.title

        def done(result: Any, error: Exception | None) -> None:
            if error is not None:
                self.statusBar().showMessage(f"{path.name}: {error}", 8000)
                self.probed.emit(path)
                return
            duration_ms, poster, tagged_title = result
            if tagged_title and node.get("title") == _title_from(path):
                node["title"] = tagged_title  # the file's own title beats its name
                self._dirty_outside_stack = True
            if poster:
                pixmap = QPixmap()
                if pixmap.loadFromData(poster):
                    self._posters[path] = QIcon(pixmap)
            if duration_ms and "runtime" not in node:
                # Part of adding the film (undoing the add removes it too): no new undo step.
                keys = list(node.keys())
                pos = keys.index("title") + 1 if "title" in keys else len(keys)
                node.insert(pos, "runtime", format_duration(duration_ms))
                self._dirty_outside_stack = True
            self._refresh(select=self.order.currentRow(), reload_forms=True)
            self._schedule_validation()
            self.probed.emit(path)

        run_task(work, done, gui_loop(), name="probe-dropped")

    # ------------------------------------------------------------------ views of the document

    def _on_stack_changed(self) -> None:
        if not self._typing and self._languages() != self._form_languages:
            self._make_forms()  # e.g. undoing a change of the night's languages
        self._refresh(select=self.order.currentRow(), reload_forms=not self._typing)
        self._schedule_validation()

    def _select(self, row: int) -> None:
        if 0 <= row < self.order.count():
            self.order.setCurrentRow(row)

    def _refresh(self, select: int | None, reload_forms: bool) -> None:
        """Rebuild the running order from the document; reload the forms unless the person is
        typing in one (a reload would move the cursor)."""
        self._loading = True
        try:
            self.order.blockSignals(True)
            self.order.clear()
            langs = self._languages()
            for i in range(len(self.doc.items)):
                item = QListWidgetItem(_row_label(self.doc, i, langs))
                film = get_path(self.doc, ("items", i, "film"))
                if isinstance(film, str):
                    icon = self._posters.get(Path(os.path.normpath(self.doc.resolve(film))))
                    if icon:
                        item.setIcon(icon)
                self.order.addItem(item)
            row = select if select is not None and 0 <= select < self.order.count() else -1
            if row < 0 and self.order.count():
                row = 0
            self.order.setCurrentRow(row)
            self.order.blockSignals(False)
            if reload_forms:
                self._load_forms(row)
        finally:
            self._loading = False
        self._mark_problem_rows()
        self._update_actions()
        self._update_title()

    def _load_forms(self, row: int) -> None:
        self._loading = True
        try:
            if self.night_form:
                self.night_form.load(self.doc, ())
            kind = item_kind(self.doc.items[row]) if 0 <= row < len(self.doc.items) else None
            form = self.item_forms.get(kind or "")
            if form is None:
                self.item_stack.setCurrentIndex(0)
                return
            form.load(self.doc, item_body_path(self.doc, row))
            self.item_stack.setCurrentWidget(form)
        finally:
            self._loading = False

    def _on_row_changed(self, row: int) -> None:
        self.stack.close_merge()
        self._load_forms(row)
        self._update_actions()

    def _update_actions(self) -> None:
        if self.locked:
            return
        has_row = self.order.currentRow() >= 0
        self.undo_action.setEnabled(self.stack.can_undo)
        self.redo_action.setEnabled(self.stack.can_redo)
        self.undo_action.setText(f"Undo {self.stack.undo_label}".strip())
        self.redo_action.setText(f"Redo {self.stack.redo_label}".strip())
        self.duplicate_action.setEnabled(has_row)
        self.remove_action.setEnabled(has_row and len(self.doc.items) > 1)

    def _update_title(self) -> None:
        name = self.doc.path.name if self.doc.path else "New night"
        self.setWindowTitle(f"{name}[*] — Screening Night editor")
        self.setWindowModified(self.is_modified)

    # ------------------------------------------------------------------ validation

    def _schedule_validation(self) -> None:
        self._validate_timer.start()

    def validate_now(self) -> list[Problem]:
        """Check the document as `validate` would; show and return the problems."""
        self._validate_timer.stop()
        self.problems = self.doc.problems()
        self.problem_list.clear()
        for problem in self.problems:
            where = f"line {problem.location.line}: " if problem.location.line else ""
            entry = QListWidgetItem(f"{problem.severity.value}: {where}{problem.message}")
            entry.setData(Qt.ItemDataRole.UserRole, problem.location.line)
            self.problem_list.addItem(entry)
        if not self.problems:
            self.problem_list.addItem("No problems.")
        starts = item_start_lines(self.doc.dump()) if self.problems else []
        self._problem_rows = {}
        for problem in self.problems:
            index = item_for_line(starts, problem.location.line)
            if index is not None:
                self._problem_rows.setdefault(index, []).append(problem.message)
        self._mark_problem_rows()
        self.validated.emit(list(self.problems))
        return self.problems

    def _mark_problem_rows(self) -> None:
        # Rows as of the last validation (a structural change is re-validated within ms).
        bad = self._problem_rows
        for row in range(self.order.count()):
            item = self.order.item(row)
            messages = bad.get(row)
            item.setToolTip("\n".join(messages) if messages else "")
            item.setForeground(Qt.GlobalColor.red if messages else Qt.GlobalColor.black)

    def _on_problem_activated(self, entry: QListWidgetItem) -> None:
        line = entry.data(Qt.ItemDataRole.UserRole)
        index = item_for_line(item_start_lines(self.doc.dump()), line)
        if index is not None:
            self._select(index)

    def _report(self, message: str) -> None:
        self.statusBar().showMessage(message.splitlines()[0], 10_000)
        self.problem_list.clear()
        for line in message.splitlines():
            self.problem_list.addItem(line)


def _title_from(path: Path) -> str:
    """A readable title from a file name: "le_grand-voyage.2024" -> "le grand voyage 2024"."""
    stem = path.stem.replace("_", " ").replace(".", " ").strip()
    return " ".join(stem.split()) or path.name


def _row_label(doc: PlaylistDoc, index: int, langs: list[str]) -> str:
    node = doc.items[index]
    kind = item_kind(node)

    def text_of(value: Any) -> str:
        if isinstance(value, dict):
            for lang in [*langs, *value.keys()]:
                if value.get(lang):
                    return str(value[lang])
            return ""
        return _plain(value)

    if kind == "film":
        title = text_of(node.get("title")) or Path(str(node.get("film"))).stem
        runtime = node.get("runtime")
        extra = f"  ·  {runtime}" if runtime is not None else ""
        return f"{index + 1}. FILM  {title}{extra}"
    if kind == "card":
        body = node.get("card") or {}
        text = text_of(body.get("text")) if isinstance(body, dict) else ""
        hold = isinstance(body, dict) and body.get("hold")
        timing = "hold" if hold else f"{_plain(body.get('seconds', 8))} s"
        return f"{index + 1}. CARD  {text}  ·  {timing}"
    if kind == "intermission":
        body = node.get("intermission") or {}
        text = text_of(body.get("text")) if isinstance(body, dict) else ""
        minutes = body.get("minutes") if isinstance(body, dict) else None
        length = f"{minutes} min" if minutes is not None else f"{_plain(body.get('seconds'))} s"
        return f"{index + 1}. INTERMISSION  {text or ''}  ·  {length}".replace("   ·", " ·")
    return f"{index + 1}. ?  (an item must be a film, a card or an intermission)"


def mime_for_files(files: Iterable[Path]) -> QMimeData:
    """File URLs as a drag from a file manager would carry them (for tests and scripting)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(Path(f).absolute())) for f in files])
    return mime


def mime_for_row(row: int) -> QMimeData:
    mime = QMimeData()
    mime.setData(ROW_MIME, str(row).encode())
    return mime
