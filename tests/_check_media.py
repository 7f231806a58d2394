"""Media of every kind the media check meets, generated once per test session.

Shared by tests/test_probe.py, test_check.py and test_check_cli.py: a module-level memo, so the
clips are made once even though each module declares its own session fixture.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from support import synth

_MADE: dict[str, Path] = {}

SRT_OK = "1\n00:00:00,100 --> 00:00:00,900\nBonjour à tous\n\n"
SRT_LATE = SRT_OK + "2\n00:00:05,000 --> 00:00:06,000\nTrop tard\n\n"

AWKWARD_NAMES = (
    "-starts with dash.mp4",
    "with spaces.mp4",
    "Film: part 1.mp4",
    "take #2.mp4",
    "100% real.mp4",
    "中法短片 夜.mp4",
)


def make_all(folder: Path) -> dict[str, Path]:
    """name -> path of every kind of file (see the dict below for what each one is)."""
    if _MADE:
        return _MADE
    folder.mkdir(parents=True, exist_ok=True)
    clip = synth.make_clip
    m: dict[str, Path] = {}
    m["h264"] = clip(folder / "h264.mp4", seconds=1.0)
    m["hevc4k"] = synth.make_hdr_clip(folder / "hevc10-4k-hdr.mp4", seconds=1.0)
    m["prores"] = clip(
        folder / "prores.mov",
        seconds=1.0,
        vcodec="prores_ks",
        pix_fmt="yuv422p10le",
        vcodec_args=("-profile:v", "0"),
        acodec="pcm_s16le",
    )
    m["interlaced"] = synth.make_interlaced_clip(folder / "pal-interlaced.mpg")
    m["vp9"] = clip(
        folder / "vp9.webm",
        seconds=1.0,
        vcodec="libvpx-vp9",
        vcodec_args=("-deadline", "realtime", "-cpu-used", "8"),
        acodec="libopus",
    )
    m["noaudio"] = clip(folder / "silent.mp4", seconds=1.0, acodec=None)
    m["audioonly"] = clip(folder / "audio only.m4a", seconds=1.0, vcodec=None)
    m["surround"] = clip(folder / "surround 5.1.mp4", seconds=1.0, channels=6)
    m["mono"] = clip(folder / "mono.mp4", seconds=1.0, channels=1)
    m["anamorphic"] = synth.make_anamorphic_clip(folder / "pal-16x9.mp4")
    m["vfr"] = synth.make_vfr_clip(folder / "phone-vfr.mp4")
    m["rotated"] = synth.make_rotated_clip(m["h264"], folder / "rotated.mp4", degrees=90)
    m["still"] = synth.make_still(folder / "poster.png")
    four = clip(folder / "whole 4s.mp4", seconds=4.0)
    m["trunc_end"] = synth.truncate(four, folder / "cut (index at end).mp4", 0.5)
    fast = clip(folder / "fast 4s.mp4", seconds=4.0, container_args=("-movflags", "+faststart"))
    m["trunc_start"] = synth.truncate(fast, folder / "cut (index at start).mp4", 0.5)
    four.unlink()
    fast.unlink()
    m["loud"] = clip(folder / "loud.mp4", seconds=1.0, tone_db=-0.3)
    m["quiet"] = clip(folder / "quiet.mp4", seconds=1.0, tone_db=-50.0)
    m["late_sound"] = synth.make_late_sound_clip(folder / "late sound.mp4")
    m["mute"] = synth.make_silent_track_clip(folder / "mute track.mp4", seconds=1.0)
    m["black_head"] = synth.make_black_head_clip(folder / "black leader.mp4")
    m["zero"] = folder / "zero bytes.mp4"
    m["zero"].write_bytes(b"")
    m["text"] = folder / "notes.mp4"
    m["text"].write_text("This is a text file, not a film.\n", encoding="utf-8")
    m["folder"] = folder / "a folder.mp4"
    m["folder"].mkdir()
    m["missing"] = folder / "never made.mp4"
    m["srt_ok"] = folder / "ok.fr.srt"
    m["srt_ok"].write_text(SRT_OK, encoding="utf-8")
    m["srt_latin1"] = folder / "latin1.fr.srt"
    m["srt_latin1"].write_bytes(SRT_OK.encode("latin-1"))
    m["srt_late"] = folder / "late.fr.srt"
    m["srt_late"].write_text(SRT_LATE, encoding="utf-8")
    awkward = folder / "awkward"
    awkward.mkdir()
    for name in AWKWARD_NAMES:
        shutil.copyfile(m["h264"], awkward / name)
    m["awkward"] = awkward
    _MADE.update(m)
    return _MADE
