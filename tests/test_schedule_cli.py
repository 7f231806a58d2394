"""`screening-night schedule` end to end as a subprocess: media durations from real ffprobe
(with in/out), declared fallback, warnings, crossing midnight, HTML and PDF booth sheets."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from player.core.schedule import clock
from player.media.probe import probe
from support.synth import make_clip

PROJECT = Path(__file__).resolve().parent.parent


def run_cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "player", "schedule", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd or PROJECT,
        check=False,
    )


@pytest.fixture(scope="module")
def night(tmp_path_factory, clip2s) -> tuple[Path, dict[str, int]]:
    folder = tmp_path_factory.mktemp("sched night")
    other = make_clip(folder / "-second: clip #1.mp4", seconds=3.0, label="B")
    (folder / "a.mp4").symlink_to(clip2s)
    (folder / "night.yaml").write_text(
        """version: 1
title: {zh: 夜, fr: Nuit, en: Night}
start: "23:58"
languages: [fr, en]
defaults: {card_seconds: 5}
items:
  - card: {id: hello, text: Bonsoir, seconds: 10}
  - film: a.mp4
    id: a
    title: {fr: Premier film, en: First film}
    director: Ann Example
    runtime: 0:30          # wrong on purpose: the media lasts 2 s
    notes: Check the level
  - intermission: {id: pause, minutes: 2}
  - film: "./-second: clip #1.mp4"
    id: b
    title: Second
    in: 0.5
    title_card: false
  - film: missing.mp4
    id: gone
    title: Gone
    runtime: 1:00
    title_card: false
""",
        encoding="utf-8",
    )
    media = {"a": probe(clip2s).duration_ms, "b": probe(other).duration_ms}
    return folder / "night.yaml", media


def test_json_uses_media_with_trims_and_falls_back_to_declared(night):
    playlist, media = night
    result = run_cli(playlist, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    rows = {item["id"]: item for item in data["items"]}
    assert [i["id"] for i in data["items"]] == ["hello", "a-card", "a", "pause", "b", "gone"]
    assert abs(media["a"] - 2000) < 150 and abs(media["b"] - 3000) < 150
    assert rows["a"]["duration_ms"] == media["a"] and rows["a"]["duration_source"] == "media"
    assert rows["b"]["duration_ms"] == media["b"] - 500
    assert rows["gone"]["duration_source"] == "declared" and rows["gone"]["duration_ms"] == 60_000
    assert rows["a-card"]["kind"] == "card" and rows["a-card"]["duration_ms"] == 5_000
    assert rows["pause"]["duration_source"] == "card"
    # 23:58 + 10 s + 5 s + a + 2 min crosses midnight.
    start = (23 * 60 + 58) * 60_000
    b_start = start + 15_000 + media["a"] + 120_000
    assert rows["b"]["start"] == clock(b_start) and rows["b"]["start"].startswith("00:00:")
    total = 15_000 + media["a"] + 120_000 + media["b"] - 500 + 60_000
    assert data["total_ms"] == total
    assert data["start"] == "23:58:00" and data["end"] == clock(start + total)
    assert "Premier film: declared runtime 0:30" in result.stderr
    assert "missing.mp4" in result.stderr  # the unreadable media is named


def test_start_option_and_no_probe(night):
    playlist, _ = night
    result = run_cli(playlist, "--json", "--start", "20:15", "--no-probe")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    rows = {item["id"]: item for item in data["items"]}
    assert data["start"] == "20:15:00"
    assert rows["a"]["duration_source"] == "declared" and rows["a"]["duration_ms"] == 30_000
    assert rows["b"]["duration_source"] == "unknown"
    assert "counted as 0" in result.stderr


def test_text_output(night):
    playlist, _ = night
    result = run_cli(playlist)
    assert result.returncode == 0, result.stderr
    assert "Premier film" in result.stdout and "23:58:00" in result.stdout
    assert re.search(r"total \d+:\d\d", result.stdout)


def test_html_and_pdf_booth_sheet(night, tmp_path):
    playlist, media = night
    html, pdf = tmp_path / "sheet.html", tmp_path / "sheet.pdf"
    result = run_cli(playlist, "--start", "19:30", "--html", html, "--pdf", pdf)
    assert result.returncode == 0, result.stderr
    text = html.read_text(encoding="utf-8")
    start = (19 * 60 + 30) * 60_000
    for when in (start, start + 10_000, start + 15_000, start + 15_000 + media["a"]):
        assert clock(when) in text
    assert "Premier film" in text and "First film" in text and "Ann Example" in text
    assert "Check the level" in text and "Cue" in text
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    pages = re.findall(rb"/Type\s*/Page(?!s)", data)
    assert len(pages) == 1  # a normal night fits one A4 page
    assert re.search(rb"/MediaBox\s*\[\s*0 0 595", data)  # A4 is 595 x 842 pt
    assert re.search(rb"/BaseFont\s*/\w*NotoSansCJK", data)  # the titles' font is embedded


def test_bad_start_and_unloadable_playlist(night, tmp_path):
    playlist, _ = night
    bad = run_cli(playlist, "--start", "25:00")
    assert bad.returncode == 2 and "HH:MM" in bad.stderr and "Traceback" not in bad.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\ntitle: x\nitems: [{film: a.mp4, titel: y}]\n")
    result = run_cli(broken, "--json")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "broken.yaml:3" in result.stderr
    missing = run_cli(tmp_path / "nope.yaml")
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
