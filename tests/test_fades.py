"""Fades: a film's own `fade_out` at its end, and the operator's fade to black, picture and sound
together. The controller with the scripted backend (levels it was given), then the real thing:
the sound `rehearse` captured, and the picture grabbed off a real output window (libvlc's adjust
filter under Xvfb)."""

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
from player.media.fake import FakeBackend, Script
from player.qt.controller import FADE_FLOOR_DB, ShowController
from support.synth import make_clip


def film(path: Path, **kw) -> Film:
    return Film(id=path.stem, path=path, title=LocalText.of(path.stem), **kw)


def night(*items, title_cards=False) -> Playlist:
    return Playlist(
        title=LocalText.of("Fades"),
        items=tuple(items),
        defaults=Defaults(title_cards=title_cards, card_ms=1_000, follow=Follow.AUTO),
    )


@pytest.fixture
def scripted(tmp_path, qtbot):
    made = []

    def make(playlist: Playlist, durations: dict[Path, int]):
        fake = FakeBackend(scripts={p: Script(duration_ms=ms) for p, ms in durations.items()})
        controller = ShowController(
            playlist,
            backend=fake,
            as_run_path=tmp_path / "as-run.jsonl",
            journal_path=tmp_path / "journal.json",
            measure=False,
        )
        made.append(controller)
        return controller, fake

    yield make
    for controller in made:
        controller.close()


def run_to(qtbot, fake: FakeBackend, slot: int, ms: int) -> None:
    """Let the scripted film in `slot` reach `ms` of its file."""
    while fake.time_ms(slot) is not None and fake.time_ms(slot) < ms:
        fake.advance(min(100, ms - fake.time_ms(slot)))
        qtbot.wait(2)


def test_a_films_fade_out_takes_picture_and_sound_down_to_its_end(scripted, qtbot, tmp_path):
    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    controller, fake = scripted(night(film(a, fade_out_ms=1_000), film(b)), {a: 3_000, b: 3_000})
    controller.set_volume_trim_db(-6.0)
    controller.start()
    qtbot.wait(20)
    slot = controller._playing.deck.slot
    run_to(qtbot, fake, slot, 1_400)  # not yet within 500 ms of its fade
    qtbot.wait(100)
    assert (fake.picture_level(slot), fake.level_db(slot)) == (1.0, -6.0)

    pictures, levels = [], []
    run_to(qtbot, fake, slot, 2_600)  # 400 ms into its 1 s fade
    for _ in range(5):
        qtbot.wait(40)
        pictures.append(fake.picture_level(slot))
        levels.append(fake.level_db(slot))
    # going down, from about 60 % (the fade follows the film's clock between its reports)
    assert pictures == sorted(pictures, reverse=True) and len(set(pictures)) > 1
    assert 0.0 <= pictures[-1] < pictures[0] <= 0.65
    assert all(FADE_FLOOR_DB <= db < -6.0 for db in levels)
    assert levels == sorted(levels, reverse=True)

    qtbot.waitUntil(lambda: fake.picture_level(slot) == 0.0, timeout=3_000)
    assert fake.level_db(slot) == FADE_FLOOR_DB
    run_to(qtbot, fake, slot, 3_000)  # its end: the next film, at the night's level
    qtbot.waitUntil(lambda: controller.status.step_index == 1, timeout=3_000)
    nxt = controller._playing.deck.slot
    assert (fake.picture_level(nxt), fake.level_db(nxt)) == (1.0, -6.0)
    qtbot.wait(300)
    assert fake.picture_level(nxt) == 1.0  # b has no fade of its own


def test_the_operators_fade_goes_on_from_where_the_films_fade_got(scripted, qtbot, tmp_path):
    a = tmp_path / "a.mp4"
    controller, fake = scripted(night(film(a, fade_out_ms=2_000)), {a: 4_000})
    controller.start()
    qtbot.wait(20)
    slot = controller._playing.deck.slot
    run_to(qtbot, fake, slot, 3_000)  # half way into its own fade
    qtbot.waitUntil(lambda: fake.picture_level(slot) <= 0.5, timeout=2_000)
    got = fake.picture_level(slot)
    controller.fade_out(400)
    seen = [got]
    while controller.status.phase is Phase.FADING:
        if fake.picture_level(slot) is not None:
            seen.append(fake.picture_level(slot))
        qtbot.wait(20)
    assert seen == sorted(seen, reverse=True)  # never back up to full picture
    assert seen[-1] < 0.2
    assert controller.status.phase is Phase.BLACK


def test_a_card_fades_to_black_on_screen(scripted, qtbot, tmp_path):
    from player.qt.output_window import OutputWindow

    hold = Card("doors", LocalText.of("Doors open"), None, hold=True)
    controller, _ = scripted(night(hold, Card("end", LocalText.of("The end"), 5_000)), {})
    window = OutputWindow(controller, windowed=True)
    qtbot.addWidget(window)
    window.allow_close()
    levels: list[float] = []
    controller.card_level_changed.connect(levels.append)
    controller.start()
    assert window.page == "card" and window.card_view.level == 1.0
    before = window.card_view.grab().toImage()
    controller.fade_out(300)
    qtbot.waitUntil(lambda: controller.status.phase is not Phase.FADING, timeout=3_000)
    assert levels[0] > levels[-1] == 0.0 and levels == sorted(levels, reverse=True)
    middle = [x for x in levels if 0.2 < x < 0.8]
    assert middle, levels  # a fade, not a cut
    assert window.page == "black"

    # the card view itself: half level is half as bright, and a new card is drawn in full
    window.card_view.set_level(0.5)
    half = window.card_view.grab().toImage()
    y = before.height() // 2
    lightest = max(range(0, before.width(), 4), key=lambda x: before.pixelColor(x, y).lightness())
    full = before.pixelColor(lightest, y).lightness()
    assert full > 100
    assert half.pixelColor(lightest, y).lightness() == pytest.approx(full / 2, abs=8)
    controller.go()  # the held card's GO: the next card comes up at full level
    assert window.card_view.level == 1.0


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
end = time.monotonic() + 0.5
while time.monotonic() < end:
    app.processEvents()
    time.sleep(0.005)
done = []
controller.finished.connect(lambda: done.append(1))
controller.start()
end = time.monotonic() + 20
while not done and time.monotonic() < end:
    app.processEvents()
    time.sleep(0.005)
while grab.poll() is None:  # the black page after the night is drawn too
    app.processEvents()
    time.sleep(0.005)
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
