"""`screening-night rehearse` end to end, as a subprocess: lines, as-run log, exit status,
and resume after kill -9."""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest

from player.media.probe import probe
from player.show import asrun, journal
from support.synth import make_clip

PY = sys.executable


def rehearse(*args, env=None, timeout=90) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PY, "-m", "player", "rehearse", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or os.environ.copy(),
        check=False,
    )


def write_night(folder: Path, films: list[str], extra: str = "", cards: bool = True) -> Path:
    items = "\n".join(
        f"  - film: {json.dumps(name)}\n    title: {json.dumps(name)}" for name in films
    )
    path = folder / "night.yaml"
    path.write_text(
        "version: 1\ntitle: Rehearsal\ndefaults:\n  card_seconds: 1\n"
        f"  title_cards: {'true' if cards else 'false'}\n{extra}items:\n{items}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def night_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("rehearse")
    make_clip(folder / "one.mp4", seconds=1.5, label="1")
    make_clip(folder / "two: 二.mp4", seconds=1.5, label="2", tone_hz=660)
    (folder / "broken.mp4").write_bytes(b"")
    return folder


def test_a_good_night_exits_0_with_one_line_per_step_and_an_as_run_log(night_dir, tmp_path):
    playlist = write_night(night_dir, ["one.mp4", "two: 二.mp4"])
    log = tmp_path / "as-run.jsonl"
    result = rehearse(playlist, "--as-run", log)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"As-run log: {log}"
    steps = [line for line in lines if line.startswith("[")]
    assert len(steps) == 4
    assert "film" in steps[1] and "one.mp4: played" in steps[1]
    assert "two: 二.mp4: played" in steps[3]
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [(e["index"], e["kind"], e["outcome"]) for e in entries] == [
        (0, "card", "played"),
        (1, "film", "played"),
        (2, "card", "played"),
        (3, "film", "played"),
    ]
    assert entries[1]["file"].endswith("one.mp4")
    assert entries[1]["started_at"][-6] in "+-"  # ISO-8601 with offset


def test_a_failed_film_exits_1_and_the_night_goes_on(night_dir, tmp_path):
    playlist = write_night(night_dir, ["broken.mp4", "one.mp4"], cards=False)
    log = tmp_path / "as-run.jsonl"
    result = rehearse(playlist, "--as-run", log)
    assert result.returncode == 1
    assert "broken.mp4" in result.stderr and "Traceback" not in result.stderr
    outcomes = [json.loads(line)["outcome"] for line in log.read_text().splitlines()]
    assert outcomes == ["failed", "played"]


def test_an_unloadable_playlist_exits_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ntitle: x\nitems: [ {film: a.mp4, titel: A} ]\n", encoding="utf-8")
    result = rehearse(bad)
    assert result.returncode == 2
    assert "bad.yaml:" in result.stderr and "Traceback" not in result.stderr
    assert rehearse(tmp_path / "missing.yaml").returncode == 2


def test_from_starts_at_the_given_step(night_dir, tmp_path):
    playlist = write_night(night_dir, ["one.mp4", "two: 二.mp4"])
    log = tmp_path / "as-run.jsonl"
    result = rehearse(playlist, "--as-run", log, "--from", "4")
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["index"] for line in log.read_text().splitlines()] == [3]
    assert rehearse(playlist, "--from", "9").returncode == 2


def sound_ms(path: Path, block_ms: int = 10) -> int:
    """How much of a WAV holds sound (blocks above -40 dBFS RMS): media played, whatever the
    wall clock did (silence between films is written as zeros)."""
    with wave.open(str(path)) as w:
        assert w.getsampwidth() == 2
        per_block = w.getframerate() * block_ms // 1000 * w.getnchannels()
        data = w.readframes(w.getnframes())
    samples = struct.unpack(f"<{len(data) // 2}h", data)
    floor = (32768 * 10 ** (-40 / 20)) ** 2
    loud = 0
    for at in range(0, len(samples) - per_block + 1, per_block):
        block = samples[at : at + per_block]
        if sum(x * x for x in block) / per_block > floor:
            loud += 1
    return loud * block_ms


