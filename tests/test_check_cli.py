"""`screening-night check` end to end, as a subprocess: exit codes, JSON, table, HTML."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from _check_media import AWKWARD_NAMES, make_all

from player.core.paths import PROJECT_DIR
from support.synth import make_clip


@pytest.fixture(scope="session")
def kinds(tmp_path_factory) -> dict[str, Path]:
    return make_all(tmp_path_factory.mktemp("check-media"))


def run(*args: str | Path, env: dict | None = None, cwd: Path | None = None):
    return subprocess.run(
        [sys.executable, "-m", "player", "check", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd or PROJECT_DIR,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        check=False,
    )


def test_good_file_exits_0_with_a_table(kinds):
    result = run(kinds["h264"])
    assert result.returncode == 0, result.stderr
    assert "h264.mp4" in result.stdout
    assert "h264 320x240 25p" in result.stdout
    assert "aac stereo" in result.stdout
    assert "1 file(s): 1 ok, 0 with warnings, 0 with errors." in result.stdout
    assert result.stderr == ""  # no progress bar when stderr is not a terminal


def test_warnings_exit_0_unless_strict(kinds):
    result = run(kinds["interlaced"])
    assert result.returncode == 0
    assert "[interlaced] interlaced (top field first)" in result.stdout
    assert run("--strict", kinds["interlaced"]).returncode == 1


def test_an_error_exits_1_and_every_problem_is_listed(kinds):
    result = run(kinds["h264"], kinds["zero"], kinds["missing"], kinds["folder"])
    assert result.returncode == 1
    assert "[unreadable]" in result.stdout
    assert "[missing-file]" in result.stdout
    assert "[not-a-file]" in result.stdout
    assert "4 file(s): 1 ok, 0 with warnings, 3 with errors." in result.stdout


def test_json_output(kinds):
    result = run("--json", "--deep", kinds["h264"], kinds["trunc_start"])
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["venue"] == "default"
    assert data["summary"] == {"ok": 1, "warning": 0, "error": 1}
    good, cut = data["items"]
    assert good["status"] == "ok" and good["problems"] == []
    assert good["media"]["video"]["codec"] == "h264"
    assert good["media"]["audio"][0]["channels"] == 2
    assert set(good["loudness"]) == {"integrated_lufs", "lra_lu", "true_peak_dbtp"}
    assert [p["code"] for p in cut["problems"]] == ["truncated"]
    assert cut["problems"][0]["severity"] == "error"


def test_venue_by_name_and_by_file(kinds, tmp_path):
    result = run("--json", "--venue", "hd-projector", kinds["hevc4k"])
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["venue"] == "hd-projector"
    assert "resolution-over-venue" in {p["code"] for p in data["items"][0]["problems"]}
    profile = tmp_path / "big room.yaml"
    profile.write_text("name: big room\nmax_width: 8192\nmax_height: 4320\n", "utf-8")
    result = run("--json", "--venue", profile, kinds["hevc4k"])
    assert result.returncode == 0
    assert json.loads(result.stdout)["venue"] == "big room"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--venue", "hd-projektor"), "did you mean 'hd-projector'?"),
        (("--jobs", "0"), "--jobs must be 1 or more"),
    ],
)
def test_bad_arguments_exit_2(kinds, args, words):
    result = run(*args, kinds["h264"])
    assert result.returncode == 2
    assert words in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_venue_file_exits_2_with_location(kinds, tmp_path):
    profile = tmp_path / "room.yaml"
    profile.write_text("name: room\nmax_hieght: 1080\n", "utf-8")
    result = run("--venue", profile, kinds["h264"])
    assert result.returncode == 2
    assert f"{profile}:2:1: unknown key 'max_hieght'" in result.stderr
    assert "did you mean 'max_height'?" in result.stderr


def test_unloadable_playlist_exits_2(tmp_path):
    broken = tmp_path / "night.yaml"
    broken.write_text("version: 1\ntitle: Night\nitems:\n  - film: a.mp4\n    titel: A\n", "utf-8")
    result = run(broken)
    assert result.returncode == 2
    assert f"{broken}:5:5: unknown key 'titel'" in result.stderr
    assert "Traceback" not in result.stderr
    assert run(tmp_path / "absent.yaml").returncode == 2


def test_no_target_is_a_usage_error():
    result = run()
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_playlist_target(kinds, tmp_path):
    night = tmp_path / "night.yaml"
    night.write_text(
        "version: 1\ntitle: Night\nitems:\n"
        f"  - film: {kinds['h264']}\n    title: Opening short\n    runtime: 2:00\n"
        f"  - film: {kinds['noaudio']}\n    title: Silent one\n",
        "utf-8",
    )
    result = run("--json", night)
    assert result.returncode == 0
    items = json.loads(result.stdout)["items"]
    assert [(i["title"], [p["code"] for p in i["problems"]]) for i in items] == [
        ("Opening short", ["runtime-mismatch"]),
        ("Silent one", ["no-audio"]),
    ]


def test_awkward_names_by_hand_and_relative_dash(kinds):
    folder = kinds["awkward"]
    result = run("--json", "--deep", folder)
    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)["items"]
    assert sorted(Path(i["path"]).name for i in items) == sorted(AWKWARD_NAMES)
    assert all(i["status"] == "ok" for i in items)
    # A relative name starting with '-' after '--' is a file, not an option.
    result = run("--", "-starts with dash.mp4", cwd=folder)
    assert result.returncode == 0, result.stderr


def test_no_cache_and_cache_hit_in_the_command(kinds, tmp_path):
    # Count ffprobe runs with a wrapper that logs each call, then runs the real one.
    log = tmp_path / "calls.log"
    wrapper = tmp_path / "ffprobe"
    wrapper.write_text(
        f'#!/bin/sh\necho run >> \'{log}\'\nexec "{shutil.which("ffprobe")}" "$@"\n', "utf-8"
    )
    wrapper.chmod(0o755)
    env = {"SCREENING_NIGHT_FFPROBE": str(wrapper), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    clip = tmp_path / "clip.mp4"
    shutil.copyfile(kinds["h264"], clip)

    def count() -> int:
        return len(log.read_text().splitlines()) if log.exists() else 0

    assert run(clip, env=env).returncode == 0
    assert count() == 1
    assert run(clip, env=env).returncode == 0
    assert count() == 1  # cached
    assert run("--no-cache", clip, env=env).returncode == 0
    assert count() == 2
    clip.write_bytes(kinds["h264"].read_bytes() + b"\0")  # changed: probed again
    assert run(clip, env=env).returncode == 0
    assert count() == 3


def test_html_report(kinds, tmp_path):
    report = tmp_path / "report.html"
    result = run(
        "--deep", "--html", report, kinds["h264"], kinds["anamorphic"], kinds["zero"], kinds["vfr"]
    )
    assert result.returncode == 1
    page = report.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    images = re.findall(r'src="data:image/jpeg;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 3  # every readable film; none for the empty file
    assert all(base64.b64decode(i).startswith(b"\xff\xd8") for i in images)
    assert page.count('class="item ok"') == 2
    assert page.count('class="item warning"') == 1
    assert page.count('class="item error"') == 1
    assert "variable-frame-rate" in page and "empty (0 bytes)" in page
    assert "@media print" in page
    assert "http" not in page.replace("http-equiv", "")  # self-contained: nothing fetched


def test_html_escapes_names(kinds, tmp_path):
    odd = tmp_path / "<b>bold & 'quoted'<i>.mp4"
    shutil.copyfile(kinds["h264"], odd)
    report = tmp_path / "r.html"
    assert run("--html", report, odd).returncode == 0
    page = report.read_text(encoding="utf-8")
    assert "<b>bold" not in page
    assert "&lt;b&gt;bold &amp; &#x27;quoted&#x27;&lt;i&gt;.mp4" in page


def test_unwritable_html_exits_2(kinds, tmp_path):
    result = run("--html", tmp_path / "no such folder" / "r.html", kinds["h264"])
    assert result.returncode == 2
    assert "cannot write" in result.stderr


def test_options_may_come_between_targets(tmp_path):
    first = make_clip(tmp_path / "a.mp4", seconds=0.5)
    second = make_clip(tmp_path / "-b.mp4", seconds=0.5)
    result = run(first, "--deep", "--json", "--", second.name, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    # Both files checked, --deep taken (loudness measured), and after '--' all are files.
    assert [Path(i["path"]).name for i in data["items"]] == ["a.mp4", "-b.mp4"]
    assert all(i["loudness"] is not None for i in data["items"])
    result = run(first, "--jobs", "1", second, "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["items"]) == 2
    result = run(first, "--bogus", second, cwd=tmp_path)  # an unknown option is still refused
    assert result.returncode == 2 and "unrecognized arguments: --bogus" in result.stderr
