"""Shared test set-up: no display, no sound card, user folders in a temporary place."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Before Qt or platformdirs are imported by any test module.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_HOME = Path(tempfile.mkdtemp(prefix="screening-night-tests-"))
for _var in ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
    os.environ[_var] = str(_HOME / _var.lower())

from player.media.synth import make_clip  # noqa: E402
from player.xvfb import XvfbError  # noqa: E402
from player.xvfb import xvfb as player_xvfb  # noqa: E402


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    """A session-wide folder for generated clips."""
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def clip2s(media_dir) -> Path:
    """A 2-second 320x240 H.264/AAC clip with a 440 Hz tone."""
    return make_clip(media_dir / "clip 2s.mp4", seconds=2.0, label="A")


@contextlib.contextmanager
def xvfb(*server_args: str) -> Iterator[str]:
    """A private Xvfb server; yields ':N'. The set-up installs Xvfb, so its absence is a
    failure, not a skip."""
    try:
        with player_xvfb(*server_args) as display:
            yield display
    except XvfbError as exc:
        pytest.fail(str(exc))
