"""Pre-roll on a real X display: a film opened into its window shows its first picture while it
waits (paused), before GO; a film without a picture is put back to its start.

Each run starts with a cold GL shader cache (the tests' XDG_CACHE_HOME is new), the case where
the first film of a process needs the backend's warm-up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import xvfb

from player.media.probe import probe
from support.synth import make_clip, make_counter_clip

W, H = 640, 360

SCRIPT = r"""
import json, subprocess, sys, time
from pathlib import Path

from PySide6.QtWidgets import QApplication

from player.media.backend import Ended, Failed, Ready, Started, TimeChanged
from support.synth import counter_bar_row, counter_frame
from player.media.vlc_backend import VlcBackend, init_x11_threads

init_x11_threads()
app = QApplication([])
from player.qt.output_window import OutputWindow

display, film, sound, short = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
W, H = 640, 360
window = OutputWindow()
window.setGeometry(0, 0, W, H)
window.show()


from support.qtloop import run_until as wait_for


def shown_frame():
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "x11grab", "-draw_mouse", "0", "-video_size",
         f"{W}x{H}", "-i", display + "+0,0", "-frames:v", "1", "-f", "rawvideo",
         "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout
    row = counter_bar_row(H)
    return counter_frame(raw[row * W:(row + 1) * W])


events = []
backend = VlcBackend(video=True, audio="dummy")
backend.set_event_sink(events.append)
for slot, handle in enumerate(window.video_handles()):
    backend.set_video_window(slot, handle)
wait_for(lambda: False, 0.3)

def of(media_id, kinds):
    return [e for e in events if e.media_id == media_id and isinstance(e, kinds)]

out = {}
film_id = backend.open(1, film)
out["ready"] = wait_for(lambda: of(film_id, Ready), 10)
wait_for(lambda: False, 0.5)  # were it still running, it would move on meanwhile
out["under_black"] = shown_frame()  # the black page is on top
window.show_video(1)
wait_for(lambda: False, 0.2)
out["paused"] = [shown_frame(), shown_frame()]
out["before_play"] = [type(e).__name__ for e in of(film_id, (Started, TimeChanged, Ended))]
backend.play(1)
out["ended"] = wait_for(lambda: of(film_id, (Ended, Failed)), 15)
out["failed"] = [e.message for e in of(film_id, Failed)]
out["times"] = [e.time_ms for e in of(film_id, TimeChanged)]

sound_id = backend.open(0, sound)
out["sound_ready"] = wait_for(lambda: of(sound_id, Ready), 10)
wait_for(lambda: False, 0.5)
backend.play(0)
out["sound_ended"] = wait_for(lambda: of(sound_id, (Ended, Failed)), 15)
# where it went on from: its first position reported after play, less the time to that report
out["sound_at_ready"] = min(e.time_ms for e in of(sound_id, TimeChanged))
out["sound_failed"] = [e.message for e in of(sound_id, Failed)]
short_id = backend.open(0, short)
out["short_ready"] = wait_for(lambda: of(short_id, (Ready, Failed, Ended)), 10)
out["short_before_play"] = [type(e).__name__ for e in of(short_id, (Failed, Ended))]
backend.play(0)
out["short_ended"] = wait_for(lambda: of(short_id, (Ended, Failed)), 15)
out["short_after_play"] = [type(e).__name__ for e in of(short_id, (Failed, Ended))]
backend.close()
window.allow_close()
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("preroll")
    film = make_counter_clip(folder / "counter film.mp4", seconds=2.0, width=W, height=H)
    sound = make_clip(folder / "sound only.m4a", seconds=2.0, vcodec=None)
    short = make_clip(folder / "short sound.m4a", seconds=0.25, vcodec=None, tone_hz=2000)
    with xvfb("-screen", "0", f"{W}x{H}x24") as display:
        env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb")
        run = subprocess.run(
            [sys.executable, "-c", SCRIPT, display, str(film), str(sound), str(short)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=Path(__file__).resolve().parents[1],
        )
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    out["film_ms"] = probe(film).duration_ms
    return out


def test_waiting_film_shows_its_first_picture_and_stays_there(result):
    assert result["ready"]
    assert result["under_black"] == -1  # covered: nothing of it shows through
    first, later = result["paused"]
    # its first or second frame (of 25 per second), on screen before GO, and not moving
    assert 0 <= first <= 1
    assert later == first
    assert result["before_play"] == []  # nothing reported as playing before GO


def test_waiting_film_then_plays_whole(result):
    assert result["ended"] and result["failed"] == []
    times = result["times"]
    assert times, "no position reported while playing"
    assert times[0] <= result["film_ms"] // 2
    assert times[-1] >= 0.7 * result["film_ms"]


def test_film_without_a_picture_is_put_back_to_its_start(result):
    assert result["sound_ready"]
    # paused at its first time report (150-300 ms in), then put back to the start
    assert 0 <= result["sound_at_ready"] <= 600  # from its start: the first report of a playing
    # file comes ~250-430 ms in (PLATFORM.md); a pre-roll left running would be far past that
    # (with libvlc's dummy sound output a film without a picture runs faster than real time)
    assert result["sound_ended"] and result["sound_failed"] == []


def test_a_sound_over_before_its_pre_roll_paused_it_waits_at_its_start(result):
    """A quarter-second sound (a jingle, a beep) ends before the pre-roll can pause it: it is
    opened again, paused at its start, and plays whole on GO."""
    assert result["short_ready"] and result["short_before_play"] == []
    assert result["short_ended"] and result["short_after_play"] == ["Ended"]
