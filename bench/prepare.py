"""Benchmark of `prepare`: show copies of a small awkward night, against the same ffmpeg
commands run by hand one after the other, in the same run.

    .venv/bin/python bench/prepare.py [--seconds 20] [--repeat 3]

Makes four films in a temp folder (PAL interlaced MPEG-2, a loud 720p H.264, a 5.1 film into
the stereo room, 4K HEVC 10-bit), all needing a copy for `hd-projector`. One `prepare` run
records the ffmpeg commands it runs (loudnorm's first pass, the encodes); the baseline runs
exactly those, in sequence, as a technician would by hand. Then, alternating with the
baseline so both see the same machine load, `prepare --jobs 1` and `--jobs 2` (whole command:
the check of the originals from the cache, the copies, each copy's deep check, the playlist).
Prints medians and ratios (time / baseline: below 1 is faster than by hand).
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # support/

from player.core.playlist_io import load_playlist
from player.core.venue import resolve_venue
from player.media import transcode
from player.media.probe import ffmpeg_path
from player.organiser import prepare
from support import synth


def make_night(folder: Path, seconds: float) -> Path:
    synth.make_interlaced_clip(folder / "tape.mpg", seconds=seconds)
    synth.make_clip(folder / "loud.mp4", seconds=seconds, width=1280, height=720, tone_db=-0.5)
    synth.make_clip(folder / "surround.mp4", seconds=seconds, channels=6, width=1280, height=720)
    synth.make_clip(
        folder / "hevc.mp4",
        seconds=seconds / 4,
        width=3840,
        height=2160,
        fps=24,
        vcodec="libx265",
        pix_fmt="yuv420p10le",
        vcodec_args=("-preset", "ultrafast", "-x265-params", "log-level=error"),
        pattern="smptebars",
    )
    night = folder / "night.yaml"
    night.write_text(
        "version: 1\ntitle: Bench\nitems:\n"
        + "".join(f"  - film: {n}\n" for n in ("tape.mpg", "loud.mp4", "surround.mp4", "hevc.mp4")),
        encoding="utf-8",
    )
    return night


def record_commands(night: Path, out: Path) -> list[list[str]]:
    """Run prepare once in-process, keeping every ffmpeg argument list it runs."""
    recorded: list[list[str]] = []
    original = transcode.Runner.run

    def run(self, args, path, **kwargs):
        recorded.append(list(args))
        return original(self, args, path, **kwargs)

    transcode.Runner.run = run
    try:
        report = prepare.prepare_night(
            load_playlist(night), resolve_venue("hd-projector"), out, jobs=1
        )
    finally:
        transcode.Runner.run = original
    assert report.ok, [r.notes for r in report.results]
    return recorded


def by_hand(commands: list[list[str]], scratch: Path) -> float:
    """The recorded commands, one after the other, outputs into `scratch`."""
    scratch.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for args in commands:
        args = list(args)
        if args[-1] != "-":
            args[-1] = str(scratch / Path(args[-1]).name)
        cmd = [ffmpeg_path(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def ours(night: Path, out: Path, jobs: int) -> float:
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "player", "prepare", str(night), "--venue", "hd-projector",
         "--out", str(out), "--jobs", str(jobs)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"prepare failed:\n{result.stdout}\n{result.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each film")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-prepare-") as tmp:
        folder = Path(tmp)
        night = make_night(folder / "films", args.seconds)
        commands = record_commands(night, folder / "warm-up")  # also fills the check's cache
        print(f"{len(commands)} ffmpeg commands for 4 films of {args.seconds:g} s; "
              f"{os.cpu_count()} cores; load {os.getloadavg()[0]:.2f}")  # fmt: skip
        times: dict[str, list[float]] = {"by hand": [], "jobs 1": [], "jobs 2": []}
        for _ in range(args.repeat):
            times["by hand"].append(by_hand(commands, folder / "by-hand"))
            times["jobs 1"].append(ours(night, folder / "ours-1", 1))
            times["jobs 2"].append(ours(night, folder / "ours-2", 2))
        base = statistics.median(times["by hand"])
        for name, values in times.items():
            median = statistics.median(values)
            print(
                f"{name:8}: median {median:6.2f} s  ({', '.join(f'{v:.2f}' for v in values)})"
                + ("" if name == "by hand" else f"  ratio {median / base:.2f}x the baseline")
            )


if __name__ == "__main__":
    main()
