"""The media check, end to end: targets in, a `CheckReport` out.

Targets are playlists (every film and its subtitle file, with the declared runtime and in/out
compared to the real media), media files, or folders (every media file below, recognised by
content — a few magic bytes — or by a media extension, so a damaged 'film.mp4' is reported
rather than skipped). Probing and the deep pass run in parallel and are cached
(`player.media.probe`); the judging is `player.core.check` (pure).

Blocking; the operator console calls `check_playlist` from a worker thread. `progress(done,
total, path)` is called in the calling thread.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from player.core import check, subtitles
from player.core.check import CheckProblem, status_of
from player.core.media_info import DeepResult, Loudness, MediaInfo
from player.core.model import Film, Playlist
from player.core.venue import Venue, resolve_venue
from player.media import probe as prober

Progress = Callable[[int, int, Path], None]

PLAYLIST_SUFFIXES = (".yaml", ".yml")
MEDIA_SUFFIXES = frozenset(
    (  # noqa: SIM905
        ".mp4 .m4v .mov .qt .mkv .webm .avi .mpg .mpeg .m2v .m2ts .mts .ts .vob .mxf .wmv .asf "
        ".flv .ogv .ogg .oga .opus .3gp .3g2 .dv .y4m .mp3 .m4a .aac .ac3 .wav .flac .aif .aiff "
        ".h264 .264 .hevc .265 .mj2"
    ).split()
)


@dataclass(frozen=True)
class SubtitleSummary:
    """The film's subtitle file as the check read it: `encoding` says how ('windows-1252,
    French'), `cues` how many it holds (None when it could not be read)."""

    path: Path
    format: str | None
    encoding: str | None
    cues: int | None

    def describe(self) -> str:
        if self.encoding is None:
            return f"{self.path.name} — unreadable"
        return f"{self.path.name} — {self.encoding}, {self.cues} cue{'s' * (self.cues != 1)}"

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "format": self.format,
            "encoding": self.encoding,
            "cues": self.cues,
        }


@dataclass
class CheckItem:
    """One checked file: `status` is 'ok', 'warning' or 'error' (worst problem). `path` is the
    film's path exactly as the playlist model holds it (absolute, '..' kept), or the absolute
    path of a file given or found in a folder."""

    path: Path
    title: str
    status: str
    problems: list[CheckProblem]
    media: MediaInfo | None = None
    loudness: Loudness | None = None
    film: Film | None = field(default=None, repr=False)
    subtitles: SubtitleSummary | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "title": self.title,
            "status": self.status,
            "problems": [p.to_json() for p in self.problems],
            "media": self.media.to_json() if self.media else None,
            "loudness": self.loudness.to_json() if self.loudness else None,
            "subtitles": self.subtitles.to_json() if self.subtitles else None,
        }


@dataclass
class CheckReport:
    venue: Venue
    items: list[CheckItem]
    deep: bool = False

    def summary(self) -> dict[str, int]:
        counts = {"ok": 0, "warning": 0, "error": 0}
        for item in self.items:
            counts[item.status] += 1
        return counts

    def exit_code(self, *, strict: bool = False) -> int:
        """0 when no item has an error (warnings allowed unless `strict`), else 1."""
        summary = self.summary()
        return 1 if summary["error"] or (strict and summary["warning"]) else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "venue": self.venue.name,
            "items": [item.to_json() for item in self.items],
            "summary": self.summary(),
        }


@dataclass
class _Entry:
    path: Path  # as the playlist's model spells it (the console looks items up by it)
    title: str
    film: Film | None = None
    loudness_target: float | None = None  # the playlist's defaults.loudness_target
    languages: tuple[str, ...] = ()  # the night's: hints for subtitle encodings

    @property
    def key(self) -> Path:
        # One spelling per file ('night/../media/a.mp4' is 'media/a.mp4'), as probe_many has it.
        return Path(os.path.abspath(self.path))


def _kind(path: Path) -> str:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "missing"
    except OSError:
        return "special"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "folder"
    return "special"


def looks_like_media(path: Path) -> bool:
    """True when `path`'s first bytes are a known audio/video container (or it has a media
    extension — a damaged file named like a film must still be checked). Cheap: one read."""
    if path.suffix.lower() in MEDIA_SUFFIXES:
        return True
    try:
        with path.open("rb") as handle:
            head = handle.read(400)
    except OSError:
        return False
    return sniff(head)


