"""Venue profiles: what the projector and sound system of a room accept.

A profile is a small YAML file (`--venue PATH`, or `defaults.venue` in a playlist) or the name of
a built-in (`player/data/venues/NAME.yaml`: default, hd-projector, dci-4k). Pure: reads files
through `player.core.yaml_source`, so every mistake comes back as FILE:LINE:COL with a did-you-mean.

`speakers` is the room's layout, '2.0' (the default), '5.1' or '7.1'.
Absent lists (`video_codecs`, `audio_codecs`, `frame_rates`, `audio_channels`) mean "anything
libvlc decodes". Codec names are ffprobe's (`h264`, `hevc`, `mpeg2video`, `prores`, `aac`...);
common spellings (`h265`, `mpeg2`, `avc`) are accepted, and `pcm` stands for every PCM format.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from player.core.model import PlaylistError, Problem
from player.core.yaml_source import FieldReader, MapNode, Node, ScalarNode, load_located, suggest

BUILTIN_DIR = Path(__file__).resolve().parents[1] / "data" / "venues"
DEFAULT_NAME = "default"

KEYS = (
    "name",
    "description",
    "max_width",
    "max_height",
    "video_codecs",
    "audio_codecs",
    "frame_rates",
    "audio_channels",
    "hdr",
    "loudness_target_lufs",
    "loudness_tolerance_lu",
    "true_peak_max_dbtp",
    "speakers",
)

CODEC_ALIASES = {
    "h.264": "h264",
    "avc": "h264",
    "x264": "h264",
    "h265": "hevc",
    "h.265": "hevc",
    "x265": "hevc",
    "mpeg2": "mpeg2video",
    "mpeg-2": "mpeg2video",
    "j2k": "jpeg2000",
    "dts": "dts",
    "ac-3": "ac3",
    "e-ac-3": "eac3",
}
FPS_TOLERANCE = 0.01


class Speakers(enum.Enum):
    """The room's speaker layout: what every film's sound is sent as (folded down or routed to
    it). The value is how a profile writes it (`speakers: '5.1'`)."""

    STEREO = "2.0"
    SURROUND_5_1 = "5.1"
    SURROUND_7_1 = "7.1"

    @property
    def channels(self) -> int:
        return {"2.0": 2, "5.1": 6, "7.1": 8}[self.value]

    @property
    def ffmpeg_layout(self) -> str:
        """ffmpeg's name of the layout ('stereo', '5.1', '7.1')."""
        return {"2.0": "stereo", "5.1": "5.1", "7.1": "7.1"}[self.value]


class VenueError(PlaylistError):
    """A venue profile could not be loaded; `problems` are located (FILE:LINE:COL)."""


@dataclass(frozen=True)
class Venue:
    """What a room accepts. None for a list means "anything"; `hdr` False means an SDR
    projector (HDR films will look washed out); `speakers` is the layout the room's sound
    system has."""

    name: str = DEFAULT_NAME
    description: str | None = None
    max_width: int | None = 4096
    max_height: int | None = 2160
    video_codecs: frozenset[str] | None = None
    audio_codecs: frozenset[str] | None = None
    frame_rates: tuple[float, ...] | None = None
    audio_channels: frozenset[int] | None = None
    hdr: bool = True
    loudness_target_lufs: float = -23.0
    loudness_tolerance_lu: float = 5.0
    true_peak_max_dbtp: float = -1.0
    speakers: Speakers = Speakers.STEREO
    path: Path | None = None

    def allows_video_codec(self, codec: str) -> bool:
        return self.video_codecs is None or _codec_in(codec, self.video_codecs)

    def allows_audio_codec(self, codec: str) -> bool:
        return self.audio_codecs is None or _codec_in(codec, self.audio_codecs)

    def allows_fps(self, fps: float) -> bool:
        return self.frame_rates is None or any(
            abs(fps - allowed) <= FPS_TOLERANCE for allowed in self.frame_rates
        )

    def allows_channels(self, channels: int) -> bool:
        return self.audio_channels is None or channels in self.audio_channels


def _codec_in(codec: str, allowed: frozenset[str]) -> bool:
    codec = codec.lower()
    return codec in allowed or ("pcm" in allowed and codec.startswith("pcm_"))


def normalise_codec(name: str) -> str:
    name = name.strip().lower()
    return CODEC_ALIASES.get(name, name)


def builtin_names() -> list[str]:
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.yaml"))


