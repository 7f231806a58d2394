"""player.qt.screens: the projector screen remembered by name, serial and geometry, and found
again best-first even when screens share a name (Xvfb calls every screen "screen")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from player.qt import screens
from player.qt.screens import ScreenKey, best_match, choose

LEFT, RIGHT = (0, 0, 1280, 720), (1280, 0, 800, 600)
XVFB = [ScreenKey("screen", "", LEFT), ScreenKey("screen", "", RIGHT)]
TWINS = [ScreenKey("HDMI-1", "AAA", LEFT), ScreenKey("HDMI-1", "BBB", LEFT)]  # mirrored
DESK = [ScreenKey("eDP-1", "LAPTOP", LEFT), ScreenKey("HDMI-1", "EPSON", RIGHT)]


@pytest.mark.parametrize(
    ("remembered", "found", "expected"),
    [
        # Same name: the geometry tells them apart (a name-only match would take the first).
        (ScreenKey("screen", "", RIGHT), XVFB, 1),
        (ScreenKey("screen", "", LEFT), XVFB, 0),
        # Same name and place: the serial number does.
        (ScreenKey("HDMI-1", "BBB", LEFT), TWINS, 1),
        # Serial changed (another projector of the same model, same place): name + geometry.
        (ScreenKey("HDMI-1", "NEW", RIGHT), DESK, 1),
        # Moved in the desktop layout: the name alone, as it is unique.
        (ScreenKey("HDMI-1", "EPSON", (0, 0, 800, 600)), DESK, 1),
        (ScreenKey("HDMI-1", ""), DESK, 1),  # remembered by an older version: name only
        # Shared name and nothing else matches: no guess.
        (ScreenKey("screen", "", (0, 0, 640, 480)), XVFB, None),
        (ScreenKey("screen"), XVFB, None),
        (ScreenKey("DP-3", "X", RIGHT), DESK, None),  # unplugged
        (ScreenKey(""), XVFB, None),
        (ScreenKey("", "", RIGHT), [ScreenKey("", "", LEFT), ScreenKey("", "", RIGHT)], 1),
        (None, XVFB, None),
    ],
)
def test_best_match(remembered, found, expected):
    assert best_match(remembered, found) == expected


def test_exact_match_beats_an_earlier_partial_one():
    listed = [ScreenKey("HDMI-1", "OLD", RIGHT), ScreenKey("HDMI-1", "EPSON", RIGHT)]
    assert best_match(ScreenKey("HDMI-1", "EPSON", RIGHT), listed) == 1


def test_choose_falls_back_to_the_second_screen():
    assert choose(None, XVFB, ScreenKey("screen", "", RIGHT)) == 1
    assert choose(None, XVFB, ScreenKey("screen", "", LEFT)) == 0
    assert choose(None, XVFB, ScreenKey("screen")) == 1  # ambiguous: the default
    assert choose(None, XVFB[:1], None) == 0
    assert choose(0, XVFB, ScreenKey("screen", "", RIGHT)) == 0  # --screen wins
    with pytest.raises(ValueError, match=r"no screen 2 \(screens: 0: screen, 1: screen\)"):
        choose(2, XVFB, None)


def test_remember_and_pick_on_offscreen_qt(qapp):
    from PySide6.QtGui import QGuiApplication

    screen = QGuiApplication.primaryScreen()
    try:
        screens.remember_screen(screen)
        key = screens.remembered_screen()
        geo = screen.geometry()
        assert key == ScreenKey(
            screen.name(), screen.serialNumber(), (geo.x(), geo.y(), geo.width(), geo.height())
        )
        assert screens.pick_screen(None) is screen
    finally:
        for name in ("name", "serial", "geometry"):
            screens.settings.put(f"output/screen_{name}", "")
    assert screens.remembered_screen() is None


PICK = r"""
import json, sys
from PySide6.QtGui import QGuiApplication
from player.qt import screens
app = QGuiApplication([])
if sys.argv[1] == "remember":
    screens.remember_screen(next(s for s in app.screens() if s.name() == sys.argv[2]))
    screens.settings.sync()
g = screens.pick_screen(None).geometry()
print(json.dumps([g.x(), g.y(), g.width(), g.height()]))
"""


def test_remembered_screen_is_found_by_the_next_run(tmp_path):
    # Qt's offscreen platform with three screens (it cannot give two the same name; the pure
    # tests above cover that): the third is remembered, and the next run opens on it.
    config = {
        "screens": [
            {"name": name, "x": x, "y": 0, "width": w, "height": 600, "logicalDpi": 96}
            for name, x, w in (("left", 0, 800), ("middle", 800, 800), ("right", 1600, 640))
        ]
    }
    (tmp_path / "screens.json").write_text(json.dumps(config), encoding="utf-8")
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": f"offscreen:configfile={tmp_path / 'screens.json'}",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }

    def run(*args: str) -> list[int]:
        result = subprocess.run(
            [sys.executable, "-c", PICK, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=Path(__file__).resolve().parents[1],
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])

    first = run("first run")  # nothing remembered: Qt's second screen, whichever that is
    assert first != [1600, 0, 640, 600] or first == run("again")
    assert run("remember", "right") == [1600, 0, 640, 600]
    assert run("next run") == [1600, 0, 640, 600]