def sniff(head: bytes) -> bool:
    """Magic bytes of the containers ffmpeg and libvlc play."""
    if len(head) < 12:
        return False
    if head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip"):
        return True  # ISO BMFF / QuickTime
    if head.startswith(
        (
            b"\x1a\x45\xdf\xa3",  # Matroska / WebM
            b"\x00\x00\x01\xba",  # MPEG program stream
            b"\x00\x00\x01\xb3",  # MPEG-1/2 video elementary stream
            b"OggS",
            b"fLaC",
            b"ID3",
            b"FLV",
            b"\x30\x26\xb2\x75\x8e\x66\xcf\x11",  # ASF / WMV
            b"\x06\x0e\x2b\x34",  # MXF
            b"YUV4MPEG2",
        )
    ):
        return True
    if head.startswith(b"RIFF") and head[8:12] in (b"AVI ", b"WAVE"):
        return True
    if head.startswith(b"FORM") and head[8:12] in (b"AIFF", b"AIFC"):
        return True
    ts = len(head) >= 377 and head[0] == head[188] == head[376] == 0x47
    m2ts = len(head) >= 197 and head[4] == head[196] == 0x47
    return ts or m2ts


def _folder_entries(folder: Path) -> list[_Entry]:
    found: list[_Entry] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        base = Path(root)
        for name in dirs[:]:
            # A folder named like a film (a failed copy, a bundle) is worth a line.
            if Path(name).suffix.lower() in MEDIA_SUFFIXES:
                found.append(_Entry(base / name, name))
                dirs.remove(name)
        for name in sorted(files):
            path = base / name
            if not name.startswith(".") and _kind(path) == "file" and looks_like_media(path):
                found.append(_Entry(path, name))
    return found


def _playlist_entries(playlist: Playlist) -> list[_Entry]:
    return [
        _Entry(
            film.path,
            film.title.first(playlist.languages) or film.path.name,
            film,
            playlist.defaults.loudness_target,
            playlist.languages,
        )
        for film in playlist.films()
    ]


def check_targets(
    targets: Iterable[str | Path],
    *,
    venue: Venue | str | Path | None = None,
    deep: bool = False,
    jobs: int | None = None,
    use_cache: bool = True,
    progress: Progress | None = None,
    probe_timeout_s: float = prober.PROBE_TIMEOUT_S,
) -> CheckReport:
    """Check playlists, media files and folders. `venue` is a Venue, a built-in name or a
    profile path; when None, the first playlist's `defaults.venue` (else the default).

    Raises PlaylistError for a playlist that cannot be loaded, VenueError for a bad venue
    (the CLI turns both into exit status 2). `probe_timeout_s` bounds each ffprobe run: a file
    that hangs the prober longer is reported `unreadable`."""
    from player.core.playlist_io import load_playlist

    entries: list[_Entry] = []
    playlist_venue: Venue | None = None
    for target in targets:
        path = Path(os.path.abspath(target))
        if path.suffix.lower() in PLAYLIST_SUFFIXES and _kind(path) != "folder":
            playlist = load_playlist(path)
            if venue is None and playlist_venue is None and playlist.defaults.venue:
                playlist_venue = resolve_venue(playlist.defaults.venue, base=playlist.folder)
            entries += _playlist_entries(playlist)
        elif _kind(path) == "folder" and path.suffix.lower() not in MEDIA_SUFFIXES:
            entries += _folder_entries(path)
        else:
            entries.append(_Entry(path, path.name))
    chosen = venue if isinstance(venue, Venue) else playlist_venue or resolve_venue(venue)
    return _check_entries(entries, chosen, deep, jobs, use_cache, progress, probe_timeout_s)


def check_playlist(
    playlist: Playlist,
    *,
    venue: Venue | str | Path | None = None,
    deep: bool = False,
    jobs: int | None = None,
    use_cache: bool = True,
    progress: Progress | None = None,
    probe_timeout_s: float = prober.PROBE_TIMEOUT_S,
) -> CheckReport:
    """Check every film (and subtitle file) of a loaded playlist, one item per film in running
    order. `venue` None means the playlist's `defaults.venue`, else the default venue."""
    if not isinstance(venue, Venue):
        spec = venue if venue is not None else playlist.defaults.venue
        venue = resolve_venue(spec, base=playlist.folder)
    return _check_entries(
        _playlist_entries(playlist), venue, deep, jobs, use_cache, progress, probe_timeout_s
    )


