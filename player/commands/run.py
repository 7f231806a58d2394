"""`screening-night run PLAYLIST [--screen N] [--windowed] [--resume] [--remote [HOST:]PORT
[--remote-token TOKEN] [--remote-allow HOST...]]`: the operator console on this screen and the
output on the projector (plain `screening-night` runs the demo night), with remote control over
HTTP and OSC when asked for."""

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
    parser.add_argument(
        "--remote",
        metavar="[HOST:]PORT",
        help="remote control: HTTP on TCP PORT and OSC on UDP PORT (HOST default 127.0.0.1; "
        "0.0.0.0 for every network)",
    )
    parser.add_argument(
        "--remote-token",
        metavar="TOKEN",
        help="the token remote HTTP requests must carry (default: a new one, printed at start)",
    )
    parser.add_argument(
        "--remote-allow",
        metavar="HOST",
        nargs="+",
        action="extend",
        default=[],
        help="hosts whose OSC messages are taken, besides this machine",
    )
    # Hidden: close the console after MS milliseconds (tests, smoke checks).
    parser.add_argument("--quit-after", type=int, metavar="MS", help=argparse.SUPPRESS)


def remote_options(args: argparse.Namespace):
    """The remote's options from the command line (None: no remote); ValueError with a
    sentence when they are wrong."""
    from player.remote.api import RemoteOptions, check_token, parse_listen

    if args.remote is None:
        if args.remote_token or args.remote_allow:
            raise ValueError("--remote-token and --remote-allow need --remote [HOST:]PORT")
        return None
    host, port = parse_listen(args.remote)
    token = check_token(args.remote_token) if args.remote_token is not None else ""
    return RemoteOptions(port=port, host=host, token=token, allow=tuple(args.remote_allow))


def run(args: argparse.Namespace) -> int:
    path: Path = args.playlist
    try:
        remote = remote_options(args)
    except ValueError as exc:
        print(f"screening-night: {exc}", file=sys.stderr)
        return 2
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
            remote=remote,
        )
    except (ValueError, BackendError) as exc:
        print(f"screening-night: {exc}", file=sys.stderr)
        return 2
