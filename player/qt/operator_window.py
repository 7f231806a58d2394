"""The operator console: running order, now & next, a live preview of the projector, the show
controls and a log of what the show did.

It renders the engine's `ShowStatus` and nothing else: no clock, no plan and no show state of
its own. The operator's keys and buttons become engine actions; an action the engine refuses
comes back as a `Refusal`, which the console writes to its log and status bar. Problems are
written to the log panel, never shown in a modal dialog while the show runs.

Keys (in both windows): Space GO, P pause/resume, Esc fade to black + silence over 2 s (a second
Esc stops at once), B blackout, S skip, Backspace back, Return jump to the selected item, Ctrl+L
lock. Unlocking is deliberate: hold the lock button for a second.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import (
    QAction,
    QBrush,
    QCloseEvent,
    QColor,
    QFont,
    QKeySequence,
    QPainter,
    QPixmap,
)
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

from player.core.cards import format_duration
from player.core.model import Film, Outcome, Playlist, Step
from player.core.schedule import UNKNOWN, clock, length
from player.core.sequencer import Phase
from player.core.tasks import run_task
from player.qt import settings
from player.qt.controller import gui_loop
from player.qt.screens import remember_screen
from player.qt.title_card import render_card
from player.show.fades import FADE_MS
from player.show.status import Action, GoDoes, Refusal, Shows, ShowStatus

log = logging.getLogger(__name__)

UNLOCK_HOLD_MS = 1000
CLOSE_CONFIRM_MS = 5000
PREVIEW_SIZE = QSize(384, 216)
SNAPSHOT_PERIOD_MS = 1000
ON_TIME_MS = 30_000  # within this of the plan reads "on time"

COL_NUM, COL_START, COL_ITEM, COL_KIND, COL_LENGTH, COL_CHECK, COL_PLAYED = range(7)
HEADERS = ["#", "Start", "Item", "Kind", "Length", "Check", "Played"]
CHECK_COLOURS = {"green": "#2e9d4f", "amber": "#d89614", "red": "#d23c3c", "grey": "#8a8a8a"}
PHASE_TEXT = {
    Phase.IDLE: "Ready",
    Phase.CARD: "Card",
    Phase.FILM: "Film",
    Phase.INTERMISSION: "Intermission",
    Phase.HOLDING: "HOLD — waiting for GO",
    Phase.PAUSED: "PAUSED",
    Phase.FADING: "Fading to black…",
    Phase.BLACK: "Stopped — black",
    Phase.FINISHED: "The night is over",
}
PHASE_COLOUR = {Phase.HOLDING: "#d89614", Phase.PAUSED: "#d89614", Phase.FADING: "#d23c3c"}


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


def go_text(status: ShowStatus) -> str:
    """What the GO button says it will do."""
    nxt = status.next_index
    target = f"#{nxt + 1} {status.next_title}" if nxt is not None else ""
    match status.go:
        case GoDoes.START:
            return "GO — start the night"
        case GoDoes.RESUME:
            return f"GO — resume at {target}"
        case GoDoes.NEXT:
            return f"GO — {target}" if target else "GO — end the night"
    return "GO"


def late_text(status: ShowStatus) -> tuple[str, str]:
    """(text, colour) of how late the night runs."""
    late = status.late_ms
    if not status.started:
        if status.timed_from_go:
            return "rehearsal: timed from GO", "#8a8a8a"
        if status.planned_start_ms is not None and (late is None or late < ON_TIME_MS):
            return f"starts {clock(status.planned_start_ms)}", "#2e9d4f"
    if late is None:
        return "", ""
    if abs(late) < ON_TIME_MS:
        return "on time", "#2e9d4f"
    if late > 0:
        return f"{format_duration(late)} late", "#d23c3c"
    return f"{format_duration(-late)} early", "#d89614"


_BRUSHES: dict[str | None, QBrush] = {}


def _brush(colour: str | None) -> QBrush:
    """One brush per colour (None: the default), made once: a marathon night styles 20 000
    rows, and making the brushes anew each time cost seconds."""
    brush = _BRUSHES.get(colour)
    if brush is None:
        brush = _BRUSHES[colour] = QBrush(QColor(colour)) if colour else QBrush()
    return brush


def _big_label(size_px: int, bold: bool = True) -> QLabel:
    label = QLabel("—")
    font = QFont()
    font.setPixelSize(size_px)
    font.setBold(bold)
    font.setStyleHint(QFont.StyleHint.Monospace)
    label.setFont(font)
    return label


class HoldButton(QPushButton):
    """A button that fires `held` only after being held down for `hold_ms` (a deliberate act).
    The release that ends such a hold is not a click."""

    held = Signal()

    def __init__(self, text: str, hold_ms: int = UNLOCK_HOLD_MS, parent=None) -> None:
        super().__init__(text, parent)
        self._timer = QTimer(self, singleShot=True, interval=hold_ms)
        self._timer.timeout.connect(self._fire)
        self._fired = False
        self.pressed.connect(self._press)
        self.released.connect(self._timer.stop)

    def _press(self) -> None:
        self._fired = False
        self._timer.start()

    def _fire(self) -> None:
        self._fired = True
        self.held.emit()

    def mouseReleaseEvent(self, event) -> None:
        if self._fired:
            self._fired = False
            self.setDown(False)
            self._timer.stop()
            event.accept()  # the hold was the act: no click follows it
            return
        super().mouseReleaseEvent(event)


class OperatorWindow(QMainWindow):
    """The console over `controller` (a `player.qt.controller.ShowController`); `output` is the
    projector's OutputWindow (or None)."""

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
        self.engine = controller.engine
        self.output = output
        self.playlist = playlist
        self.playlist_path = Path(playlist_path) if playlist_path else playlist.path
        self.steps: list[Step] = list(self.engine.steps)
        self._status: ShowStatus = self.engine.status
        self._timeline = None  # the timeline rows last drawn
        self._marked_row: int | None = None  # the row styled as current
        self._locked = False
        self._check: dict[Path, tuple[str, str]] = {}
        self._close_armed_ms: int | None = None
        self._close_confirmed = False
        self._check_waiting = False  # a media check waits for the engine's probes
        self._snapshot_path = Path(tempfile.mkdtemp(prefix="screening-night-")) / "preview.png"
        self.remote_info = None  # player.remote.server.RemoteInfo while the remote runs
        self._remote_note = "Remote control is off (start with: run PLAYLIST --remote PORT)."
        self.go_count = 0  # GO presses that reached the engine (tests read it)

        title = playlist.title.first(playlist.languages)
        self.setWindowTitle(f"Screening Night — {title}")
        self._build_ui()
        self._build_actions()
        self._fill_rows()
        self._restore_settings()

        controller.status_changed.connect(self._on_status)
        controller.problem_reported.connect(self._on_problem)
        controller.item_finished.connect(self._on_item_finished)
        controller.finished.connect(self._on_finished)

        self._snapshot_timer = QTimer(self, interval=SNAPSHOT_PERIOD_MS)
        self._snapshot_timer.timeout.connect(self._take_snapshot)

        point = self.engine.resume_point
        if point is not None and not self._status.started:
            self._offer_resume(point.step_index, point.position_ms)
        if run_check:
            self.start_media_check()
        self._on_status(self._status)

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
        self.remote_menu = self.menuBar().addMenu("&Remote")
        self.remote_menu.aboutToShow.connect(self._fill_remote_menu)

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

    def _fill_rows(self) -> None:
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        with self._bulk_update():
            self.table.setRowCount(len(self.steps))
            for row, step in enumerate(self.steps):
                cells = ["" for _ in HEADERS]
                cells[COL_NUM] = str(row + 1)
                cells[COL_ITEM] = step_title(self.playlist, step)
                cells[COL_KIND] = "title card" if step.is_title_card else step.kind.value
                for col, text in enumerate(cells):
                    item = QTableWidgetItem(text)
                    if col in (COL_NUM, COL_START, COL_LENGTH):
                        item.setTextAlignment(right)
                    self.table.setItem(row, col, item)
                self._set_check_cell(row)

    def _fill_timeline(self, status: ShowStatus) -> None:
        """Planned times and what happened, from the engine's timeline (only rows that
        changed are touched: a marathon night has 20 000 of them)."""
        old = self._timeline
        if status.timeline is old:
            return
        self._timeline = status.timeline
        relative = status.planned_start_ms is None
        changed = [
            row
            for row in status.timeline[: self.table.rowCount()]
            if old is None or row.index >= len(old) or old[row.index] != row
        ]
        if not changed:
            return
        base = status.timeline[0].planned_start_ms if status.timeline else 0
        with self._bulk_update():
            for row in changed:
                i = row.index
                start = (
                    "+" + length(row.planned_start_ms - base)
                    if relative
                    else clock(row.planned_start_ms)
                )
                self.table.item(i, COL_START).setText(start)
                planned = "hold" if row.held else length(row.planned_ms)
                self.table.item(i, COL_LENGTH).setText("?" if row.source is UNKNOWN else planned)
                cell = self.table.item(i, COL_PLAYED)
                if row.outcome is Outcome.PLAYED:
                    cell.setText(f"played {format_duration(row.played_ms)}")
                else:
                    cell.setText(row.outcome.value if row.outcome else "")
                failed = row.outcome is Outcome.FAILED
                cell.setForeground(_brush(CHECK_COLOURS["red"]) if failed else _brush(None))
                cell.setToolTip(row.error or "")
                was = old[i].outcome if old is not None and i < len(old) else None
                if i != self._marked_row and was != row.outcome:
                    self._style_row(i, current=False)  # played rows turn grey
        planned_total = sum(row.planned_ms for row in status.timeline)
        self.table.setToolTip(f"Total running time {length(planned_total)}")

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
                item.setBackground(_brush("#3b5b8c"))
                item.setForeground(_brush("white"))
            else:
                item.setBackground(_brush(None))
                item.setForeground(_brush("#888" if played else None))

    def _mark_current(self, index: int | None) -> None:
        if index == self._marked_row:
            return
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

    def _set_check_cell(self, row: int) -> None:
        step = self.steps[row]
        cell = self.table.item(row, COL_CHECK)
        if not isinstance(step.item, Film) or step.is_title_card:
            cell.setText("")
            return
        colour, detail = self._check.get(step.item.path, ("grey", "checking…"))
        cell.setText({"green": "OK", "amber": "warn", "red": "ERROR", "grey": "…"}[colour])
        cell.setForeground(_brush("white"))
        cell.setBackground(_brush(CHECK_COLOURS[colour]))
        cell.setToolTip(detail)

    def start_media_check(self) -> None:
        """Check every film in the background; the column fills in when it is done. While the
        engine is still probing the films (it does once per opening, for the plan), the check
        waits for it and then reads its probes from the cache instead of probing again."""
        self.log_message("Checking the media in the background…")
        self._check_waiting = True
        self._run_check_when_probed()

    def _run_check_when_probed(self) -> None:
        if not self._check_waiting or self._status.probing:
            return
        self._check_waiting = False
        from player.organiser import check_run

        playlist = self.playlist
        run_task(
            lambda: check_run.check_playlist(playlist),
            self._on_check_done,
            gui_loop(),
            name="check",
        )

    def _on_check_done(self, report, error: Exception | None) -> None:
        if error is not None:
            self.log_message(f"The media check could not run: {error}")
            return
        bad = 0
        for item in report.items:
            colour = check_colour(item.status)
            detail = "\n".join(str(p) for p in item.problems) or "no problems found"
            self._check[Path(item.path)] = (colour, detail)
            bad += colour == "red"
        with self._bulk_update():
            for row in range(len(self.steps)):
                self._set_check_cell(row)
        summary = f"{bad} film(s) with errors" if bad else "all films look playable"
        self.log_message(f"Media check done: {summary}.")

    # ================================================================== controls
    @property
    def show_locked(self) -> bool:
        return self._locked

    def set_show_locked(self, locked: bool) -> None:
        """Engage/release the show lock (locks jumps, back, skip and edits; GO, pause, fade,
        blackout and volume stay available)."""
        self.engine.set_locked(locked)

    def _on_lock_clicked(self) -> None:
        if not self._locked:
            self.set_show_locked(True)
        # when locked, a click does nothing: only holding the button releases the lock

    def _report(self, refusal: Refusal | None, done: str | None = None) -> None:
        if refusal is not None:
            name = "GO" if refusal.action is Action.GO else refusal.action.value.capitalize()
            message = f"{name} refused: {refusal.reason}."
            self.log_message(message)
            self.statusBar().showMessage(message, 8_000)
        elif done:
            self.log_message(done)

    @Slot()
    def go(self) -> None:
        """GO: start the night, or the step the show waits for (the engine ignores a second
        press within half a second)."""
        status = self.engine.status
        what = go_text(status)
        refusal = self.engine.go()
        if refusal is None:
            self.go_count += 1
            self.resume_bar.hide()
        self._report(refusal, what + ".")

    @Slot()
    def start_from_top(self) -> None:
        self.resume_bar.hide()
        self._report(self.engine.start_from_top(), "The night starts from the top.")

    @Slot()
    def toggle_pause(self) -> None:
        paused = self.engine.status.paused
        self._report(self.engine.toggle_pause(), "Resumed." if paused else "Paused.")

    @Slot()
    def escape(self) -> None:
        """Esc: fade to black and silence over 2 s; a second Esc soon after stops at once."""
        fading = self.engine.status.phase is Phase.FADING
        refusal = self.engine.escape()
        if fading or self.engine.status.phase is not Phase.FADING:
            self._report(refusal, "Stopped: black.")
        else:
            self._report(refusal, "Fade to black and silence (2 s). Esc again to stop at once.")

    @Slot()
    def fade_out(self) -> None:
        self._report(self.engine.fade(FADE_MS), "Fade to black and silence (2 s).")

    @Slot()
    def hard_stop(self) -> None:
        self._report(self.engine.stop(), "Stopped: black.")

    @Slot()
    def skip(self) -> None:
        self._report(self.engine.skip(), "Skip.")

    @Slot()
    def back(self) -> None:
        self._report(self.engine.back(), "Back.")

    @Slot()
    def jump_to_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            self.log_message("Jump: select an item in the running order first.")
            return
        self.jump(rows[0].row())

    def jump(self, step_index: int) -> None:
        title = step_title(self.playlist, self.steps[step_index])
        self._report(self.engine.jump(step_index), f"Jump to #{step_index + 1}: {title}.")

    @Slot()
    def toggle_blackout(self) -> None:
        on = not self.engine.status.blackout
        self._report(self.engine.set_blackout(on), "Blackout on." if on else "Blackout off.")

    def _on_volume(self, value: int) -> None:
        db = value / 2
        self.volume_label.setText(f"{db:+.1f} dB")
        self.engine.set_volume_trim_db(db)
        settings.put("show/volume_trim_db", db)

    def _offer_resume(self, step_index: int, position_ms: int) -> None:
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

    def open_editor(self) -> None:
        """The playlist editor, read-only while the show is locked (it follows the lock)."""
        from player.qt.editor import EditorWindow

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

    # ================================================================== the remote
    def set_remote(self, info, note: str | None = None) -> None:
        """The remote runs at `info` (a `player.remote.server.RemoteInfo`), or does not
        (None, and `note` says why)."""
        self.remote_info = info
        if info is not None:
            self.log_message(f"Remote control on {info.page_url} (OSC on UDP {info.port}).")
        elif note:
            self._remote_note = note
            self.log_message(note)

    def remote_acted(self, source: str, action: Action, refusal: Refusal | None) -> None:
        """A remote action was carried out or refused (on the GUI thread): in the show log."""
        name = "GO" if action is Action.GO else action.value.capitalize()
        if refusal is None:
            self.log_message(f"{name} from the remote ({source}).")
        else:
            self.log_message(f"{name} from the remote ({source}) refused: {refusal.reason}.")

    def _fill_remote_menu(self) -> None:
        menu = self.remote_menu
        menu.clear()
        info = self.remote_info
        if info is None:
            menu.addAction(self._remote_note).setEnabled(False)
            return
        menu.addAction(f"Remote page: {info.page_url}").setEnabled(False)
        menu.addAction(f"Token: {info.token}").setEnabled(False)
        menu.addAction("Show address, token and QR code…", self.show_remote_panel)

    def show_remote_panel(self):
        from player.qt.remote_panel import RemoteDialog

        dialog = RemoteDialog(self.remote_info, self)
        dialog.show()
        return dialog

    def choose_screen(self, screen) -> None:
        if self.output is None:
            return
        if self._locked:
            self.log_message(
                "Changing screen refused: the show is locked (hold the lock button 1 s)."
            )
            return
        self.output.move_to_screen(screen)
        remember_screen(screen)
        self.log_message(f"Projector output on {screen.name()}.")

    # ================================================================== engine status
    @Slot(object)
    def _on_status(self, status: ShowStatus) -> None:
        self._status = status
        if status.locked != self._locked:
            self._set_lock_view(status.locked)
        self._fill_timeline(status)
        self._mark_current(status.step_index)
        self.blackout_button.setChecked(status.blackout)
        self.pause_button.setText("Resume (P)" if status.paused else "Pause (P)")
        self.go_button.setText(go_text(status) + "  (Space)")
        self._render_preview(status)
        self._render_now_next(status)
        if status.started:
            self.resume_bar.hide()
        if not status.probing:
            self._run_check_when_probed()

    def _set_lock_view(self, locked: bool) -> None:
        self._locked = locked
        for widget in (self.skip_button, self.back_button, self.jump_button):
            widget.setEnabled(not locked)
        for act in (self.skip_action, self.back_action, self.jump_action):
            act.setEnabled(not locked)
        self.lock_button.setText("LOCKED — hold 1 s to unlock" if locked else "Lock show")
        self.lock_button.setStyleSheet("background: #8c3b3b; color: white;" if locked else "")
        self.log_message("Show lock on." if locked else "Show lock released.")
        self.lock_changed.emit(locked)

    def _render_now_next(self, status: ShowStatus) -> None:
        phase = status.phase
        text = PHASE_TEXT[phase]
        if phase in (Phase.HOLDING, Phase.BLACK) and status.next_index is not None:
            text += " — GO starts the next step"
        self.phase_label.setText(text)
        colour = PHASE_COLOUR.get(phase, "")
        self.phase_label.setStyleSheet(f"color: {colour};" if colour else "")
        self.now_label.setText(status.title or "—")
        on = status.step_index is not None or status.title
        self.elapsed_label.setText(format_duration(status.elapsed_ms) if on else "—")
        remaining = status.remaining_ms
        self.remaining_label.setText("-" + format_duration(remaining) if remaining else "—")
        duration = status.duration_ms
        self.progress.setValue(
            min(1000, int(1000 * status.elapsed_ms / duration)) if duration else 0
        )
        self.next_label.setText(status.next_title or "— end of the night —")
        self.clock_label.setText(clock(status.clock_ms))
        late, colour = late_text(status)
        self.late_label.setText(late)
        self.late_label.setStyleSheet(f"color: {colour};" if colour else "")
        if status.projected_end_ms is not None:
            planned = status.planned_end_ms
            plan = f" (planned {clock(planned)})" if planned is not None else ""
            self.end_label.setText(f"ends {clock(status.projected_end_ms)}{plan}")
        else:
            self.end_label.setText("")

    # ================================================================== the preview
    def _render_preview(self, status: ShowStatus) -> None:
        screen = status.screen
        shows = screen.visible
        if shows is Shows.VIDEO:
            if not self._snapshot_timer.isActive():
                self.preview.setPixmap(QPixmap())
                self.preview.setText(f"▶ {status.title}")
                self._snapshot_timer.start()
            return
        self._snapshot_timer.stop()
        if shows is Shows.CARD and screen.card is not None:
            remaining = status.remaining_ms if screen.card.countdown_ms is not None else None
            image = render_card(screen.card, PREVIEW_SIZE, remaining)
            if screen.level < 1.0:
                painter = QPainter(image)
                painter.fillRect(image.rect(), QColor(0, 0, 0, round(255 * (1 - screen.level))))
                painter.end()
            self.preview.setPixmap(QPixmap.fromImage(image))
            return
        self.preview.setPixmap(QPixmap())
        self.preview.setText("BLACKOUT" if screen.blackout else "black")

    def _take_snapshot(self) -> None:
        if self._status.screen.visible is not Shows.VIDEO or not self.isVisible():
            return
        try:
            ok = self.engine.snapshot(self._snapshot_path)
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

    # ================================================================== engine reports
    @Slot(str)
    def _on_problem(self, message: str) -> None:
        self.log_message(f"PROBLEM: {message}")
        self.statusBar().showMessage(message, 15_000)

    @Slot(object)
    def _on_item_finished(self, entry) -> None:
        line = f"#{entry.index + 1} {entry.title}: {entry.outcome.value}"
        self.log_message(line + (f" ({entry.error})" if entry.error else ""))

    @Slot()
    def _on_finished(self) -> None:
        self.log_message("The night is over: the projector shows black.")

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
            self.engine.set_volume_trim_db(db)

    def save_settings(self) -> None:
        settings.put("console/geometry", self.saveGeometry())
        settings.put("console/state", self.saveState())
        settings.put("console/splitter", self.splitter.saveState())
        if self.output is not None:
            settings.put("output/windowed", self.output.windowed)
        settings.sync()

    @property
    def show_running(self) -> bool:
        status = self._status
        return status.started and status.phase not in (Phase.FINISHED, Phase.BLACK, Phase.IDLE)

    def close_show(self) -> None:
        """Close now, even mid-show (used by --quit-after and tests)."""
        self._close_confirmed = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        # An accidental close must not end the show: mid-show it takes a second close within
        # a few seconds (non-modal: the show keeps running while it asks).
        now = self.engine.clock.now_ms()
        confirmed = self._close_confirmed
        armed = self._close_armed_ms is not None and now - self._close_armed_ms < CLOSE_CONFIRM_MS
        if self.show_running and not confirmed and not armed:
            self._close_armed_ms = now
            message = "The show is running: close again within 5 s to stop it and quit."
            self.statusBar().showMessage(message, CLOSE_CONFIRM_MS)
            self.log_message(message)
            event.ignore()
            return
        self.save_settings()
        self._snapshot_timer.stop()
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
