"""Show copies: what the room's check finds, fixed with ffmpeg the night before.

`prepare_night` checks every film of a playlist for a venue (the deep check: packets read,
loudness measured), decides per film what a show copy must change (`DECISIONS`, by the check's
finding codes, plus the fold-down a room with fewer speakers needs), makes the copies in
parallel, deep-checks each one, and writes `FOLDER/<playlist name>.yaml` pointing at them, every
comment, field and trim kept (the round-trip document of `playlist_doc`). A film that needs
nothing is referenced where it is (or copied, verified, with `copy_all`).

What a copy is:
- picture (when it must change at all): H.264 High 8-bit 4:2:0 at a bitrate for its size
  (`BITS_PER_PIXEL`), scaled down into the room (aspect kept, square pixels), deinterlaced
  (bwdif), at a constant standard rate, HDR tone-mapped to SDR, rotation applied;
- sound (when it must change): every audio stream in the room's speaker layout (ITU-R BS.775
  fold-down) at 48 kHz, AAC (24-bit PCM where the room takes no AAC), two-pass loudnorm to the
  night's target under the venue's true-peak ceiling;
- subtitles: converted to UTF-8 when they are not (`player.core.subtitles` finds the encoding);
- trims stay trims: the whole film is copied, the playlist keeps `in`/`out`.

Resumable: each copy is written to `.NAME.part` and renamed only once it has passed the room's
check; what was made is recorded in `STATE_NAME` (source size and mtime, recipe), so a second
run finds every copy made and does nothing, and a run killed mid-copy leaves no half file under
a copy's name (ffmpeg dies with it: see `player.media.transcode`).

Blocking. Progress reaches a `PrepareProgress` in the calling thread.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import json
import math
import os
import queue
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

from player.core import subtitles
from player.core.atomic import atomic_write
from player.core.check import CheckProblem, Severity
from player.core.media_info import MediaInfo
from player.core.model import Playlist
from player.core.paths import safe_file_name
from player.core.venue import Venue
from player.media import probe, transcode
from player.media.probe import ProbeError
from player.media.transcode import (
    AudioRecipe,
    AudioStreamRecipe,
    CopyRecipe,
    FfmpegProgress,
    Runner,
    TranscodeError,
    VideoRecipe,
)
from player.organiser import check_run
from player.organiser.check_run import CheckItem
from player.organiser.export import SCHEMA_LINE, copy_verified

STATE_NAME = ".screening-night-prepare.json"
STATE_VERSION = 1
# H.264 bits per pixel per frame for a show copy: 0.15 is 7.8 Mb/s at 1080p25, 31 Mb/s at
# 2160p24 — well above where blocks show on a big screen, well below what players choke on.
BITS_PER_PIXEL = 0.15
MIN_VIDEO_BITRATE = 1_000_000
STANDARD_RATES = (
    Fraction(24000, 1001),
    Fraction(24),
    Fraction(25),
    Fraction(30000, 1001),
    Fraction(30),
    Fraction(48),
    Fraction(50),
    Fraction(60000, 1001),
    Fraction(60),
)
ROOM_SAMPLE_RATE = 48_000
LOUDNESS_TOLERANCE_LU = 1.0  # how close to the target a normalised copy must measure


class Fix(enum.Enum):
    """One thing a show copy changes."""

    SCALE = "scaled down to the room's size"
    DEINTERLACE = "deinterlaced (bwdif)"
    CONSTANT_RATE = "made a constant frame rate"
    ROOM_RATE = "converted to a frame rate the room takes"
    ROTATE = "rotation applied to the picture"
    TONE_MAP = "HDR tone-mapped to SDR"
    PLAYABLE_CODEC = "re-encoded to H.264 High 8-bit"
    CODEC = "re-encoded to a codec the room takes"
    SOUND_LAYOUT = "sound sent in the room's speaker layout"
    LOUDNESS = "loudness normalised (two-pass)"
    FRESH_COPY = "copied onto this disk (streams as they are)"
    SUBTITLES_UTF8 = "subtitles converted to UTF-8"


# What prepare does about each finding of the check, by code. Codes of the check's picture
# rework (upscaled, starved-bitrate, hdr-on-sdr, decode-*) are here ahead of it.
DECISIONS: dict[str, tuple[Fix, ...]] = {
    "resolution-over-venue": (Fix.SCALE,),
    "interlaced": (Fix.DEINTERLACE,),
    "variable-frame-rate": (Fix.CONSTANT_RATE,),
    "frame-rate-not-allowed": (Fix.ROOM_RATE,),
    "rotated": (Fix.ROTATE,),
    "hdr-on-sdr-venue": (Fix.TONE_MAP,),
    "hdr-on-sdr": (Fix.TONE_MAP,),
    "decode-too-slow": (Fix.PLAYABLE_CODEC,),
    "decode-slow": (Fix.PLAYABLE_CODEC,),
    "codec-not-allowed": (Fix.CODEC,),
    "audio-channels-not-allowed": (Fix.SOUND_LAYOUT,),
    "mono-audio": (Fix.SOUND_LAYOUT,),
    "loudness-out-of-range": (Fix.LOUDNESS,),
    "true-peak-over": (Fix.LOUDNESS,),
    "read-too-slow": (Fix.FRESH_COPY,),
    "no-duration": (Fix.FRESH_COPY,),
    "subtitles-unreadable": (Fix.SUBTITLES_UTF8,),
    "subtitles-encoding": (Fix.SUBTITLES_UTF8,),
}
# What a copy cannot fix, and what to do instead.
CANNOT_FIX: dict[str, str] = {
    "missing-file": "put the file where the playlist says",
    "not-a-file": "put the film itself where the playlist says",
    "unreadable": "get a good copy of the film",
    "no-video": "get the film itself",
    "truncated": "copy it again from its source",
    "no-audio": "get a version with sound, or play it silent",
    "upscaled": "a copy cannot add detail: get a larger master",
    "starved-bitrate": "re-encoding cannot bring back what compression took: get a better master",
    "runtime-mismatch": "correct 'runtime' in the playlist",
    "trim-out-of-range": "correct 'in'/'out' in the playlist",
    "fade-out-too-long": "shorten 'fade_out' in the playlist",
    "subtitles-missing": "put the subtitle file where the playlist says",
    "silent-audio": "get a version whose sound track is not silent",
    "silence-at-head": "trim the silence with 'in', or check the sound routing",
    "black-at-head": "trim the leader with 'in'",
    "subtitles-empty": "get the subtitle file itself",
    "subtitles-malformed": "mend the file in a subtitle editor",
    "subtitles-past-end": "the subtitler's to mend: cues after the film's end",
    "subtitles-overlap": "the subtitler's to mend: overlapping cues",
    "subtitles-reading-speed": "the subtitler's to mend: cues too fast to read",
    "subtitles-line-too-long": "the subtitler's to mend: lines too long for two lines",
    "subtitle-track-missing": "choose a subtitle track the file has ('subtitle_track')",
    "audio-track-missing": "choose a sound track the file has ('audio_track')",
}
PICTURE_FIXES = frozenset(
    {
        Fix.SCALE,
        Fix.DEINTERLACE,
        Fix.CONSTANT_RATE,
        Fix.ROOM_RATE,
        Fix.ROTATE,
        Fix.TONE_MAP,
        Fix.PLAYABLE_CODEC,
    }
)
SOUND_FIXES = frozenset({Fix.SOUND_LAYOUT, Fix.LOUDNESS})


class Outcome(enum.Enum):
    """What became of one film."""

    MADE = "made"  # a show copy made now, and it passed the room's check
    KEPT = "kept"  # a show copy made by an earlier run, unchanged
    COPIED = "copied"  # needed nothing; copied as it is (--all)
    AS_IS = "as-is"  # needed nothing; the playlist points at the original
    FAILED = "failed"  # the copy could not be made or did not pass: the original is kept
    CANNOT = "cannot"  # what is wrong is nothing a copy fixes: the original is kept


@dataclass(frozen=True)
class Reason:
    """Why a copy changes something: the check's finding (code and message) and the fix."""

    code: str
    message: str
    fix: Fix


