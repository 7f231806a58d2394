"""`screening-night check [PLAYLIST.yaml | MEDIA_FILE | FOLDER]... [--venue NAME|PATH] [--deep]
[--json] [--html REPORT.html] [--jobs N] [--no-cache] [--strict]`

Checks every media file: will it play on this venue's projector, will it sound right. Prints a
table (or JSON), optionally writes a self-contained HTML report. Exit status: 0 when no item
has an error (warnings allowed), 1 when any has one (with --strict, a warning too), 2 when the
check could not run (bad arguments, an unloadable playlist or venue profile).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXIT_OK, EXIT_PROBLEMS, EXIT_UNUSABLE = 0, 1, 2
GATHER = "targets"  # options may come between targets: `check a.mp4 --deep b.mp4`


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "Exit status: 0 no errors (warnings allowed), 1 errors found (--strict: or warnings), "
        "2 could not run. A file name starting with '-' goes after '--'."
    )
    parser.add_argument(
        "targets",
        nargs="+",
        metavar="TARGET",
        help="playlists (.yaml), media files or folders (searched for media by content)",
    )
    parser.add_argument(
        "--venue",
        metavar="NAME|PATH",
        help="venue profile: a built-in (default, hd-projector, dci-4k) or a YAML file "
        "(default: the playlist's defaults.venue, else 'default')",
    )
    parser.add_argument(
        "--deep",
        action="store_true",
        help="also read every packet (catches truncation), measure EBU R128 loudness and "
        "look for silence or black at the head",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--html", type=Path, metavar="REPORT.html", help="write a printable report with posters"
    )
    parser.add_argument(
        "--jobs", type=int, metavar="N", help="files read at once (default: the CPU count)"
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="re-read every file, ignoring earlier results"
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit with status 1 on warnings as well"
    )


def _fail(message: str) -> int:
    print(f"screening-night check: {message}", file=sys.stderr)
    return EXIT_UNUSABLE


def run(args: argparse.Namespace) -> int:
    from player.core.model import PlaylistError
    from player.core.venue import VenueError, resolve_venue
    from player.organiser import check_run

    if args.jobs is not None and args.jobs < 1:
        return _fail("--jobs must be 1 or more")
    try:
        venue = resolve_venue(args.venue) if args.venue else None
    except VenueError as exc:
        return _fail_problems("the venue profile cannot be used", exc)
    try:
        with _progress_bar() as progress:
            report = check_run.check_targets(
                args.targets,
                venue=venue,
                deep=args.deep,
                jobs=args.jobs,
                use_cache=not args.no_cache,
                progress=progress,
            )
    except VenueError as exc:
        return _fail_problems("the venue profile cannot be used", exc)
    except PlaylistError as exc:
        return _fail_problems("a playlist cannot be loaded", exc)

    if not report.items:
        print(
            "screening-night check: no media files found in "
            + ", ".join(str(t) for t in args.targets),
            file=sys.stderr,
        )
    if args.json:
        json.dump(report.to_json(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print_table(report)
    if args.html:
        from player.organiser.report_html import write_report

        try:
            write_report(report, args.html, jobs=args.jobs)
        except OSError as exc:
            return _fail(f"cannot write {args.html}: {exc.strerror or exc}")
        if not args.json:
            print(f"Report written to {args.html}")
    return report.exit_code(strict=args.strict)


def _fail_problems(what: str, exc) -> int:
    print(f"screening-night check: {what}:", file=sys.stderr)
    for problem in exc.problems:
        where = f"{problem.location}: " if problem.location.file else ""
        print(f"  {where}{problem.message}", file=sys.stderr)
    return EXIT_UNUSABLE


class _progress_bar:
    """A rich progress bar on stderr while files are read; nothing when stderr is not a
    terminal. Yields the progress callback (or None)."""

    def __enter__(self):
        self.progress = None
        if not sys.stderr.isatty():
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.progress = Progress(
            TextColumn("Checking"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}", style="dim"),
            console=Console(stderr=True),
            transient=True,
        )
        self.progress.start()
        self.task = self.progress.add_task("", total=None)
        return self.update

    def update(self, done: int, total: int, path: Path) -> None:
        self.progress.update(self.task, completed=done, total=total, description=path.name)

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.stop()


STATUS_STYLE = {"ok": "green", "warning": "yellow", "error": "bold red"}
STATUS_MARK = {"ok": "OK", "warning": "WARN", "error": "ERROR"}


def _duration(ms: int | None) -> str:
    from player.core.model import format_duration as clock

    return clock(ms) if ms is not None else "—"


def video_summary(item) -> str:
    media = item.media
    if media is None or media.video is None:
        return "—"
    v = media.video
    parts = [v.codec]
    if v.bit_depth and v.bit_depth > 8:
        parts[0] += f" {v.bit_depth}-bit"
    size = f"{v.width}x{v.height}"
    if v.dar and v.sar and v.sar not in ("1:1", "0:1"):
        size += f" ({v.dar})"
    parts.append(size)
    if v.fps:
        fps = f"{v.fps:.3f}".rstrip("0").rstrip(".")
        parts.append(f"{fps}{'i' if v.interlaced else 'p'}")
    if v.hdr:
        parts.append(v.hdr.upper())
    return " ".join(parts)


def audio_summary(item) -> str:
    media = item.media
    if media is None or not media.audio:
        return "—"
    a = media.audio[0]
    layout = a.channel_layout or f"{a.channels} ch"
    more = f" +{len(media.audio) - 1}" if len(media.audio) > 1 else ""
    return f"{a.codec} {layout}{more}"


def loudness_summary(item) -> str:
    loud = item.loudness
    if loud is None or loud.integrated_lufs is None:
        return "—"
    return f"{loud.integrated_lufs:.1f} LUFS"


def print_table(report) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    table = Table(
        title=f"Media check — venue: {report.venue.name}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    # Technical columns never wrap; the title takes what is left and folds.
    table.add_column("Status", no_wrap=True)
    table.add_column("Title / file", overflow="fold", min_width=12)
    table.add_column("Duration", justify="right", no_wrap=True)
    table.add_column("Video", no_wrap=True)
    table.add_column("Audio", no_wrap=True)
    if report.deep:
        table.add_column("Loudness", no_wrap=True)
    for item in report.items:
        name = Text(item.title)
        if item.title != item.path.name:
            name.append(f"\n{item.path.name}", style="dim")
        if item.subtitles is not None:
            name.append(f"\nsubtitles: {item.subtitles.describe()}", style="dim")
        row = [
            Text(STATUS_MARK[item.status], style=STATUS_STYLE[item.status]),
            name,
            _duration(item.media.duration_ms if item.media else None),
            Text(video_summary(item)),
            Text(audio_summary(item)),
        ]
        if report.deep:
            row.append(loudness_summary(item))
        table.add_row(*row)
    console.print(table)
    for item in report.items:
        for p in item.problems:
            line = Text()
            line.append(f"{p.severity.value:7} ", style=STATUS_STYLE[p.severity.value])
            line.append(f"{item.path.name}: ", style="bold")
            line.append(f"[{p.code}] {p.message}")
            console.print(line)
    summary = report.summary()
    console.print(
        f"{len(report.items)} file(s): {summary['ok']} ok, {summary['warning']} with warnings, "
        f"{summary['error']} with errors."
    )
