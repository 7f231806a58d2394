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


def _ffmpeg(args: list[str], path: Path, *, timeout_s: float) -> Path:
    """Run ffmpeg with `args` (inputs, filters, outputs) to make `path`; SynthError with
    ffmpeg's last lines when it fails."""
    cmd = [ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-y", *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
    if result.returncode != 0:
        raise SynthError(f"ffmpeg could not make {path}: {result.stderr.strip()[-800:]}")
    return path


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
    cmd: list[str] = []
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
        return _ffmpeg(cmd, path, timeout_s=300)
    finally:
        if label_file:
            Path(label_file).unlink(missing_ok=True)


def _text_em(text: str) -> float:
    """Rough width of the longest line in font-size units (CJK is one em, Latin ~0.68:
    measured on the demo titles, 0.55 let "Dave Decides to Jump into the Sea" overflow)."""
    import unicodedata

    return max(
        (sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.68 for c in line) or 1.0)
        for line in text.splitlines() or [text]
    )


def truncate(src: str | Path, dst: str | Path, fraction: float = 0.5) -> Path:
    """Copy the first `fraction` of `src`'s bytes to `dst` (a file cut short in transfer)."""
    data = Path(src).read_bytes()
    Path(dst).write_bytes(data[: int(len(data) * fraction)])
    return Path(dst)


# --- Awkward kinds of media for the media check's tests (each one thing a technician meets) ---


def make_interlaced_clip(path: str | Path, *, seconds: float = 1.0, top_first: bool = True) -> Path:
    """PAL 720x576 MPEG-2, interlaced (top or bottom field first), in an MPEG program stream."""
    return make_clip(
        path,
        seconds=seconds,
        width=720,
        height=576,
        fps=25,
        vcodec="mpeg2video",
        vcodec_args=("-flags", "+ilme+ildct", "-top", "1" if top_first else "0"),
        extra_video_filters=("setfield=tff" if top_first else "setfield=bff",),
        acodec="mp2",
    )


def make_anamorphic_clip(path: str | Path, *, seconds: float = 1.0) -> Path:
    """PAL widescreen: 720x576 stored, SAR 64:45, so it displays 16:9 (1024x576)."""
    return make_clip(
        path, seconds=seconds, width=720, height=576, extra_video_filters=("setsar=64/45",)
    )


def make_vfr_clip(path: str | Path, *, seconds: float = 2.0) -> Path:
    """Variable frame rate, like phone footage: 25 fps for the first second, then frames
    spaced 100 ms apart."""
    return make_clip(
        path,
        seconds=seconds,
        extra_video_filters=("setpts='if(lt(N,25),N*0.04,1+(N-25)*0.1)/TB'",),
        extra_output_args=("-fps_mode", "vfr"),
    )


def make_rotated_clip(src: str | Path, path: str | Path, *, degrees: int = 90) -> Path:
    """A stream copy of `src` (an MP4) carrying display-rotation metadata (a display matrix),
    as phones write it."""
    path = Path(path)
    args = [
        "-i",
        _arg_path(Path(src)),
        "-c",
        "copy",
        "-metadata:s:v:0",
        f"rotate={degrees}",
        _arg_path(path),
    ]
    return _ffmpeg(args, path, timeout_s=120)


def make_hdr_clip(path: str | Path, *, seconds: float = 1.0) -> Path:
    """HEVC Main 10, 3840x2160, tagged HDR10 (BT.2020, PQ). Small and fast: 10 fps, ultrafast."""
    return make_clip(
        path,
        seconds=seconds,
        width=3840,
        height=2160,
        fps=10,
        vcodec="libx265",
        pix_fmt="yuv420p10le",
        vcodec_args=("-preset", "ultrafast", "-x265-params", "log-level=error"),
        extra_output_args=(
            "-color_primaries",
            "bt2020",
            "-color_trc",
            "smpte2084",
            "-colorspace",
            "bt2020nc",
            "-tag:v",
            "hvc1",
        ),
        pattern="smptebars",
    )


