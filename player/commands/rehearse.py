"""`screening-night rehearse PLAYLIST`: play the whole night in real time with no window.

The same show engine as the console, on a plain event loop (no Qt): libvlc with a dummy video
output; sound to a WAV (`--audio-out`) or to nowhere. Cards are timed as in the show and `hold`
points are taken as GO after their card. One line per step as it goes, and at the end how late
or early the night ran against its plan.
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
    what = f"{entry.outcome.value} {entry.played_ms / 1000:.1f} s"
    if entry.paused_ms:
        what += f" (paused {entry.paused_ms / 1000:.1f} s)"
    if entry.error:
        what += f" — {entry.error}"
    return f"[{entry.index + 1:>2}/{total}] {entry.kind.value:<12} {entry.title}: {what}"


class HeldTaker:
    """Takes every hold as GO, as `rehearse` does: a held card after its card's time, a hold
    before a film with no card after HOLD_BLACK_MS. Feed it each status; set `engine` once
    the engine is made (its first status comes while it is being made)."""

    def __init__(self, clock, card_ms: int) -> None:
        self.engine = None
        self.clock, self.card_ms = clock, card_ms
        self._held: int | None = None

    def status_changed(self, status) -> None:
        from player.core.model import StepKind
        from player.core.sequencer import Phase

        if status.phase is not Phase.HOLDING:
            self._held = None
            return
        if self._held == status.next_index:
            return
        key = self._held = status.next_index
        on_card = status.step is not None and status.step.kind is not StepKind.FILM
        delay = self.card_ms if on_card else HOLD_BLACK_MS

        def go_if_still_held() -> None:
            if self._held == key and self.engine is not None:
                self.engine.go()

        self.clock.call_later(delay, go_if_still_held)


def _lateness(status) -> str:
    from player.core.model import format_duration
    from player.core.schedule import clock

    late = status.late_ms or 0
    against = "its plan, timed from the first GO" if status.timed_from_go else "its plan"
    if abs(late) < 1_000:
        how = f"on time against {against}"
    else:
        how = f"{format_duration(abs(late))} {'late' if late > 0 else 'early'} against {against}"
    planned = f" (planned {clock(status.planned_end_ms)})" if status.planned_end_ms else ""
    return f"The night ended at {clock(status.projected_end_ms or 0)}{planned}, {how}."


def run(args: argparse.Namespace) -> int:
    playlist = load_or_report(args.playlist)
    if playlist is None:
        return 2

    from player.core.model import Outcome, steps
    from player.media.backend import BackendError
    from player.media.vlc_backend import VlcBackend, live_counts
    from player.show import journal, resume
    from player.show.clock import EventLoop
    from player.show.engine import ShowEngine
    from player.show.measure import ProbeMeasurer
    from player.show.status import ShowListener

    total = len(steps(playlist))
    if args.from_step is not None and not 1 <= args.from_step <= max(1, total):
        print(f"--from {args.from_step}: the night has steps 1 to {total}.", file=sys.stderr)
        return 2
    if args.audio_out is not None and not args.audio_out.parent.absolute().is_dir():
        print(f"--audio-out: folder {args.audio_out.parent} does not exist.", file=sys.stderr)
        return 2

    point = resume.find(journal.default_path(playlist.path), total) if args.resume else None

    loop = EventLoop()
    try:
        backend = VlcBackend(
            video=False,
            audio="file" if args.audio_out else "dummy",
            audio_file=args.audio_out,
        )
    except BackendError as exc:
        print(f"Cannot play: {exc}", file=sys.stderr)
        return 2

    outcomes: list[Outcome] = []
    most_alive = live_counts()
    holds = HeldTaker(loop, playlist.defaults.card_ms)

    class Printer(ShowListener):
        def step_logged(self, entry) -> None:
            outcomes.append(entry.outcome)
            print(_line(entry, total), flush=True)

        def problem_reported(self, message: str) -> None:
            print(f"PROBLEM: {message}", file=sys.stderr, flush=True)

        def finished(self) -> None:
            loop.stop()

        def status_changed(self, status) -> None:
            for kind, count in live_counts().items():
                most_alive[kind] = max(most_alive[kind], count)
            holds.status_changed(status)

    try:
        engine = ShowEngine(
            playlist,
            backend,
            loop,
            listener=Printer(),
            as_run_path=args.as_run,
            resume=point,
            measurer=ProbeMeasurer(),
            lock_on_start=False,
        )
    except journal.ShowInUse as exc:
        backend.close()
        print(f"{args.playlist}: {exc}", file=sys.stderr)
        return 2

    holds.engine = engine
    if playlist.defaults.loudness_target is not None:
        print(f"Loudness matched to {playlist.defaults.loudness_target} LUFS.", flush=True)
    interrupted = {"yes": False}

    def on_signal(*_args) -> None:
        interrupted["yes"] = True
        loop.stop()

    def begin() -> None:
        engine.start(None if args.from_step is None else args.from_step - 1)
        print(f"As-run log: {engine.as_run_path}", flush=True)
        if point is not None:
            at = point.position_ms / 1000
            print(f"Resuming at step {point.step_index + 1}, {at:.1f} s in.", flush=True)
        elif args.resume:
            print("Nothing to resume: starting from the beginning.", flush=True)

    previous = signal.signal(signal.SIGINT, on_signal)
    loop.call_later(0, begin)
    try:
        loop.run()
    finally:
        signal.signal(signal.SIGINT, previous)
        alive_at_end = live_counts()
        status = engine.status
        try:
            engine.close()  # joins the recorded sound into --audio-out
        except OSError as exc:
            sound_error = f"{exc.strerror or exc}"
        else:
            sound_error = None
    if args.stats is not None:
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
    failed = outcomes.count(Outcome.FAILED)
    played = outcomes.count(Outcome.PLAYED)
    print(f"Rehearsal over: {played} played, {failed} failed, of {total} steps.", flush=True)
    print(_lateness(status), flush=True)
    return 1 if failed else 0
