"""Drill: kill -9 at random moments of a rehearsal, then --resume, twenty times over one night.

Each trial starts `rehearse` (the first plainly, then with --resume), lets it run a random while,
and kills it with SIGKILL. The next trial's resume must start at the step and position the journal
held at the kill (the next step when the film's as-run line was written just before), and after
every kill each line of the as-run log must parse. (How far the journal lags the kill is a matter
of the machine's speed, so it is not judged on the wall clock.) At the end one more --resume
plays the night out: every step is in the log exactly once, in order — nothing completed was
replayed, nothing was lost.

The kill moments come from a seeded generator; the seed is printed (run with `-s` to see it) and
`DRILL_SEED=N` replays a run. Plus the as-run log's own torn-line handling (a power cut can tear
a line, kill -9 cannot: the kernel finishes the write it was given).
"""

from __future__ import annotations

import errno
import json
import os
import random
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from player.core.model import Outcome, StepKind
from player.show import asrun
from player.show.asrun import AsRunEntry, AsRunLog
from player.show.resume import reconcile
from support.poll import until
from support.synth import make_clip

TRIALS = 20
SEED = int(os.environ.get("DRILL_SEED") or random.SystemRandom().randrange(1 << 31))
FILMS = 8
STEPS = 2 * FILMS  # each film with its title card
FILM, PLAYED = StepKind.FILM, Outcome.PLAYED


