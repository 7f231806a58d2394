"""The operator console: running order, now & next, a live preview of the projector, the show
controls and a log of what the engine did.

It only asks the ShowController to do things (GO, pause, fade, skip...) and shows what the
controller reports; the show state lives in the sequencer. Problems are written to the log panel,
never shown in a modal dialog while the show runs.

Keys (work in both windows): Space GO, P pause/resume, Esc fade to black + silence over 2 s (a
second Esc stops hard), B blackout, S skip, Backspace back, Return jump to the selected item,
Ctrl+L lock. Unlocking is deliberate: hold the lock button for a second.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QBrush, QCloseEvent, QColor, QFont, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from player.core import schedule as schedule_mod
from player.core.cards import format_duration, neutral_card
from player.core.model import Film, Playlist, Step
from player.qt import settings
from player.qt.screens import remember_screen
from player.qt.title_card import render_card
from player.qt.workers import run_task

log = logging.getLogger(__name__)

GO_DEBOUNCE_S = 0.5
SECOND_ESC_WINDOW_S = 5.0
UNLOCK_HOLD_MS = 1000
FADE_MS = 2000
CLOSE_CONFIRM_S = 5.0
PREVIEW_SIZE = QSize(384, 216)
SNAPSHOT_PERIOD_MS = 1000

COL_NUM, COL_START, COL_ITEM, COL_KIND, COL_LENGTH, COL_CHECK, COL_PLAYED = range(7)
HEADERS = ["#", "Start", "Item", "Kind", "Length", "Check", "Played"]
CHECK_COLOURS = {"green": "#2e9d4f", "amber": "#d89614", "red": "#d23c3c", "grey": "#8a8a8a"}
PHASE_TEXT = {
    "IDLE": "Ready — press GO (Space) to start the night",
    "CARD": "Card",
    "FILM": "Film",
    "INTERMISSION": "Intermission",
    "HOLDING": "HOLD — waiting for GO",
    "PAUSED": "PAUSED",
    "FADING": "Fading to black…",
    "BLACK": "Black",
    "FINISHED": "The night is over",
}


def phase_name(status) -> str:
    phase = getattr(status, "phase", None)
    return getattr(phase, "name", str(phase or "IDLE")).upper()


def now_ms_of_day(day: date | None = None) -> int:
    """Milliseconds since midnight of `day` (default today): past 24 h once the night runs
    over midnight, like the schedule's own times."""
    now = datetime.now()
    midnight = datetime.combine(day or now.date(), datetime.min.time())
    return int((now - midnight).total_seconds() * 1000)


def check_colour(status) -> str:
    """red / amber / green from a CheckItem status (an enum or a string)."""
    text = str(getattr(status, "value", status)).lower()
    if any(word in text for word in ("error", "fail", "red", "bad")):
        return "red"
    if any(word in text for word in ("warn", "amber")):
        return "amber"
    return "green"


def step_title(playlist: Playlist, step: Step) -> str:
    item = step.item
    text = item.title.first(playlist.languages) if item.title else item.id
    if step.is_title_card:
        return f"Title card: {text}"
    return text


def _big_label(size_px: int, bold: bool = True) -> QLabel:
    label = QLabel("—")
    font = QFont()
    font.setPixelSize(size_px)
    font.setBold(bold)
    font.setStyleHint(QFont.StyleHint.Monospace)
    label.setFont(font)
    return label


class HoldButton(QPushButton):
    """A button that fires `held` only after being held down for `hold_ms` (a deliberate act)."""

    held = Signal()

    def __init__(self, text: str, hold_ms: int = UNLOCK_HOLD_MS, parent=None) -> None:
        super().__init__(text, parent)
        self._timer = QTimer(self, singleShot=True, interval=hold_ms)
        self._timer.timeout.connect(self.held)
        self.pressed.connect(self._timer.start)
        self.released.connect(self._timer.stop)


