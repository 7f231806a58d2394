"""Drill: the journal and the as-run log on a full disk and in a folder that cannot be written.

Invariant: the show runs to its end, and the operator is warned once per file — not every second,
although the journal is saved every second.

Full disk: the as-run log is written to /dev/full (every write fails with ENOSPC from the kernel)
and the journal's folder is a tiny tmpfs filled to the brim when this process may mount one
(root); otherwise the journal's fsync is made to fail with ENOSPC. Read-only folder: tests run as
root, which ignores permissions, so the folder is a path whose parent is a regular file —
creating the folder or any file in it fails for everyone.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from player.core.model import Defaults, Film, Follow, LocalText, Playlist
from player.media.vlc_backend import VlcBackend
from player.qt.controller import ShowController
from support.synth import make_clip

NIGHT_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("journal-faults")
    return [make_clip(folder / f"{n}.mp4", seconds=1.5, label=n) for n in ("a", "b")]


def night(clips: list[Path]) -> Playlist:
    films = tuple(
        Film(id=p.stem, path=p, title=LocalText.of(p.stem.upper())) for p in clips
    )  # with title cards: about 5 s, so the journal is saved several times a second apart
    return Playlist(
        title=LocalText.of("Drill night"),
        items=films,
        defaults=Defaults(title_cards=True, card_ms=1_000, follow=Follow.AUTO),
    )


def run_night(qtbot, playlist: Playlist, as_run: Path, journal: Path) -> tuple[list, list]:
    controller = ShowController(
        playlist,
        backend=VlcBackend(video=False, audio="dummy"),
        as_run_path=as_run,
        journal_path=journal,
        measure=False,
    )
    problems: list[str] = []
    entries: list = []
    controller.problem_reported.connect(problems.append)
    controller.item_finished.connect(entries.append)
    try:
        with qtbot.waitSignal(controller.finished, timeout=NIGHT_TIMEOUT_MS):
            controller.engine.go()
    finally:
        controller.close()
    return problems, entries


@pytest.fixture
def full_folder(tmp_path, monkeypatch):
    """A folder where nothing more fits: a full tmpfs, or ENOSPC on fsync when not root."""
    folder = tmp_path / "full"
    folder.mkdir()
    mounted = (
        os.geteuid() == 0
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "drill-full", str(folder)],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    try:
        if mounted:
            fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
            try:
                while os.write(fd, b"\0" * 4096):
                    pass
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
            finally:
                os.close(fd)
        else:
            real_fsync = os.fsync

            def fsync(fd: int) -> None:
                if os.readlink(f"/proc/self/fd/{fd}").startswith(str(folder)):
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                real_fsync(fd)

            monkeypatch.setattr(os, "fsync", fsync)
        yield folder
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], check=False)


def test_full_disk_the_show_runs_and_the_operator_is_warned_once(
    qtbot, clips, full_folder, tmp_path
):
    as_run = tmp_path / "as-run.jsonl"
    as_run.symlink_to("/dev/full")  # every write: ENOSPC
    problems, entries = run_night(qtbot, night(clips), as_run, full_folder / "journal.json")
    assert [(e.kind.value, e.outcome.value) for e in entries] == [
        ("card", "played"),
        ("film", "played"),
    ] * 2
    journal_warnings = [p for p in problems if "journal" in p]
    as_run_warnings = [p for p in problems if "as-run" in p]
    assert len(journal_warnings) == 1 and len(as_run_warnings) == 1 and len(problems) == 2
    assert "No space left on device" in journal_warnings[0]
    assert "No space left on device" in as_run_warnings[0]
    assert "the show goes on" in journal_warnings[0]
    assert not (full_folder / "journal.json").exists()
    assert not [p for p in full_folder.iterdir() if p.name.endswith(".tmp")]  # no debris


def test_unwritable_folder_the_show_runs_and_the_operator_is_warned_once(qtbot, clips, tmp_path):
    blocker = tmp_path / "not a folder"
    blocker.write_text("a file where the data folder should be\n", encoding="utf-8")
    problems, entries = run_night(
        qtbot, night(clips), blocker / "as-run.jsonl", blocker / "journal" / "night.json"
    )
    assert [(e.kind.value, e.outcome.value) for e in entries] == [
        ("card", "played"),
        ("film", "played"),
    ] * 2
    assert len(problems) == 2
    assert sum("journal" in p for p in problems) == 1
    assert sum("as-run" in p for p in problems) == 1
    assert all("not a folder" in p for p in problems)  # the path that is in the way


def test_rehearse_with_an_unwritable_data_folder_warns_once_per_file_and_plays(clips, tmp_path):
    blocker = tmp_path / "data is a file"
    blocker.write_text("", encoding="utf-8")
    playlist = tmp_path / "night.yaml"
    items = "\n".join(f"  - film: {json.dumps(str(p))}\n    title: {p.stem}" for p in clips)
    playlist.write_text(
        "version: 1\ntitle: Drill\ndefaults:\n  card_seconds: 1\nitems:\n" + items + "\n",
        encoding="utf-8",
    )
    env = {**os.environ, "XDG_DATA_HOME": str(blocker / "data")}  # journal, lock and as-run
    result = subprocess.run(
        [sys.executable, "-m", "player", "rehearse", str(playlist)],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    problems = [ln for ln in result.stderr.splitlines() if ln.startswith("PROBLEM:")]
    assert len(problems) == 2, result.stderr
    assert sum("journal" in p for p in problems) == 1
    assert sum("as-run" in p for p in problems) == 1
    assert "Rehearsal over: 4 played, 0 failed, of 4 steps." in result.stdout
