"""Benchmark of the remote: does HTTP load slow the GUI thread down?

    .venv/bin/python bench/remote.py [--rate 200] [--seconds 10] [--actions 40]

Runs the real app (`run --windowed --remote`) on a private Xvfb, during a long intermission,
and times remote actions (pause, then resume; each one is carried out on the GUI thread and
answered with the status after it) twice in the same run:
  - baseline: no other traffic;
  - under load: --rate `GET /api/status` a second from 4 keep-alive clients.
Prints the action latency (median, 95th percentile, max) of each, their ratio, and the
requests a second the server actually answered.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from support.remote import TOKEN, App, Http, wait_status
from support.xvfb import xvfb


def actions(port: int, count: int) -> tuple[list[float], dict]:
    """`count` pause / resume actions one after another: their times, and the last status."""
    client = Http(port)
    took, status = [], {}
    for i in range(count):
        t0 = time.perf_counter()
        code, status = client.post("pause" if i % 2 == 0 else "resume")
        took.append(time.perf_counter() - t0)
        assert code == 200
    client.close()
    return took, status


def load(port: int, rate: int, stop: threading.Event, done: list[int]) -> None:
    client, start, i = Http(port), time.monotonic(), 0
    while not stop.is_set():
        due = start + i * 4 / rate
        if stop.wait(max(0.0, due - time.monotonic())):
            break
        assert client.request("GET", "/api/status")[0] == 200
        done.append(1)
        i += 1
    client.close()


def summary(label: str, took: list[float]) -> float:
    ms = sorted(t * 1000 for t in took)
    median = statistics.median(ms)
    p95 = ms[int(len(ms) * 0.95) - 1]
    print(f"{label:>12}: median {median:6.2f} ms   p95 {p95:6.2f} ms   max {ms[-1]:6.2f} ms")
    return median


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--actions", type=int, default=40)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-remote-"))
    night = folder / "night.yaml"
    night.write_text(
        "version: 1\ntitle: Bench\nitems:\n  - intermission: {minutes: 30}\n", encoding="utf-8"
    )
    with xvfb("-screen", "0", "1280x720x24") as display:
        app = App(night, display, folder / "home", "--remote-token", TOKEN)
        try:
            app.wait_started()
            Http(app.port).post("go")
            wait_status(app.port, lambda s: s["phase"] == "intermission")
            base, _ = actions(app.port, args.actions)
            stop, done = threading.Event(), []
            threads = [
                threading.Thread(target=load, args=(app.port, args.rate, stop, done))
                for _ in range(4)
            ]
            began = time.monotonic()
            for t in threads:
                t.start()
            loaded: list[float] = []
            while time.monotonic() - began < args.seconds:
                took, last = actions(app.port, 2)
                loaded += took
                # paced by the show's clock: the next pair once it has ticked
                wait_status(app.port, lambda s, c=last["clock"]: s["clock"] != c)
            stop.set()
            for t in threads:
                t.join(30)
            rate = len(done) / (time.monotonic() - began)
        finally:
            app.close()
    a = summary("no load", base)
    b = summary(f"{args.rate}/s load", loaded)
    print(f"under load / baseline (median): {b / a:.2f}x; server answered {rate:.0f} requests/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
