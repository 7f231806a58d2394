"""The console drives a real night: the real engine in its Qt controller, real libvlc (dummy
video and audio output) on generated clips, the projector window following it. GO, auto-follow,
hold, the GO debounce, the show lock, skip, blackout, pause, Esc twice, resume offer, settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from player.core.model import Card, Defaults, Film, Follow, LocalText, Playlist
from player.core.sequencer import Phase
from player.media.vlc_backend import VlcBackend
from player.qt import settings
from player.qt.app import open_show
from player.qt.operator_window import COL_PLAYED
from player.show import journal
from player.show.engine import GO_DEBOUNCE_MS
from player.show.status import Shows
from support.synth import make_clip

NIGHT_TIMEOUT_MS = 40_000


@pytest.fixture(scope="session")
def console_films(media_dir) -> list[Path]:
    return [
        make_clip(media_dir / f"console {name}.mp4", seconds=2.0, label=name, tone_hz=hz)
        for name, hz in (("A", 440), ("B", 660))
    ]


def film(path: Path, title: str) -> Film:
    return Film(id=title.lower(), path=path, title=LocalText.of(title), runtime_ms=2_000)


def night(*items, title_cards=True, path=None) -> Playlist:
    return Playlist(
        title=LocalText.of({"zh": "测试之夜", "fr": "Soirée test", "en": "Test night"}),
        items=tuple(items),
        path=path,
        languages=("zh", "fr", "en"),
        defaults=Defaults(title_cards=title_cards, card_ms=800, follow=Follow.AUTO),
    )


@pytest.fixture
def show(qtbot, tmp_path):
    opened = []

    def make(playlist: Playlist, **kw):
        s = open_show(
            playlist,
            windowed=True,
            backend=VlcBackend(video=False, audio="dummy"),
            run_check=kw.pop("run_check", False),
            controller_kwargs={
                "as_run_path": tmp_path / "as-run.jsonl",
                "journal_path": kw.pop("journal_path", tmp_path / "journal.json"),
                "recovery_ms": 800,
            },
            **kw,
        )
        qtbot.addWidget(s.console)
        qtbot.addWidget(s.output)
        opened.append(s)
        return s

    yield make
    for s in opened:
        s.console.close_show()


def wait_phase(qtbot, controller, *phases, timeout=10_000):
    qtbot.waitUntil(lambda: controller.status.phase in phases, timeout=timeout)


def test_go_hold_debounce_auto_follow_to_the_end(show, qtbot, console_films):
    a, b = console_films
    doors = Card(id="doors", text=LocalText.of("Doors"), duration_ms=None, hold=True)
    s = show(night(doors, film(a, "Film A"), film(b, "Film B")))
    console, controller, output = s.console, s.controller, s.output
    pages = []

    def on_status(status) -> None:
        if status.screen.visible is Shows.VIDEO and (not pages or pages[-1] != output.page):
            pages.append(output.page)

    controller.status_changed.connect(on_status)
    assert controller.status.phase is Phase.IDLE
    assert console.go_button.text().startswith("GO — start the night")
    assert console.table.rowCount() == 5  # hold card, card A, film A, card B, film B

    console.activateWindow()
    qtbot.waitUntil(console.isActiveWindow, timeout=3_000)
    qtbot.keyClick(console, Qt.Key.Key_Space)  # GO: the night starts, the held card is up
    qtbot.keyClick(console, Qt.Key.Key_Space)  # a double press: ignored, the card stays up
    wait_phase(qtbot, controller, Phase.HOLDING)
    assert console.go_count == 1
    assert "GO refused: GO pressed again within half a second" in console.log_view.toPlainText()
    assert controller.status.step_index == 0
    assert output.page == "card" and output.card_view.content.lines == (("", "Doors"),)
    assert console.show_locked  # the lock engages when the night starts
    assert console.go_button.text().startswith("GO — #2 Title card: Film A")

    started = controller.clock.now_ms()  # past the debounce (the engine's clock): GO counts
    qtbot.waitUntil(lambda: controller.clock.now_ms() - started > GO_DEBOUNCE_MS)
    with qtbot.waitSignal(controller.finished, timeout=NIGHT_TIMEOUT_MS):
        console.go()
    assert console.go_count == 2
    # Everything after the held card followed by itself, and played.
    played = [console.table.item(row, COL_PLAYED).text() for row in range(5)]
    assert all(text.startswith("played") for text in played), played
    assert sorted(pages) == ["video0", "video1"]  # two players taking turns
    assert output.page == "black"  # never a frozen frame after the show
    assert "over" in console.phase_label.text()
    log = console.log_view.toPlainText()
    assert "Film A: played" in log and "Film B: played" in log


def test_lock_skip_blackout_pause_and_esc_twice(show, qtbot, console_films):
    a, b = console_films
    s = show(night(film(a, "Film A"), film(b, "Film B"), title_cards=False))
    console, controller, output = s.console, s.controller, s.output
    console.go()
    wait_phase(qtbot, controller, Phase.FILM)

    # Blackout on and off.
    console.toggle_blackout()
    qtbot.waitUntil(lambda: controller.status.blackout, timeout=5_000)
    assert console.blackout_button.isChecked()
    console.toggle_blackout()
    qtbot.waitUntil(lambda: not controller.status.blackout, timeout=5_000)

    # Pause and resume.
    console.toggle_pause()
    qtbot.waitUntil(lambda: controller.status.paused, timeout=5_000)
    assert console.pause_button.text().startswith("Resume")
    console.toggle_pause()
    qtbot.waitUntil(lambda: not controller.status.paused, timeout=5_000)

    # Locked: skip is refused and said so; a click on the lock does not unlock.
    assert console.show_locked
    console.skip()
    assert controller.status.step_index == 0
    assert "Skip refused: the show is locked" in console.log_view.toPlainText()
    qtbot.mouseClick(console.lock_button, Qt.MouseButton.LeftButton)
    assert console.show_locked
    # Pressing and holding the lock button for a second releases it (a deliberate act), and
    # letting go of the mouse leaves it released.
    with qtbot.waitSignal(console.lock_changed, timeout=3_000) as unlocked:
        qtbot.mousePress(console.lock_button, Qt.MouseButton.LeftButton)
    qtbot.mouseRelease(console.lock_button, Qt.MouseButton.LeftButton)
    assert unlocked.args == [False] and not console.show_locked and not controller.status.locked

    console.skip()
    qtbot.waitUntil(lambda: controller.status.step_index == 1, timeout=5_000)
    wait_phase(qtbot, controller, Phase.FILM)

    # Closing the console by accident mid-show does not stop the show; a second close does.
    console.close()
    assert console.isVisible() and controller.status.phase is Phase.FILM
    assert "close again" in console.log_view.toPlainText()

    # Esc: fade to black and silence; Esc again: hard stop, black.
    console.escape()
    wait_phase(qtbot, controller, Phase.FADING, timeout=3_000)
    console.escape()
    wait_phase(qtbot, controller, Phase.BLACK, Phase.FINISHED, timeout=5_000)
    qtbot.waitUntil(lambda: output.page == "black", timeout=3_000)
    log = console.log_view.toPlainText()
    assert "Fade to black" in log and "Stopped: black." in log


def test_resume_is_offered_after_an_interrupted_show(show, qtbot, tmp_path, console_films):
    a, b = console_films
    playlist_path = tmp_path / "night.yaml"
    playlist_path.write_text("# stand-in path for the journal key\n", encoding="utf-8")
    playlist = night(film(a, "Film A"), film(b, "Film B"), title_cards=False, path=playlist_path)
    journal_path = journal.default_path(playlist_path)
    journal.save(journal_path, journal.JournalState(str(playlist_path), step_index=1))
    s = show(playlist, journal_path=journal_path)
    assert s.console.resume_bar.isVisibleTo(s.console)
    assert "#2 Film B" in s.console.resume_label.text()
    assert s.console.go_button.text().startswith("GO — resume at #2 Film B")
    s.console.go()  # GO resumes where the show stopped
    qtbot.waitUntil(lambda: s.controller.status.step_index == 1, timeout=10_000)
    assert not s.console.resume_bar.isVisibleTo(s.console)


def test_volume_and_layout_persist_but_not_the_playlist(show, qtbot, console_films):
    a, _ = console_films
    s = show(night(film(a, "Film A")))
    s.console.volume.setValue(-7)  # half-dB steps
    assert s.controller.status.volume_trim_db == pytest.approx(-3.5)
    s.console.close_show()
    assert settings.get("show/volume_trim_db") == pytest.approx(-3.5)
    again = show(night(film(a, "Film A")))
    assert again.console.volume.value() == -7
    assert again.console.volume_label.text() == "-3.5 dB"
    from PySide6.QtCore import QSettings

    stored = QSettings(settings.ORGANIZATION, settings.APPLICATION)
    assert not [key for key in stored.allKeys() if "Film" in str(stored.value(key))]
    settings.put("show/volume_trim_db", 0.0)


def test_media_check_fills_the_check_column_in_the_background(show, qtbot, console_films, tmp_path):
    a, _ = console_films
    missing = tmp_path / "missing film.mp4"
    s = show(night(film(a, "Film A"), film(missing, "Gone"), title_cards=False), run_check=True)
    console = s.console
    assert console.isVisible()  # usable at once, the check runs behind
    qtbot.waitUntil(lambda: "Media check done" in console.log_view.toPlainText(), timeout=30_000)
    from player.qt.operator_window import COL_CHECK

    assert console.table.item(0, COL_CHECK).text() == "OK"
    assert console.table.item(1, COL_CHECK).text() == "ERROR"


def test_run_task_works_off_the_gui_thread_and_comes_back_to_it(qtbot):
    import threading

    from player.core.tasks import run_task
    from player.qt.controller import gui_loop

    gui = threading.current_thread()
    results = []
    run_task(
        lambda: threading.current_thread() is not gui,
        lambda result, error: results.append((result, error, threading.current_thread() is gui)),
        gui_loop(),
    )
    run_task(lambda: 1 // 0, lambda result, error: results.append(type(error)), gui_loop())
    qtbot.waitUntil(lambda: len(results) == 2, timeout=5_000)
    assert (True, None, True) in results and ZeroDivisionError in results
