"""Fades: a film's own `fade_out` at its end, and the operator's fade to black, picture and sound
together. The engine on the manual clock with the scripted backend (the levels it was given),
then the real thing: the sound `rehearse` captured, and the picture grabbed off a real output
window (libvlc's adjust filter under Xvfb)."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import rehearse, wav_levels_db, xvfb

from player.core.model import Card, Defaults, Film, Follow, LocalText, Playlist
from player.core.sequencer import Phase
from player.media.fake import Script
from player.show import fades
from support.synth import make_clip


def film(path: Path, **kw) -> Film:
    return Film(id=path.stem, path=path, title=LocalText.of(path.stem), **kw)


def night(*items, title_cards=False) -> Playlist:
    return Playlist(
        title=LocalText.of("Fades"),
        items=tuple(items),
        defaults=Defaults(title_cards=title_cards, card_ms=1_000, follow=Follow.AUTO),
    )


def fading(n) -> tuple[float, float]:
    """(picture level, sound dB) of the film on screen."""
    deck = n.backend.deck(n.status.screen.slot)
    return deck.picture, deck.level_db


def test_a_films_fade_out_takes_picture_and_sound_down_to_its_end(make_night):
    # On the manual clock: the fake film's position moves with it, so levels are exact.
    a, b = Path("/films/a.mp4"), Path("/films/b.mp4")
    n = make_night(
        night(film(a, fade_out_ms=1_000), film(b)), {"a": Script(3_000), "b": Script(3_000)}
    )
    n.engine.set_volume_trim_db(-6.0)
    n.engine.go()
    n.advance(2_000)
    assert fading(n) == (1.0, -6.0)  # not yet
    n.advance(400)  # 400 ms into its 1 s fade: 40 % down, picture and sound together
    picture, db = fading(n)
    assert picture == pytest.approx(0.6, abs=0.05)
    assert db == pytest.approx(fades.sound_db(-6.0, 0.4), abs=2.5)
    n.advance(599)
    picture, db = fading(n)
    assert picture < 0.05 and db < -55.0
    n.advance(1)  # its end: the next film, at the night's level and in full
    assert n.status.step_index == 1 and fading(n) == (1.0, -6.0)
    n.advance(2_500)
    assert fading(n) == (1.0, -6.0)  # b has no fade of its own


def test_the_operators_fade_goes_on_from_where_the_films_fade_got(make_night):
    a = Path("/films/a.mp4")
    n = make_night(night(film(a, fade_out_ms=2_000)), {"a": Script(4_000)})
    n.engine.go()
    n.advance(3_000)  # half way into its own fade
    got, _ = fading(n)
    assert got == pytest.approx(0.5, abs=0.05)
    n.engine.fade(400)
    seen = [got]
    while n.status.phase is Phase.FADING:
        n.advance(fades.FADE_STEP_MS)
        if n.status.screen.slot is not None and n.backend.deck(n.status.screen.slot):
            seen.append(fading(n)[0])
    assert seen == sorted(seen, reverse=True)  # never back up to full picture
    assert seen[-1] < 0.1
    assert n.status.phase is Phase.BLACK


def test_a_card_fades_to_black_on_screen(qtbot, tmp_path):
    from player.media.vlc_backend import VlcBackend
    from player.qt.controller import ShowController
    from player.qt.output_window import OutputWindow

    hold = Card("doors", LocalText.of("Doors open"), None, hold=True)
    controller = ShowController(
        night(hold, Card("end", LocalText.of("The end"), 5_000)),
        backend=VlcBackend(video=False, audio="dummy"),
        as_run_path=tmp_path / "as-run.jsonl",
        journal_path=tmp_path / "journal.json",
        measure=False,
    )
    window = OutputWindow(controller, windowed=True)
    qtbot.addWidget(window)
    window.allow_close()
    levels: list[float] = []
    controller.status_changed.connect(lambda _s: levels.append(window.card_view.level))
    controller.engine.start()
    assert window.page == "card" and window.card_view.level == 1.0
    before = window.card_view.grab().toImage()
    controller.engine.fade(300)
    qtbot.waitUntil(lambda: controller.status.phase is not Phase.FADING, timeout=3_000)
    faded = [x for x in levels if x < 1.0]
    assert faded and faded == sorted(faded, reverse=True)
    assert [x for x in faded if 0.2 < x < 0.8], levels  # a fade, not a cut
    assert window.page == "black"

    # the card view itself: half level is half as bright, and a new card is drawn in full
    window.card_view.set_level(0.5)
    half = window.card_view.grab().toImage()
    y = before.height() // 2
    lightest = max(range(0, before.width(), 4), key=lambda x: before.pixelColor(x, y).lightness())
    full = before.pixelColor(lightest, y).lightness()
    assert full > 100
    assert half.pixelColor(lightest, y).lightness() == pytest.approx(full / 2, abs=8)
    controller.engine.go()  # GO after the stop: the next card comes up at full level
    assert window.card_view.level == 1.0
    controller.close()


@pytest.fixture(scope="module")
def grey_film(tmp_path_factory) -> Path:
    """3 s of flat grey (luma 180) with a steady tone."""
    return make_clip(
        tmp_path_factory.mktemp("fade") / "grey film.mp4",
        seconds=3.0,
        width=640,
        height=360,
        tone_db=-12.0,
        extra_video_filters=("lutyuv=y=180:u=128:v=128",),
    )


def test_rehearse_captures_a_films_fade_out(grey_film, tmp_path):
    playlist = tmp_path / "night.yaml"
    playlist.write_text(
        "version: 1\ntitle: Fade\ndefaults:\n  title_cards: false\nitems:\n"
        f"  - film: {json.dumps(str(grey_film))}\n    fade_out: 1.5\n",
        encoding="utf-8",
    )
    wav = tmp_path / "night.wav"
    result = rehearse(playlist, "--audio-out", wav)
    assert result.returncode == 0, result.stderr
    [full] = wav_levels_db(wav, 0.9, 0.3, 1.2)  # before the fade: the tone (-15 dB RMS)
    [early] = wav_levels_db(wav, 0.3, 1.7, 2.0)  # 0.2-0.5 s into the 1.5 s fade
    [late] = wav_levels_db(wav, 0.25, 2.6, 2.85)  # in its last 0.4 s
    assert full == pytest.approx(-15.0, abs=2.0)
    assert full - 25.0 < early < full - 3.0
    assert late < full - 30.0


SCRIPT = r"""
import json, subprocess, sys, time
from pathlib import Path