@dataclass
class FilmPlan:
    """What prepare will do about one source file (a file the night plays twice is made
    once). `recipe` None: no show copy (needs none, or nothing a copy would fix)."""

    source: Path
    title: str
    item: CheckItem
    reasons: list[Reason] = field(default_factory=list)
    unfixable: list[tuple[CheckProblem, str]] = field(default_factory=list)
    recipe: CopyRecipe | None = None
    copy_name: str | None = None
    loudness: tuple[float, float] | None = None  # (target LUFS, ceiling dBTP) when normalised

    @property
    def blocked(self) -> bool:
        """An error no copy fixes: making one would not give a film that passes."""
        return any(p.severity is Severity.ERROR for p, _ in self.unfixable)


@dataclass
class FilmResult:
    source: Path
    title: str
    outcome: Outcome
    copy: Path | None = None
    reasons: list[Reason] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # why it failed, what is left as it is


@dataclass
class PrepareReport:
    folder: Path
    playlist: Path | None  # the playlist written (None: interrupted before)
    results: list[FilmResult]
    subtitles: list[tuple[Path, Path, str]] = field(default_factory=list)  # (from, to, enc)
    playlist_written: bool = False  # False: it was already as it should be

    @property
    def ok(self) -> bool:
        return all(r.outcome not in (Outcome.FAILED, Outcome.CANNOT) for r in self.results)


