"""Where things live: the bundled files and the user's cache, data and config folders.

The user folders come from platformdirs, so XDG_CACHE_HOME / XDG_DATA_HOME / XDG_CONFIG_HOME
move them (the tests do).
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "screening-night"

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent  # the source checkout (installed editable by the set-up)
PLAYLISTS_DIR = PROJECT_DIR / "playlists"
ASSETS_DIR = PROJECT_DIR / "assets"
DEMO_MEDIA_DIR = ASSETS_DIR / "demo"
DEMO_PLAYLIST = PLAYLISTS_DIR / "demo-night.yaml"


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME))


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))
