"""Making show copies with the ffmpeg binary: commands built from a typed recipe, run with
`-progress`, their progress parsed; and the first pass of a two-pass loudness normalisation.

What to do to a film is decided above (`player.organiser.prepare`); this module only knows how
ffmpeg says it. Every command is an argument list (no shell), paths absolute, so names starting
with '-' or holding spaces, ':' or CJK go through untouched. ffmpeg is `probe.ffmpeg_path()`
(SCREENING_NIGHT_FFMPEG may replace it).

Running: `run_ffmpeg` blocks, reads `-progress pipe:1` as ffmpeg writes it and calls
`on_progress` in the calling thread (about twice a second). Each process is started in a
session of its own (the terminal's Ctrl-C does not reach it: the caller stops it with `cancel`)
and, where util-linux's `setpriv` is there, with a parent-death signal: if the Python process
is killed (even with SIGKILL) its ffmpeg dies with it instead of writing on, orphaned.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from player.media.probe import ProbeError, ffmpeg_path

# The channels of the layouts ffprobe names, in their order in the stream.
LAYOUT_CHANNELS: dict[str, tuple[str, ...]] = {
    "mono": ("FC",),
    "stereo": ("FL", "FR"),
    "5.1": ("FL", "FR", "FC", "LFE", "BL", "BR"),
    "5.1(side)": ("FL", "FR", "FC", "LFE", "SL", "SR"),
    "7.1": ("FL", "FR", "FC", "LFE", "BL", "BR", "SL", "SR"),
}
DEFAULT_LAYOUT = {1: "mono", 2: "stereo", 6: "5.1", 8: "7.1"}
MINUS_3DB = 0.707  # ITU-R BS.775: centre and surrounds folded in at -3 dB; LFE left out
AAC_BITRATE = {2: 256_000, 6: 448_000, 8: 640_000}
TP_MARGIN_DB = 0.5  # loudnorm's aim under the ceiling: the AAC encoder adds a little peak
STDERR_KEEP = 200  # lines of ffmpeg's stderr kept for the error message and the JSON


class TranscodeError(Exception):
    """ffmpeg could not make `path`; `message` is ffmpeg's own last words, cleaned."""

    def __init__(self, path: Path, message: str, *, cancelled: bool = False):
        self.path = Path(path)
        self.message = message
        self.cancelled = cancelled
        super().__init__(f"{self.path}: {message}")


@dataclass(frozen=True)
class FfmpegProgress:
    """One `-progress` block: how far the output is (`out_ms`, media time), how fast
    (`speed`, times real time; None before ffmpeg knows) and whether this is the last block."""

    out_ms: int
    speed: float | None
    done: bool = False


