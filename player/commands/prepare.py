"""`screening-night prepare PLAYLIST --venue V --out FOLDER [--all] [--jobs N] [--no-cache]`

Makes a show copy of every film the room's check flags (scaled, deinterlaced, constant rate,
H.264 High 8-bit, the room's speaker layout, loudness two-pass to the night's target) in FOLDER,
deep-checks each copy, and writes FOLDER/<playlist name>.yaml pointing at them. Resumable: a
second run keeps what the first made.

Exit codes: 0 every film fit for the room (copies made or kept, or none needed), 1 the
playlist was written but some films keep their original (a copy failed, did not pass the
check, or what is wrong is nothing a copy fixes: each said), 2 could not run (bad arguments, an
unloadable playlist or venue, FOLDER not writable, ffmpeg missing), 130 interrupted (finished
copies kept, no playlist written).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

EXIT_OK, EXIT_PROBLEMS, EXIT_UNUSABLE = 0, 1, 2
PHASES = {"loudness": "measuring loudness", "encode": "encoding", "check": "checking"}
# Share of a film's time each pass takes (measured: loudnorm's first pass runs ~10x faster than
# an x264 encode; the check reads packets and the sound only).
PHASE_WEIGHT = {"loudness": 0.12, "encode": 0.83, "check": 0.05}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "Exit status: 0 every film fit for the room, 1 some films keep their original (each "
        "said), 2 could not run, 130 interrupted (finished copies are kept: run it again)."
    )
    parser.add_argument("playlist", type=Path, help="the playlist (YAML)")
    parser.add_argument(
        "--venue",
        required=True,
        metavar="NAME|PATH",
        help="the room: a built-in venue (default, hd-projector, dci-4k) or a profile file",
    )
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="FOLDER",
        help="where the copies and the new playlist go (not the playlist's own folder)",
    )
    parser.add_argument(
        "--all",
        action="store_true",
        dest="copy_all",
        help="also copy the films that need nothing (default: the playlist points at them)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help="films made at once (default: 2, or 1 on a one-core machine: one x264 encode "
        "uses every core, but a film's other passes do not)",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="check the originals again, ignoring earlier results",
    )


def _fail(message: str) -> int:
    print(f"screening-night prepare: {message}", file=sys.stderr)
    return EXIT_UNUSABLE


def run(args: argparse.Namespace) -> int:
    from player.commands import load_or_report
    from player.core.venue import VenueError, resolve_venue
    from player.organiser.prepare import Outcome, PrepareError, prepare_night

    if args.jobs is not None and args.jobs < 1:
        return _fail("--jobs must be 1 or more")
    playlist = load_or_report(args.playlist)
    if playlist is None:
        return EXIT_UNUSABLE
    try:
        venue = resolve_venue(args.venue)
    except VenueError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return _fail("the venue profile cannot be used")
    folder = args.out.absolute()
    if os.path.normpath(folder) == os.path.normpath(playlist.folder):
        return _fail("write the copies into a folder of their own, not the playlist's folder")
    with _Bars() as bars:
        try:
            report = prepare_night(
                playlist,
                venue,
                folder,
                copy_all=args.copy_all,
                jobs=args.jobs,
                progress=bars,
                use_cache=not args.no_cache,
            )
        except PrepareError as exc:
            return _fail(str(exc))
        except OSError as exc:
            return _fail(f"cannot write into {folder}: {exc.strerror or exc}")

    counts = {outcome: 0 for outcome in Outcome}
    for result in report.results:
        counts[result.outcome] += 1
        _say(result)
    for source, target, encoding in report.subtitles:
        print(f"subtitles {source.name}: {encoding} converted to UTF-8 in {target.name}")
    print(
        f"{len(report.results)} film(s) for {venue.name}: {counts[Outcome.MADE]} copy(ies) made, "
        f"{counts[Outcome.KEPT]} already made, "
        f"{counts[Outcome.AS_IS] + counts[Outcome.COPIED]} needed nothing"
        + (f" ({counts[Outcome.COPIED]} copied)" if counts[Outcome.COPIED] else "")
        + f", {counts[Outcome.FAILED] + counts[Outcome.CANNOT]} keep their original."
    )
    written = "written" if report.playlist_written else "unchanged"
    print(f"Playlist {written}: {report.playlist}")
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def _say(result) -> None:
    from player.organiser.prepare import Outcome

    name = result.source.name
    fixes = "; ".join(dict.fromkeys(r.fix.value for r in result.reasons))
    if result.outcome is Outcome.MADE:
        print(f"made    {name} -> {result.copy.name}: {fixes}")
    elif result.outcome is Outcome.KEPT:
        print(f"kept    {name} -> {result.copy.name} (made by an earlier run)")
    elif result.outcome is Outcome.COPIED:
        print(f"copied  {name} (needs nothing)")
    elif result.outcome is Outcome.AS_IS:
        print(f"as is   {name} (needs nothing)")
    else:
        print(f"ORIGINAL KEPT {name}:", file=sys.stderr)
    stream = sys.stderr if result.outcome in (Outcome.FAILED, Outcome.CANNOT) else sys.stdout
    for note in result.notes:
        print(f"        {note}", file=stream)


class _Bars:
    """Rich progress on stderr (a terminal only): one bar for the night, one per film being
    made, each with percent, ffmpeg's speed and the time left at that speed."""

    def __enter__(self):
        self.progress = None
        self.films: dict[Path, dict] = {}
        self.planned: dict[Path, int] = {}
        self.started = time.monotonic()
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[speed]}"),
                TextColumn("{task.fields[left]}"),
                console=Console(stderr=True),
                transient=True,
            )
            self.progress.start()
            self.night = self.progress.add_task("Checking the night", total=None, speed="", left="")
        return self

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.stop()

    # PrepareProgress

    def checking(self, done: int, total: int, path: Path) -> None:
        if self.progress:
            self.progress.update(self.night, completed=done, total=total)

    def copies_planned(self, durations: dict[Path, int]) -> None:
        self.planned = {source: max(1, ms) for source, ms in durations.items()}
        self.started = time.monotonic()
        self._night()

    def film_started(
        self, source: Path, title: str, duration_ms: int, phases: tuple[str, ...]
    ) -> None:
        total = sum(PHASE_WEIGHT[p] for p in phases)
        weights = {p: PHASE_WEIGHT[p] / total for p in phases}
        starts, at = {}, 0.0
        for phase in phases:
            starts[phase], at = at, at + weights[phase]
        film = {"duration": max(1, duration_ms), "weights": weights, "starts": starts}
        self.films[source] = film
        if self.progress:
            film["task"] = self.progress.add_task(title, total=100, speed="", left="")
            self._night()

    def film_progress(self, source: Path, phase: str, done_ms: int, speed: float | None) -> None:
        film = self.films.get(source)
        if film is None or self.progress is None:
            return
        fraction = min(1.0, done_ms / film["duration"])
        film["done"] = film["starts"][phase] + fraction * film["weights"][phase]
        left = ""
        if speed:
            seconds = (film["duration"] - min(done_ms, film["duration"])) / 1000 / speed
            left = _left(seconds)
        self.progress.update(
            film["task"],
            completed=round(100 * film["done"]),
            description=f"{PHASES[phase]}: {source.name}",
            speed=f"{speed:.2f}x" if speed else "",
            left=left,
        )
        self._night()

    def film_finished(self, result) -> None:
        film = self.films.get(result.source)
        if film is not None:
            film["done"] = 1.0
            if self.progress and "task" in film:
                self.progress.remove_task(film["task"])
        self._night()

    def _night(self) -> None:
        if self.progress is None or not self.planned:
            return
        total = sum(self.planned.values())
        done = sum(
            self.planned[source] * film.get("done", 0.0) for source, film in self.films.items()
        )
        left = ""
        elapsed = time.monotonic() - self.started
        if done and elapsed > 2:  # the night's time left at the pace so far
            left = _left(elapsed * (total - done) / done)
        self.progress.update(
            self.night, description="The night", total=total, completed=done, left=left
        )


def _left(seconds: float) -> str:
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return (f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}") + " left"