def make_still(path: str | Path, *, width: int = 320, height: int = 240) -> Path:
    """A single picture (PNG or JPEG by `path`'s extension)."""
    path = Path(path)
    args = [
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=s={width}x{height}",
        "-frames:v",
        "1",
        _arg_path(path),
    ]
    return _ffmpeg(args, path, timeout_s=60)


def make_late_sound_clip(path: str | Path, *, seconds: float = 8.0, delay_s: float = 6.0) -> Path:
    """A clip whose sound starts only after `delay_s` seconds of digital silence."""
    return make_clip(
        path,
        seconds=seconds,
        width=160,
        height=120,
        fps=10,
        extra_output_args=("-af", f"adelay={round(delay_s * 1000)}:all=1", "-t", str(seconds)),
    )


def make_silent_track_clip(path: str | Path, *, seconds: float = 2.0) -> Path:
    """A clip with an audio stream that holds only digital silence (a mute export)."""
    return make_clip(path, seconds=seconds, tone_db=-200.0)


def make_black_head_clip(path: str | Path, *, black_s: float = 10.0, seconds: float = 12.0) -> Path:
    """A clip that starts with `black_s` seconds of black picture (a leader left in), then
    the test pattern; a key frame every second, sound throughout."""
    return make_clip(
        path,
        seconds=seconds,
        width=160,
        height=120,
        fps=10,
        vcodec_args=("-preset", "ultrafast", "-g", "10"),
        extra_video_filters=(f"drawbox=c=black:t=fill:enable='lt(t,{black_s})'",),
    )


COUNTER_STEP = 12  # px of counter bar per frame
COUNTER_BAR_H = 24


def make_counter_clip(
    path: str | Path,
    *,
    seconds: float = 2.0,
    width: int = 640,
    height: int = 360,
    fps: int = 25,
    box_level: int | None = None,
) -> Path:
    """A silent clip whose every frame says which frame it is: over a dark grey picture, a white
    bar `COUNTER_STEP * (k + 1)` px wide on frame k, `COUNTER_BAR_H` px high, ending 40 px
    above the bottom (read it back with `counter_frame`). With `box_level`, a 64x64 box of that
    grey level at the top left names the clip. For seeing on screen which frames were shown."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    bar_y = height - 40 - COUNTER_BAR_H
    base = "[0]"
    graph = []
    if box_level is not None:
        grey = f"0x{box_level:02x}{box_level:02x}{box_level:02x}"
        graph.append(f"[0]drawbox=x=0:y=0:w=64:h=64:color={grey}@1:t=fill[base]")
        base = "[base]"
    # overlay's own frame counter `n` starts at 1 here: count from the timestamp instead
    graph.append(
        f"{base}[1]overlay=x='{COUNTER_STEP}*(floor(t*{fps}+0.5)+1)-{width}':y={bar_y}"
        ":eval=frame,format=yuv420p"
    )
    return _ffmpeg(
        [
            *("-f", "lavfi", "-i", f"color=c=0x303030:s={width}x{height}:r={fps}:d={seconds}"),
            *("-f", "lavfi", "-i", f"color=c=white:s={width}x{COUNTER_BAR_H}:r={fps}:d={seconds}"),
            *("-filter_complex", ";".join(graph)),
            *("-c:v", "libx264", "-preset", "ultrafast", "-g", str(fps), "-an"),
            _arg_path(path),
        ],
        path,
        timeout_s=120,
    )


def counter_bar_row(height: int) -> int:
    """The picture row through the middle of a counter clip's bar (`make_counter_clip`)."""
    return height - 40 - COUNTER_BAR_H // 2


def counter_frame(row: bytes, *, scale: float = 1.0) -> int:
    """Which frame of a counter clip a picture shows, from its bar row as 8-bit grey values
    (`counter_bar_row`); `scale` = picture width / clip width. -1 when no bar is there."""
    width = 0
    while width < len(row) and row[width] > 128:
        width += 1
    return round(width / scale / COUNTER_STEP) - 1
