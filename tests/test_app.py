"""Opening a night in the GUI (`player.qt.app.open_show`) with the real controller, libvlc
(dummy outputs) and ffprobe on generated clips: each film is probed once, the console shows the
controller's plan, and the resume offer reads the journal the controller uses."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from player.core.model import Defaults, Film, Follow, LocalText, Outcome, Playlist
from player.core.schedule import MEDIA, clock
from player.media import probe
from player.media.vlc_backend import VlcBackend
from player.qt.app import open_show
from player.qt.operator_window import COL_LENGTH, COL_START
from player.show import asrun, journal
from support.synth import make_clip

NIGHT_TIMEOUT_MS = 40_000


def film(path: Path, title: str) -> Film:
    # Declared as a minute: only the probe (2 s) can give the plan its real length.
    return Film(id=title.lower(), path=path, title=LocalText.of(title), runtime_ms=60_000)


def night(*items, path=None, **kw) -> Playlist:
    return Playlist(
        title=LocalText.of("App night"),
        items=tuple(items),
        path=path,
        defaults=Defaults(title_cards=False, follow=Follow.AUTO),
        **kw,
    )


@pytest.fixture
def opened(qtbot, tmp_path):
    shows = []

    def make(playlist: Playlist, *, run_check: bool = False, **controller_kwargs):
        controller_kwargs.setdefault("as_run_path", tmp_path / "as-run.jsonl")
        controller_kwargs.setdefault("journal_path", tmp_path / "journal.json")
        show = open_show(
            playlist,
            windowed=True,
            backend=VlcBackend(video=False, audio="dummy"),
            run_check=run_check,
            controller_kwargs=controller_kwargs,
        )
        qtbot.addWidget(show.console)
        qtbot.addWidget(show.output)
        shows.append(show)
        return show

    yield make
    for show in shows:
        show.console.close_show()


def start_cells(console) -> list[str]:
    return [console.table.item(row, COL_START).text() for row in range(console.table.rowCount())]


def test_each_film_is_probed_once_and_console_and_as_run_share_one_plan(
    opened, qtbot, tmp_path, monkeypatch
):
    # Fresh files: nothing of them is in the probe cache yet.
    a = make_clip(tmp_path / "a.mp4", seconds=2.0, label="A")
    b = make_clip(tmp_path / "b.mp4", seconds=2.0, label="B", tone_hz=660)
    calls: Counter[Path] = Counter()
    real_probe = probe.probe

    def counting_probe(path, **kw):
        calls[Path(path)] += 1
        return real_probe(path, **kw)

    monkeypatch.setattr(probe, "probe", counting_probe)
    runs_before = probe.run_counts["ffprobe"]
    # Dated yesterday: a rehearsal today is timed from its own GO, not from yesterday's 20:00.
    yesterday = date.today() - timedelta(days=1)
    playlist = night(film(a, "A"), film(b, "B"), date=yesterday, start_ms=20 * 3_600_000)
    show = opened(playlist, run_check=True)
    console, controller = show.console, show.controller
    qtbot.waitUntil(lambda: "Media check done" in console.log_view.toPlainText(), timeout=30_000)

    assert calls == {a: 1, b: 1}  # the controller probed; the check read what it found
    assert probe.run_counts["ffprobe"] - runs_before == 2
    schedule = controller.engine.schedule
    assert [item.duration_source for item in schedule.items] == [MEDIA, MEDIA]
    # Before GO: not yesterday's 20:00, and not re-timed in silence: times from GO, said so.
    assert start_cells(console) == ["+0:00", "+0:02"]
    assert console.late_label.text() == "rehearsal: timed from GO"
    assert console.table.item(1, COL_LENGTH).text() == "0:02"  # measured, not the declared 1:00

    with qtbot.waitSignal(controller.finished, timeout=NIGHT_TIMEOUT_MS):
        console.go()
    shown = start_cells(console)
    assert shown == [clock(item.start_ms) for item in controller.engine.schedule.items]
    assert shown[0] != "20:00:00"  # timed from the GO
    entries = asrun.read(controller.as_run_path)
    assert [e.outcome for e in entries] == [Outcome.PLAYED, Outcome.PLAYED]
    for entry, cell in zip(entries, shown, strict=True):
        planned = datetime.fromisoformat(entry.planned_start)
        assert planned.strftime("%H:%M:%S") == cell  # the as-run log has the console's plan
        assert planned.date() != yesterday


@pytest.mark.parametrize("interrupted_in", ["given", "default"])
def test_the_resume_offer_reads_the_journal_the_controller_uses(
    opened, tmp_path, clip2s, interrupted_in
):
    playlist_path = tmp_path / "night.yaml"
    playlist = night(film(clip2s, "A"), film(clip2s, "B"), path=playlist_path)
    given = tmp_path / "elsewhere" / "journal.json"
    interrupted = given if interrupted_in == "given" else journal.default_path(playlist_path)
    journal.save(interrupted, journal.JournalState(str(playlist_path), step_index=1))

    show = opened(playlist, journal_path=given)
    console, controller = show.console, show.controller
    if interrupted_in == "given":
        point = controller.engine.resume_point
        assert (point.step_index, point.position_ms) == (1, 0)
        assert console.resume_bar.isVisibleTo(console)
        assert "#2 B" in console.resume_label.text()
    else:  # another journal's state is not this show's
        assert controller.engine.resume_point is None
        assert not console.resume_bar.isVisibleTo(console)
        assert "Resume offered" not in console.log_view.toPlainText()


def test_the_remote_in_the_console_menu_with_its_qr_code(opened, qtbot, tmp_path):
    import http.client
    import threading

    from PySide6.QtGui import QImage

    from player.core.model import Card
    from player.qt.app import start_remote
    from player.qt.remote_panel import qr_png
    from player.remote.api import RemoteOptions

    show = opened(night(Card("c", LocalText.of("Hello"), hold=True, duration_ms=None)))
    server = start_remote(show, RemoteOptions(port=0, token="console-token-1"))
    try:
        info = show.console.remote_info
        assert info.page_url.startswith("http://127.0.0.1:") and info.token == "console-token-1"
        show.console._fill_remote_menu()
        texts = [a.text() for a in show.console.remote_menu.actions()]
        assert texts[:2] == [f"Remote page: {info.page_url}", "Token: console-token-1"]
        dialog = show.console.show_remote_panel()
        qtbot.addWidget(dialog)
        shown = dialog.qr.pixmap().toImage().convertToFormat(QImage.Format.Format_RGB32)
        wanted = QImage.fromData(qr_png(info.connect_url)).convertToFormat(shown.format())
        assert shown == wanted and info.connect_url.endswith("/#token=console-token-1")
        assert dialog.token.text() == "console-token-1"

        answer = {}

        def press_go() -> None:  # from another thread: the GUI thread must answer it
            conn = http.client.HTTPConnection("127.0.0.1", info.port, timeout=10)
            conn.request("POST", "/api/go", headers={"Authorization": "Bearer console-token-1"})
            answer["status"] = conn.getresponse().status
            conn.close()

        threading.Thread(target=press_go).start()
        qtbot.waitUntil(lambda: "status" in answer, timeout=10_000)
        assert answer["status"] == 200 and show.controller.status.step_index == 0
        log = show.console.log_view.toPlainText()
        assert "GO from the remote (HTTP 127.0.0.1)." in log

        other = opened(
            night(Card("d", LocalText.of("Again"), hold=True, duration_ms=None)),
            journal_path=tmp_path / "other.json",
            as_run_path=tmp_path / "other.jsonl",
        )
        assert start_remote(other, RemoteOptions(port=info.port)) is None  # port in use
        other.console._fill_remote_menu()
        note = other.console.remote_menu.actions()[0].text()
        assert f"TCP port {info.port} on 127.0.0.1 is in use" in note
    finally:
        server.stop()
