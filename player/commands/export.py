"""`screening-night export PLAYLIST [--xspf FILE] [--m3u FILE] [--bundle FOLDER] [--absolute]`

XSPF/M3U: the films in order with their trims, for plain VLC in an emergency. Bundle: the
playlist and every file it references copied (and verified) into one folder.
Exit codes: 0 done, 1 done but files are missing (or a copy failed), 2 could not run.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from player.commands import load_or_report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("playlist", type=Path, help="the playlist (YAML)")
    parser.add_argument("--xspf", type=Path, metavar="FILE", help="write an XSPF playlist for VLC")
    parser.add_argument("--m3u", type=Path, metavar="FILE", help="write an M3U playlist for VLC")
    parser.add_argument(
        "--bundle",
        type=Path,
        metavar="FOLDER",
        help="copy the playlist and all its files into FOLDER (paths rewritten relative)",
    )
    parser.add_argument(
        "--absolute",
        action="store_true",
        help="XSPF/M3U: always absolute file URIs (default: relative for files below the "
        "export's folder)",
    )


def _fail(message: str) -> int:
    print(f"screening-night export: {message}", file=sys.stderr)
    return 2


def _megabytes(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


def run(args: argparse.Namespace) -> int:
    from player.core.model import PlaylistError
    from player.organiser.export import m3u_text, make_bundle, write_export, xspf_text

    if not (args.xspf or args.m3u or args.bundle):
        return _fail("say what to export: --xspf FILE, --m3u FILE and/or --bundle FOLDER")
    playlist = load_or_report(args.playlist)
    if playlist is None:
        return 2

    status = 0
    missing_films = [f for f in playlist.films() if not f.path.is_file()]
    for kind, target, make in (("XSPF", args.xspf, xspf_text), ("M3U", args.m3u, m3u_text)):
        if not target:
            continue
        try:
            write_export(make(playlist, target.absolute(), relative=not args.absolute), target)
        except OSError as exc:
            return _fail(f"cannot write {target}: {exc.strerror or exc}")
        print(f"{kind}: {len(playlist.films())} film(s) written to {target}")
    if (args.xspf or args.m3u) and missing_films:
        for film in missing_films:
            print(f"missing film: {film.path}", file=sys.stderr)
        status = 1

    if args.bundle:
        folder = args.bundle.absolute()
        if os.path.normpath(folder) == os.path.normpath(playlist.folder):
            return _fail("bundle into a new or empty folder, not the playlist's own folder")
        try:
            report = make_bundle(playlist.path, folder)
        except PlaylistError as exc:
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            return _fail(f"cannot load {args.playlist}")
        except OSError as exc:
            return _fail(f"cannot write into {folder}: {exc.strerror or exc}")
        total = sum(c.size for c in report.copied)
        print(
            f"Bundle: {len(report.copied)} file(s), {_megabytes(total)}, copied and verified "
            f"(size + SHA-256) into {folder}; playlist: {report.playlist.name}"
        )
        for source, name in report.missing:
            print(f"missing: {source} (put it in the bundle as {name})", file=sys.stderr)
        for source, reason in report.failed:
            print(f"copy failed: {source}: {reason}", file=sys.stderr)
        if not report.ok:
            print(
                f"{len(report.missing)} missing, {len(report.failed)} failed: the bundle is "
                "incomplete",
                file=sys.stderr,
            )
            status = 1
    return status
