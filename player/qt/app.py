"""Opening the show: the QApplication, the controller, the projector window and the console.

`run_show(...)` is what `screening-night run` calls; `open_show(...)` builds the windows without
entering the event loop (tests use it with qtbot).
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from player.core.cards import neutral_card
from player.core.model import Playlist
from player.qt import settings
from player.qt.operator_window import OperatorWindow
from player.qt.output_window import OutputWindow
from player.qt.screens import pick_screen, remember_screen

log = logging.getLogger(__name__)


def ensure_app() -> QApplication:
    app = QApplication.instance()
    if app is None:
        from player.media.vlc_backend import init_x11_threads

        init_x11_threads()  # before Qt's and libvlc's first X connection
        app = QApplication([sys.argv[0] if sys.argv else "screening-night"])
    app.setOrganizationName(settings.ORGANIZATION)
    app.setApplicationName(settings.APPLICATION)
    app.setApplicationDisplayName("Screening Night")
    settings.upgrade()
    return app


@dataclass
class Show:
    controller: object
    output: OutputWindow
    console: OperatorWindow


def open_show(
    playlist: Playlist,
    *,
    screen: int | None = None,
    windowed: bool | None = None,
    resume: bool = False,
    backend=None,
    run_check: bool = True,
    controller_kwargs: dict | None = None,
) -> Show:
    """Build controller, projector window and console, and show them (no event loop)."""
    ensure_app()
    from player.qt.controller import ShowController
    from player.show import journal

    chosen = pick_screen(screen)
    kwargs = dict(controller_kwargs or {})
    if backend is not None:
        kwargs["backend"] = backend
    offer = None
    # The journal the controller will use: the one given, else the playlist's own (an unsaved
    # playlist has none of its own to resume from).
    given = kwargs.get("journal_path")
    if not resume and (given or playlist.path is not None):
        state = journal.load(Path(given) if given else journal.default_path(playlist.path))
        point = state.resume_point() if state else None
        if point is not None and (point[0] > 0 or point[1] > 0):
            # The last show was interrupted: the controller learns where, and the console
            # offers it (GO resumes, or "Start from the top").
            resume, offer = True, point
    if windowed is None:
        windowed = bool(settings.get("output/windowed"))
    controller = ShowController(playlist, resume=resume, **kwargs)
    output = OutputWindow(screen=chosen, windowed=windowed)
    output.show_card(neutral_card(playlist))
    output.show()
    output.attach(controller)  # after show(): the native surfaces exist and are mapped
    console = OperatorWindow(
        controller, output, playlist=playlist, playlist_path=playlist.path, run_check=run_check
    )
    if offer is not None:
        # The controller's point is the journal's, corrected by the as-run log (a step that
        # finished just before the crash is not offered again).
        console.offer_resume(*(controller.resume_point or offer))
    elif resume and controller.resume_point is not None:
        index, _position = controller.resume_point
        console.log_message(f"Resuming the interrupted show at #{index + 1}.")
        console.go()  # --resume: asked for on the command line, so the show continues now
    console.show()
    console.raise_()
    console.activateWindow()
    remember_screen(chosen)
    return Show(controller, output, console)


def run_show(
    playlist: Playlist,
    *,
    screen: int | None = None,
    windowed: bool | None = None,
    resume: bool = False,
    quit_after_ms: int | None = None,
) -> int:
    """Open the show and run the event loop until the console closes. Returns an exit code."""
    app = ensure_app()
    show = open_show(playlist, screen=screen, windowed=windowed, resume=resume)
    if quit_after_ms is not None:
        QTimer.singleShot(quit_after_ms, show.console.close_show)
    app.setQuitOnLastWindowClosed(True)
    code = app.exec()
    from player.qt.workers import wait_for_tasks

    wait_for_tasks(10_000)
    return int(code)
