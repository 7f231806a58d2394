"""Soak: `rehearse` over a long night of short items, with memory, threads and files watched.

    .venv/bin/python bench/soak.py [--items 300] [--interval 0.5] [--keep DIR]

Makes a night of --items items alternating films (1-3 s clips, 160x120, a few distinct ones
used round-robin) and 1-second cards (title cards off: one step per item), runs
`python -m player rehearse` on it as a subprocess, and samples the process from /proc every
--interval seconds: RSS (VmRSS), thread count (Threads) and open descriptors (/proc/PID/fd).
Prints RSS after warm-up (the first 10% of steps) vs at the end and the growth, threads and fds
likewise (their highest value in the warm-up window vs in the last third of the night, since
they rise and fall with the two players taking turns), libvlc players alive (most at once, at the
end, after close — from rehearse's hidden --stats), the items in the as-run log and the wall
time. Issue 7's bar: no growth beyond a few MB after warm-up, no leaked threads or players,
every item in the log. A 300-item night takes about 7.5 minutes (it runs in real time);
measured on 2 cores: 300/300 played, RSS 94.6 -> 97.5 MB (+2.8), threads 10 -> 10, fds 11 -> 10.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # support/

from support.synth import make_clip

CLIP_SECONDS = (1.0, 2.0, 3.0, 1.5, 2.5)


@dataclass
class Sample:
    at_s: float
    rss_kb: int
    threads: int
    fds: int
    items: int  # as-run lines written so far


@dataclass
class SoakResult:
    returncode: int
    samples: list[Sample]
    entries: list[dict]
    stats: dict
    steps: int
    wall_s: float
    stderr: str
    stdout: str = ""
    figures: dict = field(default_factory=dict)


def make_night(
    folder: Path, items: int, *, distinct: int = 5, clip_seconds: tuple = CLIP_SECONDS
) -> Path:
    """A playlist of `items` items alternating film / 1 s card (no title cards)."""
    folder.mkdir(parents=True, exist_ok=True)
    clips = [
        make_clip(
            folder / f"clip{i}.mp4",
            seconds=clip_seconds[i % len(clip_seconds)],
            width=160,
            height=120,
            label=str(i),
            tone_hz=330 + 110 * i,
        )
        for i in range(distinct)
    ]
    lines = ["version: 1", "title: Soak", "defaults:", "  card_seconds: 1", "  title_cards: false"]
    lines.append("items:")
    for i in range(items):
        if i % 2 == 0:
            clip = clips[(i // 2) % len(clips)]
            lines += [f"  - film: {clip.name}", f"    title: Film {i + 1}"]
        else:
            lines += ["  - card:", f"      text: Card {i + 1}", "      seconds: 1"]
    path = folder / "soak.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_status(pid: int) -> tuple[int, int] | None:
    """(VmRSS kB, Threads) of a live process, None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    rss = threads = 0
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
        elif line.startswith("Threads:"):
            threads = int(line.split()[1])
    return rss, threads


def count_lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except OSError:
        return 0


def soak(playlist: Path, workdir: Path, *, interval_s: float = 0.5, env=None) -> SoakResult:
    """Run `rehearse` on `playlist` to its end, sampling it; blocks."""
    log = workdir / "as-run.jsonl"
    stats_file = workdir / "stats.json"
    env = dict(env or os.environ)
    env.setdefault("XDG_DATA_HOME", str(workdir / "data"))
    cmd = [sys.executable, "-m", "player", "rehearse", str(playlist), "--as-run", str(log)]
    cmd += ["--stats", str(stats_file)]
    started = time.monotonic()
    out_path, err_path = workdir / "stdout.txt", workdir / "stderr.txt"
    with open(out_path, "w") as out, open(err_path, "w") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        samples: list[Sample] = []
        try:
            while proc.poll() is None:
                status = read_status(proc.pid)
                try:
                    fds = len(os.listdir(f"/proc/{proc.pid}/fd"))
                except OSError:
                    fds = 0
                if status is not None and status[0] > 0:
                    samples.append(
                        Sample(time.monotonic() - started, *status, fds, count_lines(log))
                    )
                time.sleep(interval_s)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
    text = log.read_text(encoding="utf-8") if log.exists() else ""
    entries = [json.loads(line) for line in text.splitlines()]
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    result = SoakResult(
        proc.returncode,
        samples,
        entries,
        stats,
        steps=0,
        wall_s=time.monotonic() - started,
        stderr=err_path.read_text(errors="replace"),
        stdout=out_path.read_text(errors="replace"),
    )
    result.figures = figures(result.samples, len(entries))
    return result


def figures(samples: list[Sample], items: int) -> dict:
    """Warm-up (10% of the items done) vs end (the last third of the items) figures; `end` is
    the last few samples before the final item, so the shutdown is not counted."""
    warm_at = max(2, items // 10)
    warm = [s for s in samples if warm_at <= s.items < warm_at + max(2, items // 10)]
    # The last third of the night, while it still ran (not the shutdown after the last item).
    late = [s for s in samples if items - items // 3 <= s.items < items - 1]
    if not warm or not late:
        return {}
    end = late[-5:]
    return {
        "rss_warm_mb": statistics.median(s.rss_kb for s in warm) / 1024,
        "rss_end_mb": statistics.median(s.rss_kb for s in end) / 1024,
        "rss_growth_mb": (
            statistics.median(s.rss_kb for s in end) - statistics.median(s.rss_kb for s in warm)
        )
        / 1024,
        "rss_peak_mb": max(s.rss_kb for s in samples) / 1024,
        "threads_warm_max": max(s.threads for s in warm),
        "threads_late_max": max(s.threads for s in late),
        "threads_end": end[-1].threads,
        "fds_warm_max": max(s.fds for s in warm),
        "fds_late_max": max(s.fds for s in late),
        "samples": len(samples),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between samples")
    parser.add_argument("--keep", type=Path, help="make the night and logs in DIR (kept)")
    args = parser.parse_args()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="screening-night-soak-"))
    workdir.mkdir(parents=True, exist_ok=True)
    playlist = make_night(workdir / "night", args.items)
    print(f"soak: {args.items} items in {workdir}", flush=True)
    result = soak(playlist, workdir, interval_s=args.interval)
    f = result.figures
    outcomes = [e["outcome"] for e in result.entries]
    print(f"rehearse exit {result.returncode}, wall {result.wall_s:.0f} s")
    print(
        f"as-run items: {len(result.entries)} of {args.items} "
        f"({outcomes.count('played')} played, {outcomes.count('failed')} failed)"
    )
    if f:
        print(
            f"RSS after warm-up {f['rss_warm_mb']:.1f} MB, at the end {f['rss_end_mb']:.1f} MB, "
            f"growth {f['rss_growth_mb']:+.1f} MB (peak {f['rss_peak_mb']:.1f} MB)"
        )
        print(
            f"threads: warm-up max {f['threads_warm_max']}, last third max "
            f"{f['threads_late_max']}, last sample {f['threads_end']}"
        )
        print(f"open fds: warm-up max {f['fds_warm_max']}, last third max {f['fds_late_max']}")
    print(f"libvlc alive: {result.stats}")
    if result.returncode != 0:
        print(result.stderr[-2000:], file=sys.stderr)
    return 0 if result.returncode == 0 and len(result.entries) == args.items else 1


if __name__ == "__main__":
    sys.exit(main())
