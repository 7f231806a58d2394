"""Opening the show: the QApplication, the controller, the projector window and the console.

`run_show(...)` is what `screening-night run` calls; `open_show(...)` builds the windows without
entering the event loop (tests use it with qtbot).
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QLocale, QTimer
from PySide6.QtWidgets import QApplication

from player.core.model import Playlist, steps
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
    """Build controller, projector window and console, and show them (no event loop).

    An interrupted show of this playlist (its journal) is offered for resume on the console, or
    resumed at once with `resume` (`run --resume`). `windowed` None: as remembered."""
    ensure_app()
    from player.qt.controller import ShowController
    from player.show import resume as resuming
    from player.show.journal import default_path

    chosen = pick_screen(screen)
    kwargs = dict(controller_kwargs or {})
    if backend is not None:
        kwargs["backend"] = backend
    kwargs.setdefault("lock_on_start", bool(settings.get("show/lock_on_start")))
    # The journal the controller will use: the one given, else the playlist's own (an unsaved
    # playlist has none of its own to resume from).
    given = kwargs.get("journal_path")
    point = None
    if given or playlist.path is not None:
        where = Path(given) if given else default_path(playlist.path)
        point = resuming.find(where, len(steps(playlist)))
        if point is not None and not (resume or point.offered):
            point = None
    if windowed is None:
        windowed = bool(settings.get("output/windowed"))
    # Raises journal.ShowInUse (a ValueError) when another program runs this night.
    controller = ShowController(playlist, resume=point, **kwargs)
    output = OutputWindow(screen=chosen, windowed=windowed)
    output.show()
    output.attach(controller)  # after show(): the native surfaces exist and are mapped
    output.show_status(controller.status)
    console = OperatorWindow(
        controller, output, playlist=playlist, playlist_path=playlist.path, run_check=run_check
    )
    if resume and point is not None:
        console.log_message(f"Resuming the interrupted show at #{point.step_index + 1}.")
        console.go()  # --resume: asked for on the command line, so the show continues now
    console.show()
    console.raise_()
    console.activateWindow()
    remember_screen(chosen)
    return Show(controller, output, console)


def ui_language() -> str:
    """The console's language choice (`ui/language` when the settings have it), else the
    system's."""
    if "ui/language" in settings.SETTINGS:
        chosen = str(settings.get("ui/language") or "")
        if chosen:
            return chosen
    return QLocale.system().name()


def start_remote(show: Show, options):
    """Start the remote control of `show` (a `player.remote.api.RemoteOptions`): say where it
    is on stdout and in the console. When it cannot start (a port in use...) say so on stderr
    and in the console, and return None: the show runs without it."""
    from dataclasses import replace

    from player.remote.api import RemoteError
    from player.remote.server import RemoteServer

    if not options.language:
        options = replace(options, language=ui_language())
    server = RemoteServer(show.controller.engine, options, on_action=show.console.remote_acted)
    try:
        info = server.start()
    except RemoteError as exc:
        message = f"Remote control is off: {exc}. The show runs without it."
        print(f"screening-night: {message}", file=sys.stderr, flush=True)
        show.console.set_remote(None, message)
        return None
    show.controller.status_changed.connect(server.publish)
    print(
        f"Remote control: {info.page_url} (stage page {info.stage_url}; OSC on UDP "
        f"{info.port})\nRemote token: {info.token}",
        flush=True,
    )
    show.console.set_remote(info)
    return server


def run_show(
    playlist: Playlist,
    *,
    screen: int | None = None,
    windowed: bool | None = None,
    resume: bool = False,
    quit_after_ms: int | None = None,
    remote=None,
) -> int:
    """Open the show and run the event loop until the console closes. Returns an exit code.
    `remote`: `player.remote.api.RemoteOptions`, or None for no remote control."""
    app = ensure_app()
    show = open_show(playlist, screen=screen, windowed=windowed, resume=resume)
    server = start_remote(show, remote) if remote is not None else None
    if quit_after_ms is not None:
        QTimer.singleShot(quit_after_ms, show.console.close_show)
    app.setQuitOnLastWindowClosed(True)
    try:
        return int(app.exec())
    finally:
        if server is not None:
            server.stop()
