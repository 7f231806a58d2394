"""Synthetic media made with the ffmpeg binary: the demo night's films and the tests' clips.

One place that knows how to make a clip, so the set-up and every test make them the same way.
Runs `ffmpeg` as an argument list (no shell); paths may start with '-' or hold colons and CJK.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

FONT_FILE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


class SynthError(RuntimeError):
    """ffmpeg could not make the clip; the message holds ffmpeg's own last lines."""


def ffmpeg_path() -> str:
    found = shutil.which("ffmpeg")
    if not found:
        raise SynthError("ffmpeg is not installed (Debian package 'ffmpeg')")
    return found


def _arg_path(path: Path) -> str:
    # A relative path starting with '-' would be read as an option.
    path = Path(path)
    return str(path if path.is_absolute() else Path.cwd() / path)


def make_clip(
    path: str | Path,
    *,
    seconds: float = 2.0,
    width: int = 320,
    height: int = 240,
    fps: str | int = 25,
    vcodec: str | None = "libx264",
    pix_fmt: str = "yuv420p",
    vcodec_args: tuple[str, ...] = ("-preset", "ultrafast"),
    acodec: str | None = "aac",
    channels: int = 2,
    sample_rate: int = 48_000,
    tone_hz: float = 440.0,
    tone_db: float = -20.0,
    label: str | None = None,
    pattern: str = "testsrc2",
    extra_output_args: tuple[str, ...] = (),
    extra_video_filters: tuple[str, ...] = (),
    container_args: tuple[str, ...] = (),
) -> Path:
    """Make a clip: a moving test pattern (or `pattern`, any lavfi source taking s= and r=),
    optionally with `label` burnt in, and a sine tone at `tone_db` dBFS peak.

    `vcodec=None` makes an audio-only file, `acodec=None` a silent one. Blocks until written;
    raises SynthError with ffmpeg's message on failure.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cmd = [ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-y"]
    filters = list(extra_video_filters)
    label_file = None
    if vcodec is not None:
        cmd += ["-f", "lavfi", "-t", str(seconds), "-i", f"{pattern}=s={width}x{height}:r={fps}"]
        if label:
            fd, label_file = tempfile.mkstemp(suffix=".txt")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(label)
            size = max(12, min(height // 8, int(0.9 * width / _text_em(label))))
            filters.append(
                f"drawtext=fontfile={FONT_FILE}:textfile={label_file}:fontsize={size}"
                ":fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=12"
                ":x=(w-text_w)/2:y=(h-text_h)/2"
            )
    if acodec is not None:
        amplitude = 10 ** (tone_db / 20)
        expr = f"{amplitude:.6f}*sin(2*PI*{tone_hz}*t)"
        layout = {1: "mono", 2: "stereo", 6: "5.1"}.get(channels, f"{channels}c")
        cmd += [
            "-f",
            "lavfi",
            "-i",
            f"aevalsrc={'|'.join([expr] * channels)}:s={sample_rate}:d={seconds}:c={layout}",
        ]
    if vcodec is not None:
        if filters:
            cmd += ["-vf", ",".join(filters)]
        cmd += ["-c:v", vcodec, *vcodec_args]
        if pix_fmt:
            cmd += ["-pix_fmt", pix_fmt]
    if acodec is not None:
        cmd += ["-c:a", acodec]
    cmd += [*extra_output_args, *container_args, _arg_path(path)]
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    finally:
        if label_file:
            Path(label_file).unlink(missing_ok=True)
    if result.returncode != 0:
        raise SynthError(f"ffmpeg could not make {path}: {result.stderr.strip()[-800:]}")
    return path


def _text_em(text: str) -> float:
    """Rough width of the longest line in font-size units (CJK is one em, Latin ~0.55)."""
    import unicodedata

    return max(
        (sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.55 for c in line) or 1.0)
        for line in text.splitlines() or [text]
    )


def truncate(src: str | Path, dst: str | Path, fraction: float = 0.5) -> Path:
    """Copy the first `fraction` of `src`'s bytes to `dst` (a file cut short in transfer)."""
    data = Path(src).read_bytes()
    Path(dst).write_bytes(data[: int(len(data) * fraction)])
    return Path(dst)