def test_resume_after_kill_9_continues_the_same_film(tmp_path):
    folder = tmp_path / "night"
    folder.mkdir()
    make_clip(folder / "a.mp4", seconds=1.0, label="A")
    film_b = make_clip(folder / "b.mp4", seconds=5.0, label="B")
    film_c = make_clip(folder / "c.mp4", seconds=1.0, label="C")
    playlist = write_night(folder, ["a.mp4", "b.mp4", "c.mp4"], cards=False)
    env = os.environ.copy()
    journal_file = journal.default_path(playlist)  # same XDG_DATA_HOME as the subprocess
    log = tmp_path / "as-run.jsonl"
    proc = subprocess.Popen(
        [PY, "-m", "player", "rehearse", str(playlist), "--as-run", str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )

    def saved() -> dict:
        try:
            return json.loads(journal_file.read_text())
        except (OSError, ValueError):
            return {}

    # Killed once the journal has film b well under way (a state, not a time).
    deadline = time.monotonic() + 60  # only so a broken run cannot hang the suite
    try:
        while time.monotonic() < deadline:
            state = saved()
            if (
                state.get("step_index") == 1
                and not state["completed"]
                and (state["position_ms"] >= 1_500)
            ):
                break
            time.sleep(0.05)
        else:
            pytest.fail(f"the journal never showed film b 1.5 s in: {saved()}")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    at_kill = saved()  # the last save before the kill: what a resume has to go on
    assert at_kill["step_index"] == 1 and not at_kill["completed"]
    before = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(e["index"], e["outcome"]) for e in before] == [(0, "played")]

    sound = tmp_path / "resumed.wav"
    result = rehearse(playlist, "--resume", "--audio-out", sound)
    assert result.returncode == 0, result.stderr
    resumed_line = next(ln for ln in result.stdout.splitlines() if ln.startswith("Resuming"))
    resumed_at_ms = float(resumed_line.split(",")[1].split("s in")[0]) * 1000
    # At the step and position the journal held (the line rounds to 0.1 s).
    assert resumed_line.startswith("Resuming at step 2,")
    assert abs(resumed_at_ms - at_kill["position_ms"]) <= 50
    after = [json.loads(line) for line in log.read_text().splitlines()]  # same log, appended
    assert [(e["index"], e["outcome"]) for e in after] == [
        (0, "played"),
        (1, "played"),
        (2, "played"),
    ]
    # Film b went on from where it was, not from its start, and film a was not replayed: the
    # sound the resumed run produced is the rest of b plus c (ffprobe durations), measured in
    # samples rather than on the wall clock. From b's start it would be >= 1.5 s more.
    expected_ms = probe(film_b).duration_ms - at_kill["position_ms"] + probe(film_c).duration_ms
    played_ms = sound_ms(sound)
    assert expected_ms * 0.7 <= played_ms <= expected_ms + 300, (played_ms, expected_ms)


def test_the_night_rehearsed_for_real_keeps_the_engine_s_timeline(night_dir, tmp_path):
    """The same night on the manual clock (the scripted backend, films as long as ffprobe says)
    and for real (`rehearse`: real libvlc, real time): each step lasts the same within 100 ms."""
    from datetime import datetime
    from itertools import pairwise

    from player.commands.rehearse import HeldTaker
    from player.core.playlist_io import load_playlist
    from player.media.fake import FakeBackend, Script
    from player.show.clock import ManualClock
    from player.show.engine import ShowEngine
    from player.show.measure import KnownMeasurer
    from player.show.status import ShowListener

    extra = "  follow: hold\n"  # every film waits for GO: rehearse takes each hold as GO
    playlist_path = write_night(night_dir, ["one.mp4", "two: 二.mp4", "one.mp4"], extra)
    real_log = tmp_path / "real.jsonl"
    result = rehearse(playlist_path, "--as-run", real_log)
    assert result.returncode == 0, result.stderr

    playlist = load_playlist(playlist_path)
    durations = {film.path: probe(film.path).duration_ms for film in playlist.films()}
    clock = ManualClock()
    backend = FakeBackend(clock, {path: Script(ms) for path, ms in durations.items()})
    holds = HeldTaker(clock, playlist.defaults.card_ms)

    class Holds(ShowListener):
        def status_changed(self, status) -> None:
            holds.status_changed(status)

    engine = ShowEngine(
        playlist,
        backend,
        clock,
        listener=Holds(),
        as_run_path=tmp_path / "manual.jsonl",
        journal_path=tmp_path / "journal.json",
        measurer=KnownMeasurer(durations),
    )
    holds.engine = engine
    clock.advance(0)
    engine.go()
    clock.advance(60_000)
    engine.close()

    def step_lengths(path: Path) -> list[int]:
        starts = [datetime.fromisoformat(e.started_at) for e in asrun.read(path)]
        return [round((b - a).total_seconds() * 1000) for a, b in pairwise(starts)]

    manual, real = step_lengths(tmp_path / "manual.jsonl"), step_lengths(real_log)
    assert len(manual) == len(real) == 5  # three films, two title cards... and holds between
    for planned, played in zip(manual, real, strict=True):
        assert abs(played - planned) <= 100, (manual, real)
