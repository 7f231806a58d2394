"""Where things live: the bundled files and the user's cache, data and config folders.

The user folders come from platformdirs, so XDG_CACHE_HOME / XDG_DATA_HOME / XDG_CONFIG_HOME
move them (the tests do).
"""

from __future__ import annotations

import re
from pathlib import Path

import platformdirs

APP_NAME = "screening-night"

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # player/
PROJECT_DIR = PACKAGE_DIR.parent  # the source checkout (installed editable by the set-up)
PLAYLISTS_DIR = PROJECT_DIR / "playlists"
ASSETS_DIR = PROJECT_DIR / "assets"
DEMO_MEDIA_DIR = ASSETS_DIR / "demo"
DEMO_PLAYLIST = PLAYLISTS_DIR / "demo-night.yaml"


# What some file system refuses in a name: '/' everywhere; the rest on Windows and on the
# FAT/exFAT sticks nights travel on; control characters.
_REFUSED = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_NOT_PLAIN = re.compile(r"[^\w.-]+")  # \w: letters and digits of any script, and '_'


def safe_file_name(
    text: str, fallback: str, *, sep: str = "_", strict: bool = True, limit: int | None = 60
) -> str:
    """`text` made fit to be (part of) a file name on any file system; `fallback` when nothing
    usable is left. Pure.

    strict (names we make up: logs, journals, card PNGs): letters and digits of any script,
    '.', '-' and '_' are kept and every other run becomes one `sep`; no leading '.', '-' or
    separator (a hidden file, or a name a shell takes for an option) and no trailing separator.
    Not strict (a name a person chose, e.g. a film copied into a bundle): only what a file
    system refuses is replaced, one `sep` each, so "take #2 100%.mp4" stays as it is; outer
    spaces and leading dots go. `limit`: at most that many characters (None: no limit).
    """
    if strict:
        name = _NOT_PLAIN.sub(sep, text).lstrip("._-" + sep)
        name = name[:limit].rstrip("_-" + sep) if limit else name.rstrip("_-" + sep)
    else:
        name = _REFUSED.sub(sep, text).strip().lstrip(".")
        name = name[:limit] if limit else name
    return name or fallback


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME))


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))
