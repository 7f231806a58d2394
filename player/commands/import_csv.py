"""`screening-night import PROGRAMME.csv --out PLAYLIST.yaml [--title TEXT] [--force]`

Turns a festival's programme sheet into a playlist. Exit codes: 0 written, 1 written but some
files it names do not exist (yet), 2 nothing written (bad sheet, existing output, bad args).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("csv", type=Path, metavar="PROGRAMME.csv", help="the programme sheet")
    parser.add_argument(
        "--out", type=Path, required=True, metavar="PLAYLIST.yaml", help="the playlist to write"
    )
    parser.add_argument("--title", help="the night's title (default: the sheet's file name)")
    parser.add_argument("--force", action="store_true", help="replace an existing playlist")


def _fail(message: str) -> int:
    print(f"screening-night import: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    from player.core.atomic import atomic_write
    from player.organiser.import_csv import CsvImportError, import_programme

    out = args.out.absolute()
    if out.exists() and not args.force:
        return _fail(f"{args.out} exists; use --force to replace it (a .bak copy is kept)")
    try:
        result = import_programme(args.csv, out, title=args.title)
    except CsvImportError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return _fail(f"nothing written: {len(exc.problems)} problem(s) in {args.csv}")
    except OSError as exc:
        return _fail(f"cannot read {args.csv}: {exc.strerror or exc}")
    try:
        atomic_write(out, result.text, backup=True)
    except OSError as exc:
        return _fail(f"cannot write {args.out}: {exc.strerror or exc}")
    languages = f" in {', '.join(result.languages)}" if result.languages else ""
    print(f"{result.films} film(s){languages} written to {args.out}")
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    return 1 if result.warnings else 0
