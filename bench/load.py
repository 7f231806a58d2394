"""Benchmark: loading and validating a 10 000-item playlist.

Baseline, in the same run: PyYAML's own C loader (yaml.CSafeLoader) on the same file, which
gives plain dicts with no locations, no duplicate-key check and no validation.
Run: .venv/bin/python bench/load.py [ITEMS] [REPEATS]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

from player.core.playlist_io import find_problems, load_playlist


def make(path: Path, items: int) -> None:
    lines = ["version: 1", "title: Marathon", "languages: [zh, fr, en]", "items:"]
    for i in range(items):
        lines += [
            f"  - film: films/f{i}.mp4",
            f"    title: {{zh: 电影{i}, fr: Film {i}, en: Film {i}}}",
            f"    director: Someone {i}",
            "    runtime: 1:30",
            "    year: 2024",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    items = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "marathon.yaml"
        make(path, items)
        size_mb = path.stat().st_size / 1e6
        baseline = median_time(
            lambda: yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader), repeats
        )
        ours = median_time(lambda: find_problems(load_playlist(path)), repeats)
    print(f"{items} items, {size_mb:.1f} MB, median of {repeats}")
    print(f"  yaml.CSafeLoader (baseline, no checks): {baseline:.3f} s")
    print(f"  load_playlist + find_problems:          {ours:.3f} s")
    print(f"  ratio ours / baseline: {ours / baseline:.2f}x")


if __name__ == "__main__":
    main()
