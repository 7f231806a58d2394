"""The sub-commands: each module has `add_arguments(parser)` and `run(args) -> int`."""

from __future__ import annotations

import sys
from pathlib import Path

from player.core.model import Playlist, PlaylistError


def load_or_report(path: Path) -> Playlist | None:
    """The playlist at `path`, or None once every located problem and one closing sentence
    have been printed to stderr (the command then exits 2)."""
    from player.core.playlist_io import load_playlist

    if not Path(path).exists():
        print(f"screening-night: the playlist {path} does not exist.", file=sys.stderr)
        return None
    try:
        return load_playlist(path)
    except PlaylistError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"screening-night: {path} cannot be loaded (see above).", file=sys.stderr)
        return None
