"""What a media file holds, as plain frozen data: the prober's answer, cached and checked.

Pure: no ffmpeg, no Qt. `to_json()` gives the `media` object of `screening-night check --json`
(and the cache's format); `from_json()` reads it back. Times are integer milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from fractions import Fraction
from typing import Any


def parse_ratio(text: str | None) -> Fraction | None:
    """'16:9' or '30000/1001' -> Fraction; None for absent, zero or malformed values."""
    if not text:
        return None
    for sep in (":", "/"):
        if sep in text:
            num, _, den = text.partition(sep)
            try:
                n, d = int(num), int(den)
            except ValueError:
                return None
            return Fraction(n, d) if n > 0 and d > 0 else None
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None
    return value if value > 0 else None


@dataclass(frozen=True)
class VideoInfo:
    """The first video stream. `sar`/`dar` are 'W:H' strings as ffprobe gives them; `fps` is
    the nominal frame rate rounded to 3 decimals; `rotation` is the display rotation in degrees
    (0 when none); `hdr` is 'pq', 'hlg' or None; `field_order` 'progressive', 'tt', 'bb', 'tb',
    'bt' or None when the file does not say."""

    codec: str
    profile: str | None = None
    width: int = 0
    height: int = 0
    sar: str | None = None
    dar: str | None = None
    fps: float | None = None
    pix_fmt: str | None = None
    bit_depth: int | None = None
    field_order: str | None = None
    rotation: int = 0
    hdr: str | None = None
    variable_frame_rate: bool = False
    is_still: bool = False

    @property
    def interlaced(self) -> bool:
        return self.field_order in {"tt", "bb", "tb", "bt"}

    @property
    def display_size(self) -> tuple[int, int]:
        """Width x height as shown: SAR applied to the width, then rotation."""
        width, height = self.width, self.height
        sar = parse_ratio(self.sar)
        if sar and sar != 1:
            width = round(width * sar)
        if self.rotation % 180:
            width, height = height, width
        return width, height


@dataclass(frozen=True)
class AudioInfo:
    codec: str
    channels: int = 0
    channel_layout: str | None = None
    sample_rate: int | None = None
    language: str | None = None


@dataclass(frozen=True)
class SubtitleInfo:
    codec: str
    language: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class Loudness:
    """EBU R128 measurement of the first audio stream: integrated loudness (LUFS), loudness
    range (LU) and true peak (dBTP). None where there was too little sound to measure."""

    integrated_lufs: float | None
    lra_lu: float | None
    true_peak_dbtp: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "integrated_lufs": self.integrated_lufs,
            "lra_lu": self.lra_lu,
            "true_peak_dbtp": self.true_peak_dbtp,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Loudness:
        return cls(data.get("integrated_lufs"), data.get("lra_lu"), data.get("true_peak_dbtp"))


@dataclass(frozen=True)
class DeepResult:
    """The `--deep` pass over every packet: where reading stopped and what went wrong on the
    way (`errors`: ffmpeg's own error lines, at most a few), plus loudness when there is
    audio and `head_silence_ms`, how long the first audio stream is silent (below -60 dBFS)
    from the start (0 when sound starts at once, None without audio); `head_black_ms`, how
    long the picture is black from the start, judged on key frames (None without video)."""

    read_ms: int | None
    errors: tuple[str, ...] = ()
    loudness: Loudness | None = None
    head_silence_ms: int | None = None
    head_black_ms: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "read_ms": self.read_ms,
            "errors": list(self.errors),
            "loudness": self.loudness.to_json() if self.loudness else None,
            "head_silence_ms": self.head_silence_ms,
            "head_black_ms": self.head_black_ms,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DeepResult:
        loud = data.get("loudness")
        return cls(
            read_ms=data.get("read_ms"),
            errors=tuple(data.get("errors") or ()),
            loudness=Loudness.from_json(loud) if loud else None,
            head_silence_ms=data.get("head_silence_ms"),
            head_black_ms=data.get("head_black_ms"),
        )


@dataclass(frozen=True)
class MediaInfo:
    """One probed file. `container` is ffprobe's format name ('mov,mp4,m4a,3gp,3g2,mj2');
    `duration_ms` is None when the file does not state one; `bit_rate` is bits per second."""

    container: str
    duration_ms: int | None
    size_bytes: int
    bit_rate: int | None = None
    video: VideoInfo | None = None
    audio: tuple[AudioInfo, ...] = ()
    subtitles: tuple[SubtitleInfo, ...] = ()
    title: str | None = None  # the file's own title tag, if any

    def to_json(self) -> dict[str, Any]:
        return {
            "container": self.container,
            "duration_ms": self.duration_ms,
            "size_bytes": self.size_bytes,
            "bit_rate": self.bit_rate,
            "video": _plain(self.video) if self.video else None,
            "audio": [_plain(a) for a in self.audio],
            "subtitles": [_plain(s) for s in self.subtitles],
            "title": self.title,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MediaInfo:
        video = data.get("video")
        return cls(
            container=data["container"],
            duration_ms=data.get("duration_ms"),
            size_bytes=data["size_bytes"],
            bit_rate=data.get("bit_rate"),
            video=_build(VideoInfo, video) if video else None,
            audio=tuple(_build(AudioInfo, a) for a in data.get("audio") or ()),
            subtitles=tuple(_build(SubtitleInfo, s) for s in data.get("subtitles") or ()),
            title=data.get("title"),
        )


def _plain(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


def _build(cls: type, data: dict[str, Any]) -> Any:
    known = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in known})