class PrepareProgress(Protocol):
    """What a run tells as it goes, always in the thread that called `prepare_night`."""

    def checking(self, done: int, total: int, path: Path) -> None:
        """The check of the originals: `done` of `total` passes (probe, then deep) over."""

    def copies_planned(self, durations: dict[Path, int]) -> None:
        """The copies this run will make, by source, with each one's running time (ms)."""

    def film_started(
        self, source: Path, title: str, duration_ms: int, phases: tuple[str, ...]
    ) -> None:
        """A copy is begun: `phases` are the passes it takes, of 'loudness' (the first loudnorm
        pass), 'encode' and 'check' (the room's deep check of the copy)."""

    def film_progress(self, source: Path, phase: str, done_ms: int, speed: float | None) -> None:
        """`done_ms`: media time `phase` has got to; `speed`: ffmpeg's, times real time."""

    def film_finished(self, result: FilmResult) -> None: ...


class PrepareError(Exception):
    """The run cannot start (the output folder cannot be written, ffmpeg is missing)."""


# ------------------------------------------------------------------------------- deciding


def plan_film(item: CheckItem, venue: Venue, playlist: Playlist, *, jobs: int = 1) -> FilmPlan:
    """Decide what a show copy of the film `item` (a check result with its film) changes.
    Pure: reads the check's findings and the probe."""
    film = item.film
    assert film is not None
    plan = FilmPlan(source=Path(os.path.abspath(film.path)), title=item.title, item=item)
    info = item.media
    for problem in item.problems:
        fixes = DECISIONS.get(problem.code)
        if fixes is None:
            why = CANNOT_FIX.get(problem.code, "nothing a show copy changes")
            plan.unfixable.append((problem, why))
            continue
        plan.reasons += [Reason(problem.code, problem.message, fix) for fix in fixes]
    if info is not None and info.audio and info.audio[0].channels > venue.speakers.channels:
        main = info.audio[0]
        plan.reasons.append(
            Reason(
                "fold-down",
                f"{main.channel_layout or main.channels} sound in a {venue.speakers.value} room: "
                "folded down (ITU-R BS.775)",
                Fix.SOUND_LAYOUT,
            )
        )
    fixes = {r.fix for r in plan.reasons} - {Fix.SUBTITLES_UTF8}
    if plan.blocked or info is None or not fixes:
        return plan
    target = playlist.defaults.loudness_target
    if target is None:
        target = venue.loudness_target_lufs
    plan.recipe, plan.loudness = _recipe(info, fixes, venue, target, jobs)
    return plan