def _check_entries(
    entries: list[_Entry],
    venue: Venue,
    deep: bool,
    jobs: int | None,
    use_cache: bool,
    progress: Progress | None,
    probe_timeout_s: float,
) -> CheckReport:
    kinds = {e.key: _kind(e.key) for e in entries}
    to_probe = list(dict.fromkeys(e.key for e in entries if kinds[e.key] == "file"))
    stages = 2 if deep else 1
    total = len(to_probe) * stages

    def stage(offset: int) -> Progress | None:
        if progress is None:
            return None
        return lambda done, _total, path: progress(offset + done, total, path)

    probes = prober.probe_many(
        to_probe, jobs=jobs, use_cache=use_cache, progress=stage(0), timeout_s=probe_timeout_s
    )
    deeps: dict[Path, DeepResult | prober.ProbeError] = {}
    if deep:
        readable = {p: r for p, r in probes.items() if isinstance(r, MediaInfo)}
        deep_progress = stage(len(to_probe))
        # Unreadable files still count towards the bar.
        skipped = len(to_probe) - len(readable)
        if deep_progress and skipped:
            deep_progress(skipped, total, to_probe[-1])
        deeps = prober.deep_many(
            readable,
            jobs=jobs,
            use_cache=use_cache,
            progress=(lambda d, t, p: deep_progress(skipped + d, t, p)) if deep_progress else None,
        )
    items = [_judge(e, kinds[e.key], probes, deeps, venue) for e in entries]
    return CheckReport(venue=venue, items=items, deep=deep)


def _judge(
    entry: _Entry,
    kind: str,
    probes: dict[Path, MediaInfo | prober.ProbeError],
    deeps: dict[Path, DeepResult | prober.ProbeError],
    venue: Venue,
) -> CheckItem:
    problems = check.check_path_kind(entry.path, kind)
    info: MediaInfo | None = None
    loudness: Loudness | None = None
    if not problems:
        result = probes[entry.key]
        if isinstance(result, prober.ProbeError):
            problems += check.check_unreadable(result.message)
        else:
            info = result
            problems += check.check_media(info, venue)
            deep = deeps.get(entry.key)
            if isinstance(deep, prober.ProbeError):
                problems += check.check_deep_failed(deep.message, timed_out=deep.timed_out)
            elif deep is not None:
                problems += check.check_deep(
                    info,
                    deep,
                    venue,
                    loudness_target=entry.loudness_target,
                    gain_db=entry.film.gain_db if entry.film else 0.0,
                )
                loudness = deep.loudness
    subtitles = None
    if entry.film is not None:
        problems += check.check_film(entry.film, info)
        found, subtitles = _check_subtitles(entry.film, info, entry.languages)
        problems += found
    return CheckItem(
        path=entry.path,
        title=entry.title,
        status=status_of(problems),
        problems=problems,
        media=info,
        loudness=loudness,
        film=entry.film,
        subtitles=subtitles,
    )


def _check_subtitles(
    film: Film, info: MediaInfo | None, languages: tuple[str, ...]
) -> tuple[list[CheckProblem], SubtitleSummary | None]:
    """The film's subtitle file (its encoding, cues, what a subtitler would fix) and its
    chosen tracks. `languages` (the night's, then the film's) are the encoding hints."""
    problems = check.check_tracks(film, info)
    path = film.subtitles
    if path is None:
        return problems, None
    kind = _kind(path)
    if kind == "missing":
        return problems + check.check_subtitles(path, None, None, exists=False), None
    hints = (*languages, film.language) if film.language else languages
    subs, findings = subtitles.check_file(path, info.duration_ms if info else None, hints)
    problems += [check.problem(f.rule.value, f.message) for f in findings]
    summary = SubtitleSummary(
        path=path,
        format=subs.format.value if subs else None,
        encoding=subs.detected.describe() if subs else None,
        cues=len(subs.cues) if subs else None,
    )
    return problems, summary
