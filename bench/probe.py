"""Benchmark of the media check's probing and deep pass, with baselines from the same run.

    .venv/bin/python bench/probe.py [--files 100] [--repeat 3] [--jobs N]

Makes N tiny clips (1 s, 320x240 H.264/AAC; a few distinct ones copied round-robin) in a temp
folder, then measures, each as the median of --repeat runs:
  - cold probe: `probe_many` with an empty cache vs a plain sequential `ffprobe` loop;
  - warm re-check: `probe_many` and the whole `check_targets` with the cache filled;
  - cold deep pass (every packet + EBU R128): `deep_many` vs sequential `ffmpeg -af ebur128`;
  - warm deep re-check.
Issue 3's targets on a 2-core machine: cold >= 1.8x the sequential loop, warm 100 files < 0.1 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # support/

from player.media import probe as prober
from support import synth


def median_time(fn: Callable[[], object], repeat: int, before: Callable[[], None] = lambda: None):
    times = []
    for _ in range(repeat):
        before()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def paired(
    baseline: Callable[[], object],
    candidate: Callable[[], object],
    repeat: int,
    before: Callable[[], None],
) -> tuple[float, float]:
    """Medians of baseline and candidate run alternately, so both see the same machine load
    (other jobs on a shared machine come and go)."""
    base, cand = [], []
    for _ in range(repeat):
        base.append(median_time(baseline, 1))
        cand.append(median_time(candidate, 1, before))
    return statistics.median(base), statistics.median(cand)


def load() -> str:
    return "{:.2f} {:.2f} {:.2f} (1, 5, 15 min)".format(*os.getloadavg())


def make_files(folder: Path, count: int) -> list[Path]:
    seeds = [
        synth.make_clip(folder / "seed-a.mp4", seconds=1.0, tone_hz=440),
        synth.make_clip(folder / "seed-b.mp4", seconds=1.0, tone_hz=660, pattern="testsrc"),
        synth.make_clip(folder / "seed-c.mp4", seconds=1.0, channels=6, tone_db=-30),
        synth.make_clip(folder / "seed-d.mp4", seconds=1.0, acodec=None),
    ]
    files = []
    for n in range(count):
        path = folder / f"clip {n:03d}.mp4"
        shutil.copyfile(seeds[n % len(seeds)], path)
        files.append(path)
    for seed in seeds:
        seed.unlink()
    return files


def sequential_ffprobe(files: list[Path]) -> None:
    ffprobe = shutil.which("ffprobe")
    for path in files:
        subprocess.run(
            [ffprobe, "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
            capture_output=True,
            check=True,
        )


def sequential_ebur128(files: list[Path]) -> None:
    ffmpeg = shutil.which("ffmpeg")
    for path in files:
        subprocess.run(
            [ffmpeg, "-hide_banner", "-nostdin", "-nostats", "-i", str(path), "-af",
             "ebur128=peak=true:framelog=verbose", "-f", "null", "-"],
            capture_output=True,
            check=True,
        )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=None, help="workers (default: CPU count)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="screening-night-bench-"))
    os.environ["XDG_CACHE_HOME"] = str(work / "cache")  # our own cache, emptied at will
    try:
        files = make_files(work / "media", args.files)
        n = len(files)
        print(f"load average at the start: {load()}")
        print(f"{n} clips, {os.cpu_count()} CPUs, jobs={args.jobs or os.cpu_count()}, "
              f"median of {args.repeat} runs (baseline and ours alternating)\n")  # fmt: skip
        from player.organiser.check_run import check_targets

        clear = prober.clear_cache
        seq, cold = paired(
            lambda: sequential_ffprobe(files),
            lambda: prober.probe_many(files, jobs=args.jobs),
            args.repeat,
            clear,
        )
        warm = median_time(lambda: prober.probe_many(files, jobs=args.jobs), args.repeat * 3)
        warm_check = median_time(lambda: check_targets(files, jobs=args.jobs), args.repeat * 3)
        errors = [r for r in prober.probe_many(files).values() if isinstance(r, Exception)]
        assert not errors, errors

        infos = prober.probe_many(files)

        def clear_deep() -> None:
            shutil.rmtree(Path(os.environ["XDG_CACHE_HOME"]) / "screening-night" / "deep", True)

        deep_seq, deep_cold = paired(
            lambda: sequential_ebur128(files),
            lambda: prober.deep_many(infos, jobs=args.jobs),
            args.repeat,
            clear_deep,
        )
        deep_warm = median_time(lambda: prober.deep_many(infos, jobs=args.jobs), args.repeat * 3)
        deep_check_warm = median_time(
            lambda: check_targets(files, jobs=args.jobs, deep=True), args.repeat * 3
        )

        rows = [
            ("sequential ffprobe loop (baseline)", seq, None),
            ("probe_many, cold cache", cold, seq / cold),
            ("probe_many, warm cache", warm, seq / warm),
            ("check_targets, warm cache (whole check)", warm_check, seq / warm_check),
            ("sequential ffmpeg -af ebur128 loop (baseline)", deep_seq, None),
            ("deep_many (every packet + R128), cold", deep_cold, deep_seq / deep_cold),
            ("deep_many, warm cache", deep_warm, deep_seq / deep_warm),
            ("check_targets --deep, warm cache", deep_check_warm, deep_seq / deep_check_warm),
        ]
        for label, seconds, ratio in rows:
            speed = f"{ratio:8.1f}x faster" if ratio else ""
            print(f"{label:48} {seconds:8.3f} s  {seconds / n * 1000:7.2f} ms/file  {speed}")
        print()
        print(f"load average at the end: {load()} (other jobs on the machine skew the ratios)")
        print(f"cold probe vs sequential ffprobe: {seq / cold:.2f}x (target >= 1.8x)")
        print(f"warm re-check of {n} files: {warm_check:.3f} s (target < 0.1 s for 100)")
        print(f"cold deep vs sequential ebur128: {deep_seq / deep_cold:.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
