"""`screening-night schedule PLAYLIST [--start HH:MM] [--json] [--html FILE] [--pdf FILE]`

Prints the running order with planned start/end times. Film durations come from probing the
media (in/out applied), falling back to the declared runtime. Warnings (declared runtime and
media disagree, media unreadable) go to stderr and do not change the exit code: 0 when the
schedule was made, 2 when it could not be (unloadable playlist, bad --start, unwritable file).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from player.commands import load_or_report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("playlist", type=Path, help="the playlist (YAML)")
    parser.add_argument(
        "--start", metavar="HH:MM", help="planned start of the night (default: the playlist's)"
    )
    parser.add_argument("--json", action="store_true", help="print the schedule as JSON")
    parser.add_argument("--html", type=Path, metavar="FILE", help="write a printable booth sheet")
    parser.add_argument("--pdf", type=Path, metavar="FILE", help="write the booth sheet as PDF")
    parser.add_argument(
        "--no-probe",
        action="store_true",
        help="do not read the media; use the declared runtimes only",
    )


def _fail(message: str) -> int:
    print(f"screening-night schedule: {message}", file=sys.stderr)
    return 2


def media_durations(playlist, warnings: list[str]) -> dict[Path, int]:
    """Probe every film of `playlist` (in parallel, cached); unreadable ones become warnings."""
    from player.media.probe import ProbeError, probe_many

    films = playlist.films()
    languages = playlist.languages
    results = probe_many([f.path for f in films])
    durations: dict[Path, int] = {}
    for film in films:
        result = results.get(Path(os.path.abspath(film.path)))
        if result is None:
            continue
        if isinstance(result, ProbeError):
            warnings.append(
                f"{film.title.first(languages)}: cannot read {film.path.name} "
                f"({result.message}); using the declared runtime"
            )
        elif result.duration_ms is None:
            warnings.append(
                f"{film.title.first(languages)}: {film.path.name} does not state its duration"
            )
        else:
            durations[film.path] = result.duration_ms
    return durations


def run(args: argparse.Namespace) -> int:
    from player.core.schedule import clock, length, parse_clock, plan
    from player.organiser.booth_sheet import SOURCE_MARK

    start_ms = None
    if args.start is not None:
        try:
            start_ms = parse_clock(args.start)
        except ValueError as exc:
            return _fail(f"--start: {exc}")
    playlist = load_or_report(args.playlist)
    if playlist is None:
        return 2

    warnings: list[str] = []
    durations = {} if args.no_probe else media_durations(playlist, warnings)
    schedule = plan(playlist, durations, start_ms)
    warnings += schedule.warnings

    if args.html or args.pdf:
        from player.organiser.booth_sheet import booth_sheet_html

        html = booth_sheet_html(playlist, schedule)
        if args.html:
            from player.core.atomic import atomic_write

            try:
                atomic_write(args.html.absolute(), html)
            except OSError as exc:
                return _fail(f"cannot write {args.html}: {exc.strerror or exc}")
        if args.pdf:
            try:
                from player.qt.pdf import html_to_pdf
            except ImportError as exc:
                return _fail(f"cannot make a PDF: Qt is not available ({exc}); use --html")
            try:
                html_to_pdf(html, args.pdf.absolute(), title=playlist.title.first())
            except OSError as exc:
                return _fail(f"cannot write {args.pdf}: {exc.strerror or exc}")

    if args.json:
        print(json.dumps(schedule.to_json(), ensure_ascii=False, indent=2))
    else:
        languages = playlist.languages
        print(playlist.title.first(languages))
        for row in schedule.items:
            mark = SOURCE_MARK.get(row.duration_source, "")
            duration = "hold" if row.held else length(row.duration_ms)
            label = f"title card: {row.title}" if row.step.is_title_card else row.title
            print(
                f"{row.index + 1:>3}  {clock(row.start_ms)}  {clock(row.end_ms)}  "
                f"{duration + mark:<16} {row.kind.value:<12} {label}"
            )
        start = clock(schedule.start_ms) if schedule.start_known else "(no start time set)"
        print(f"Start {start}  end {clock(schedule.end_ms)}  total {length(schedule.total_ms)}")
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0