def _recipe(
    info: MediaInfo, fixes: set[Fix], venue: Venue, target: float, jobs: int
) -> tuple[CopyRecipe, tuple[float, float] | None]:
    video = info.video
    if Fix.CODEC in fixes:
        fixes.discard(Fix.CODEC)
        if video is not None and not venue.allows_video_codec(video.codec):
            fixes.add(Fix.PLAYABLE_CODEC)
        if any(not venue.allows_audio_codec(a.codec) for a in info.audio):
            fixes.add(Fix.SOUND_LAYOUT)
    video_recipe = None
    if video is not None and not video.is_still and fixes & PICTURE_FIXES:
        size = _fit(video.display_size, venue) if Fix.SCALE in fixes else None
        if size is None and video.sar not in (None, "1:1", "0:1"):
            size = _even(video.display_size)  # square pixels out, whatever the reason
        fps = None
        if fixes & {Fix.CONSTANT_RATE, Fix.ROOM_RATE} and video.fps:
            allowed = STANDARD_RATES
            if venue.frame_rates:
                allowed = tuple(Fraction(r).limit_denominator(1001) for r in venue.frame_rates)
            fps = min(allowed, key=lambda r: abs(float(r) - video.fps))
        width, height = size or video.display_size
        rate = float(fps or video.fps or 25)
        bitrate = max(MIN_VIDEO_BITRATE, round(BITS_PER_PIXEL * width * height * rate))
        video_recipe = VideoRecipe(
            bitrate=bitrate,
            size=size,
            fps=fps,
            deinterlace=Fix.DEINTERLACE in fixes or video.interlaced,
            tone_map=Fix.TONE_MAP in fixes or (video.hdr is not None and not venue.hdr),
            threads=0 if jobs <= 1 else max(1, (os.cpu_count() or 1) // jobs),
        )
    audio_recipe = None
    loudness = None
    if info.audio and fixes & SOUND_FIXES:
        pcm = venue.audio_codecs is not None and not venue.allows_audio_codec("aac")
        audio_recipe = AudioRecipe(
            speakers=venue.speakers.ffmpeg_layout,
            streams=tuple(AudioStreamRecipe(a.channels, a.channel_layout) for a in info.audio),
            sample_rate=ROOM_SAMPLE_RATE,
            pcm=pcm,
        )
        loudness = (target, venue.true_peak_max_dbtp)
    mp4 = (
        not info.subtitles
        and (video_recipe is not None or (video is not None and video.codec == "h264"))
        and (
            (audio_recipe is not None and not audio_recipe.pcm)
            or all(a.codec == "aac" for a in info.audio)
        )
    )
    return (
        CopyRecipe(
            source=Path("."),  # filled in when the names are known
            dest=Path("."),
            container="mp4" if mp4 else "matroska",
            video=video_recipe,
            audio=audio_recipe,
            duration_ms=info.duration_ms,
            subtitle_streams=bool(info.subtitles),
        ),
        loudness,
    )


def _even(size: tuple[int, int]) -> tuple[int, int]:
    return max(2, size[0] // 2 * 2), max(2, size[1] // 2 * 2)


def _fit(display: tuple[int, int], venue: Venue) -> tuple[int, int] | None:
    """The largest even size within the room's maximum with the picture's shape."""
    width, height = display
    scale = min(
        (venue.max_width or width) / width,
        (venue.max_height or height) / height,
        1.0,
    )
    if scale >= 1.0:
        return None
    return _even((math.floor(width * scale), math.floor(height * scale)))


# ------------------------------------------------------------------------------- running


@dataclass
class _State:
    """What earlier runs made, by copy name (the JSON file STATE_NAME in the folder)."""

    path: Path
    copies: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, folder: Path) -> _State:
        path = folder / STATE_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls(path)
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            return cls(path)
        copies = data.get("copies")
        return cls(path, copies if isinstance(copies, dict) else {})

    def save(self) -> None:
        text = json.dumps({"version": STATE_VERSION, "copies": self.copies}, indent=1)
        atomic_write(self.path, text)

    def record(self, name: str, source: Path, fingerprint: str, copy: Path) -> None:
        self.copies[name] = _entry(source, fingerprint, copy)

    def made(self, name: str, source: Path, fingerprint: str, copy: Path) -> bool:
        """True when `copy` is what an earlier run made from `source`, as it is now."""
        try:
            return self.copies.get(name) == _entry(source, fingerprint, copy)
        except OSError:
            return False


def _entry(source: Path, fingerprint: str, copy: Path) -> dict[str, Any]:
    src, dst = source.stat(), copy.stat()
    return {
        "source": str(source),
        "source_size": src.st_size,
        "source_mtime_ns": src.st_mtime_ns,
        "recipe": fingerprint,
        "size": dst.st_size,
        "mtime_ns": dst.st_mtime_ns,
    }


def _fingerprint(plan: FilmPlan) -> str:
    """What the copy depends on: the ffmpeg arguments (before the loudness is measured) and
    the loudness aim. A change of venue, night target or recipe makes it again; --jobs does
    not."""
    assert plan.recipe is not None
    recipe = replace(plan.recipe, dest=Path(plan.copy_name or ""))
    if recipe.video is not None:  # how many threads x264 gets changes nothing in the copy
        recipe = replace(recipe, video=replace(recipe.video, threads=0))
    args = recipe.arguments()
    text = json.dumps({"args": args, "loudness": plan.loudness, "v": STATE_VERSION})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _free_name(name: str, taken: set[str]) -> str:
    stem, suffix = os.path.splitext(name)
    candidate, n = name, 2
    while candidate.lower() in taken:
        candidate, n = f"{stem} ({n}){suffix}", n + 1
    taken.add(candidate.lower())
    return candidate


def default_jobs() -> int:
    """Films made at once when --jobs is not given: two wherever there are two cores. One x264
    encode already spreads over every core, but a film's other passes do not (loudnorm's
    first pass, deinterlacing, the copy's check): on 2 cores, two jobs (x264 on one thread
    each) took 0.91x the time of the same commands run by hand in sequence, one job 1.13x
    (bench/prepare.py)."""
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def prepare_night(
    playlist: Playlist,
    venue: Venue,
    folder: Path,
    *,
    copy_all: bool = False,
    jobs: int | None = None,
    progress: PrepareProgress | None = None,
    use_cache: bool = True,
) -> PrepareReport:
    """Make the show copies of `playlist` for `venue` in `folder` and write the playlist that
    uses them. `jobs`: films made at once (default `default_jobs()`). Raises PrepareError when
    it cannot start; KeyboardInterrupt goes through once every ffmpeg is stopped and no half
    copy is left (finished copies are kept, no playlist is written)."""
    jobs = jobs or default_jobs()
    folder = Path(folder).absolute()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe_write = folder / f".{STATE_NAME}.probe"
        probe_write.write_bytes(b"")
        probe_write.unlink()
    except OSError as exc:
        raise PrepareError(f"cannot write into {folder}: {exc.strerror or exc}") from None
    try:
        transcode.ensure_ffmpeg()
    except TranscodeError as exc:
        raise PrepareError(exc.message) from None

    checked = check_run.check_playlist(
        playlist,
        venue=venue,
        deep=True,
        jobs=jobs,
        use_cache=use_cache,
        progress=progress.checking if progress else None,
    )
    plans: dict[Path, FilmPlan] = {}
    for item in checked.items:
        key = Path(os.path.abspath(item.path))
        if key not in plans:
            plans[key] = plan_film(item, venue, playlist, jobs=jobs)
    taken = {STATE_NAME.lower(), playlist.path.name.lower() if playlist.path else ""}
    for plan in plans.values():
        _name_copy(plan, folder, copy_all, taken)
    job = _Job(playlist, venue, folder, Runner(), queue.Queue())
    job.subtitles, subtitle_notes, converted = _convert_subtitles(playlist, folder, copy_all, taken)

    state = _State.load(folder)
    results: dict[Path, FilmResult] = {}
    work: list[FilmPlan] = []
    for key, plan in plans.items():
        if plan.recipe is None:
            results[key] = _no_copy(plan, folder, copy_all)
            if results[key].outcome is Outcome.COPIED:
                _copy_as_is(results[key], state)
        elif state.made(plan.copy_name, plan.source, _fingerprint(plan), folder / plan.copy_name):
            results[key] = FilmResult(
                plan.source, plan.title, Outcome.KEPT, folder / plan.copy_name, plan.reasons
            )
        else:
            work.append(plan)
        if key in results and progress:
            progress.film_finished(results[key])

    if progress:
        progress.copies_planned({p.source: p.recipe.duration_ms or 0 for p in work})
    pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="prepare")
    try:
        for plan in work:
            pool.submit(_make_copy, plan, job)
        finished = 0
        while finished < len(work):
            kind, payload = job.events.get()
            if kind == "done":
                finished += 1
                plan, result = payload
                if result.outcome is Outcome.MADE:
                    state.record(plan.copy_name, plan.source, _fingerprint(plan), result.copy)
                    state.save()
                results[plan.source] = result
                if progress:
                    progress.film_finished(result)
            elif kind == "error":
                raise payload
            elif progress:
                payload(progress)
    except BaseException:
        job.runner.cancel()
        probe.kill(job.probes)  # the checks of copies under way
        pool.shutdown(wait=True, cancel_futures=True)
        for plan in work:
            with contextlib.suppress(OSError):
                plan.recipe.dest.unlink()
        raise
    pool.shutdown(wait=True)

    for source, note in subtitle_notes:
        if source in results:
            results[source].notes.append(note)
    out = PrepareReport(folder, None, [results[key] for key in plans], converted)
    out.playlist, out.playlist_written = _write_playlist(playlist, folder, results, job.subtitles)
    return out


