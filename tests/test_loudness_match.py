"""Loudness matching heard in the captured sound: two clips 20 LU apart both come out at the
night's target (measured with ffmpeg's ebur128 on the WAV that `rehearse --audio-out` wrote)."""

from __future__ import annotations

import re
import subprocess

import pytest
from conftest import rehearse

from support.synth import ffmpeg_path, make_clip

TARGET = -23.0


def integrated_lufs(wav, *args: str) -> float:
    result = subprocess.run(
        [ffmpeg_path(), "-hide_banner", "-nostats", *args, "-i", str(wav), "-af",
         "ebur128=framelog=verbose", "-f", "null", "-"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    found = re.findall(r"I:\s+(-?[\d.]+) LUFS", result.stderr)
    assert found, result.stderr[-500:]
    return float(found[-1])


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("loud")
    loud = make_clip(folder / "loud.mp4", seconds=3.0, tone_db=-8.0, label="L")
    quiet = make_clip(folder / "quiet.mp4", seconds=3.0, tone_db=-28.0, tone_hz=660, label="Q")
    return folder, loud, quiet


def test_two_clips_20_lu_apart_both_play_at_the_target(clips, tmp_path):
    folder, loud, quiet = clips
    assert integrated_lufs(loud) - integrated_lufs(quiet) == pytest.approx(20.0, abs=1.0)
    playlist = folder / "night.yaml"
    playlist.write_text(
        "version: 1\ntitle: Loudness\ndefaults:\n  title_cards: false\n"
        f"  loudness_target: {TARGET}\nitems:\n  - film: loud.mp4\n  - film: quiet.mp4\n",
        encoding="utf-8",
    )
    wav = tmp_path / "night.wav"
    result = rehearse(playlist, "--audio-out", wav)
    assert result.returncode == 0, result.stderr
    # The WAV follows show time: film one from 0 s, film two in its last 3 s.
    first = integrated_lufs(wav, "-ss", "0.2", "-t", "2.4")
    second = integrated_lufs(wav, "-sseof", "-2.8", "-t", "2.4")
    assert first == pytest.approx(TARGET, abs=2.0)
    assert second == pytest.approx(TARGET, abs=2.0)
