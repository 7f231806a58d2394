"""`screening-night run PLAYLIST [--screen N] [--windowed] [--resume]`: the operator console on
this screen and the output on the projector (plain `screening-night` runs the demo night)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from player.commands import load_or_report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("playlist", type=Path, metavar="PLAYLIST", help="YAML playlist")
    parser.add_argument(
        "--screen",
        type=int,
        metavar="N",
        help="projector screen number (0 = first); default: the remembered one, else the second",
    )
    parser.add_argument(
        "--windowed",
        action="store_true",
        default=None,
        help="output in a normal resizable window (rehearsal on one screen)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted show at the item and position where it stopped",
    )
    # Hidden: close the console after MS milliseconds (tests, smoke checks).
    parser.add_argument("--quit-after", type=int, metavar="MS", help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    path: Path = args.playlist
    playlist = load_or_report(path)
    if playlist is None:
        return 2
    import os

    if (
        sys.platform.startswith("linux")
        and not os.environ.get("QT_QPA_PLATFORM")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
    ):
        print(
            "screening-night: no display found (DISPLAY is not set): run it from the desktop "
            "session, or use 'screening-night rehearse' to play the night with no window.",
            file=sys.stderr,
        )
        return 2
    from player.media.backend import BackendError

    try:
        from player.qt.app import run_show
    except ImportError as exc:
        print(f"screening-night: the show windows cannot open: {exc}", file=sys.stderr)
        return 2
    try:
        return run_show(
            playlist,
            screen=args.screen,
            windowed=args.windowed,
            resume=args.resume,
            quit_after_ms=args.quit_after,
        )
    except (ValueError, BackendError) as exc:
        print(f"screening-night: {exc}", file=sys.stderr)
        return 2
