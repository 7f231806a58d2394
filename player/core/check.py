"""What is wrong with a media file for this venue and this night, in a technician's words.

Pure: takes what the prober found (`MediaInfo`, or the reason it could not read the file), the
deep pass (`DeepResult`), the venue profile and the playlist's film entry, and returns problems
with stable codes and severities. No ffmpeg, no files read except subtitle bytes handed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from player.core import subtitles
from player.core.media_info import DeepResult, MediaInfo
from player.core.model import MAX_BOOST_DB, Film, Severity, matched_loudness
from player.core.model import format_duration as clock
from player.core.venue import Venue

ERROR, WARNING = Severity.ERROR, Severity.WARNING

# Every code this module can give, with its severity (the table, then our additions).
CODES: dict[str, Severity] = {
    "missing-file": ERROR,
    "not-a-file": ERROR,
    "unreadable": ERROR,
    "no-video": ERROR,
    "truncated": ERROR,
    "no-audio": WARNING,
    "interlaced": WARNING,
    "variable-frame-rate": WARNING,
    "rotated": WARNING,
    "resolution-over-venue": ERROR,
    "codec-not-allowed": ERROR,
    "frame-rate-not-allowed": WARNING,
    "audio-channels-not-allowed": WARNING,
    "loudness-out-of-range": WARNING,
    "true-peak-over": WARNING,
    "runtime-mismatch": WARNING,
    "trim-out-of-range": ERROR,
    "subtitles-missing": ERROR,
    "subtitles-unreadable": WARNING,
    # Additions a technician wants to know before the doors open.
    "hdr-on-sdr-venue": WARNING,
    "mono-audio": WARNING,
    "no-duration": WARNING,
    "silent-audio": WARNING,
    "silence-at-head": WARNING,
    "black-at-head": WARNING,
    "read-too-slow": ERROR,
    "fade-out-too-long": WARNING,
    # What a subtitler checks (rules in player.core.subtitles), and the chosen tracks.
    "subtitles-encoding": WARNING,
    "subtitles-empty": ERROR,
    "subtitles-malformed": WARNING,
    "subtitles-past-end": WARNING,
    "subtitles-overlap": WARNING,
    "subtitles-reading-speed": WARNING,
    "subtitles-line-too-long": WARNING,
    "subtitle-track-missing": ERROR,
    "audio-track-missing": ERROR,
}

RUNTIME_TOLERANCE_MS = 5_000
# Reading may stop a little before the stated end (last frame durations, audio priming).
TRUNCATION_SLACK_MS = 1_000
SILENT_LUFS = -69.0  # ebur128 reports -70 LUFS (its floor) for digital silence
HEAD_SILENCE_MS = 5_000  # logos and quiet openings are shorter than this
HEAD_BLACK_MS = 8_000  # fades from black are shorter; a leader or a bad export is longer
FIELD_ORDERS = {
    "tt": "top field first",
    "bb": "bottom field first",
    "tb": "top field coded first, bottom shown first",
    "bt": "bottom field coded first, top shown first",
}


@dataclass(frozen=True)
class CheckProblem:
    """One finding: `code` from CODES, its severity, and a sentence for the technician."""

    code: str
    severity: Severity
    message: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "severity": self.severity.value, "message": self.message}

    def __str__(self) -> str:
        return f"{self.severity.value}: {self.message} [{self.code}]"


def problem(code: str, message: str) -> CheckProblem:
    return CheckProblem(code, CODES[code], message)


def status_of(problems: Iterable[CheckProblem]) -> str:
    """'ok', 'warning' or 'error': the worst severity among `problems`."""
    worst = "ok"
    for p in problems:
        if p.severity is ERROR:
            return "error"
        worst = "warning"
    return worst


def _fps_text(fps: float) -> str:
    return f"{fps:.3f}".rstrip("0").rstrip(".")


def _channels_text(channels: int, layout: str | None = None) -> str:
    name = {1: "mono", 2: "stereo", 6: "5.1", 8: "7.1"}.get(channels)
    if layout and layout not in ("mono", "stereo") and not layout.startswith(str(channels)):
        name = layout
    return f"{channels} channel{'s' if channels != 1 else ''}" + (f" ({name})" if name else "")


def _list(values: Iterable) -> str:
    return ", ".join(sorted(str(v) for v in values))


# ---------------------------------------------------------------------------------------------


def check_path_kind(path: Path, kind: str) -> list[CheckProblem]:
    """missing-file / not-a-file from what the file system said `path` is: 'missing', 'file',
    'folder' or 'special' (a device, socket or pipe)."""
    if kind == "missing":
        return [problem("missing-file", f"not found: {path}")]
    if kind == "folder":
        return [problem("not-a-file", f"{path.name} is a folder, not a media file")]
    if kind != "file":
        return [problem("not-a-file", f"{path.name} is not a regular file (device, pipe?)")]
    return []


def check_unreadable(reason: str) -> list[CheckProblem]:
    return [problem("unreadable", f"cannot be read as media: {reason}")]


def check_media(info: MediaInfo, venue: Venue) -> list[CheckProblem]:
    """Problems visible in the probe: streams, venue limits, picture and sound quirks."""
    out: list[CheckProblem] = []
    video = info.video
    if video is None or video.is_still:
        what = "a still picture" if video is not None else "no video stream"
        kind = "audio only" if info.audio and video is None else what
        out.append(problem("no-video", f"{kind} — nothing to project"))
    else:
        out += _check_video(info, venue)
    if not info.audio:
        if video is not None and not video.is_still:
            out.append(problem("no-audio", "no audio stream — the film will play silent"))
    else:
        out += _check_audio(info, venue)
    if info.duration_ms is None and video is not None and not video.is_still:
        out.append(
            problem("no-duration", "the file states no duration — progress and timing unknown")
        )
    return out


def _check_video(info: MediaInfo, venue: Venue) -> list[CheckProblem]:
    video = info.video
    assert video is not None
    out: list[CheckProblem] = []
    if video.interlaced:
        order = FIELD_ORDERS.get(video.field_order or "", "interlaced")
        out.append(
            problem(
                "interlaced",
                f"interlaced ({order}) — will show combing on a progressive projector; "
                "deinterlace it (e.g. ffmpeg -vf bwdif)",
            )
        )
    if video.variable_frame_rate:
        out.append(
            problem(
                "variable-frame-rate",
                "variable frame rate (phone or screen recording?) — motion may judder and sound "
                "drift; convert to a constant frame rate",
            )
        )
    if video.rotation:
        out.append(
            problem(
                "rotated",
                f"carries {video.rotation}° display rotation — some players ignore it and show "
                "the picture on its side; bake the rotation into the picture",
            )
        )
    too_wide = venue.max_width is not None and video.width > venue.max_width
    too_high = venue.max_height is not None and video.height > venue.max_height
    if too_wide or too_high:
        out.append(
            problem(
                "resolution-over-venue",
                f"{video.width}x{video.height} is larger than {venue.name}'s maximum of "
                f"{venue.max_width}x{venue.max_height} — scale it down",
            )
        )
    if not venue.allows_video_codec(video.codec):
        label = video.codec + (f" ({video.profile})" if video.profile else "")
        out.append(
            problem(
                "codec-not-allowed",
                f"video codec {label} is not one {venue.name} takes "
                f"({_list(venue.video_codecs or ())})",
            )
        )
    if video.fps is not None and not venue.allows_fps(video.fps):
        rates = ", ".join(_fps_text(r) for r in venue.frame_rates or ())
        out.append(
            problem(
                "frame-rate-not-allowed",
                f"{_fps_text(video.fps)} fps is not a rate {venue.name} takes ({rates}) — "
                "expect dropped or repeated frames",
            )
        )
    if video.hdr and not venue.hdr:
        kind = {"pq": "HDR10/PQ", "hlg": "HLG"}.get(video.hdr, video.hdr)
        out.append(
            problem(
                "hdr-on-sdr-venue",
                f"{kind} HDR picture on an SDR projector — will look washed out; use an SDR "
                "(tone-mapped) version",
            )
        )
    return out


def _check_audio(info: MediaInfo, venue: Venue) -> list[CheckProblem]:
    out: list[CheckProblem] = []
    main = info.audio[0]
    bad_codecs = sorted({a.codec for a in info.audio if not venue.allows_audio_codec(a.codec)})
    if bad_codecs:
        out.append(
            problem(
                "codec-not-allowed",
                f"audio codec {', '.join(bad_codecs)} is not one {venue.name} takes "
                f"({_list(venue.audio_codecs or ())})",
            )
        )
    if not venue.allows_channels(main.channels):
        out.append(
            problem(
                "audio-channels-not-allowed",
                f"{_channels_text(main.channels, main.channel_layout)} — {venue.name} takes "
                f"{_list(venue.audio_channels or ())} channels",
            )
        )
    elif main.channels == 1:
        out.append(
            problem(
                "mono-audio",
                "mono sound — it will come from one speaker unless the desk routes it to both",
            )
        )
    return out


def check_deep(
    info: MediaInfo,
    deep: DeepResult,
    venue: Venue,
    *,
    loudness_target: float | None = None,
    gain_db: float = 0.0,
) -> list[CheckProblem]:
    """Problems found by reading every packet and measuring loudness (`--deep`).
    `loudness_target` is the playlist's `defaults.loudness_target` (None: not set, or no
    playlist) and `gain_db` the film's trim: a loudness warning says what the show will do."""
    out: list[CheckProblem] = []
    duration = info.duration_ms
    short = (
        deep.read_ms is not None
        and duration is not None
        and deep.read_ms < duration - max(TRUNCATION_SLACK_MS, duration // 50)
    )
    if deep.errors or short:
        if short and deep.read_ms is not None and duration is not None:
            where = f"the data ends at {clock(deep.read_ms)} of {clock(duration)}"
        else:
            where = "the data breaks"
        telling = [
            e for e in deep.errors if re.search(r"partial file|end of file|truncat", e, re.I)
        ]
        first = (telling or list(deep.errors) or [None])[0]
        detail = f" ({first.rstrip('.')})" if first else ""
        out.append(
            problem("truncated", f"{where}{detail} — playback will stop or glitch; re-copy it")
        )
    black = deep.head_black_ms or 0
    if black >= HEAD_BLACK_MS:
        out.append(
            problem(
                "black-at-head",
                f"the picture is black for the first {clock(black)} or so — a leader to skip "
                f"with 'in: {clock(black)}', or the wrong file?",
            )
        )
    loud = deep.loudness
    if loud is not None and info.audio:
        if loud.integrated_lufs is None or loud.integrated_lufs <= SILENT_LUFS:
            out.append(
                problem(
                    "silent-audio",
                    "the sound track is silent — wrong audio track, or a mute export?",
                )
            )
        else:
            head = deep.head_silence_ms or 0
            if head >= HEAD_SILENCE_MS:
                out.append(
                    problem(
                        "silence-at-head",
                        f"no sound for the first {clock(head)} — check the sound is routed "
                        "and the right audio track is in the file",
                    )
                )
            offset = loud.integrated_lufs - venue.loudness_target_lufs
            if abs(offset) > venue.loudness_tolerance_lu:
                direction = "above" if offset > 0 else "below"
                out.append(
                    problem(
                        "loudness-out-of-range",
                        f"integrated loudness {loud.integrated_lufs:.1f} LUFS, "
                        f"{abs(offset):.1f} LU {direction} the {venue.loudness_target_lufs:g} "
                        f"LUFS target (±{venue.loudness_tolerance_lu:g}) — "
                        + _loudness_remedy(loud.integrated_lufs, loudness_target, gain_db, venue),
                    )
                )
        if loud.true_peak_dbtp is not None and loud.true_peak_dbtp > venue.true_peak_max_dbtp:
            out.append(
                problem(
                    "true-peak-over",
                    f"true peak {loud.true_peak_dbtp:+.1f} dBTP is over the "
                    f"{venue.true_peak_max_dbtp:g} dBTP maximum — may clip on the system",
                )
            )
    return out


def _loudness_remedy(lufs: float, target: float | None, gain_db: float, venue: Venue) -> str:
    """What the show does about a film's loudness (see `matched_loudness`), or how to make it."""
    if target is None:
        return (
            f"set the playlist's defaults.loudness_target (e.g. {venue.loudness_target_lufs:g}) "
            "and the show corrects it"
        )
    played = round(matched_loudness(lufs, target, gain_db), 1)
    setting = f"loudness_target {target:g}, gain_db {gain_db:+g}" if gain_db else "loudness_target"
    if played < round(target + gain_db, 1):
        return (
            f"the show raises it by at most {MAX_BOOST_DB:g} dB, to {played:g} LUFS ({setting}): "
            "raise it on the sound desk"
        )
    text = f"the show brings it to {played:g} LUFS ({setting})"
    if abs(played - venue.loudness_target_lufs) > venue.loudness_tolerance_lu:
        text += f", still outside this venue's range ({venue.loudness_target_lufs:g} LUFS)"
    return text


def check_deep_failed(reason: str, *, timed_out: bool) -> list[CheckProblem]:
    """The deep pass could not finish: too slow (the file cannot be read in real time from
    where it is: it will stutter), or ffmpeg could not read it at all."""
    if timed_out:
        return [
            problem(
                "read-too-slow",
                f"{reason} — reading is slower than playing: copy it to a local disk",
            )
        ]
    return [problem("unreadable", f"the deep check could not read it: {reason}")]


def check_film(film: Film, info: MediaInfo | None) -> list[CheckProblem]:
    """The playlist's declared runtime, in/out and fade_out against the real media."""
    if info is None or info.duration_ms is None:
        return []
    duration = info.duration_ms
    out: list[CheckProblem] = []
    if film.runtime_ms is not None and abs(film.runtime_ms - duration) > RUNTIME_TOLERANCE_MS:
        diff = duration - film.runtime_ms
        out.append(
            problem(
                "runtime-mismatch",
                f"the playlist says it runs {clock(film.runtime_ms)} but the media runs "
                f"{clock(duration)} ({clock(abs(diff))} {'longer' if diff > 0 else 'shorter'}) "
                "— the schedule will be off",
            )
        )
    if film.in_ms and film.in_ms >= duration:
        out.append(
            problem(
                "trim-out-of-range",
                f"'in' {clock(film.in_ms)} is at or past the end of the media ({clock(duration)})",
            )
        )
    if film.out_ms is not None and film.out_ms > duration:
        out.append(
            problem(
                "trim-out-of-range",
                f"'out' {clock(film.out_ms)} is past the end of the media ({clock(duration)})",
            )
        )
    played = film.played_ms(duration)
    if film.fade_out_ms and played and film.fade_out_ms > played:
        # (played == 0: 'in' is past the end, said above.) The playlist's own check knows only
        # the declared runtime; the media may be shorter, or 'out' past its end.
        fade, length = clock(film.fade_out_ms, fraction=True), clock(played, fraction=True)
        out.append(
            problem(
                "fade-out-too-long",
                f"'fade_out' {fade} is longer than the {length} {film.path.name} plays — "
                f"the fade cannot start before the film does; shorten 'fade_out' to {length} "
                "at most",
            )
        )
    return out


# ---------------------------------------------------------------------------------------------
# Subtitles (the rules are player.core.subtitles')


def check_subtitles(
    path: Path,
    data: bytes | None,
    duration_ms: int | None,
    *,
    exists: bool = True,
    languages: Iterable[str] = (),
) -> list[CheckProblem]:
    """The subtitle file named in the playlist: `data` is its bytes (None when unreadable),
    `languages` the hints for its encoding (the night's languages)."""
    if not exists:
        return [problem("subtitles-missing", f"subtitle file not found: {path}")]
    if data is None:
        return [problem("subtitles-unreadable", f"subtitle file {path.name} cannot be read")]
    _subs, findings = subtitles.check_file(path, duration_ms, languages, data=data)
    return [problem(f.rule.value, f.message) for f in findings]


def check_tracks(film: Film, info: MediaInfo | None) -> list[CheckProblem]:
    """The film's `subtitle_track` and `audio_track` against the streams in its file."""
    if info is None:
        return []
    out = []
    for key, wanted, streams, what in (
        ("subtitle-track-missing", film.subtitle_track, info.subtitles, "subtitle"),
        ("audio-track-missing", film.audio_track, info.audio, "audio"),
    ):
        if (
            wanted is None
            or subtitles.pick_track(wanted, [s.language for s in streams]) is not None
        ):
            continue
        found = ", ".join(
            f"{n} ({s.language})" if s.language else str(n) for n, s in enumerate(streams, 1)
        )
        has = f"its {what} tracks are {found}" if streams else f"it has no {what} track"
        out.append(
            problem(
                key,
                f"{what}_track {wanted!r}: {film.path.name} has no such {what} track — {has}",
            )
        )
    return out
