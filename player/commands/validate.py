"""`screening-night validate PLAYLIST...`: is the playlist right, before any media is decoded."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from player.core.model import PlaylistError, Problem, Severity


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("playlists", nargs="+", type=Path, metavar="PLAYLIST", help="YAML playlist")
    parser.add_argument(
        "--json", action="store_true", help="print problems as JSON {file, line, column, ...}"
    )
    parser.epilog = (
        "Exit status: 0 valid, 1 loaded but problems remain (missing files, trims beyond "
        "the runtime), 2 cannot be loaded (syntax or format errors)."
    )


def validate_file(path: Path) -> tuple[int, list[Problem]]:
    """(exit status, problems) for one playlist."""
    from player.core.playlist_io import find_problems, load_playlist

    try:
        playlist = load_playlist(path)
    except PlaylistError as exc:
        return 2, list(exc.problems)
    problems = find_problems(playlist)
    status = 1 if any(p.severity is Severity.ERROR for p in problems) else 0
    return status, problems


def run(args: argparse.Namespace) -> int:
    worst = 0
    all_problems: list[Problem] = []
    summaries = []
    for path in args.playlists:
        status, problems = validate_file(path)
        worst = max(worst, status)
        all_problems += problems
        errors = sum(p.severity is Severity.ERROR for p in problems)
        warnings = len(problems) - errors
        verdict = ("valid", "has problems", "cannot be loaded")[status]
        summaries.append(
            f"{path}: {verdict} ({_count(errors, 'error')}, {_count(warnings, 'warning')})"
        )
        if not args.json:
            for problem in problems:
                print(problem)
    if args.json:
        json.dump([p.to_json() for p in all_problems], sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        for line in summaries:
            print(line)
    return worst


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
