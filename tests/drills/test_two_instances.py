"""Drill: two programs opening the same night at once.

The second is told plainly (exit 2 and one sentence) before it touches anything, and the first
runs on with its journal intact. The lock (flock next to the journal) dies with its process, so
a show killed with kill -9 never leaves a lock that blocks the resume.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from player.show import journal
from support.poll import until
from support.synth import make_clip

PY = sys.executable


@pytest.fixture
def setting(tmp_path) -> tuple[Path, dict]:
    """A night of three films with cards (~8 s) and a data folder of its own."""
    for name in ("a", "b", "c"):
        make_clip(tmp_path / f"{name}.mp4", seconds=1.5, label=name)
    items = "\n".join(f"  - film: {n}.mp4\n    title: {n.upper()}" for n in ("a", "b", "c"))
    playlist = tmp_path / "night.yaml"
    playlist.write_text(
        f"version: 1\ntitle: Drill\ndefaults:\n  card_seconds: 1\nitems:\n{items}\n",
        encoding="utf-8",
    )
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    return playlist, env


def start_rehearsal(playlist: Path, env: dict, *args) -> subprocess.Popen:
    """Start `rehearse` and return once it has printed its as-run path (the night is locked)."""
    proc = subprocess.Popen(
        [PY, "-m", "player", "rehearse", str(playlist), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    first = proc.stdout.readline()
    assert first.startswith("As-run log:"), first + proc.stderr.read()
    return proc


def journal_file(data: Path) -> Path:
    files = list((data / "screening-night" / "journal").glob("*.json")) or list(
        data.rglob("journal/*.json")
    )
    assert len(files) == 1, files
    return files[0]


def test_a_second_rehearsal_is_refused_and_the_first_runs_on(setting, tmp_path):
    playlist, env = setting
    first_log = tmp_path / "first.jsonl"
    first = start_rehearsal(playlist, env, "--as-run", first_log)
    try:
        second = subprocess.run(
            [PY, "-m", "player", "rehearse", str(playlist), "--as-run", tmp_path / "second.jsonl"],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            check=False,
        )
        assert second.returncode == 2
        assert second.stdout == ""
        assert second.stderr.count("\n") == 1 and "Traceback" not in second.stderr
        assert "already open in another Screening Night" in second.stderr
        assert f"process {first.pid}" in second.stderr
        assert not (tmp_path / "second.jsonl").exists()  # it touched nothing
        out, err = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, err
    assert "Rehearsal over: 6 played, 0 failed, of 6 steps." in out
    state = json.loads(journal_file(tmp_path / "data").read_text(encoding="utf-8"))
    assert state["finished"] and state["as_run"] == str(first_log)
    entries = [json.loads(line) for line in first_log.read_text(encoding="utf-8").splitlines()]
    assert [e["index"] for e in entries] == list(range(6))


def test_the_console_is_refused_while_a_rehearsal_runs(setting, tmp_path):
    playlist, env = setting
    first = start_rehearsal(playlist, env, "--as-run", tmp_path / "first.jsonl")
    try:
        console = subprocess.run(
            [PY, "-m", "player", "run", str(playlist), "--windowed", "--quit-after", "3000"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**env, "QT_QPA_PLATFORM": "offscreen"},
            check=False,
        )
        assert console.returncode == 2, console.stderr
        assert "already open in another Screening Night" in console.stderr
        assert "Traceback" not in console.stderr
        first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0


def test_a_lock_left_by_kill_9_does_not_block_the_resume(setting, tmp_path):
    playlist, env = setting
    log = tmp_path / "as-run.jsonl"
    first = start_rehearsal(playlist, env, "--as-run", log)
    first.stdout.readline()  # the first card ended: the show is under way...
    saved = journal_file(tmp_path / "data")

    def second_step() -> bool:  # ...and its journal, written in the background, says so
        state = journal.load(saved)
        return state is not None and state.step_index == 1

    until(second_step, 15, "the journal never reached the second step")
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=30)
    lock = journal.lock_path(journal_file(tmp_path / "data"))
    assert lock.read_text().strip() == str(first.pid)  # the lock file outlives its process...
    resumed = subprocess.run(
        [PY, "-m", "player", "rehearse", str(playlist), "--resume"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr  # ...but not its lock
    assert "Resuming at step 2," in resumed.stdout
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [e["index"] for e in entries] == list(range(6))
