"""The sound an audience hears: the libvlc backend playing to a real sound server (a private
PulseAudio whose output is a null sink, recorded from its monitor), with a real output window
under Xvfb, so films are pre-rolled as in a show.

Found this way: a film paused in its pre-roll did not stop its sound on PulseAudio: the whole
next film was heard under the card, and after GO it played on without sound."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import sound_server, wav_levels_db, xvfb

from support.synth import make_clip

STANDBY_S = 2.0  # the film waits, ready, this long before GO
PLAY_S = 1.5  # then plays this long before its level is set to silence
STEP_S = 0.05
TAIL_S = 0.2  # the beep's tail

SCRIPT = r"""
import json, signal, subprocess, sys, time
from pathlib import Path

from PySide6.QtWidgets import QApplication

from player.media.backend import Ended, Ready
from player.media.vlc_backend import VlcBackend, init_x11_threads

init_x11_threads()
app = QApplication([])
from player.qt.output_window import OutputWindow

film, beep, wav = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
standby, play = float(sys.argv[4]), float(sys.argv[5])
window = OutputWindow()
window.setGeometry(0, 0, 320, 240)
window.show()


from support.qtloop import run_for as pump


def wait_for(kind, media_id):
    end = time.monotonic() + 10
    while time.monotonic() < end:
        if any(isinstance(e, kind) and e.media_id == media_id for e in events):
            return True
        pump(0.01)
    return False


out = {}
backend = VlcBackend(video=True, audio="default")
events = []
backend.set_event_sink(events.append)
for slot, handle in enumerate(window.video_handles()):
    backend.set_video_window(slot, handle)
# Silence into the hall keeps it running while nothing plays.
keep = subprocess.Popen(["pacat", "--raw", "--format=s16le", "--rate=48000", "--channels=2",
                         "/dev/zero"])
record = subprocess.Popen(["parec", "-d", "hall.monitor", "--file-format=wav", "--rate=48000",
                           "--channels=2", "--latency-msec=20", wav])
pump(1.0)
# A beep marks the time: the film is opened just after it, and waits `standby` s for GO.
beep_id = backend.open(1, beep)
out["beep_ready"] = wait_for(Ready, beep_id)
backend.play(1)
out["beep_ended"] = wait_for(Ended, beep_id)
backend.stop(1)
film_id = backend.open(0, film)
out["ready"] = wait_for(Ready, film_id)
pump(standby)
window.show_video(0)
backend.play(0)
pump(play)
backend.set_level_db(0, -60.0)
pump(1.0)
backend.close()
pump(2.0)  # parec's last buffer: silence
record.send_signal(signal.SIGINT)
record.wait()
keep.terminate()
keep.wait()
window.allow_close()
print(json.dumps(out))
"""


def regions(levels: list[float]) -> list[tuple[float, float]]:
    """(start s, end s) of each stretch of sound louder than -30 dBFS."""
    out: list[tuple[float, float]] = []
    for i, db in enumerate(levels):
        if db <= -30.0:
            continue
        if out and out[-1][1] == i * STEP_S:
            out[-1] = (out[-1][0], (i + 1) * STEP_S)
        else:
            out.append((i * STEP_S, (i + 1) * STEP_S))
    return out


@pytest.fixture(scope="module")
def heard(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("sound")
    film = make_clip(folder / "tone film.mp4", seconds=4.0, tone_db=-12.0, label="T")
    beep = make_clip(folder / "beep.m4a", seconds=1.0, vcodec=None, tone_hz=2000, tone_db=-12.0)
    wav = folder / "hall.wav"
    with sound_server() as env, xvfb("-screen", "0", "320x240x24") as display:
        env = dict(env, DISPLAY=display, QT_QPA_PLATFORM="xcb")
        args = [str(film), str(beep), str(wav), str(STANDBY_S), str(PLAY_S)]
        run = subprocess.run(
            [sys.executable, "-c", SCRIPT, *args],
            env=env, capture_output=True, text=True, timeout=120, check=False,
            cwd=Path(__file__).resolve().parents[1],
        )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out == {"beep_ready": True, "beep_ended": True, "ready": True}
    levels = wav_levels_db(wav, STEP_S)
    return {"levels": levels, "regions": regions(levels)}


def test_a_waiting_film_is_silent(heard):
    # The recording's own start is not known to the millisecond, so the beep played just
    # before the film was opened marks the time: then silence for all of the wait.
    (_, beep_end), (film_start, _) = heard["regions"]
    assert film_start - beep_end >= STANDBY_S, heard["regions"]
    # (the beep's own tail, its decoder's last block, is left out: measured down to -67 dBFS
    # in the 100 ms after it)
    wait = heard["levels"][round((beep_end + TAIL_S) / STEP_S) : round(film_start / STEP_S) - 1]
    assert max(wait) < -70


def test_its_sound_plays_from_go_whole_and_stops_at_once(heard):
    assert len(heard["regions"]) == 2, heard["regions"]  # the beep, then the film: no gap
    start, end = heard["regions"][1]
    level = sorted(heard["levels"][round(start / STEP_S) : round(end / STEP_S)])[
        round((end - start) / STEP_S) // 2
    ]
    assert level == pytest.approx(-15.0, abs=1.5)  # a -12 dB peak tone, at its level
    # set to silence PLAY_S after GO: heard at once (no lead), not 0.7-1.3 s later
    assert end - start == pytest.approx(PLAY_S, abs=0.35)
