"""`screening-night rehearse` end to end, as a subprocess: lines, as-run log, exit status,
and resume after kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from player import journal
from player.media.synth import make_clip

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


def test_resume_after_kill_9_continues_the_same_film(tmp_path):
    folder = tmp_path / "night"
    folder.mkdir()
    make_clip(folder / "a.mp4", seconds=1.0, label="A")
    make_clip(folder / "b.mp4", seconds=5.0, label="B")
    make_clip(folder / "c.mp4", seconds=1.0, label="C")
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
    film_b_seen = None
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            try:
                state = json.loads(journal_file.read_text())
            except (OSError, ValueError):
                state = {}
            if state.get("step_index") == 1 and not state["completed"] and film_b_seen is None:
                film_b_seen = time.monotonic() - state["position_ms"] / 1000
            if film_b_seen is not None and time.monotonic() - film_b_seen > 2.6:
                break
            time.sleep(0.05)
        assert film_b_seen is not None, "the journal never showed film b"
        killed_at_ms = (time.monotonic() - film_b_seen) * 1000
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    before = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(e["index"], e["outcome"]) for e in before] == [(0, "played")]

    result = rehearse(playlist, "--resume")
    assert result.returncode == 0, result.stderr
    resumed_line = next(ln for ln in result.stdout.splitlines() if ln.startswith("Resuming"))
    resumed_at_ms = float(resumed_line.split(",")[1].split("s in")[0]) * 1000
    assert resumed_line.startswith("Resuming at step 2,")
    assert killed_at_ms - 2_000 <= resumed_at_ms <= killed_at_ms + 200
    after = [json.loads(line) for line in log.read_text().splitlines()]  # same log, appended
    assert [(e["index"], e["outcome"]) for e in after] == [
        (0, "played"),
        (1, "played"),
        (2, "played"),
    ]
    # film b went on from where it was, not from its start; film a was not replayed
    assert after[1]["played_ms"] < 5_000 - resumed_at_ms + 800