from PySide6.QtWidgets import QApplication

from player.media.vlc_backend import VlcBackend, init_x11_threads
from player.core.model import Defaults, Film, Follow, LocalText, Playlist

init_x11_threads()
app = QApplication([])
from player.qt.controller import ShowController
from player.qt.output_window import OutputWindow

display, film, folder = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
W, H = 640, 360
playlist = Playlist(
    title=LocalText.of("Fade"),
    items=(Film(id="grey", path=film, title=LocalText.of("grey"), fade_out_ms=1500),),
    defaults=Defaults(title_cards=False, follow=Follow.AUTO),
)
controller = ShowController(
    playlist, backend=VlcBackend(video=True, audio="dummy"),
    as_run_path=folder / "as-run.jsonl", journal_path=folder / "journal.json",
)
window = OutputWindow(controller)
window.setGeometry(0, 0, W, H)
window.show()
grab = subprocess.Popen(
    ["ffmpeg", "-v", "error", "-f", "x11grab", "-draw_mouse", "0", "-framerate", "25",
     "-video_size", f"{W}x{H}", "-i", display + "+0,0", "-t", "8", "-f", "rawvideo",
     "-pix_fmt", "gray", str(folder / "grab.raw")])
from support.qtloop import run_for, run_until
run_for(0.5)
done = []
controller.finished.connect(lambda: done.append(1))
controller.engine.go()
run_until(lambda: bool(done), 20)
run_until(lambda: grab.poll() is not None, 30)  # the black page after the night is drawn too
controller.close()
window.allow_close()
raw = (folder / "grab.raw").read_bytes()
size = W * H
means = []
for k in range(len(raw) // size):
    frame = raw[k * size:(k + 1) * size]
    centre = frame[(H // 2) * W + W // 4:(H // 2) * W + 3 * W // 4]
    means.append(sum(centre) / len(centre))
print(json.dumps({"finished": bool(done), "means": means}))
"""


def test_a_films_fade_out_on_screen(grey_film, tmp_path):
    """Grabbed at 25 fps: the grey picture goes down step by step, not cut to black."""
    with xvfb("-screen", "0", "640x360x24") as display:
        env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb")
        run = subprocess.run(
            [sys.executable, "-c", SCRIPT, display, str(grey_film), str(tmp_path)],
            env=env, capture_output=True, text=True, timeout=120, check=False,
            cwd=Path(__file__).resolve().parents[1],
        )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["finished"]
    means = out["means"]
    full = max(means)
    assert full == pytest.approx(191, abs=12)  # luma 180 on screen
    first = means.index(full)
    last = max(i for i, m in enumerate(means) if m > 0.9 * full)
    black = next(i for i in range(last, len(means)) if means[i] < 3)
    fading = means[last + 1 : black]
    # a 1.5 s fade grabbed at 25 fps: ~37 frames between full and black, each darker or equal
    assert last - first >= 25  # the film ran at full level first
    assert len(fading) >= 25, means
    assert all(b <= a + 4 for a, b in itertools.pairwise(fading)), fading