@dataclass
class _Job:
    """What every copy of one run shares; `events` carries the workers' news to the caller's
    thread: ('progress', a call to make on the PrepareProgress), ('done', (plan, result)) or
    ('error', exception)."""

    playlist: Playlist
    venue: Venue
    folder: Path
    runner: Runner
    events: queue.Queue[tuple[str, Any]]
    subtitles: dict[Path, Path] = field(default_factory=dict)  # original -> UTF-8 version
    probes: set = field(default_factory=set)  # ffprobe/ffmpeg of the copies' checks, running


def _name_copy(plan: FilmPlan, folder: Path, copy_all: bool, taken: set[str]) -> None:
    """The copy's name in the folder: the original's, with the container's extension, made
    unique in film order (so a second run finds the same names)."""
    if plan.recipe is None and not copy_all:
        return
    base = safe_file_name(plan.source.stem, "film", strict=False, limit=None)
    if plan.recipe is None:
        plan.copy_name = _free_name(base + plan.source.suffix, taken)
        return
    suffix = {"mp4": ".mp4", "matroska": ".mkv"}[plan.recipe.container]
    plan.copy_name = _free_name(base + suffix, taken)
    plan.recipe = replace(plan.recipe, source=plan.source, dest=folder / f".{plan.copy_name}.part")


