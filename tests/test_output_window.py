"""The projector window: covers the chosen screen, frameless, on top, no cursor, black when nothing
is on; shows cards, video surfaces and black as the controller says. The real-window checks run
under Xvfb (two X screens) in a subprocess, and grab the X screen to see what an audience sees."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import xvfb
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from player.core.cards import CardKind, card_content
from player.core.model import Card, LocalText, Playlist, steps
from player.qt.output_window import OutputWindow


def night() -> Playlist:
    card = Card(id="hello", text=LocalText.of({"zh": "你好", "fr": "Bonjour", "en": "Hello"}))
    return Playlist(title=LocalText.of("Night"), items=(card,), languages=("zh", "fr", "en"))


@pytest.fixture
def window(qtbot):
    w = OutputWindow(screen=QGuiApplication.primaryScreen())
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.allow_close()


def test_covers_the_screen_frameless_on_top_without_cursor(window):
    screen = QGuiApplication.primaryScreen()
    assert window.geometry() == screen.geometry()
    flags = window.windowFlags()
    assert flags & Qt.WindowType.FramelessWindowHint
    assert flags & Qt.WindowType.WindowStaysOnTopHint
    assert window.cursor().shape() == Qt.CursorShape.BlankCursor
    for surface in window.videos:
        assert surface.cursor().shape() == Qt.CursorShape.BlankCursor
        assert surface.testAttribute(Qt.WidgetAttribute.WA_NativeWindow)
    handles = window.video_handles()
    assert handles[0] != handles[1] and all(h > 0 for h in handles)


def test_black_when_nothing_is_on_then_card_video_black(window, qtbot):
    image = window.grab().toImage()
    assert window.page == "black"
    assert {
        image.pixel(x, y) & 0xFFFFFF
        for x in range(0, image.width(), 37)
        for y in range(0, image.height(), 29)
    } == {0}
    n = night()
    window.show_card(card_content(n, steps(n)[0]))
    assert window.page == "card"
    card = window.card_view.grab().toImage()
    assert any(card.pixel(x, card.height() // 2) & 0xFFFFFF for x in range(card.width()))
    window.show_video(1)
    assert window.page == "video1"
    window.show_black()
    assert window.page == "black"


def test_windowed_is_a_normal_window(qtbot):
    w = OutputWindow(windowed=True)
    qtbot.addWidget(w)
    w.show()
    assert not w.windowFlags() & Qt.WindowType.FramelessWindowHint
    assert w.cursor().shape() != Qt.CursorShape.BlankCursor
    assert (w.width(), w.height()) == (960, 540)
    w.allow_close()


def test_does_not_close_on_its_own_mid_show(window):
    window.close()
    assert window.isVisible()
    window.allow_close()
    window.close()
    assert not window.isVisible()


# ------------------------------------------------------------------ under Xvfb, real X windows
PROBE = r"""
import sys, subprocess, json
from PySide6.QtWidgets import QApplication
from PySide6.QtCore import QTimer
app = QApplication([])
from player.qt.app import pick_screen
from player.qt.output_window import OutputWindow
from player.core.model import Card, LocalText, Playlist, steps
from player.core.cards import card_content
screen = pick_screen(int(sys.argv[1]))
w = OutputWindow(screen=screen, windowed=False)
w.show()
display = sys.argv[2]

def grab(tag):
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "x11grab", "-video_size", "800x600", "-i",
         display + "+0,0", "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        capture_output=True, check=True).stdout
    return {"tag": tag, "nonblack": sum(1 for b in out if b > 8), "pixels": len(out)}

results = {}
def step1():
    results["geometry"] = [w.geometry().x(), w.geometry().y(), w.width(), w.height()]
    results["screen"] = [screen.geometry().width(), screen.geometry().height()]
    results["black"] = grab("black")
    card = Card(id="c", text=LocalText.of({"zh": "你好", "en": "Hello"}))
    n = Playlist(title=LocalText.of("n"), items=(card,), languages=("zh", "en"))
    w.show_card(card_content(n, steps(n)[0]))
    QTimer.singleShot(300, step2)
def step2():
    results["card"] = grab("card")
    w.show_black()
    QTimer.singleShot(300, step3)
def step3():
    results["black_again"] = grab("black again")
    print(json.dumps(results))
    w.allow_close()
    app.quit()
QTimer.singleShot(500, step1)
app.exec()
"""


@pytest.fixture(scope="module")
def xvfb_two_screens():
    """An Xvfb with two X screens (1280x720 and 800x600) and a white root window, so any part
    not covered by our window (or a visible cursor) shows up as non-black."""
    with xvfb("-wr", "-screen", "0", "1280x720x24", "-screen", "1", "800x600x24") as display:
        yield display


def test_real_window_covers_the_chosen_x_screen(xvfb_two_screens):
    import json

    env = dict(os.environ, DISPLAY=xvfb_two_screens, QT_QPA_PLATFORM="xcb")
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "1", f"{xvfb_two_screens}.1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert data["screen"] == [800, 600]
    assert data["geometry"][2:] == [800, 600]
    # Nothing of the X root (desktop) or a frame shows: the whole screen is black.
    assert data["black"]["pixels"] == 800 * 600
    assert data["black"]["nonblack"] == 0
    # A card is really drawn on that screen, and black afterwards is black again.
    assert data["card"]["nonblack"] > 500
    assert data["black_again"]["nonblack"] == 0


def test_follows_the_real_controller_live_countdown_then_black(qtbot, tmp_path):
    from player.core.model import Intermission
    from player.media.vlc_backend import VlcBackend
    from player.qt.controller import ShowController

    pause = Intermission(id="pause", duration_ms=2_500)
    n = Playlist(title=LocalText.of("Night"), items=(pause,), languages=("en",))
    controller = ShowController(
        n,
        backend=VlcBackend(video=False, audio="dummy"),
        as_run_path=tmp_path / "as-run.jsonl",
        journal_path=tmp_path / "journal.json",
    )
    w = OutputWindow(controller, windowed=True)
    qtbot.addWidget(w)
    w.show()
    try:
        controller.engine.go()
        qtbot.waitUntil(lambda: w.page == "card", timeout=5_000)
        assert w.card_view.content.kind is CardKind.INTERMISSION
        qtbot.waitUntil(lambda: (w.card_view.remaining_ms or 10_000) < 1_500, timeout=5_000)
        with qtbot.waitSignal(controller.finished, timeout=10_000):
            pass
        assert w.page == "black"
    finally:
        controller.close()
        w.allow_close()


def test_moves_to_another_screen_and_back_to_windowed(qtbot):
    w = OutputWindow(windowed=True)
    qtbot.addWidget(w)
    w.show()
    screen = QGuiApplication.primaryScreen()
    w.move_to_screen(screen, windowed=False)
    assert w.isVisible() and w.geometry() == screen.geometry()
    assert w.windowFlags() & Qt.WindowType.FramelessWindowHint
    assert all(h > 0 for h in w.video_handles())
    w.move_to_screen(screen, windowed=True)
    assert not w.windowFlags() & Qt.WindowType.FramelessWindowHint
    w.allow_close()
