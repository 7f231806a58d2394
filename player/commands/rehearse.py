"""`screening-night rehearse PLAYLIST`: play the whole night in real time with no window.

libvlc with a dummy video output; sound to a WAV (`--audio-out`) or to nowhere. Cards are timed
as in the show and `hold` points are taken as GO after their card. One line per step as it goes.
Exit 0 when every step played, 1 when any failed, 2 when the night cannot be run.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from player.commands import load_or_report

HOLD_BLACK_MS = 500  # a hold before a film with no card: GO after this long


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("playlist", type=Path, metavar="PLAYLIST", help="YAML playlist")
    parser.add_argument(
        "--as-run", type=Path, metavar="FILE", help="as-run log (JSON lines; default: data folder)"
    )
    parser.add_argument(
        "--audio-out", type=Path, metavar="FILE.wav", help="write the night's sound to a WAV file"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--resume", action="store_true", help="continue where the last run of this night stopped"
    )
    where.add_argument(
        "--from",
        dest="from_step",
        type=int,
        metavar="N",
        help="start at step N (as numbered in this command's output, from 1)",
    )
    # Hidden: write leak figures (libvlc players alive during / after the night) as JSON to
    # FILE at the end — for the soak test and bench/soak.py.
    parser.add_argument("--stats", type=Path, metavar="FILE", help=argparse.SUPPRESS)
    parser.epilog = "Exit status: 0 every step played, 1 a step failed, 2 could not run."


def _line(entry, total: int) -> str:
    seconds = entry.played_ms / 1000
    what = f"{entry.outcome} {seconds:.1f} s"
    if entry.error:
        what += f" — {entry.error}"
    return f"[{entry.index + 1:>2}/{total}] {entry.kind:<12} {entry.title}: {what}"


def run(args: argparse.Namespace) -> int:

    playlist = load_or_report(args.playlist)
    if playlist is None:
        return 2

    from PySide6.QtCore import QCoreApplication, QTimer

    from player.core.model import StepKind, steps
    from player.core.sequencer import Phase
    from player.media.backend import BackendError
    from player.media.vlc_backend import VlcBackend, live_counts
    from player.qt.controller import ShowController
    from player.show.journal import ShowInUse

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
        )
    except ShowInUse as exc:
        backend.close()
        print(f"{args.playlist}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        backend.close()
        print(f"Cannot write the as-run log: {exc}", file=sys.stderr)
        return 2

    print(f"As-run log: {controller.as_run_path}", flush=True)
    start = None if args.from_step is None or args.resume else args.from_step - 1
    if args.resume:
        point = controller.resume_point
        if point is None or point[0] >= total:  # the last one ended: the night was over
            print("Nothing to resume: starting from the beginning.", flush=True)
            start = 0
        else:
            print(f"Resuming at step {point[0] + 1}, {point[1] / 1000:.1f} s in.", flush=True)
    if playlist.defaults.loudness_target is not None:
        print(f"Loudness matched to {playlist.defaults.loudness_target} LUFS.", flush=True)
    # Films are probed (and measured) in the controller's worker thread while the night runs,
    # as in the show: a prober that hangs must not hold the rehearsal back (it used to wait
    # out every probe's 15 s time-out, film after film, before the first card).

    outcomes: list[str] = []
    held: dict[str, object] = {"key": None}

    most_alive = live_counts()

    def on_item(entry) -> None:
        outcomes.append(entry.outcome)
        print(_line(entry, total), flush=True)

    def on_problem(message: str) -> None:
        print(f"PROBLEM: {message}", file=sys.stderr, flush=True)

    def on_status(status) -> None:
        for kind, count in live_counts().items():  # ~5 times a second
            most_alive[kind] = max(most_alive[kind], count)
        if status.phase is not Phase.HOLDING:
            held["key"] = None
            return
        key = status.step_index
        if held["key"] == key:
            return
        held["key"] = key
        step = status.step
        delay = HOLD_BLACK_MS
        if step is not None and step.kind is not StepKind.FILM:
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
    QTimer.singleShot(0, lambda: controller.start(start))
    try:
        app.exec()
    finally:
        signal.signal(signal.SIGINT, previous)
        wake.stop()
        alive_at_end = live_counts()
        try:
            controller.close()  # joins the recorded sound into --audio-out
        except OSError as exc:
            sound_error = f"{exc.strerror or exc}"
        else:
            sound_error = None
    if getattr(args, "stats", None) is not None:
        stats = {"most_alive": most_alive, "alive_at_end": alive_at_end}
        stats["alive_after_close"] = live_counts()
        args.stats.write_text(json.dumps(stats), encoding="utf-8")
    if args.audio_out:
        if sound_error:
            print(f"Could not write the sound to {args.audio_out}: {sound_error}", file=sys.stderr)
        elif Path(args.audio_out).exists():
            print(f"Sound written to {args.audio_out}", flush=True)
        else:
            print("No sound was recorded (no film played).", flush=True)
    if interrupted["yes"]:
        print("Interrupted; resume with --resume.", file=sys.stderr)
        return 130
    failed = outcomes.count("failed")
    played = outcomes.count("played")
    print(f"Rehearsal over: {played} played, {failed} failed, of {total} steps.", flush=True)
    return 1 if failed else 0