def _no_copy(plan: FilmPlan, folder: Path, copy_all: bool) -> FilmResult:
    if plan.blocked or (plan.reasons and plan.item.media is None):
        notes = [f"[{p.code}] {p.message} — {why}" for p, why in plan.unfixable]
        return FilmResult(plan.source, plan.title, Outcome.CANNOT, None, plan.reasons, notes)
    notes = [f"left as it is: [{p.code}] {p.message} — {why}" for p, why in plan.unfixable]
    if copy_all and plan.copy_name:
        return FilmResult(
            plan.source, plan.title, Outcome.COPIED, folder / plan.copy_name, [], notes
        )
    return FilmResult(plan.source, plan.title, Outcome.AS_IS, None, [], notes)


def _copy_as_is(result: FilmResult, state: _State) -> None:
    """--all: a film that needs nothing, copied and verified (size and SHA-256) as a bundle
    copies it, unless an earlier run did."""
    assert result.copy is not None
    if state.made(result.copy.name, result.source, "copy", result.copy):
        return
    try:
        copy_verified(result.source, result.copy)
    except OSError as exc:
        result.outcome = Outcome.FAILED
        result.notes.append(f"the copy failed: {exc.strerror or exc}")
        result.copy = None
        return
    state.record(result.copy.name, result.source, "copy", result.copy)
    state.save()