def parse_progress(lines: list[str]) -> FfmpegProgress | None:
    """A block of `key=value` lines (ending with `progress=continue|end`) -> FfmpegProgress."""
    values = dict(line.split("=", 1) for line in lines if "=" in line)
    out_us = values.get("out_time_us", values.get("out_time_ms", ""))  # both are microseconds
    try:
        out_ms = max(0, int(out_us) // 1000)
    except ValueError:
        out_ms = 0
    speed = None
    match = re.fullmatch(r"\s*([\d.]+)x", values.get("speed", ""))
    if match:
        speed = float(match[1]) or None
    if "progress" not in values:
        return None
    return FfmpegProgress(out_ms, speed, values["progress"] == "end")


# ---------------------------------------------------------------------------------- recipes


@dataclass(frozen=True)
class VideoRecipe:
    """The picture re-encoded to H.264 High, 8-bit 4:2:0. `size` (W, H) scales it (square
    pixels out); `fps` makes the rate constant; `deinterlace` runs bwdif (one frame per frame);
    `tone_map` maps HDR (PQ/HLG) to SDR BT.709. Rotation metadata is applied to the picture
    (ffmpeg's autorotate) and not written again."""

    bitrate: int  # bits per second
    size: tuple[int, int] | None = None
    fps: Fraction | None = None
    deinterlace: bool = False
    tone_map: bool = False
    preset: str = "fast"
    threads: int = 0  # 0: x264 decides (all cores)

    def filters(self) -> list[str]:
        out = []
        if self.deinterlace:
            out.append("bwdif=mode=send_frame")
        if self.tone_map:
            out += [
                "zscale=t=linear:npl=100",
                "format=gbrpf32le",
                "zscale=p=bt709",
                "tonemap=tonemap=hable:desat=0",
                "zscale=t=bt709:m=bt709:r=tv",
            ]
        if self.size:
            out += [f"scale={self.size[0]}:{self.size[1]}:flags=lanczos", "setsar=1"]
        if self.fps:
            out.append(f"fps={self.fps.numerator}/{self.fps.denominator}")
        out.append("format=yuv420p")
        return out


@dataclass(frozen=True)
class AudioStreamRecipe:
    """One audio stream remade: `channels`/`layout` are what it has, `loudnorm` the second-pass
    filter (`LoudnessMeasure.second_pass`), None to keep its level."""

    channels: int
    layout: str | None
    loudnorm: str | None = None

    def chain(self, speakers: str, *after: str) -> str:
        """The stream's filter chain: to the room's layout, then `after`."""
        remix = remix_filter(self.channels, self.layout, speakers)
        return ",".join([remix, *after] if remix else after)


@dataclass(frozen=True)
class AudioRecipe:
    """Every audio stream in the room's layout (`speakers`: 'stereo', '5.1' or '7.1') at
    `sample_rate`, as AAC (or 24-bit PCM with `pcm`)."""

    speakers: str
    streams: tuple[AudioStreamRecipe, ...]
    sample_rate: int = 48_000
    pcm: bool = False


@dataclass(frozen=True)
class CopyRecipe:
    """A show copy: `source` -> `dest` in `container` ('mp4' or 'matroska'). `video` / `audio`
    None copy those streams as they are. Subtitle streams are copied (Matroska only)."""

    source: Path
    dest: Path
    container: str
    video: VideoRecipe | None
    audio: AudioRecipe | None
    duration_ms: int | None = None
    subtitle_streams: bool = False

    def arguments(self) -> list[str]:
        """The ffmpeg arguments after the global ones (inputs, maps, codecs, output)."""
        args = ["-i", str(self.source.absolute()), "-map", "0:V:0?"]
        args += ["-map_metadata", "0", "-map_chapters", "0"]
        if self.video is None:
            args += ["-c:v", "copy"]
        else:
            v = self.video
            args += ["-filter:v:0", ",".join(v.filters())]
            args += ["-c:v", "libx264", "-profile:v", "high", "-preset", v.preset]
            args += ["-b:v", str(v.bitrate), "-maxrate", str(v.bitrate * 3 // 2)]
            args += ["-bufsize", str(v.bitrate * 2), "-pix_fmt", "yuv420p"]
            if v.threads:
                args += ["-threads:v", str(v.threads)]
            if v.fps:
                args += ["-fps_mode", "cfr"]
            if v.tone_map:
                args += ["-color_primaries", "bt709", "-color_trc", "bt709"]
                args += ["-colorspace", "bt709"]
            args += ["-metadata:s:v:0", "rotate=0"]
        if self.audio is None:
            args += ["-map", "0:a?", "-c:a", "copy"]
        else:
            a = self.audio
            out_channels = len(LAYOUT_CHANNELS[a.speakers])
            # loudnorm works at 192 kHz, and leaves the layout open for the encoder
            tail = (
                f"aresample={a.sample_rate}",
                f"aformat=sample_rates={a.sample_rate}:channel_layouts={a.speakers}",
            )
            for index, stream in enumerate(a.streams):
                level = (stream.loudnorm,) if stream.loudnorm else ()
                chain = stream.chain(a.speakers, *level, *tail)
                args += ["-map", f"0:a:{index}", f"-filter:a:{index}", chain]
            if a.pcm:
                args += ["-c:a", "pcm_s24le"]
            else:
                args += ["-c:a", "aac", "-b:a", str(AAC_BITRATE[out_channels])]
            args += ["-ar", str(a.sample_rate)]
        if self.subtitle_streams:
            args += ["-map", "0:s?", "-c:s", "copy"]
        if self.container == "mp4":
            args += ["-movflags", "+faststart"]
        return [*args, "-f", self.container, str(self.dest.absolute())]


def remix_filter(channels: int, layout: str | None, speakers: str) -> str | None:
    """The `pan` filter that sends a stream of `channels` (ffprobe's `layout`) to the room's
    layout: ITU-R BS.775 fold-down (L = FL + 0.707 FC + 0.707 surrounds, LFE dropped), stereo
    into a surround room on L/R only, mono to the centre (to L and R in a stereo room). None
    when the stream is already in the room's layout; layouts not known here are left to
    ffmpeg's resampler (which folds down with the same coefficients)."""
    names = LAYOUT_CHANNELS.get(layout or "") or LAYOUT_CHANNELS.get(
        DEFAULT_LAYOUT.get(channels, "")
    )
    if names is None or len(names) != channels:
        return f"aformat=channel_layouts={speakers}"
    if layout == speakers or (layout is None and DEFAULT_LAYOUT.get(channels) == speakers):
        return None
    index = {name: i for i, name in enumerate(names)}
    gains: dict[str, dict[str, float]] = {out: {} for out in LAYOUT_CHANNELS[speakers]}
    if names == ("FC",):
        for out in ("FL", "FR") if speakers == "stereo" else ("FC",):
            gains[out]["FC"] = 1.0
    else:
        side = {"L": ("SL", "BL"), "R": ("SR", "BR")}
        for out, gain in gains.items():
            if out in index:
                gain[out] = 1.0
        for lr in ("L", "R"):
            front = f"F{lr}"
            surrounds = [s for s in side[lr] if s in index]
            if speakers == "stereo":
                gains[front].update({s: MINUS_3DB for s in surrounds})
                if "FC" in index:
                    gains[front]["FC"] = MINUS_3DB
            else:
                targets = [t for t in side[lr] if t in gains]
                leftover = [s for s in surrounds if s not in gains]
                if leftover and targets:
                    # 5.1(side) into 5.1: the side is the surround; 7.1 into 5.1: side and
                    # back share it, at -3 dB each
                    share = 1.0 if len(surrounds) == 1 else MINUS_3DB
                    gains[targets[0]] = {s: share for s in surrounds}
    terms = []
    for out, sources in gains.items():
        mix = "+".join(
            f"c{index[src]}" if gain == 1.0 else f"{gain:g}*c{index[src]}"
            for src, gain in sources.items()
        )
        terms.append(f"{out}={mix}" if mix else f"{out}=0*c0")
    return f"pan={speakers}|" + "|".join(terms)


# ---------------------------------------------------------------------------------- loudness


@dataclass(frozen=True)
class LoudnessMeasure:
    """loudnorm's first pass over one stream (after the remix): integrated loudness (LUFS),
    true peak (dBTP), loudness range (LU) and gating threshold (LUFS)."""

    integrated: float
    true_peak: float
    lra: float
    threshold: float

    def second_pass(self, target_lufs: float, ceiling_dbtp: float) -> str:
        """The loudnorm filter that brings this stream to `target_lufs` with peaks under
        `ceiling_dbtp`: linear (one gain) where the peaks allow, else loudnorm's own
        dynamic mode, which keeps the ceiling."""
        tp = max(-9.0, min(0.0, ceiling_dbtp - TP_MARGIN_DB))
        # linear mode needs the target range at least the measured one
        lra = max(1.0, min(50.0, self.lra + 1.0))
        return (
            f"loudnorm=I={target_lufs:g}:TP={tp:g}:LRA={lra:g}"
            f":measured_I={self.integrated:g}:measured_TP={self.true_peak:g}"
            # (a measured range of 0, a steady tone, would rule out linear mode)
            f":measured_LRA={max(self.lra, 0.1):g}:measured_thresh={self.threshold:g}"
            ":linear=true:print_format=none"
        )


def measure_arguments(
    source: Path, streams: tuple[AudioStreamRecipe, ...], speakers: str, target: float
) -> list[str]:
    """First pass: every audio stream remixed as the copy will be, measured by loudnorm."""
    args = ["-i", str(source.absolute())]
    for index, stream in enumerate(streams):
        chain = stream.chain(speakers, f"loudnorm=I={target:g}:print_format=json")
        args += ["-map", f"0:a:{index}", f"-filter:a:{index}", chain]
    return [*args, "-f", "null", "-"]


def parse_loudnorm(stderr: str, count: int, path: Path) -> list[LoudnessMeasure]:
    """The `count` JSON blocks loudnorm prints at the end, in stream order."""
    found = []
    for block in re.findall(r"\{[^{}]*\"input_i\"[^{}]*\}", stderr):
        data = json.loads(block)
        try:
            found.append(
                LoudnessMeasure(
                    float(data["input_i"]),
                    float(data["input_tp"]),
                    float(data["input_lra"]),
                    float(data["input_thresh"]),
                )
            )
        except (KeyError, ValueError):
            raise TranscodeError(path, "loudnorm gave no measurement") from None
    if len(found) != count:
        raise TranscodeError(path, f"loudnorm measured {len(found)} of {count} audio streams")
    return found


# ---------------------------------------------------------------------------------- running


class Runner:
    """Runs ffmpeg processes and can stop them all (`cancel`, from any thread)."""

    def __init__(self) -> None:
        self._procs: set[subprocess.Popen] = set()
        self._lock = threading.Lock()
        self.cancelled = False
        self._wrapper = _death_signal_wrapper()

    def run(
        self,
        args: list[str],
        path: Path,
        *,
        on_progress: Callable[[FfmpegProgress], None] | None = None,
        loglevel: str = "error",
    ) -> str:
        """Run ffmpeg with `args` (about `path`, for messages); return its stderr. Raises
        TranscodeError when it fails or was cancelled."""
        cmd = [
            *self._wrapper,
            ffmpeg_path(),
            "-hide_banner",
            "-nostdin",
            "-nostats",
            "-loglevel",
            loglevel,
            "-progress",
            "pipe:1",
            "-y",
            *args,
        ]
        with self._lock:
            if self.cancelled:
                raise TranscodeError(path, "cancelled", cancelled=True)
            try:
                proc = subprocess.Popen(
                    cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    start_new_session=True,
                )
            except OSError as exc:
                raise TranscodeError(path, f"cannot run ffmpeg: {exc.strerror or exc}") from None
            self._procs.add(proc)
        stderr: list[str] = []
        reader = threading.Thread(target=_drain, args=(proc.stderr, stderr), daemon=True)
        reader.start()
        try:
            block: list[str] = []
            assert proc.stdout is not None
            for raw in proc.stdout:
                line = raw.decode("utf-8", "replace").strip()
                block.append(line)
                if line.startswith("progress="):
                    parsed = parse_progress(block)
                    block = []
                    if parsed and on_progress:
                        on_progress(parsed)
            proc.wait()
        except BaseException:
            _kill(proc)
            raise
        finally:
            reader.join()
            with self._lock:
                self._procs.discard(proc)
        text = "".join(stderr)
        if self.cancelled:
            raise TranscodeError(path, "cancelled", cancelled=True)
        if proc.returncode < 0:  # killed from outside (the system out of memory?)
            raise TranscodeError(path, f"ffmpeg was killed (signal {-proc.returncode})")
        if proc.returncode != 0:
            lines = [ln for ln in text.splitlines() if ln.strip()]
            raise TranscodeError(path, "; ".join(lines[-3:]) or f"ffmpeg exit {proc.returncode}")
        return text

    def cancel(self) -> None:
        """Stop every running process now; later `run` calls refuse to start."""
        with self._lock:
            self.cancelled = True
            running = list(self._procs)
        for proc in running:
            _kill(proc, wait=False)


def _drain(stream, into: list[str]) -> None:
    for raw in stream:
        into.append(raw.decode("utf-8", "replace"))
        if len(into) > STDERR_KEEP:
            del into[: len(into) - STDERR_KEEP]


def _kill(proc: subprocess.Popen, *, wait: bool = True) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    if wait:
        proc.wait()


def _death_signal_wrapper() -> list[str]:
    """`setpriv --pdeathsig KILL --` where util-linux has it (Linux): the child is killed when
    the thread that started it dies."""
    found = shutil.which("setpriv")
    if not found:
        return []
    try:
        probe = subprocess.run(
            [found, "--pdeathsig", "KILL", "--", "true"], capture_output=True, timeout=5
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [found, "--pdeathsig", "KILL", "--"] if probe.returncode == 0 else []


def ensure_ffmpeg() -> str:
    """The ffmpeg executable, or TranscodeError saying it is not installed."""
    try:
        return ffmpeg_path()
    except ProbeError as exc:
        raise TranscodeError(Path("ffmpeg"), exc.message) from None
