"""Drill: media that fails while the show runs — deleted, truncated, replaced, a media folder gone,
a subtitle file missing, a prober that hangs.

The real controller with the real libvlc (dummy video and audio), or `rehearse` as a
subprocess, on clips made by ffmpeg. Invariant for every fault that spoils a film: the operator
is told (`problem_reported`, or a PROBLEM line from `rehearse`), the show goes on to the next
item, and the as-run log records the film as failed with its error.

Where the operating system keeps the film playable, the show must simply play it: a file
deleted (or a folder renamed away) while libvlc has it open is still read through the open
descriptor on POSIX systems, so that film plays to its end.

Tests run as root, where permissions do not stop reads (chmod 000 on the media folder changes
nothing), so "the media folder becomes unreadable" is drilled by renaming the folder away and
putting an empty one in its place, as an unmounted disk looks to the program.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from player.core.model import (
    Defaults,
    Film,
    Follow,
    LocalText,
    Outcome,
    Playlist,
    StepKind,
    format_duration,
)
from player.core.sequencer import Phase
from player.media.probe import probe as probe_media
from player.media.vlc_backend import VlcBackend
from player.qt.controller import ShowController
from player.show import asrun
from support.synth import make_clip

NIGHT_TIMEOUT_MS = 60_000
WENT_ON = "went on with the next item"


def film(path: Path, title: str, **kw) -> Film:
    return Film(id=title.lower().replace(" ", "-"), path=path, title=LocalText.of(title), **kw)


def night(*items, title_cards: bool = True) -> Playlist:
    return Playlist(
        title=LocalText.of("Drill night"),
        items=tuple(items),
        defaults=Defaults(title_cards=title_cards, card_ms=1_000, follow=Follow.AUTO),
    )


class Recorder:
    def __init__(self, controller: ShowController) -> None:
        self.problems: list[str] = []
        self.entries: list = []
        controller.problem_reported.connect(self.problems.append)
        controller.item_finished.connect(self.entries.append)


@pytest.fixture
def make_controller(tmp_path):
    made: list[ShowController] = []

    def make(playlist: Playlist) -> tuple[ShowController, Recorder]:
        controller = ShowController(
            playlist,
            backend=VlcBackend(video=False, audio="dummy"),
            as_run_path=tmp_path / "as-run.jsonl",
            journal_path=tmp_path / "journal.json",
            recovery_ms=500,
        )
        made.append(controller)
        return controller, Recorder(controller)

    yield make
    for controller in made:
        controller.close()


def wait_film(qtbot, controller: ShowController, step: int, elapsed_ms: int = 400) -> None:
    qtbot.waitUntil(
        lambda: (
            controller.status.step_index == step
            and controller.status.phase is Phase.FILM
            and controller.status.elapsed_ms >= elapsed_ms
        ),
        timeout=15_000,
    )


def films_of(entries) -> list[tuple[str, str]]:
    return [(e.title, e.outcome.value) for e in entries if e.kind is StepKind.FILM]


def assert_as_run_matches(controller: ShowController, rec: Recorder) -> None:
    """The file holds what the operator saw, one parseable line each; failures carry errors."""
    lines = controller.as_run_path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [e.to_json() for e in rec.entries]
    for entry in asrun.read(controller.as_run_path):
        if entry.outcome is Outcome.FAILED:
            assert entry.kind is StepKind.FILM and entry.error.strip() and entry.file


def test_files_deleted_or_replaced_by_text_before_their_turn(qtbot, make_controller, tmp_path):
    media = tmp_path / "media"
    first = make_clip(media / "first.mp4", seconds=1.5, label="1")
    gone = make_clip(media / "gone.mp4", seconds=1.5, label="2")
    texted = make_clip(media / "texted.mp4", seconds=1.5, label="3")
    last = make_clip(media / "last.mp4", seconds=1.5, label="4")
    playlist = night(
        film(first, "First"), film(gone, "Gone"), film(texted, "Texted"), film(last, "Last")
    )
    controller, rec = make_controller(playlist)
    with qtbot.waitSignal(controller.finished, timeout=NIGHT_TIMEOUT_MS):
        controller.engine.go()
        wait_film(qtbot, controller, 1)  # "First" plays; the others are not opened yet
        gone.unlink()
        texted.write_text("Programme notes, not a film.\n", encoding="utf-8")
    assert films_of(rec.entries) == [
        ("First", "played"),
        ("Gone", "failed"),
        ("Texted", "failed"),
        ("Last", "played"),
    ]
    assert [e.outcome for e in rec.entries if e.kind is StepKind.CARD] == [Outcome.PLAYED] * 4
    assert len(rec.problems) == 2
    assert "gone.mp4" in rec.problems[0] and "texted.mp4" in rec.problems[1]
    assert all(WENT_ON in p and "\n" not in p for p in rec.problems)
    assert_as_run_matches(controller, rec)


def test_deleted_while_playing_plays_on_and_truncated_while_playing_fails(
    qtbot, make_controller, tmp_path
):
    media = tmp_path / "media"
    deleted = make_clip(media / "deleted.mp4", seconds=2.0, label="D")
    # Big enough (640x480, 4 s) that libvlc has not read it all when it is cut.
    cut = make_clip(
        media / "cut.mp4", seconds=4.0, width=640, height=480, label="T",
        vcodec_args=("-preset", "ultrafast", "-b:v", "4M"),
    )  # fmt: skip
    last = make_clip(media / "last.mp4", seconds=1.5, label="L")
    # Probed while whole (the show's own probe runs at its start, before the faults).
    deleted_ms = probe_media(deleted).duration_ms
    cut_ms = probe_media(cut).duration_ms
    playlist = night(
        film(deleted, "Deleted"), film(cut, "Cut"), film(last, "Last"), title_cards=False
    )
    controller, rec = make_controller(playlist)
    with qtbot.waitSignal(controller.finished, timeout=NIGHT_TIMEOUT_MS):
        controller.engine.go()
        wait_film(qtbot, controller, 0)
        deleted.unlink()
        wait_film(qtbot, controller, 1, elapsed_ms=800)
        with open(cut, "r+b") as handle:  # rewritten shorter in place: same file, fewer bytes
            handle.truncate(cut.stat().st_size // 4)
    assert films_of(rec.entries) == [("Deleted", "played"), ("Cut", "failed"), ("Last", "played")]
    # read to (near) its end through the open descriptor: most of its probed duration
    assert rec.entries[0].played_ms >= deleted_ms * 0.7
    # The cut film failed for being short of its probed length (not for a time-out or a
    # decoder error), after playing at least what it had when it was cut.
    assert re.fullmatch(
        rf"it stopped after \d+:\d\d of {re.escape(format_duration(cut_ms))} "
        r"\(the file looks truncated or damaged\)",
        rec.entries[1].error,
    ), rec.entries[1].error
    assert rec.entries[1].played_ms >= 800
    assert len(rec.problems) == 1 and "cut.mp4" in rec.problems[0] and WENT_ON in rec.problems[0]
    assert_as_run_matches(controller, rec)


def test_media_folder_gone_mid_show(qtbot, make_controller, tmp_path):
    media = tmp_path / "media"
    names = ("one", "two", "three")
    clips = [make_clip(media / f"{n}.mp4", seconds=1.5, label=n) for n in names]
    playlist = night(*(film(p, n.title()) for p, n in zip(clips, names, strict=True)))
    controller, rec = make_controller(playlist)
    with qtbot.waitSignal(controller.finished, timeout=NIGHT_TIMEOUT_MS):
        controller.engine.go()
        wait_film(qtbot, controller, 1)
        media.rename(tmp_path / "media (unmounted)")
        media.mkdir()  # an empty mount point where the disk was
    assert films_of(rec.entries) == [("One", "played"), ("Two", "failed"), ("Three", "failed")]
    assert len(rec.problems) == 2
    assert "two.mp4" in rec.problems[0] and "three.mp4" in rec.problems[1]
    assert controller.status.phase is Phase.FINISHED
    assert_as_run_matches(controller, rec)


def test_subtitle_file_missing_at_show_time(qtbot, make_controller, tmp_path):
    media = tmp_path / "media"
    clip = make_clip(media / "subbed.mp4", seconds=1.5, label="S")
    srt = media / "subbed.fr.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:01,000\nBonsoir\n", encoding="utf-8")
    other = make_clip(media / "other.mp4", seconds=1.5, label="O")
    playlist = night(film(clip, "Subbed", subtitles=srt), film(other, "Other"), title_cards=False)
    controller, rec = make_controller(playlist)
    srt.unlink()  # loaded and checked with it; gone by show time
    with qtbot.waitSignal(controller.finished, timeout=NIGHT_TIMEOUT_MS):
        controller.engine.go()
    # The audience still gets the film; the operator and the as-run log get the news.
    assert films_of(rec.entries) == [("Subbed", "played"), ("Other", "played")]
    assert len(rec.problems) == 1
    assert "subbed.fr.srt" in rec.problems[0] and "without subtitles" in rec.problems[0]
    assert "subbed.fr.srt" in rec.entries[0].error and rec.entries[1].error is None
    assert_as_run_matches(controller, rec)


# ---- rehearse as a subprocess ------------------------------------------------------------------


def write_night(folder: Path, films: list[str]) -> Path:
    items = "\n".join(f"  - film: {json.dumps(n)}\n    title: {json.dumps(n)}" for n in films)
    path = folder / "night.yaml"
    path.write_text(
        "version: 1\ntitle: Drill\ndefaults:\n  card_seconds: 1\n  title_cards: true\n"
        f"items:\n{items}\n",
        encoding="utf-8",
    )
    return path


def test_rehearse_reports_a_film_deleted_mid_rehearsal_and_exits_1(tmp_path):
    for name in ("a", "b", "c"):
        make_clip(tmp_path / f"{name}.mp4", seconds=1.5, label=name)
    playlist = write_night(tmp_path, ["a.mp4", "b.mp4", "c.mp4"])
    log = tmp_path / "as-run.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "player", "rehearse", str(playlist), "--as-run", str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("[ 1/6] card"):  # film a is starting; b opens after it
                (tmp_path / "b.mp4").unlink()
        err = proc.stderr.read()
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, err
    assert "Traceback" not in err
    problems = [ln for ln in err.splitlines() if ln.startswith("PROBLEM:")]
    assert len(problems) == 1 and "b.mp4" in problems[0]
    entries = [json.loads(ln) for ln in log.read_text(encoding="utf-8").splitlines()]
    assert [(e["index"], e["outcome"]) for e in entries] == [
        (0, "played"), (1, "played"), (2, "played"), (3, "failed"), (4, "played"), (5, "played"),
    ]  # fmt: skip
    assert entries[3]["error"] and entries[3]["file"].endswith("b.mp4")
    assert "Rehearsal over: 5 played, 1 failed, of 6 steps." in "".join(lines)


def sleeping(pid: int) -> bool:
    """Whether process `pid` is still alive (and not a zombie waiting to be reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: alive is the best we know
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def test_a_hanging_prober_does_not_hold_the_rehearsal(tmp_path):
    for name in ("a", "b"):
        make_clip(tmp_path / f"{name}.mp4", seconds=1.5, label=name)
    playlist = write_night(tmp_path, ["a.mp4", "b.mp4"])
    marks = tmp_path / "prober-started"
    prober = tmp_path / "hanging ffprobe"
    prober.write_text('#!/bin/sh\necho "$$" >> "$HANG_MARKS"\nexec sleep 60\n', encoding="utf-8")
    prober.chmod(0o755)
    env = {**os.environ, "SCREENING_NIGHT_FFPROBE": str(prober), "HANG_MARKS": str(marks)}
    log = tmp_path / "as-run.jsonl"

    def probers() -> list[int]:
        return [int(pid) for pid in marks.read_text().split()] if marks.exists() else []

    # As each step's line comes out: which probers are hanging right then.
    hanging_at_step: list[list[int]] = []
    with open(tmp_path / "stderr.txt", "w+", encoding="utf-8") as errors:
        proc = subprocess.Popen(
            [sys.executable, "-m", "player", "rehearse", str(playlist), "--as-run", str(log)],
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            env=env,
        )
        try:
            for line in proc.stdout:
                if line.startswith("["):
                    hanging_at_step.append([pid for pid in probers() if sleeping(pid)])
            proc.wait(120)  # only so a broken run cannot hang the suite
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
            for pid in probers():  # the sleeping probers this test started
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        errors.seek(0)
        err = errors.read()
    assert probers(), "the hanging prober was never run"
    assert "Traceback" not in err
    entries = [json.loads(ln) for ln in log.read_text(encoding="utf-8").splitlines()]
    # The films themselves are fine: they play, and the night is not held by the prober...
    assert [e["outcome"] for e in entries] == ["played"] * 4
    assert proc.returncode == 0, err
    # ...which it was before: every probe's time-out was waited out before the first card.
    # Now steps end while a probe is still blocked (no clock involved: the prober's own state
    # when the step's line came out). Held, no step could end before every prober was gone.
    assert len(hanging_at_step) == 4 and any(hanging_at_step), hanging_at_step


def test_a_prober_that_times_out_during_the_show_is_reported_once_per_film(
    qtbot, make_controller, tmp_path, monkeypatch
):
    from player.media import probe

    a = make_clip(tmp_path / "a.mp4", seconds=1.5, label="a")
    b = make_clip(tmp_path / "b.mp4", seconds=1.5, label="b")
    prober = tmp_path / "hanging ffprobe"
    prober.write_text("#!/bin/sh\nexec sleep 60\n", encoding="utf-8")
    prober.chmod(0o755)
    monkeypatch.setenv("SCREENING_NIGHT_FFPROBE", str(prober))
    real_probe = probe.probe
    # The real prober (hanging), with the show's time-out shortened from 15 s to 0.5 s.
    monkeypatch.setattr(probe, "probe", lambda path, **kw: real_probe(path, timeout_s=0.5))
    controller, rec = make_controller(night(film(a, "A"), film(b, "B")))
    with qtbot.waitSignal(controller.finished, timeout=NIGHT_TIMEOUT_MS):
        controller.engine.go()
    assert films_of(rec.entries) == [("A", "played"), ("B", "played")]
    assert len(rec.problems) == 2
    # both probers hang side by side: each is reported as it times out, in either order
    for problem, name in zip(sorted(rec.problems), ("a.mp4", "b.mp4"), strict=True):
        assert problem.startswith(f"{name} could not be measured") and "0.5 s" in problem
    assert_as_run_matches(controller, rec)


def test_a_hung_prober_does_not_outlive_the_show(qtbot, make_controller, tmp_path, monkeypatch):
    """Closing the show (the program's exit) kills a prober still hanging, rather than waiting
    out its 15 s time-out (rehearse used to sit that long after "Rehearsal over")."""
    a = make_clip(tmp_path / "a.mp4", seconds=1.0, label="a")
    marks = tmp_path / "prober-started"
    prober = tmp_path / "hanging ffprobe"
    prober.write_text('#!/bin/sh\necho "$$" >> "$HANG_MARKS"\nexec sleep 60\n', encoding="utf-8")
    prober.chmod(0o755)
    monkeypatch.setenv("SCREENING_NIGHT_FFPROBE", str(prober))
    monkeypatch.setenv("HANG_MARKS", str(marks))
    controller, rec = make_controller(night(film(a, "A")))
    with qtbot.waitSignal(controller.finished, timeout=NIGHT_TIMEOUT_MS):
        controller.engine.go()
    assert films_of(rec.entries) == [("A", "played")]
    pids = [int(pid) for pid in marks.read_text().split()]
    try:
        assert pids and all(sleeping(pid) for pid in pids)  # still within its time-out
        controller.close()
        assert not [pid for pid in pids if sleeping(pid)]
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