def _make_copy(plan: FilmPlan, job: _Job) -> None:
    """In a worker: measure, encode, check, rename. Reports through `job.events`."""
    try:
        result = _make_copy_now(plan, job)
    except BaseException as exc:  # handed to the main thread
        job.events.put(("error", exc))
        return
    job.events.put(("done", (plan, result)))


def _make_copy_now(plan: FilmPlan, job: _Job) -> FilmResult:
    recipe = plan.recipe
    assert recipe is not None and plan.copy_name is not None
    duration = recipe.duration_ms or 0
    phases = ("loudness", "encode", "check") if plan.loudness else ("encode", "check")
    job.events.put(
        ("progress", lambda p: p.film_started(plan.source, plan.title, duration, phases))
    )

    def tell(phase: str) -> Callable[[FfmpegProgress], None]:
        return lambda f: job.events.put(
            ("progress", lambda p: p.film_progress(plan.source, phase, f.out_ms, f.speed))
        )

    failed = FilmResult(plan.source, plan.title, Outcome.FAILED, None, plan.reasons)
    with contextlib.suppress(OSError):
        recipe.dest.unlink()  # a half copy left by a killed run
    try:
        if recipe.audio is not None and plan.loudness is not None:
            target, ceiling = plan.loudness
            stderr = job.runner.run(
                transcode.measure_arguments(
                    recipe.source, recipe.audio.streams, recipe.audio.speakers, target
                ),
                recipe.source,
                on_progress=tell("loudness"),
                loglevel="info",
            )
            measures = transcode.parse_loudnorm(stderr, len(recipe.audio.streams), recipe.source)
            streams = tuple(
                replace(s, loudnorm=m.second_pass(target, ceiling))
                for s, m in zip(recipe.audio.streams, measures, strict=True)
            )
            recipe = replace(recipe, audio=replace(recipe.audio, streams=streams))
        job.runner.run(recipe.arguments(), recipe.source, on_progress=tell("encode"))
    except TranscodeError as exc:
        with contextlib.suppress(OSError):
            recipe.dest.unlink()
        if exc.cancelled:
            raise KeyboardInterrupt from None
        failed.notes.append(f"ffmpeg could not make the copy: {exc.message}")
        return failed
    job.events.put(("progress", lambda p: p.film_progress(plan.source, "check", 0, None)))
    with probe.owning(job.probes):
        problems = _check_copy(plan, job, recipe.dest)
    if job.runner.cancelled:
        with contextlib.suppress(OSError):
            recipe.dest.unlink()
        raise KeyboardInterrupt
    if problems:
        with contextlib.suppress(OSError):
            recipe.dest.unlink()
        failed.notes += problems
        return failed
    final = job.folder / plan.copy_name
    os.replace(recipe.dest, final)
    return FilmResult(plan.source, plan.title, Outcome.MADE, final, plan.reasons)


def _check_copy(plan: FilmPlan, job: _Job, copy: Path) -> list[str]:
    """Why the copy at `copy` is not fit for the night ([] when it is): an error in the room's
    deep check (of the film as the night plays it: trims, subtitles as converted), a finding
    it was made to fix still there, a loudness off the target or a peak over the ceiling."""
    film = plan.item.film
    assert film is not None
    subtitles = film.subtitles
    if subtitles is not None:
        subtitles = job.subtitles.get(Path(os.path.abspath(subtitles)), subtitles)
    night = replace(job.playlist, items=(replace(film, path=copy, subtitles=subtitles),))
    try:
        report = check_run.check_playlist(night, venue=job.venue, deep=True, use_cache=False)
    except ProbeError as exc:
        return [f"the copy cannot be checked: {exc.message}"]
    [item] = report.items
    out = [
        f"the copy fails the room's check: [{p.code}] {p.message}"
        for p in item.problems
        if p.severity is Severity.ERROR
    ]
    fixed = {r.code for r in plan.reasons if r.fix is not Fix.SUBTITLES_UTF8}
    out += [
        f"the copy still has: [{p.code}] {p.message}"
        for p in item.problems
        if p.code in fixed and p.severity is not Severity.ERROR
    ]
    if plan.loudness is not None and item.loudness is not None:
        target, ceiling = plan.loudness
        lufs, peak = item.loudness.integrated_lufs, item.loudness.true_peak_dbtp
        if lufs is not None and abs(lufs - target) > LOUDNESS_TOLERANCE_LU:
            out.append(f"the copy measures {lufs:.1f} LUFS, not the night's {target:g}")
        if peak is not None and peak > ceiling:
            out.append(f"the copy peaks at {peak:+.1f} dBTP, over the {ceiling:g} dBTP ceiling")
    return out


