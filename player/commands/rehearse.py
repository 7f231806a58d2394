"""`screening-night rehearse PLAYLIST`: play the whole night in real time with no window.

libvlc with a dummy video output; sound to a WAV (`--audio-out`) or to nowhere. Cards are timed
as in the show and `hold` points are taken as GO after their card. One line per step as it goes.
Exit 0 when every step played, 1 when any failed, 2 when the night cannot be run.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

HOLD_BLACK_MS = 500  # a hold before a film with no card: GO after this long


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("playlist", type=Path, metavar="PLAYLIST", help="YAML playlist")
    parser.add_argument(
        "--as-run", type=Path, metavar="FILE", help="as-run log (JSON lines; default: data folder)"
    )
    parser.add_argument(
        "--audio-out", type=Path, metavar="FILE.wav", help="write the night's sound to a WAV file"
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue where the last run of this night stopped"
    )
    parser.add_argument(
        "--from",
        dest="from_step",
        type=int,
        metavar="N",
        help="start at step N (as numbered in this command's output, from 1)",
    )
    parser.epilog = "Exit status: 0 every step played, 1 a step failed, 2 could not run."


def _line(entry, total: int) -> str:
    seconds = entry.played_ms / 1000
    what = f"{entry.outcome} {seconds:.1f} s"
    if entry.error:
        what += f" — {entry.error}"
    return f"[{entry.index + 1:>2}/{total}] {entry.kind:<12} {entry.title}: {what}"


def run(args: argparse.Namespace) -> int:
    from player.model import PlaylistError
    from player.playlist_io import load_playlist

    try:
        playlist = load_playlist(args.playlist)
    except PlaylistError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{args.playlist}: cannot be loaded; nothing rehearsed.", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{args.playlist}: cannot be read: {exc.strerror or exc}", file=sys.stderr)
        return 2

    from PySide6.QtCore import QCoreApplication, QTimer

    from player.media.backend import BackendError
    from player.media.vlc_backend import VlcBackend
    from player.model import steps
    from player.qt.controller import ShowController
    from player.sequencer import Phase

    total = len(steps(playlist))
    if args.from_step is not None and not 1 <= args.from_step <= max(1, total):
        print(f"--from {args.from_step}: the night has steps 1 to {total}.", file=sys.stderr)
        return 2
    if args.audio_out is not None and not args.audio_out.parent.absolute().is_dir():
        print(f"--audio-out: folder {args.audio_out.parent} does not exist.", file=sys.stderr)
        return 2

    app = QCoreApplication.instance() or QCoreApplication([sys.argv[0]])
    try:
        backend = VlcBackend(
            video=False,
            audio="file" if args.audio_out else "dummy",
            audio_file=args.audio_out,
        )
    except BackendError as exc:
        print(f"Cannot play: {exc}", file=sys.stderr)
        return 2
    try:
        controller = ShowController(
            playlist,
            backend=backend,
            as_run_path=args.as_run,
            resume=args.resume,
            measure=False,
        )
    except OSError as exc:
        print(f"Cannot write the as-run log: {exc}", file=sys.stderr)
        return 2

    print(f"As-run log: {controller.as_run_path}", flush=True)
    if args.resume:
        point = controller.resume_point
        if point is None:
            print("Nothing to resume: starting from the beginning.", flush=True)
        else:
            print(f"Resuming at step {point[0] + 1}, {point[1] / 1000:.1f} s in.", flush=True)
    if playlist.defaults.loudness_target is not None:
        print(f"Measuring loudness (target {playlist.defaults.loudness_target} LUFS)…", flush=True)
    controller.measure_now()

    outcomes: list[str] = []
    held: dict[str, object] = {"key": None}

    def on_item(entry) -> None:
        outcomes.append(entry.outcome)
        print(_line(entry, total), flush=True)

    def on_problem(message: str) -> None:
        print(f"PROBLEM: {message}", file=sys.stderr, flush=True)

    def on_status(status) -> None:
        if status.phase is not Phase.HOLDING:
            held["key"] = None
            return
        key = status.step_index
        if held["key"] == key:
            return
        held["key"] = key
        step = status.step
        delay = HOLD_BLACK_MS
        if step is not None and step.kind != "film":
            delay = playlist.defaults.card_ms

        def go_if_still_held() -> None:
            if held["key"] == key:
                controller.go()

        QTimer.singleShot(delay, go_if_still_held)

    controller.item_finished.connect(on_item)
    controller.problem_reported.connect(on_problem)
    controller.status_changed.connect(on_status)
    controller.finished.connect(app.quit)

    interrupted = {"yes": False}

    def on_signal(*_args) -> None:
        interrupted["yes"] = True
        app.quit()

    previous = signal.signal(signal.SIGINT, on_signal)
    wake = QTimer()
    wake.timeout.connect(lambda: None)  # lets Python run its signal handlers
    wake.start(200)
    start = None if args.from_step is None or args.resume else args.from_step - 1
    QTimer.singleShot(0, lambda: controller.start(start))
    try:
        app.exec()
    finally:
        signal.signal(signal.SIGINT, previous)
        wake.stop()
        controller.close()
    if args.audio_out:
        print(f"Sound written to {args.audio_out}", flush=True)
    if interrupted["yes"]:
        print("Interrupted; resume with --resume.", file=sys.stderr)
        return 130
    failed = outcomes.count("failed")
    played = outcomes.count("played")
    print(f"Rehearsal over: {played} played, {failed} failed, of {total} steps.", flush=True)
    return 1 if failed else 0
