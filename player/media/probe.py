"""The only module that knows ffprobe and ffmpeg: probing, the deep read, loudness, posters.

Every call runs the binary as an argument list with our own wall-clock timeout: the process is
started in its own session and its whole group is killed when time runs out, so a file that
hangs the prober becomes a `ProbeError` and the run goes on. (ffmpeg-python 0.2.0's `probe()`
has no timeout — a `timeout=` keyword becomes an ffprobe option — so we build the ffprobe
command ourselves; ffmpeg-python compiles the poster-frame filter graph.)

Paths are passed absolute, so a name starting with '-' is never read as an option, and names
with spaces, ':', '#', '%' or CJK go through untouched.

Results are cached as one JSON file per path and kind in `paths.cache_dir()`, valid while the
file's absolute path, size and mtime_ns are unchanged. Blocking calls; `probe_many` and
`deep_many` run workers in threads and call `progress` in the calling thread.

The executables can be replaced with SCREENING_NIGHT_FFPROBE / SCREENING_NIGHT_FFMPEG.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import itertools
import json
import math
import os
import re
import shutil
import signal
import subprocess
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import ffmpeg

from player.core import paths as app_paths
from player.core.atomic import atomic_write
from player.core.media_info import (
    AudioInfo,
    DeepResult,
    Loudness,
    MediaInfo,
    SubtitleInfo,
    VideoInfo,
    parse_ratio,
)

CACHE_VERSION = 5
PROBE_TIMEOUT_S = 15.0
# How many packets ffprobe reads from the head to judge frame timing (cheap: ~1 ms).
TIMING_PACKETS = 240
SILENT_LUFS = -69.0  # ebur128's floor is -70 LUFS: digital silence
BLACK_WINDOW_S = 20  # how far the deep pass looks for a black head (key frames only)
SILENCE_DB = -60  # below this, the deep pass counts sound as silence
# ffmpeg "demuxers" that take any text (by extension) and draw it as video.
TEXT_FORMATS = frozenset({"tty"})
STILL_CODECS = frozenset({"mjpeg", "png", "bmp", "gif", "webp", "tiff", "jpeg2000", "apng"})

# Subprocess runs by kind ("ffprobe", "deep", "poster"): lets tests see a cache hit.
run_counts: Counter[str] = Counter()
_count_lock = threading.Lock()
# Who is to know of the processes started in this context while they run: the sets of
# `owning` blocks and of probe_many/deep_many calls (so each can stop its own).
_batch: contextvars.ContextVar[tuple[set[subprocess.Popen], ...]] = contextvars.ContextVar(
    "_batch", default=()
)

Progress = Callable[[int, int, Path], None]


class ProbeError(Exception):
    """`path` could not be read; `message` says why in plain words (ffprobe's banner and
    addresses stripped), e.g. 'moov atom not found; Invalid data found when processing input'."""

    def __init__(self, path: str | Path, message: str, *, timed_out: bool = False):
        self.path = Path(path)
        self.message = message
        self.timed_out = timed_out  # the tool was killed after the time limit
        super().__init__(f"{self.path}: {message}")


class _Timeout(Exception):
    pass


def ffprobe_path() -> str:
    return _tool("SCREENING_NIGHT_FFPROBE", "ffprobe")


def ffmpeg_path() -> str:
    return _tool("SCREENING_NIGHT_FFMPEG", "ffmpeg")


def _tool(env: str, name: str) -> str:
    found = os.environ.get(env) or shutil.which(name)
    if not found:
        raise ProbeError(Path(name), f"{name} is not installed (Debian package 'ffmpeg')")
    return found


def _abs(path: str | Path) -> Path:
    return Path(os.path.abspath(path))


# ---------------------------------------------------------------------------------------------
# Running a tool with a wall-clock timeout


def _run(kind: str, cmd: list[str], timeout_s: float, path: Path) -> tuple[int, bytes, str]:
    """Run `cmd` (about `path`); return (exit code, stdout, stderr). Raises _Timeout after
    `timeout_s`, having killed the process and anything it started; ProbeError when the tool
    cannot be started at all."""
    with _count_lock:
        run_counts[kind] += 1
    try:
        # A session of its own: on timeout the whole group goes, even if a wrapper script
        # started children that hold the pipes open.
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise ProbeError(path, f"cannot run {cmd[0]}: {exc.strerror or exc}") from None
    owners = _batch.get()
    with _count_lock:
        for owner in owners:
            owner.add(proc)
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill(proc)
        raise _Timeout from None
    except BaseException:
        _kill(proc)
        raise
    finally:
        with _count_lock:
            for owner in owners:
                owner.discard(proc)
    if proc.returncode < 0:  # killed (by `kill`, or the system): says nothing of the file
        raise ProbeError(path, f"{kind} was stopped (signal {-proc.returncode})")
    return proc.returncode, out, err.decode("utf-8", "replace")


def _kill(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()


@contextlib.contextmanager
def owning(procs: set[subprocess.Popen]) -> Iterator[set[subprocess.Popen]]:
    """Within this block (on this thread, and in probe_many's workers it starts), every tool
    process is in `procs` while it runs, for `kill` from another thread."""
    token = _batch.set((*_batch.get(), procs))
    try:
        yield procs
    finally:
        _batch.reset(token)


def kill(procs: set[subprocess.Popen]) -> None:
    """Kill the processes of an `owning` block: a show that ends must not wait out a hung
    prober's time-out (or an hour-long loudness measurement), nor leave it behind. Their
    callers get a ProbeError, which is not cached."""
    _kill_batch(procs)


def _kill_batch(batch: set[subprocess.Popen]) -> None:
    # Being in sessions of their own, our children do not get the terminal's Ctrl-C.
    with _count_lock:
        running = list(batch)
    for proc in running:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)


_ADDRESS = re.compile(r"^\[[^\]]*@ 0x[0-9a-f]+\]\s*")
_LEVEL = re.compile(r"^\[(?:error|fatal|panic|warning|info)\]\s*")


def _clean_errors(stderr: str, path: Path) -> list[str]:
    """ffmpeg's stderr lines, without banner, '[demuxer @ 0x...]' prefixes or the path."""
    lines = []
    prefixes = (f"{path}: ", f"file:{path}: ")
    for raw in stderr.splitlines():
        line = _LEVEL.sub("", _ADDRESS.sub("", raw.strip()))
        for prefix in prefixes:
            if line.startswith(prefix):
                line = line[len(prefix) :]
        if not line or line.startswith(("ffprobe version", "ffmpeg version", "built with")):
            continue
        if line not in lines:
            lines.append(line)
    return lines


# ---------------------------------------------------------------------------------------------
# Cache


def _stat_key(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def _cache_file(kind: str, path: Path) -> Path:
    digest = hashlib.sha256(f"{kind}\0{path}".encode("utf-8", "surrogateescape")).hexdigest()
    return app_paths.cache_dir() / kind / f"{digest[:40]}.json"


def _cache_get(kind: str, path: Path, key: tuple[int, int]) -> dict[str, Any] | None:
    try:
        data = json.loads(_cache_file(kind, path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (
        not isinstance(data, dict)
        or data.get("version") != CACHE_VERSION
        or data.get("path") != str(path)
        or data.get("size") != key[0]
        or data.get("mtime_ns") != key[1]
    ):
        return None
    return data.get("result")


def _cache_put(kind: str, path: Path, key: tuple[int, int], result: dict[str, Any]) -> None:
    entry = {
        "version": CACHE_VERSION,
        "path": str(path),
        "size": key[0],
        "mtime_ns": key[1],
        "result": result,
    }
    target = _cache_file(kind, path)
    # The cache only ever saves time: a read-only cache folder must not fail a check.
    with contextlib.suppress(OSError):
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, json.dumps(entry, ensure_ascii=False))


def clear_cache() -> None:
    """Forget every cached probe and deep result."""
    for kind in ("probe", "deep"):
        shutil.rmtree(app_paths.cache_dir() / kind, ignore_errors=True)


def _existing_file(path: str | Path) -> tuple[Path, tuple[int, int]]:
    path = _abs(path)
    if not path.exists():
        raise ProbeError(path, "no such file")
    if not path.is_file():
        raise ProbeError(path, "not a regular file")
    return path, _stat_key(path)


# ---------------------------------------------------------------------------------------------
# Probe


def probe(
    path: str | Path, *, timeout_s: float = PROBE_TIMEOUT_S, use_cache: bool = True
) -> MediaInfo:
    """Probe one file with ffprobe (blocking, ~45 ms; instant from the cache).

    Raises ProbeError(path, message) when the file is missing, not a regular file, cannot be
    read as media, or ffprobe has not answered within `timeout_s` seconds."""
    path, key = _existing_file(path)
    if key[0] == 0:
        raise ProbeError(path, "the file is empty (0 bytes)")
    if use_cache:
        cached = _from_cache(path, key)
        if cached is not None:
            if isinstance(cached, ProbeError):
                raise cached
            return cached
    cmd = [
        ffprobe_path(),
        "-hide_banner",
        "-v",
        "error",
        "-show_format",
        "-show_streams",
        "-show_entries",
        "packet=stream_index,pts,duration",
        "-read_intervals",
        f"%+#{TIMING_PACKETS}",
        "-of",
        "json",
        str(path),
    ]
    try:
        code, out, err = _run("ffprobe", cmd, timeout_s, path)
    except _Timeout:
        # Not cached: a busy disk or network share may answer next time.
        raise ProbeError(
            path, f"the prober did not answer within {timeout_s:g} s", timed_out=True
        ) from None
    try:
        if code != 0:
            lines = _clean_errors(err, path) or [f"ffprobe failed (exit status {code})"]
            raise ProbeError(path, "; ".join(lines[-3:]))
        try:
            data = json.loads(out.decode("utf-8", "replace"))
        except ValueError:
            raise ProbeError(path, "ffprobe gave an answer that is not JSON") from None
        info = parse_ffprobe(data, key[0])
        if info.container in TEXT_FORMATS:
            raise ProbeError(path, "a text file, not a media file")
    except ProbeError as exc:
        # An unreadable file stays unreadable until it changes: remember that too.
        if use_cache:
            _cache_put("probe", path, key, {"error": exc.message})
        raise
    if use_cache:
        _cache_put("probe", path, key, info.to_json())
    return info


def _from_cache(path: Path, key: tuple[int, int]) -> MediaInfo | ProbeError | None:
    cached = _cache_get("probe", path, key)
    if cached is None:
        return None
    if "error" in cached:
        return ProbeError(path, str(cached["error"]))
    try:
        return MediaInfo.from_json(cached)
    except (KeyError, TypeError, ValueError):
        return None  # an entry from an older layout: probe again


def probe_many(
    paths: Iterable[str | Path],
    *,
    jobs: int | None = None,
    use_cache: bool = True,
    progress: Progress | None = None,
    timeout_s: float = PROBE_TIMEOUT_S,
    on_result: Callable[[Path, MediaInfo | ProbeError], None] | None = None,
) -> dict[Path, MediaInfo | ProbeError]:
    """Probe files in parallel (`jobs` threads, default the CPU count). Keys are the absolute
    paths; a file that fails maps to its ProbeError. `progress(done, total, path)` and
    `on_result(path, result)` are called in the calling thread as each file is done (one
    hung prober does not hold back the others' results)."""
    return _many(
        lambda p: probe(p, timeout_s=timeout_s, use_cache=use_cache),
        lambda p: _cached_probe(p) if use_cache else None,
        paths,
        jobs,
        progress,
        on_result,
    )


def _cached_probe(path: Path) -> MediaInfo | ProbeError | None:
    try:
        path, key = _existing_file(path)
    except (ProbeError, OSError):
        return None
    return _from_cache(path, key)


def _many(
    work: Callable[[Path], Any],
    cached: Callable[[Path], Any],
    paths: Iterable[str | Path],
    jobs: int | None,
    progress: Progress | None,
    on_result: Callable[[Path, Any], None] | None = None,
) -> dict[Path, Any]:
    todo = list(dict.fromkeys(_abs(p) for p in paths))
    total = len(todo)
    results: dict[Path, Any] = {}
    done = 0
    # Cache hits are answered here, without threads: a warm re-check costs file reads only.
    rest = []
    for path in todo:
        hit = cached(path)
        if hit is None:
            rest.append(path)
            continue
        results[path] = hit
        done += 1
        if on_result:
            on_result(path, hit)
        if progress:
            progress(done, total, path)
    if rest:
        workers = max(1, min(jobs or os.cpu_count() or 1, len(rest)))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="probe")
        batch: set[subprocess.Popen] = set()
        token = _batch.set((*_batch.get(), batch))
        try:
            # Each task runs in a copy of this context, so its processes join `batch`.
            futures = {
                pool.submit(contextvars.copy_context().run, work, path): path for path in rest
            }
            _batch.reset(token)
            token = None
            for future in as_completed(futures):
                path = futures[future]
                try:
                    results[path] = future.result()
                except ProbeError as exc:
                    results[path] = exc
                except OSError as exc:
                    results[path] = ProbeError(path, exc.strerror or str(exc))
                done += 1
                if on_result:
                    on_result(path, results[path])
                if progress:
                    progress(done, total, path)
        except BaseException:
            # Ctrl-C or a failing progress callback: stop now, not after every file.
            pool.shutdown(wait=False, cancel_futures=True)
            _kill_batch(batch)
            raise
        finally:
            if token is not None:
                _batch.reset(token)
            pool.shutdown(wait=True)
    return {path: results[path] for path in todo}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None


def _bit_depth(stream: dict[str, Any]) -> int | None:
    raw = _int(stream.get("bits_per_raw_sample"))
    if raw:
        return raw
    pix_fmt = stream.get("pix_fmt") or ""
    match = re.search(r"p(\d{2})(?:le|be)$", pix_fmt)
    if match:
        return int(match.group(1))
    if pix_fmt.startswith(("yuv", "yuvj", "nv12", "rgb", "bgr", "gray")):
        return 8
    return None


def _rotation(stream: dict[str, Any]) -> int:
    for side in stream.get("side_data_list") or ():
        if "rotation" in side:
            value = _float(side.get("rotation"))
            if value is not None:
                return round(value) % 360
    value = _float((stream.get("tags") or {}).get("rotate"))
    return round(value) % 360 if value is not None else 0


def _fps(stream: dict[str, Any]) -> float | None:
    avg = parse_ratio(stream.get("avg_frame_rate"))
    real = parse_ratio(stream.get("r_frame_rate"))
    rate = real or avg
    return round(float(rate), 3) if rate else None


def _variable_rate(stream: dict[str, Any], packets: list[dict[str, Any]]) -> bool:
    """True when frame timing is not constant: packet durations at the head vary by more than
    a quarter of the usual one, or the average rate is far from the nominal rate."""
    index = stream.get("index")
    pts = sorted(
        p
        for p in (_int(pk.get("pts")) for pk in packets if pk.get("stream_index") == index)
        if p is not None
    )
    deltas = [b - a for a, b in itertools.pairwise(pts) if b > a]
    if len(deltas) >= 4:
        usual = sorted(deltas)[len(deltas) // 2]
        odd = sum(1 for d in deltas if abs(d - usual) > usual / 4)
        if odd >= 2:
            return True
    avg = parse_ratio(stream.get("avg_frame_rate"))
    real = parse_ratio(stream.get("r_frame_rate"))
    if avg and real and abs(float(avg) / float(real) - 1) > 0.02:
        # Interlaced streams may state the field rate as r_frame_rate.
        return abs(float(avg) * 2 / float(real) - 1) > 0.02
    return False


def parse_ffprobe(data: dict[str, Any], size_bytes: int) -> MediaInfo:
    """Turn ffprobe's JSON (`-show_format -show_streams`, optionally packets) into MediaInfo."""
    fmt = data.get("format") or {}
    streams = data.get("streams") or []
    packets = data.get("packets") or []
    video = None
    audio = []
    subtitles = []
    durations = []
    for stream in streams:
        kind = stream.get("codec_type")
        tags = {str(k).lower(): v for k, v in (stream.get("tags") or {}).items()}
        if tags.get("language") in ("und", ""):  # ISO 639 "undetermined"
            tags.pop("language")
        disposition = stream.get("disposition") or {}
        duration = _float(stream.get("duration"))
        if duration:
            durations.append(duration)
        if kind == "video" and video is None and not disposition.get("attached_pic"):
            codec = stream.get("codec_name") or "unknown"
            frames = _int(stream.get("nb_frames"))
            container = fmt.get("format_name") or ""
            still = codec in STILL_CODECS and (
                frames in (None, 0, 1) or "image2" in container or "_pipe" in container
            )
            transfer = stream.get("color_transfer")
            video = VideoInfo(
                codec=codec,
                profile=stream.get("profile"),
                width=_int(stream.get("width")) or 0,
                height=_int(stream.get("height")) or 0,
                sar=stream.get("sample_aspect_ratio"),
                dar=stream.get("display_aspect_ratio"),
                fps=None if still else _fps(stream),
                pix_fmt=stream.get("pix_fmt"),
                bit_depth=_bit_depth(stream),
                field_order=stream.get("field_order") or None,
                rotation=_rotation(stream),
                hdr={"smpte2084": "pq", "arib-std-b67": "hlg"}.get(transfer),
                variable_frame_rate=False if still else _variable_rate(stream, packets),
                is_still=still,
            )
        elif kind == "audio":
            audio.append(
                AudioInfo(
                    codec=stream.get("codec_name") or "unknown",
                    channels=_int(stream.get("channels")) or 0,
                    channel_layout=stream.get("channel_layout"),
                    sample_rate=_int(stream.get("sample_rate")),
                    language=tags.get("language"),
                )
            )
        elif kind == "subtitle":
            subtitles.append(
                SubtitleInfo(
                    codec=stream.get("codec_name") or "unknown",
                    language=tags.get("language"),
                    title=tags.get("title"),
                )
            )
    duration_s = _float(fmt.get("duration")) or (max(durations) if durations else None)
    return MediaInfo(
        container=fmt.get("format_name") or "unknown",
        duration_ms=round(duration_s * 1000) if duration_s else None,
        size_bytes=_int(fmt.get("size")) or size_bytes,
        bit_rate=_int(fmt.get("bit_rate")),
        video=video,
        audio=tuple(audio),
        subtitles=tuple(subtitles),
        title=(str((fmt.get("tags") or {}).get("title") or "").strip() or None),
    )


# ---------------------------------------------------------------------------------------------
# Deep pass: every packet read, EBU R128 loudness measured, in one ffmpeg run


def _deep_timeout(info: MediaInfo) -> float:
    # Reading is I/O bound and the audio decode runs at hundreds of times real time.
    return 60.0 + (info.duration_ms or 0) / 1000


def deep_check(
    path: str | Path,
    info: MediaInfo | None = None,
    *,
    timeout_s: float | None = None,
    use_cache: bool = True,
) -> DeepResult:
    """Read every packet of `path` (stream copy to null), measure the first audio stream's
    EBU R128 loudness and silence at the head, and look for black at the head on the first
    20 s of key frames — in one ffmpeg run (blocking; ~60 ms plus about 1/300 of the running
    time). `info` is the file's probe (probed here when None).

    `DeepResult.errors` holds ffmpeg's error lines (a truncated file with its index at the start
    reads 'partial file'); `read_ms` is how far reading got. Raises ProbeError when the file
    cannot be opened or ffmpeg times out (default: 60 s plus the running time)."""
    path, key = _existing_file(path)
    if use_cache:
        cached = _cache_get("deep", path, key)
        if cached is not None:
            return DeepResult.from_json(cached)
    if info is None:
        info = probe(path, use_cache=use_cache)
    limit = timeout_s if timeout_s is not None else _deep_timeout(info)
    cmd = [
        ffmpeg_path(),
        "-hide_banner",
        "-nostdin",
        "-nostats",
        "-loglevel",
        "level+info",
    ]
    moving = info.video is not None and not info.video.is_still
    if moving:
        # Only the black-at-head output decodes video: key frames are enough for it, and make
        # it cheap even for 4K HEVC. (Audio frames are all key frames: loudness is unaffected.)
        cmd += ["-skip_frame", "nokey"]
    cmd += [
        "-i",
        str(path),
        "-map",
        "0:v?",
        "-map",
        "0:a?",
        "-map",
        "0:s?",
        "-c",
        "copy",
        "-f",
        "null",
        "-",
    ]
    if info.audio:
        # A second output from the same input: one demux feeds both, so one pass over the file.
        cmd += [
            "-map",
            "0:a:0",
            "-af",
            f"silencedetect=noise={SILENCE_DB}dB:duration=1,ebur128=peak=true:framelog=verbose",
            "-f",
            "null",
            "-",
        ]
    if moving:
        cmd += [
            "-map",
            "0:v:0",
            "-t",
            str(BLACK_WINDOW_S),
            "-vf",
            "blackdetect=d=0:pic_th=0.98",
            "-f",
            "null",
            "-",
        ]
    cmd += ["-progress", "pipe:1"]
    try:
        code, out, err = _run("deep", cmd, limit, path)
    except _Timeout:
        raise ProbeError(
            path, f"reading every packet took longer than {limit:g} s", timed_out=True
        ) from None
    errors = []
    for raw in err.splitlines():
        if "[error]" in raw or "[fatal]" in raw or "[panic]" in raw:
            for line in _clean_errors(raw, path):
                if line not in errors:
                    errors.append(line)
    if code != 0 and not errors:
        errors = _clean_errors(err, path)[-3:] or [f"ffmpeg failed (exit status {code})"]
    read_us = [_int(v) for v in re.findall(rb"out_time_us=(-?\d+)", out)]
    read_ms = max((v for v in read_us if v is not None), default=None)
    result = DeepResult(
        read_ms=read_ms // 1000 if read_ms is not None and read_ms >= 0 else None,
        errors=tuple(errors[:8]),
        loudness=_parse_ebur128(err) if info.audio else None,
        head_silence_ms=_head_silence_ms(err) if info.audio else None,
        head_black_ms=_head_black_ms(err) if moving else None,
    )
    if use_cache:
        _cache_put("deep", path, key, result.to_json())
    return result


def _head_silence_ms(stderr: str) -> int:
    """How long the sound is silent from the very start, from silencedetect's lines."""
    start = re.search(r"silence_start: (-?[\d.]+)", stderr)
    if not start or float(start.group(1)) > 0.05:
        return 0
    end = re.search(r"silence_end: (-?[\d.]+)", stderr[start.end() :])
    if not end:
        return 0  # silent to the end without a closing line: the loudness says it
    return max(0, round(float(end.group(1)) * 1000))


def _head_black_ms(stderr: str) -> int:
    """How long the picture is black from the very start (to the first key frame that is
    not), from blackdetect's lines; at most the window it looked at."""
    start = re.search(r"black_start:\s*(-?[\d.]+)", stderr)
    if not start or float(start.group(1)) > 0.05:
        return 0
    end = re.search(r"black_end:\s*(-?[\d.]+)", stderr[start.end() :])
    return max(0, round(float(end.group(1)) * 1000)) if end else 0


def _summary_value(text: str, label: str) -> float | None:
    match = re.search(rf"^\s*(?:\[[^\]]*\]\s*)*{label}:\s*(-?[\d.]+|-?inf|nan)\s", text, re.M)
    return _float(match.group(1)) if match else None


def _parse_ebur128(stderr: str) -> Loudness | None:
    start = stderr.rfind("Summary:")
    if start < 0:
        return None
    summary = stderr[start:]
    return Loudness(
        integrated_lufs=_summary_value(summary, "I"),
        lra_lu=_summary_value(summary, "LRA"),
        true_peak_dbtp=_summary_value(summary, "Peak"),
    )


def deep_many(
    infos: dict[Path, MediaInfo],
    *,
    jobs: int | None = None,
    use_cache: bool = True,
    progress: Progress | None = None,
) -> dict[Path, DeepResult | ProbeError]:
    """`deep_check` over probed files in parallel (keys: absolute paths, as from probe_many)."""
    by_path = {_abs(p): i for p, i in infos.items()}

    def cached(path: Path) -> DeepResult | None:
        if not use_cache:
            return None
        try:
            path, key = _existing_file(path)
        except (ProbeError, OSError):
            return None
        hit = _cache_get("deep", path, key)
        return DeepResult.from_json(hit) if hit is not None else None

    return _many(
        lambda p: deep_check(p, by_path[p], use_cache=use_cache),
        cached,
        by_path,
        jobs,
        progress,
    )


def measure_loudness(
    path: str | Path, *, use_cache: bool = True, timeout_s: float | None = None
) -> Loudness:
    """EBU R128 loudness of the first audio stream (blocking; cached with the deep pass, which
    it runs). Raises ProbeError when the file is unreadable, has no audio, or its sound is
    silent or too short to measure (so nobody turns silence up to the target)."""
    info = probe(path, use_cache=use_cache)
    if not info.audio:
        raise ProbeError(path, "no audio stream to measure")
    result = deep_check(path, info, timeout_s=timeout_s, use_cache=use_cache)
    loudness = result.loudness
    if loudness is None or loudness.integrated_lufs is None:
        raise ProbeError(path, "the loudness could not be measured")
    if loudness.integrated_lufs <= SILENT_LUFS:
        raise ProbeError(path, "the sound track is silent")
    return loudness


# ---------------------------------------------------------------------------------------------
# Poster frame


def poster_frame(
    path: str | Path, at_ms: int, *, width: int = 480, timeout_s: float = 20.0
) -> bytes:
    """One JPEG picture of `path` at `at_ms`, `width` pixels wide, square pixels, rotation
    applied (blocking, ~50-300 ms). Raises ProbeError when no picture comes out."""
    path = _abs(path)
    stream = (
        ffmpeg.input(str(path), ss=f"{max(0, at_ms) / 1000:.3f}")
        .video.filter("scale", "trunc(iw*sar/2)*2", "ih")
        .filter("setsar", 1)
        .filter("scale", width, -2)
    )
    cmd = (
        stream.output("pipe:", vframes=1, format="image2pipe", vcodec="mjpeg", **{"q:v": 4})
        .global_args("-hide_banner", "-nostdin", "-loglevel", "error")
        .compile(cmd=ffmpeg_path())
    )
    try:
        code, out, err = _run("poster", cmd, timeout_s, path)
    except _Timeout:
        raise ProbeError(path, f"no poster frame within {timeout_s:g} s", timed_out=True) from None
    if code != 0 or not out.startswith(b"\xff\xd8"):
        lines = _clean_errors(err, path) or ["no picture at that time"]
        raise ProbeError(path, "; ".join(lines[-2:]))
    return out