def _convert_subtitles(
    playlist: Playlist, folder: Path, copy_all: bool, taken: set[str]
) -> tuple[dict[Path, Path], list[tuple[Path, str]], list[tuple[Path, Path, str]]]:
    """UTF-8 versions (with copy_all, copies too) of the night's subtitle files in `folder`.
    Returns ({original: new}, notes by film, [(original, new, encoding it was in)]). A file
    whose encoding cannot be told is left where it is, with a note for its film."""
    out: dict[Path, Path] = {}
    notes: list[tuple[Path, str]] = []
    converted: list[tuple[Path, Path, str]] = []
    for film in playlist.films():
        source = Path(os.path.abspath(film.subtitles)) if film.subtitles else None
        if source is None or source in out or not source.is_file():
            continue
        # the film's and the night's languages hint at it ('film.fr.srt' says its own)
        hints = tuple(filter(None, (film.language, *playlist.languages)))
        try:
            data = source.read_bytes()
            detected = subtitles.detect_encoding(data, hints, path=source)
        except (OSError, subtitles.SubtitleError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            notes.append((Path(os.path.abspath(film.path)), f"subtitles {source.name}: {reason}"))
            continue
        utf8 = detected.codec == "utf_8" and detected.mixed_line is None
        if utf8 and not copy_all:
            continue
        name = safe_file_name(source.name, "subtitles", strict=False, limit=None)
        target = folder / _free_name(name, taken)
        payload = data if utf8 else subtitles.decode(data, detected).encode("utf-8")
        if not target.is_file() or target.read_bytes() != payload:
            atomic_write(target, payload)
        out[source] = target
        if not utf8:
            converted.append((source, target, detected.name))
    return out, notes, converted


def _rebased_schema(match, old_folder: Path, new_folder: Path) -> str:
    """A `$schema` line naming a local file, pointed at it from the new folder."""
    written = match[2]
    if "://" in written or Path(written).is_absolute():
        return match[0]
    schema = Path(os.path.normpath(old_folder / written))
    return match[1] + Path(os.path.relpath(schema, new_folder)).as_posix()


def _write_playlist(
    playlist: Playlist, folder: Path, results: dict[Path, FilmResult], subtitles: dict[Path, Path]
) -> tuple[Path, bool]:
    """FOLDER/<name>.yaml: the night as written, its films and subtitles pointing at the copies
    (relative), every other path (and a `$schema` line's file) rebased. Not rewritten when it
    already says that."""
    from player.organiser.playlist_doc import PlaylistDoc, relative_or_absolute

    assert playlist.path is not None
    doc = PlaylistDoc.load(playlist.path)
    targets: list[tuple[Any, str, Path]] = []
    for container, key in doc.path_fields():
        if key in ("film", "subtitles") and "film" in container:
            source = Path(os.path.abspath(doc.resolve(container[key])))
            new = (
                results[source].copy
                if key == "film" and source in results and results[source].copy
                else subtitles.get(source)
                if key == "subtitles"
                else None
            )
            if new is not None:
                targets.append((container, key, new))
    doc.rebase_paths(playlist.folder, folder)
    for container, key, new in targets:
        container[key] = relative_or_absolute(new, folder)
    target = folder / playlist.path.name
    doc.path = target
    text = SCHEMA_LINE.sub(lambda m: _rebased_schema(m, playlist.folder, folder), doc.dump(), 1)
    if target.is_file() and target.read_text(encoding="utf-8") == text:
        return target, False
    atomic_write(target, text, backup=target.exists())
    return target, True