def resolve_venue(spec: str | Path | None, *, base: Path | None = None) -> Venue:
    """A venue from a built-in name, a profile path (relative to `base`, e.g. the playlist's
    folder), or None for the default. Raises VenueError with located problems."""
    if spec is None or str(spec).strip() == "":
        spec = DEFAULT_NAME
    text = str(spec)
    looks_like_path = isinstance(spec, Path) or "/" in text or text.endswith((".yaml", ".yml"))
    if not looks_like_path and (BUILTIN_DIR / f"{text}.yaml").is_file():
        return load_venue(BUILTIN_DIR / f"{text}.yaml")
    path = Path(text).expanduser()
    if base is not None and not path.is_absolute():
        path = base / path
    if looks_like_path or path.is_file():
        return load_venue(path)
    names = builtin_names()
    raise VenueError(
        [
            Problem(
                f"unknown venue '{text}'{suggest(text, names)} "
                f"(built-in venues: {', '.join(names)}; or give a profile file's path)"
            )
        ]
    )


def load_venue(path: str | Path) -> Venue:
    """Read a venue profile file. Raises VenueError listing every problem, located."""
    path = Path(path).absolute()
    try:
        root = load_located(path)
    except PlaylistError as exc:
        raise VenueError(exc.problems) from None
    if not isinstance(root, MapNode):
        raise VenueError(
            [
                Problem(
                    "a venue profile is a mapping of settings (name: …, max_width: …)",
                    root.location,
                )
            ]
        )
    r = FieldReader()
    r.check_keys(root, KEYS, what="the venue profile")
    name = r.string(root, "name") or path.stem
    venue = Venue(
        name=name,
        description=r.string(root, "description"),
        max_width=_int_or_default(r, root, "max_width", 4096),
        max_height=_int_or_default(r, root, "max_height", 2160),
        video_codecs=_codecs(r, root, "video_codecs"),
        audio_codecs=_codecs(r, root, "audio_codecs"),
        frame_rates=_frame_rates(r, root),
        audio_channels=_channels(r, root),
        hdr=_default(r.boolean(root, "hdr"), True),
        loudness_target_lufs=float(
            _default(r.number(root, "loudness_target_lufs", minimum=-70, maximum=0), -23.0)
        ),
        loudness_tolerance_lu=float(
            _default(r.number(root, "loudness_tolerance_lu", minimum=0, maximum=40), 5.0)
        ),
        true_peak_max_dbtp=float(
            _default(r.number(root, "true_peak_max_dbtp", minimum=-30, maximum=6), -1.0)
        ),
        speakers=_default(
            r.choice(root, "speakers", {s.value: s for s in Speakers}), Speakers.STEREO
        ),
        path=path,
    )
    if r.problems:
        raise VenueError(r.problems)
    return venue


def _default(value, default):
    return default if value is None else value


def _int_or_default(r: FieldReader, root: MapNode, key: str, default: int) -> int:
    value = r.number(root, key, integer=True, minimum=16, maximum=65536)
    return default if value is None else int(value)


def _list(r: FieldReader, root: MapNode, key: str) -> list[ScalarNode] | None:
    node = r.get(root, key)
    if node is None:
        return None
    items: Iterable[Node] = r.each(node, key, lambda n: n)
    out = []
    for item in items:
        if not isinstance(item, ScalarNode) or item.value is None:
            r.error(f"each entry of '{key}' must be a single value", item.location)
            continue
        out.append(item)
    if not out and not r.problems:
        r.error(f"'{key}' is an empty list: leave it out to allow anything", node.location)
    return out


def _codecs(r: FieldReader, root: MapNode, key: str) -> frozenset[str] | None:
    items = _list(r, root, key)
    if items is None:
        return None
    return frozenset(
        normalise_codec(str(i.value if isinstance(i.value, str) else i.raw)) for i in items
    )


def _frame_rates(r: FieldReader, root: MapNode) -> tuple[float, ...] | None:
    items = _list(r, root, "frame_rates")
    if items is None:
        return None
    rates = []
    for item in items:
        value = item.value
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            r.error(
                f"'frame_rates': '{item.raw}' is not a frame rate (like 24 or 23.976)",
                item.location,
            )
            continue
        rates.append(float(value))
    return tuple(rates)


def _channels(r: FieldReader, root: MapNode) -> frozenset[int] | None:
    items = _list(r, root, "audio_channels")
    if items is None:
        return None
    counts = set()
    for item in items:
        value = item.value
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 64:
            r.error(
                f"'audio_channels': '{item.raw}' is not a channel count (2 for stereo, 6 for 5.1)",
                item.location,
            )
            continue
        counts.add(value)
    return frozenset(counts)