@pytest.fixture(scope="module")
def playlist(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("kill-night")
    names = []
    for i in range(FILMS):
        name = f"film {i + 1}.mp4"
        make_clip(
            folder / name, seconds=(1.0, 1.5, 2.0)[i % 3], width=160, height=120, label=str(i)
        )
        names.append(name)
    items = "\n".join(f"  - film: {json.dumps(n)}\n    title: {json.dumps(n[:-4])}" for n in names)
    path = folder / "night.yaml"
    path.write_text(
        f"version: 1\ntitle: Kill drill\ndefaults:\n  card_seconds: 1\nitems:\n{items}\n",
        encoding="utf-8",
    )
    return path


def read_log(path: Path) -> list[dict]:
    """Every line of the as-run log, each of which must be a JSON object."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "", "the as-run log ends in a torn line"
    return [json.loads(line) for line in lines[:-1]]


def saved_after(journal: Path, after: float, timeout_s: float = 15.0) -> dict:
    """The journal once saved after the wall-clock time `after` (by this run, not the last)."""

    def saved() -> dict | None:
        try:
            state = json.loads(journal.read_text(encoding="utf-8"))
            if datetime.fromisoformat(state["saved_at"]).timestamp() > after:
                return state
        except (OSError, ValueError, KeyError):
            pass
        return None

    return until(saved, timeout_s, "the rehearsal never saved its journal")


def test_kill_9_at_random_moments_then_resume(playlist, tmp_path):
    print(f"\nkill drill seed {SEED} (DRILL_SEED={SEED} replays it)")
    rng = random.Random(SEED)
    data = tmp_path / "data"
    env = {**os.environ, "XDG_DATA_HOME": str(data)}
    night = 1
    log = tmp_path / f"as-run-{night}.jsonl"
    logs = [log]
    expected: tuple[int, int, bool] | None = None  # step, journal position (ms), closed
    journal: Path | None = None
    record: list[str] = []
    for trial in range(1, TRIALS + 1):
        args = ["--resume"] if expected else ["--as-run", str(log)]
        launched = time.time()
        with open(tmp_path / "stderr.txt", "w") as errors:
            proc = subprocess.Popen(
                [sys.executable, "-m", "player", "rehearse", str(playlist), *args],
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                env=env,
            )
        try:
            assert proc.stdout.readline() == f"As-run log: {log}\n", record
            if expected is not None:
                line = proc.stdout.readline()
                assert line.startswith("Resuming at step "), (line, record)
                step = int(line.split()[3].rstrip(",")) - 1
                at_ms = float(line.split(",")[1].split()[0]) * 1000
                want_step, saved_ms, closed = expected
                record.append(f"  resumed at step {step}, {at_ms:.0f} ms")
                if closed:  # its as-run line was written just before the kill
                    assert (step, at_ms) == (want_step + 1, 0), record
                else:
                    # where the journal was at the kill (the line rounds to 0.1 s)
                    assert step == want_step, record
                    assert abs(at_ms - saved_ms) <= 50, record
            if journal is None:
                [journal] = until(lambda: list(data.rglob("journal/*.json")), 15, "no journal")
            saved_after(journal, launched)
            delay = rng.uniform(0.1, 1.6)
            time.sleep(delay)
            proc.kill()
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        entries = read_log(log)  # after every kill, every line parses
        state = json.loads(journal.read_text(encoding="utf-8"))
        step = state["step_index"] + (1 if state["completed"] else 0)
        record.append(
            f"trial {trial}: killed {delay:.2f} s after its first save; journal step "
            f"{state['step_index']} at {state['position_ms']} ms, completed={state['completed']}"
        )
        if state["finished"] or step >= STEPS:
            # The night ran out: check it and start a fresh one.
            assert [e["index"] for e in entries] == list(range(STEPS)), record
            night += 1
            log = tmp_path / f"as-run-{night}.jsonl"
            logs.append(log)
            journal.unlink()
            expected = None
            continue
        position = 0 if state["completed"] else state["position_ms"]
        closed = bool(entries) and entries[-1]["index"] == step and not state["completed"]
        expected = (step, position, closed)

    if expected is not None:  # play the night out
        result = subprocess.run(
            [sys.executable, "-m", "player", "rehearse", str(playlist), "--resume"],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            check=False,
        )
        assert result.returncode == 0, result.stderr
    print("\n".join(record))
    for path in logs:
        entries = read_log(path)
        if path == log and expected is None:
            continue  # a fresh night not yet begun
        # every step exactly once and in order: nothing replayed, nothing lost
        assert [e["index"] for e in entries] == list(range(STEPS)), (path, record)
        assert {e["outcome"] for e in entries} == {"played"}, (path, record)


# ---- the as-run log's torn lines ----------------------------------------------------------------


def entry(i: int, title: str = "Film") -> AsRunEntry:
    return AsRunEntry(i, f"f{i}", FILM, title, "/m/f.mp4", None, None, None, 1000, PLAYED)


def test_reader_skips_a_line_torn_inside_a_multibyte_character(tmp_path):
    path = tmp_path / "as-run.jsonl"
    log = AsRunLog(path)
    log.write(entry(0, "夜の映画"))
    log.close()
    whole = path.read_bytes()
    path.write_bytes(whole + whole[: whole.index("映".encode()) + 1])  # torn mid-character
    assert [e.index for e in asrun.read(path)] == [0]


def test_writer_starts_a_fresh_line_after_a_torn_one(tmp_path):
    path = tmp_path / "as-run.jsonl"
    path.write_bytes(json.dumps(entry(0).to_json()).encode() + b'\n{"index": 1, "ti')
    log = AsRunLog(path)  # a new run appends to the log of the interrupted night
    log.write(entry(2))
    log.write(entry(3))
    log.close()
    assert [e.index for e in asrun.read(path)] == [0, 2, 3]  # 2 is not glued to the torn line


def test_a_write_cut_short_by_a_full_disk_does_not_spoil_the_next_line(tmp_path, monkeypatch):
    path = tmp_path / "as-run.jsonl"
    log = AsRunLog(path)
    log.write(entry(0))
    real_write = os.write
    calls = {"n": 0}

    def half_then_full(fd, data):
        calls["n"] += 1
        if calls["n"] == 1:
            return real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", half_then_full)
    with pytest.raises(OSError):
        log.write(entry(1))
    monkeypatch.setattr(os, "write", real_write)  # space again
    log.write(entry(2))
    log.close()
    assert [e.index for e in asrun.read(path)] == [0, 2]


def test_resume_skips_a_step_logged_just_before_the_crash(tmp_path):
    path = tmp_path / "as-run.jsonl"
    log = AsRunLog(path)
    closed = AsRunEntry(
        4, "f", FILM, "F", "/m/f.mp4", None,
        "2026-11-24T21:00:00.000+00:00", "2026-11-24T21:00:05.400+00:00", 5400, PLAYED,
    )  # fmt: skip
    log.write(closed)
    log.close()
    logged = asrun.read(path)
    # journal saved at 5.0 s (step 4, part-way); the as-run line came at 5.4 s, then the crash
    assert reconcile((4, 5000), logged, "2026-11-24T21:00:05.000+00:00") == (5, 0)
    # a journal saved after that line knows better (e.g. the operator went back to step 4)
    assert reconcile((4, 300), logged, "2026-11-24T21:00:09.000+00:00") == (4, 300)
    assert reconcile((3, 300), logged, "2026-11-24T21:00:04.000+00:00") == (3, 300)
