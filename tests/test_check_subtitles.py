"""`check` on a subtitled night: the encoding it found, each subtitler's problem under its own
code, the chosen tracks, in the table, the JSON and the HTML report (file and line named)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from player.core.paths import PROJECT_DIR
from support import subs as make
from support.synth import make_clip


@pytest.fixture(scope="module")
def night(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("subtitled-night")
    film = make_clip(folder / "film.mp4", seconds=30.0, width=320, height=180)
    multi = make.make_multitrack(folder / "multi.mkv", folder)
    make.make(folder, "chinois.fr.srt", "fr", "cp1252", cues=6)  # ends at 27 s: fits
    make.make(folder, "french.zh.srt", "zh", "gb18030", cues=6)
    make.make(folder, "long.zh-Hant.vtt", "zh-Hant", "big5", cues=40)  # runs past the end
    bad = "1\n00:00:01,000 --> 00:00:04,000\nBonjour\n2\n00:00:03,000 --> 00:00:05,000\nÀ toi\n"
    make.write(folder / "bad.fr.srt", bad, "utf-8")
    make.write(folder / "empty.srt", "", "utf-8")
    (folder / "night.yaml").write_text(
        f"""version: 1
title: Soirée sino-française
languages: [zh, fr]
items:
  - film: {film.name}
    title: Chinese film, French subtitles
    subtitles: chinois.fr.srt
  - film: {film.name}
    title: French film, Chinese subtitles
    subtitles: french.zh.srt
  - film: {film.name}
    title: Too long
    subtitles: long.zh-Hant.vtt
  - film: {film.name}
    title: Malformed
    subtitles: bad.fr.srt
  - film: {film.name}
    title: Empty
    subtitles: empty.srt
  - film: {multi.name}
    title: Tracks
    subtitle_track: zh
    audio_track: 2
  - film: {multi.name}
    title: Missing tracks
    subtitle_track: en
    audio_track: 3
""",
        encoding="utf-8",
    )
    return folder / "night.yaml"


def check(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "player", "check", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=PROJECT_DIR,
        env={**os.environ, "COLUMNS": "220"},
        check=False,
    )


def test_json_names_encodings_and_codes(night):
    result = check("--json", night)
    assert result.returncode == 1, result.stderr  # the empty file and the missing tracks
    items = json.loads(result.stdout)["items"]
    got = {i["title"]: ([p["code"] for p in i["problems"]], i["subtitles"]) for i in items}
    codes = {title: found for title, (found, _) in got.items()}
    assert codes == {
        "Chinese film, French subtitles": [],
        "French film, Chinese subtitles": [],
        "Too long": ["subtitles-past-end"],
        "Malformed": ["subtitles-malformed", "subtitles-overlap"],
        "Empty": ["subtitles-empty"],
        "Tracks": [],
        "Missing tracks": ["subtitle-track-missing", "audio-track-missing"],
    }
    encodings = {t: s["encoding"] for t, (_, s) in got.items() if s}
    assert encodings == {
        "Chinese film, French subtitles": "windows-1252, French",
        "French film, Chinese subtitles": "GB18030, Chinese",
        "Too long": "Big5, Chinese",
        "Malformed": "UTF-8, French",
        "Empty": "ASCII",
    }
    problems = {i["title"]: i["problems"] for i in items}
    assert problems["Malformed"][0]["message"].startswith(
        "bad.fr.srt:5: a cue starts without the blank line before it"
    )
    missing = [p["message"] for p in problems["Missing tracks"]]
    assert missing[0] == (
        "subtitle_track 'en': multi.mkv has no such subtitle track — its subtitle tracks are "
        "1 (fra), 2 (chi)"
    )
    assert "audio_track 3: multi.mkv has no such audio track" in missing[1]


def test_table_and_html_name_the_subtitle_file(night, tmp_path):
    report = tmp_path / "report.html"
    result = check("--html", report, night)
    assert "subtitles: chinois.fr.srt — windows-1252, French, 6 cues" in result.stdout
    assert "[subtitles-past-end] long.zh-Hant.vtt (lines" in result.stdout
    page = report.read_text(encoding="utf-8")
    assert (
        "<tr><th>Subtitle file</th><td>french.zh.srt — GB18030, Chinese, 6 cues</td></tr>" in page
    )
    assert "<code>subtitles-empty</code> empty.srt is empty" in page
