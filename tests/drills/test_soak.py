"""Drill: a CI-sized soak — `rehearse` over 40 short items (1–2 s films, 1 s cards) with the
process's memory, threads and descriptors sampled from /proc throughout.

The full size (300 items) is `bench/soak.py`, whose sampler this test shares. The bounds are
about leaks, not speed: every item in the as-run log; no more threads or descriptors late in the
night than after warm-up (a small constant allowed: the two players take turns); RSS growth after
warm-up under a generous 30 MB (a libvlc instance leaked per film would cost more); never more
than the two libvlc players of the two slots alive, and none left after the show.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ITEMS = 40

_spec = importlib.util.spec_from_file_location(
    "bench_soak", Path(__file__).resolve().parents[2] / "bench" / "soak.py"
)
bench_soak = importlib.util.module_from_spec(_spec)
sys.modules["bench_soak"] = bench_soak
_spec.loader.exec_module(bench_soak)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="samples /proc")
def test_a_night_of_40_items_leaks_no_memory_threads_or_players(tmp_path):
    playlist = bench_soak.make_night(tmp_path / "night", ITEMS, clip_seconds=(1.0, 2.0, 1.5))
    result = bench_soak.soak(playlist, tmp_path)
    f = result.figures
    print(f"\nsoak figures: {f}\nlibvlc alive: {result.stats}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert [e["index"] for e in result.entries] == list(range(ITEMS))
    assert {e["outcome"] for e in result.entries} == {"played"}
    assert f, f"too few samples: {len(result.samples)}"
    assert f["threads_late_max"] <= f["threads_warm_max"] + 3, f
    assert f["fds_late_max"] <= f["fds_warm_max"] + 3, f
    # 12 MB: without the malloc arena cap (vlc_backend.limit_malloc_arenas) it was 21.6 MB here
    assert f["rss_growth_mb"] < 12, f
    assert 1 <= result.stats["most_alive"]["players"] <= 2, result.stats
    assert result.stats["alive_at_end"] == {"instances": 0, "players": 0}, result.stats
    assert result.stats["alive_after_close"] == {"instances": 0, "players": 0}, result.stats