class OperatorWindow(QMainWindow):
    """The console. `controller` is a ShowController; `output` the OutputWindow (or None)."""

    lock_changed = Signal(bool)  # the show lock engaged (True) or released (False)

    def __init__(
        self,
        controller,
        output=None,
        *,
        playlist: Playlist,
        playlist_path: Path | None = None,
        run_check: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.output = output
        self.playlist = playlist
        self.playlist_path = Path(playlist_path) if playlist_path else playlist.path
        self.steps: list[Step] = list(getattr(controller, "steps", None) or [])
        self._locked = False
        self._started = False
        self._last_go = -1e9
        self._last_esc = -1e9
        self._last_close = -1e9
        self._current_index: int | None = None
        self._marked_row: int | None = None  # the row styled as current
        self._step_started_ms: dict[int, int] = {}
        self._check: dict[Path, tuple[str, str]] = {}
        self._check_waiting = False  # a media check waits for the controller's probes
        # The plan is the controller's (it measures the films and knows when the night
        # started): the console only shows it.
        self._schedule = getattr(controller, "schedule", None) or schedule_mod.plan(playlist)
        self._show_start_ms: int | None = None
        # the show clock counts from this day's midnight, as the plan does
        self._night_day = getattr(controller, "night_day", None) or date.today()
        self._status = getattr(controller, "status", None)
        self._preview_mode = "black"
        self._preview_card = None
        self._snapshot_path = Path(tempfile.mkdtemp(prefix="screening-night-")) / "preview.png"
        self.go_count = 0  # GO presses that reached the controller (tests read it)

        title = playlist.title.first(playlist.languages)
        self.setWindowTitle(f"Screening Night — {title}")
        self._build_ui()
        self._build_actions()
        self._fill_table()
        self._restore_settings()

        controller.status_changed.connect(self._on_status)
        controller.card_shown.connect(self._on_card_shown)
        controller.video_shown.connect(self._on_video_shown)
        controller.black_shown.connect(self._on_black_shown)
        controller.problem_reported.connect(self._on_problem)
        controller.item_finished.connect(self._on_item_finished)
        controller.finished.connect(self._on_finished)
        if hasattr(controller, "schedule_changed"):
            controller.schedule_changed.connect(self._on_schedule)
            controller.probes_done.connect(self._on_probes_done)

        self._clock = QTimer(self, interval=250)
        self._clock.timeout.connect(self._tick)
        self._clock.start()
        self._snapshot_timer = QTimer(self, interval=SNAPSHOT_PERIOD_MS)
        self._snapshot_timer.timeout.connect(self._take_snapshot)

        self._on_card_shown(neutral_card(playlist, "Doors open — the night starts on GO"))
        as_run = getattr(controller, "as_run_path", None)
        if as_run:
            self.log_message(f"As-run log: {as_run}")
        if run_check:
            self.start_media_check()
        self._tick()

    # ================================================================== UI
    def _build_ui(self) -> None:
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("running_order")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space must stay GO
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_ITEM, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _index: self.jump_to_selected())

        # --- now & next
        right = QWidget()
        column = QVBoxLayout(right)
        self.preview = QLabel()
        self.preview.setObjectName("preview")
        self.preview.setFixedSize(PREVIEW_SIZE)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setStyleSheet("background: black; color: #bbb; border: 1px solid #555;")
        preview_row = QHBoxLayout()
        preview_row.addStretch(1)
        preview_row.addWidget(self.preview)
        preview_row.addStretch(1)
        column.addWidget(QLabel("Projector"))
        column.addLayout(preview_row)

        self.phase_label = _big_label(18)
        self.phase_label.setObjectName("phase")
        self.now_label = _big_label(22)
        self.now_label.setWordWrap(True)
        self.elapsed_label = _big_label(40)
        self.remaining_label = _big_label(40)
        self.remaining_label.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.next_label = _big_label(16, bold=False)
        self.next_label.setWordWrap(True)
        self.clock_label = _big_label(22)
        self.late_label = _big_label(16)
        self.end_label = _big_label(14, bold=False)

        grid = QGridLayout()
        grid.addWidget(QLabel("NOW"), 0, 0)
        grid.addWidget(self.now_label, 0, 1, 1, 2)
        grid.addWidget(self.phase_label, 1, 1, 1, 2)
        grid.addWidget(QLabel("elapsed"), 2, 1)
        remaining_caption = QLabel("remaining")
        remaining_caption.setAlignment(Qt.AlignmentFlag.AlignRight)
        grid.addWidget(remaining_caption, 2, 2)
        grid.addWidget(self.elapsed_label, 3, 1)
        grid.addWidget(self.remaining_label, 3, 2)
        grid.addWidget(self.progress, 4, 1, 1, 2)
        grid.addWidget(QLabel("NEXT"), 5, 0)
        grid.addWidget(self.next_label, 5, 1, 1, 2)
        grid.addWidget(QLabel("CLOCK"), 6, 0)
        grid.addWidget(self.clock_label, 6, 1)
        grid.addWidget(self.late_label, 6, 2)
        grid.addWidget(self.end_label, 7, 1, 1, 2)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        column.addLayout(grid)

        # --- controls
        self.go_button = QPushButton("GO  (Space)")
        self.go_button.setObjectName("go")
        self.go_button.setMinimumHeight(64)
        self.go_button.setStyleSheet(
            "QPushButton { background: #1f7a3a; color: white; font-size: 22px; font-weight: bold; }"
        )
        self.pause_button = QPushButton("Pause (P)")
        self.fade_button = QPushButton("Fade out (Esc)")
        self.stop_button = QPushButton("Stop (Esc Esc)")
        self.skip_button = QPushButton("Skip (S)")
        self.back_button = QPushButton("Back (⌫)")
        self.jump_button = QPushButton("Jump to selected (⏎)")
        self.blackout_button = QPushButton("Blackout (B)")
        self.blackout_button.setCheckable(True)
        self.lock_button = HoldButton("Lock show")
        self.lock_button.setObjectName("lock")
        for button in (
            self.go_button,
            self.pause_button,
            self.fade_button,
            self.stop_button,
            self.skip_button,
            self.back_button,
            self.jump_button,
            self.blackout_button,
            self.lock_button,
        ):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.go_button.clicked.connect(self.go)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.fade_button.clicked.connect(self.fade_out)
        self.stop_button.clicked.connect(self.hard_stop)
        self.skip_button.clicked.connect(self.skip)
        self.back_button.clicked.connect(self.back)
        self.jump_button.clicked.connect(self.jump_to_selected)
        self.blackout_button.clicked.connect(self.toggle_blackout)
        self.lock_button.clicked.connect(self._on_lock_clicked)
        self.lock_button.held.connect(lambda: self.set_show_locked(False))

        controls = QGridLayout()
        controls.addWidget(self.go_button, 0, 0, 1, 4)
        controls.addWidget(self.pause_button, 1, 0)
        controls.addWidget(self.fade_button, 1, 1)
        controls.addWidget(self.stop_button, 1, 2)
        controls.addWidget(self.blackout_button, 1, 3)
        controls.addWidget(self.back_button, 2, 0)
        controls.addWidget(self.skip_button, 2, 1)
        controls.addWidget(self.jump_button, 2, 2)
        controls.addWidget(self.lock_button, 2, 3)
        self.volume = QSlider(Qt.Orientation.Horizontal)
        self.volume.setRange(-40, 20)  # half-dB steps: -20 dB .. +10 dB
        self.volume.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.volume_label = QLabel("0.0 dB")
        self.volume.valueChanged.connect(self._on_volume)
        controls.addWidget(QLabel("Volume trim"), 3, 0)
        controls.addWidget(self.volume, 3, 1, 1, 2)
        controls.addWidget(self.volume_label, 3, 3)
        column.addLayout(controls)
        column.addStretch(1)
        right.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.resume_bar = QWidget()
        self.resume_bar.setObjectName("resume_bar")
        self.resume_bar.setStyleSheet(
            "#resume_bar { background: #6b4e12; } QLabel { color: white; }"
        )
        bar = QHBoxLayout(self.resume_bar)
        self.resume_label = QLabel()
        self.resume_label.setWordWrap(True)
        self.resume_button = QPushButton("Resume there (GO)")
        self.restart_button = QPushButton("Start from the top")
        for button in (self.resume_button, self.restart_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        bar.addWidget(self.resume_label, 1)
        bar.addWidget(self.resume_button)
        bar.addWidget(self.restart_button)
        self.resume_button.clicked.connect(self.go)
        self.restart_button.clicked.connect(self.start_from_top)
        self.resume_bar.hide()
        central = QWidget()
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.addWidget(self.resume_bar)
        central_layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.resize(1440, 860)
        self.splitter.setSizes([820, 620])

        # --- log panel (non-modal; what failed and what the show did)
        self.log_view = QPlainTextEdit()
        self.log_view.setObjectName("log")
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(2000)
        self.log_view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        dock = QDockWidget("Show log", self)
        dock.setObjectName("log_dock")
        dock.setWidget(self.log_view)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)

    def _build_actions(self) -> None:
        show_menu = self.menuBar().addMenu("&Show")

        def action(text, key, slot, menu=show_menu, checkable=False) -> QAction:
            act = QAction(text, self)
            if key:
                act.setShortcut(QKeySequence(key))
                # In the console and the projector window (not in the editor, where Space and
                # letters are typing).
                act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            act.setCheckable(checkable)
            act.triggered.connect(slot)
            menu.addAction(act)
            self.addAction(act)
            if self.output is not None and key:
                self.output.addAction(act)
            return act

        self.go_action = action("GO", Qt.Key.Key_Space, self.go)
        self.pause_action = action("Pause / resume", Qt.Key.Key_P, self.toggle_pause)
        self.fade_action = action(
            "Fade to black (second press: stop)", Qt.Key.Key_Escape, self.escape
        )
        self.blackout_action = action("Blackout", Qt.Key.Key_B, self.toggle_blackout)
        show_menu.addSeparator()
        self.skip_action = action("Skip", Qt.Key.Key_S, self.skip)
        self.back_action = action("Back", Qt.Key.Key_Backspace, self.back)
        self.jump_action = action("Jump to selected item", Qt.Key.Key_Return, self.jump_to_selected)
        # The keypad's Enter too.
        self.jump_action.setShortcuts(
            [QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)]
        )
        show_menu.addSeparator()
        self.lock_action = action(
            "Lock show", QKeySequence("Ctrl+L"), lambda: self.set_show_locked(True)
        )
        playlist_menu = self.menuBar().addMenu("&Playlist")
        self.edit_action = action("Edit playlist…", "", self.open_editor, menu=playlist_menu)
        self.recheck_action = action(
            "Check media again", "", lambda: self.start_media_check(), menu=playlist_menu
        )
        self.output_menu = self.menuBar().addMenu("&Output")
        self.output_menu.aboutToShow.connect(self._fill_output_menu)

    # ================================================================== running order
    @contextlib.contextmanager
    def _bulk_update(self):
        """Many cells at once: a resize-to-contents column otherwise measures every row again
        on each change (quadratic: minutes for a 10 000-item night)."""
        header = self.table.horizontalHeader()
        fitted = [
            col
            for col in range(header.count())
            if header.sectionResizeMode(col) == QHeaderView.ResizeMode.ResizeToContents
        ]
        for col in fitted:
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
        self.table.setUpdatesEnabled(False)
        try:
            yield
        finally:
            self.table.setUpdatesEnabled(True)
            for col in fitted:
                header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)

    def _fill_table(self) -> None:
        with self._bulk_update():
            self._fill_rows()
        self._fill_times()

    def _fill_rows(self) -> None:
        self.table.setRowCount(len(self.steps))
        for row, step in enumerate(self.steps):
            cells = ["" for _ in HEADERS]
            cells[COL_NUM] = str(row + 1)
            cells[COL_ITEM] = step_title(self.playlist, step)
            cells[COL_KIND] = "title card" if step.is_title_card else step.kind.value
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col in (COL_NUM, COL_START, COL_LENGTH):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, col, item)
            self._set_check_cell(row)

    def _fill_times(self) -> None:
        with self._bulk_update():
            self._fill_time_cells()

    def _fill_time_cells(self) -> None:
        for row, scheduled in enumerate(self._schedule.items[: self.table.rowCount()]):
            start = schedule_mod.clock(scheduled.start_ms) if self._schedule.start_known else ""
            if not self._schedule.start_known:
                start = "+" + schedule_mod.length(scheduled.start_ms - self._schedule.start_ms)
            self.table.item(row, COL_START).setText(start)
            length = "hold" if scheduled.held else schedule_mod.length(scheduled.duration_ms)
            if scheduled.duration_source == schedule_mod.UNKNOWN:
                length = "?"
            self.table.item(row, COL_LENGTH).setText(length)
        total = schedule_mod.length(self._schedule.total_ms)
        self.table.setToolTip(f"Total running time {total}")

    @Slot(object)
    def _on_schedule(self, schedule) -> None:
        self._schedule = schedule
        self._fill_times()

    def _style_row(self, row: int, *, current: bool) -> None:
        played = bool(self.table.item(row, COL_PLAYED).text())
        for col in range(len(HEADERS)):
            if col == COL_CHECK:
                continue
            item = self.table.item(row, col)
            font = item.font()
            font.setBold(current)
            item.setFont(font)
            if current:
                item.setBackground(QBrush(QColor("#3b5b8c")))
                item.setForeground(QBrush(QColor("white")))
            else:
                item.setBackground(QBrush())
                item.setForeground(QBrush(QColor("#888")) if played else QBrush())

    def _set_check_cell(self, row: int) -> None:
        step = self.steps[row]
        cell = self.table.item(row, COL_CHECK)
        if not isinstance(step.item, Film) or step.is_title_card:
            cell.setText("")
            return
        colour, detail = self._check.get(step.item.path, ("grey", "checking…"))
        cell.setText({"green": "OK", "amber": "warn", "red": "ERROR", "grey": "…"}[colour])
        cell.setForeground(QBrush(QColor("white")))
        cell.setBackground(QBrush(QColor(CHECK_COLOURS[colour])))
        cell.setToolTip(detail)

    def start_media_check(self) -> None:
        """Check every film in the background; the column fills in when it is done. While the
        controller is still probing the films (it does once per opening, for the plan), the
        check waits for it and then reads its probes from the cache instead of probing again."""
        try:
            from player.organiser import check_run
        except ImportError:
            self.log_message("Media check not available in this version.")
            return
        self.log_message("Checking the media in the background…")
        if getattr(self.controller, "probing", False):
            self._check_waiting = True
            return
        playlist = self.playlist
        run_task(lambda: check_run.check_playlist(playlist), self._on_check_done)

    @Slot()
    def _on_probes_done(self) -> None:
        if self._check_waiting:
            self._check_waiting = False
            from player.organiser import check_run

            playlist = self.playlist
            run_task(lambda: check_run.check_playlist(playlist), self._on_check_done)

    def _on_check_done(self, report, error: Exception | None) -> None:
        if error is not None:
            self.log_message(f"The media check could not run: {error}")
            return
        bad = 0
        for item in getattr(report, "items", []):
            colour = check_colour(getattr(item, "status", "ok"))
            problems = [str(p) for p in getattr(item, "problems", ()) or ()]
            detail = "\n".join(problems) or "no problems found"
            path = Path(item.path)
            self._check[path] = (colour, detail)
            bad += colour == "red"
        with self._bulk_update():
            for row in range(len(self.steps)):
                self._set_check_cell(row)
        summary = f"{bad} film(s) with errors" if bad else "all films look playable"
        self.log_message(f"Media check done: {summary}.")

    def _mark_current(self, index: int | None) -> None:
        # Only the rows that change are restyled: a marathon night has 20 000 of them.
        rows = {index, self._marked_row} - {None}
        self._marked_row = index
        with self._bulk_update():
            for row in rows:
                if 0 <= row < self.table.rowCount():
                    self._style_row(row, current=row == index)
        if index is not None and 0 <= index < self.table.rowCount():
            self.table.scrollToItem(
                self.table.item(index, COL_ITEM), QAbstractItemView.ScrollHint.EnsureVisible
            )

    # ================================================================== controls
    @property
    def show_locked(self) -> bool:
        return self._locked

    def set_show_locked(self, locked: bool) -> None:
        """Engage/release the show lock (locks jumps, back, skip and edits; GO, pause, fade,
        blackout and volume stay available)."""
        if locked == self._locked:
            return
        self._locked = locked
        for widget in (self.skip_button, self.back_button, self.jump_button):
            widget.setEnabled(not locked)
        for act in (self.skip_action, self.back_action, self.jump_action):
            act.setEnabled(not locked)
        self.lock_button.setText("LOCKED — hold 1 s to unlock" if locked else "Lock show")
        self.lock_button.setStyleSheet("background: #8c3b3b; color: white;" if locked else "")
        self.log_message("Show lock on." if locked else "Show lock released.")
        self.lock_changed.emit(locked)

    def _on_lock_clicked(self) -> None:
        if not self._locked:
            self.set_show_locked(True)
        # when locked, a click does nothing: only holding the button releases the lock

    def _refuse_locked(self, what: str) -> bool:
        if self._locked:
            self.log_message(f"{what} refused: the show is locked (hold the lock button 1 s).")
            return True
        return False

    @Slot()
    def go(self) -> None:
        """GO: start the night, or start the next item. A second press within 0.5 s is ignored
        (a double press must never skip a film)."""
        now = time.monotonic()
        if now - self._last_go < GO_DEBOUNCE_S:
            return
        self._last_go = now
        self.go_count += 1
        if not self._started:
            self._begin("GO: the night starts.")
            self.controller.start()
        else:
            self.controller.go()

    def _begin(self, message: str) -> None:
        self._started = True
        self._show_start_ms = now_ms_of_day(self._night_day)
        self.resume_bar.hide()
        if settings.get("show/lock_on_start"):
            self.set_show_locked(True)
        self.log_message(message)

    def offer_resume(self, step_index: int, position_ms: int) -> None:
        """Show (non-modal) that the last show stopped part-way: GO resumes there, or the
        operator starts from the top."""
        if not 0 <= step_index < len(self.steps):
            return
        title = step_title(self.playlist, self.steps[step_index])
        at = f" at {format_duration(position_ms)}" if position_ms else ""
        self.resume_label.setText(
            f"The last show on this playlist was interrupted. GO resumes at "
            f"#{step_index + 1} {title}{at}."
        )
        self.resume_bar.show()
        self.log_message(f"Resume offered: #{step_index + 1} {title}{at}.")

    @Slot()
    def start_from_top(self) -> None:
        if self._started:
            return
        self._last_go = time.monotonic()
        self._begin("The night starts from the top.")
        self.controller.start(0)

    @Slot()
    def toggle_pause(self) -> None:
        if self._started:
            self.controller.toggle_pause()

    @Slot()
    def escape(self) -> None:
        """Esc: fade to black and silence over 2 s; a second Esc soon after stops hard."""
        now = time.monotonic()
        if now - self._last_esc < SECOND_ESC_WINDOW_S or phase_name(self._status) == "FADING":
            self._last_esc = -1e9
            self.hard_stop()
            return
        self._last_esc = now
        self.fade_out()

    @Slot()
    def fade_out(self) -> None:
        self.log_message("Fade to black and silence (2 s). Esc again to stop hard.")
        self.controller.fade_out(FADE_MS)

    @Slot()
    def hard_stop(self) -> None:
        self.log_message("Hard stop.")
        self.controller.stop()

    @Slot()
    def skip(self) -> None:
        if not self._refuse_locked("Skip"):
            self.log_message("Skip.")
            self.controller.skip()

    @Slot()
    def back(self) -> None:
        if not self._refuse_locked("Back"):
            self.log_message("Back.")
            self.controller.back()

    @Slot()
    def jump_to_selected(self) -> None:
        if self._refuse_locked("Jump"):
            return
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            self.log_message("Jump: select an item in the running order first.")
            return
        index = rows[0].row()
        self.jump(index)

    def jump(self, step_index: int) -> None:
        if self._refuse_locked("Jump"):
            return
        self.log_message(
            f"Jump to #{step_index + 1}: {step_title(self.playlist, self.steps[step_index])}."
        )
        if not self._started:
            self._started = True
            self._show_start_ms = now_ms_of_day(self._night_day)
        self.controller.jump(step_index)

    @Slot()
    def toggle_blackout(self) -> None:
        on = not bool(getattr(self._status, "blackout", False))
        self.blackout_button.setChecked(on)
        self.log_message("Blackout on." if on else "Blackout off.")
        self.controller.set_blackout(on)

    def _on_volume(self, value: int) -> None:
        db = value / 2
        self.volume_label.setText(f"{db:+.1f} dB")
        self.controller.set_volume_trim_db(db)
        settings.put("show/volume_trim_db", db)

    def open_editor(self) -> None:
        """The playlist editor, read-only while the show is locked (it follows the lock)."""
        try:
            from player.qt.editor import EditorWindow
        except ImportError:
            self.log_message("The playlist editor is not available in this version.")
            return
        editor = EditorWindow(self.playlist_path, self)
        editor.set_locked(self._locked)
        self.lock_changed.connect(editor.set_locked)
        editor.saved.connect(
            lambda path: self.log_message(
                f"Playlist saved to {path}; the running show keeps its order until reopened."
            )
        )
        editor.show()
        self._editor = editor

    def _fill_output_menu(self) -> None:
        from PySide6.QtGui import QGuiApplication

        menu = self.output_menu
        menu.clear()
        if self.output is None:
            menu.addAction("No projector window").setEnabled(False)
            return
        for i, screen in enumerate(QGuiApplication.screens()):
            geo = screen.geometry()
            act = menu.addAction(f"Screen {i}: {screen.name()} {geo.width()}x{geo.height()}")
            act.setCheckable(True)
            act.setChecked(screen is self.output.target_screen)
            act.setEnabled(not self._locked)
            act.triggered.connect(lambda _=False, s=screen: self.choose_screen(s))
        menu.addSeparator()
        windowed = menu.addAction("Output in a window (rehearsal)")
        windowed.setCheckable(True)
        windowed.setChecked(self.output.windowed)
        windowed.setEnabled(not self._locked)
        windowed.triggered.connect(
            lambda on: self.output.move_to_screen(self.output.target_screen, windowed=on)
        )

    def choose_screen(self, screen) -> None:
        if self.output is None or self._refuse_locked("Changing screen"):
            return
        self.output.move_to_screen(screen)
        remember_screen(screen)
        self.log_message(f"Projector output on {screen.name()}.")

    # ================================================================== controller signals
    @Slot(object)
    def _on_status(self, status) -> None:
        self._status = status
        index = getattr(status, "step_index", None)
        phase = phase_name(status)
        if index != self._current_index:
            self._current_index = index
            if index is not None and phase not in ("IDLE", "FINISHED"):
                self._step_started_ms.setdefault(index, now_ms_of_day(self._night_day))
            self._mark_current(index)
        self.blackout_button.setChecked(bool(getattr(status, "blackout", False)))
        self.pause_button.setText("Resume (P)" if getattr(status, "paused", False) else "Pause (P)")
        card = self._preview_card
        if self._preview_mode == "card" and card is not None and card.kind == "intermission":
            self._render_preview_card(getattr(status, "remaining_ms", None))
        self._update_now_next()

    def _update_now_next(self) -> None:
        status = self._status
        phase = phase_name(status)
        self.phase_label.setText(PHASE_TEXT.get(phase, phase.title()))
        colour = {"HOLDING": "#d89614", "PAUSED": "#d89614", "FADING": "#d23c3c"}.get(phase, "")
        self.phase_label.setStyleSheet(f"color: {colour};" if colour else "")
        index = getattr(status, "step_index", None)
        if index is not None and 0 <= index < len(self.steps) and phase not in ("IDLE",):
            self.now_label.setText(step_title(self.playlist, self.steps[index]))
        else:
            self.now_label.setText("—")
        elapsed = getattr(status, "elapsed_ms", None) or 0
        duration = getattr(status, "duration_ms", None)
        remaining = getattr(status, "remaining_ms", None)
        self.elapsed_label.setText(format_duration(elapsed) if phase != "IDLE" else "—")
        if remaining is not None and phase not in ("IDLE", "FINISHED"):
            self.remaining_label.setText("-" + format_duration(max(0, remaining)))
        else:
            self.remaining_label.setText("—")
        if duration:
            self.progress.setValue(min(1000, int(1000 * elapsed / duration)))
        else:
            self.progress.setValue(0)
        nxt = getattr(status, "next_step_index", None)
        if nxt is None and phase == "IDLE" and self.steps:
            nxt = 0
        if nxt is not None and 0 <= nxt < len(self.steps):
            self.next_label.setText(step_title(self.playlist, self.steps[nxt]))
        else:
            self.next_label.setText("— end of the night —")

    def _tick(self) -> None:
        now = now_ms_of_day(self._night_day)
        self.clock_label.setText(schedule_mod.clock(now))
        index = self._current_index
        if (
            index is not None
            and index in self._step_started_ms
            and index < len(self._schedule.items)
        ):
            late = self._schedule.late_ms(index, self._step_started_ms[index])
            if abs(late) < 30_000:
                self.late_label.setText("on time")
                self.late_label.setStyleSheet("color: #2e9d4f;")
            elif late > 0:
                self.late_label.setText(f"{format_duration(late)} late")
                self.late_label.setStyleSheet("color: #d23c3c;")
            else:
                self.late_label.setText(f"{format_duration(-late)} early")
                self.late_label.setStyleSheet("color: #d89614;")
        elif self._schedule.start_known:
            self.late_label.setText(f"starts {schedule_mod.clock(self._schedule.start_ms)}")
        else:
            self.late_label.setText("")
        self.end_label.setText(
            f"planned end {schedule_mod.clock(self._schedule.end_ms)}"
            if self._schedule.start_known or self._show_start_ms is not None
            else f"running time {schedule_mod.length(self._schedule.total_ms)}"
        )

    @Slot(object)
    def _on_card_shown(self, content) -> None:
        self._preview_mode = "card"
        self._preview_card = content
        self._snapshot_timer.stop()
        self._render_preview_card(None)

    def _render_preview_card(self, remaining_ms: int | None) -> None:
        image = render_card(self._preview_card, PREVIEW_SIZE, remaining_ms)
        self.preview.setPixmap(QPixmap.fromImage(image))

    @Slot(int)
    def _on_video_shown(self, slot: int) -> None:
        self._preview_mode = "video"
        index = self._current_index
        title = step_title(self.playlist, self.steps[index]) if index is not None else "film"
        self.preview.setPixmap(QPixmap())
        self.preview.setText(f"▶ {title}")
        self._snapshot_timer.start()

    @Slot()
    def _on_black_shown(self) -> None:
        self._preview_mode = "black"
        self._snapshot_timer.stop()
        self.preview.setPixmap(QPixmap())
        self.preview.setText("black")

    def _take_snapshot(self) -> None:
        if self._preview_mode != "video" or not self.isVisible():
            return
        try:
            ok = self.controller.take_snapshot(self._snapshot_path)
        except Exception as exc:  # the preview is a convenience: never let it disturb the show
            log.debug("snapshot failed: %s", exc)
            ok = False
        if ok and self._snapshot_path.exists():
            pixmap = QPixmap(str(self._snapshot_path))
            if not pixmap.isNull():
                self.preview.setPixmap(
                    pixmap.scaled(
                        PREVIEW_SIZE,
                        Qt.AspectRatioMode.KeepAspectRatio,
                        Qt.TransformationMode.SmoothTransformation,
                    )
                )

    @Slot(str)
    def _on_problem(self, message: str) -> None:
        self.log_message(f"PROBLEM: {message}")
        self.statusBar().showMessage(message, 15_000)

    @Slot(object)
    def _on_item_finished(self, entry) -> None:
        index = getattr(entry, "index", None)
        outcome = str(getattr(entry, "outcome", "") or "")
        if index is not None and 0 <= index < self.table.rowCount():
            cell = self.table.item(index, COL_PLAYED)
            played_ms = getattr(entry, "played_ms", None)
            text = outcome
            if played_ms is not None and outcome == "played":
                text = f"played {format_duration(int(played_ms))}"
            cell.setText(text)
            if index != self._marked_row:
                self._style_row(index, current=False)  # played rows turn grey
            if outcome in ("failed",):
                cell.setForeground(QBrush(QColor(CHECK_COLOURS["red"])))
        title = getattr(entry, "title", "") or ""
        error = getattr(entry, "error", None)
        line = f"#{(index or 0) + 1} {title}: {outcome}"
        self.log_message(line + (f" ({error})" if error else ""))

    @Slot()
    def _on_finished(self) -> None:
        self.log_message("The night is over: the projector shows black.")
        self._on_black_shown()
        self._update_now_next()

    # ================================================================== log, settings, close
    def log_message(self, text: str) -> None:
        stamp = datetime.now().strftime("%H:%M:%S")
        self.log_view.appendPlainText(f"{stamp}  {text}")
        log.info(text)

    def _restore_settings(self) -> None:
        geometry = settings.get("console/geometry")
        if not geometry.isEmpty():
            self.restoreGeometry(geometry)
        state = settings.get("console/state")
        if not state.isEmpty():
            self.restoreState(state)
        split = settings.get("console/splitter")
        if not split.isEmpty():
            self.splitter.restoreState(split)
        db = float(settings.get("show/volume_trim_db"))
        self.volume.blockSignals(True)
        self.volume.setValue(round(db * 2))
        self.volume.blockSignals(False)
        self.volume_label.setText(f"{db:+.1f} dB")
        if db:
            self.controller.set_volume_trim_db(db)

    def save_settings(self) -> None:
        settings.put("console/geometry", self.saveGeometry())
        settings.put("console/state", self.saveState())
        settings.put("console/splitter", self.splitter.saveState())
        if self.output is not None:
            settings.put("output/windowed", self.output.windowed)
        settings.sync()

    @property
    def show_running(self) -> bool:
        return self._started and phase_name(self._status) not in ("FINISHED", "BLACK", "IDLE")

    def close_show(self) -> None:
        """Close now, even mid-show (used by --quit-after and tests)."""
        self._close_confirmed = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        # An accidental close must not end the show: mid-show it takes a second close within
        # a few seconds (non-modal: the show keeps running while it asks).
        now = time.monotonic()
        confirmed = getattr(self, "_close_confirmed", False)
        if self.show_running and not confirmed and now - self._last_close > CLOSE_CONFIRM_S:
            self._last_close = now
            message = "The show is running: close again within 5 s to stop it and quit."
            self.statusBar().showMessage(message, int(CLOSE_CONFIRM_S * 1000))
            self.log_message(message)
            event.ignore()
            return
        self.save_settings()
        self._snapshot_timer.stop()
        self._clock.stop()
        try:
            # close() stops playback and saves the journal, so an accidental close of the
            # console mid-show is offered for resume on the next start.
            self.controller.close()
        except Exception as exc:  # closing must always work
            log.warning("stopping the show on close: %s", exc)
        if self.output is not None:
            self.output.allow_close()
            self.output.close()
        event.accept()
