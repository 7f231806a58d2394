"""`screening-night run` as a subprocess: opens the console and the projector window and closes
cleanly (hidden `--quit-after MS`), offscreen and on a real X server; bad input is one sentence."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import xvfb

from support.synth import make_clip

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def playlist(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("run night")
    make_clip(folder / "film A.mp4", seconds=1.0, label="A")
    path = folder / "night.yaml"
    path.write_text(
        "version: 1\n"
        "title: {zh: 测试之夜, fr: Soirée test, en: Test night}\n"
        "languages: [zh, fr, en]\n"
        "items:\n"
        "  - card: {text: {zh: 欢迎, fr: Bienvenue, en: Welcome}, hold: true}\n"
        "  - film: film A.mp4\n"
        "    title: Film A\n",
        encoding="utf-8",
    )
    return path


def run_cli(*args: str, env: dict | None = None, timeout: int = 60):
    return subprocess.run(
        [sys.executable, "-m", "player", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=PROJECT,
        env=env or dict(os.environ),
    )


def test_run_opens_and_closes_cleanly_offscreen(playlist):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = run_cli("run", str(playlist), "--windowed", "--quit-after", "1500", env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def xvfb_display():
    with xvfb("-screen", "0", "1280x720x24") as display:
        yield display


def test_run_opens_and_closes_cleanly_on_a_real_x_server(playlist, xvfb_display):
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", DISPLAY=xvfb_display)
    result = run_cli("run", str(playlist), "--screen", "0", "--quit-after", "2000", env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run", "no such night.yaml"], "does not exist"),
        (["run", "{bad}", "--screen", "7"], "does not exist"),
    ],
)
def test_run_refuses_bad_input_in_one_sentence(args, expected):
    result = run_cli(*args, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert result.returncode == 2
    assert expected in result.stderr and "Traceback" not in result.stderr


def test_run_refuses_a_broken_playlist_and_a_missing_screen(tmp_path, playlist):
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\ntitle: x\nitems:\n  - film: a.mp4\n    titel: A\n")
    result = run_cli("run", str(broken), env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert result.returncode == 2
    assert "broken.yaml:5" in result.stderr and "Traceback" not in result.stderr
    screen = run_cli(
        "run", str(playlist), "--screen", "7", env=dict(os.environ, QT_QPA_PLATFORM="offscreen")
    )
    assert screen.returncode == 2
    assert "no screen 7" in screen.stderr and "Traceback" not in screen.stderr


def test_run_without_any_display_says_so(playlist):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    result = run_cli("run", str(playlist), "--quit-after", "500", env=env)
    assert result.returncode == 2
    assert "no display found" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--remote", "99999"], "port 99999 is not between 1 and 65535"),
        (["--remote", "host:port"], "'host:port' is not [HOST:]PORT"),
        (["--remote-token", "long-enough-token"], "--remote-token and --remote-allow need"),
        (["--remote", "8000", "--remote-token", "short"], "at least 8 characters"),
    ],
)
def test_run_refuses_bad_remote_options_in_one_sentence(playlist, args, expected):
    result = run_cli("run", str(playlist), *args, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert result.returncode == 2
    assert expected in result.stderr and "Traceback" not in result.stderr
