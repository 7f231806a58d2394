"""What a picture fade costs: a 4K film played into a real window (Xvfb), with the picture as it
is and then faded through libvlc's adjust filter (player/media/vlc_backend.py), in the same run.

For each run: a generated 3840x2160 25 fps H.264 film is opened and played into a native window
with the libvlc backend; 1 s in, the process's CPU time and libvlc's displayed/lost picture
counts are taken over `--window` seconds at full picture (the baseline), then again with the
picture at half level (the adjust filter on, as in every fade). Prints medians of both, and the
ratio of CPU per second and of lost pictures.

    .venv/bin/python bench/fade.py [--runs 3] [--window 2.0]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # support/: clips, Xvfb
from support.xvfb import xvfb


def measure(app, backend, slot: int, seconds: float) -> tuple[float, int, int]:
    """(CPU seconds per second, pictures displayed, pictures lost) over `seconds`."""
    deck = backend._decks[slot]
    stats = backend._vlc.MediaStats()
    deck.media.get_stats(stats)
    shown, lost = stats.displayed_pictures, stats.lost_pictures
    cpu = os.times()
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        app.processEvents()
        time.sleep(0.01)
    after = os.times()
    wall = time.monotonic() - start
    deck.media.get_stats(stats)
    used = (after.user - cpu.user) + (after.system - cpu.system)
    return used / wall, stats.displayed_pictures - shown, stats.lost_pictures - lost


def one_run(app, window, film: Path, seconds: float) -> dict[str, tuple]:
    from player.media.backend import Ready
    from player.media.vlc_backend import VlcBackend

    backend = VlcBackend(video=True, audio="dummy", extra_args=("--stats",))
    events: list = []
    backend.set_event_sink(events.append)
    backend.set_video_window(0, int(window.winId()))
    backend.open(0, film)
    end = time.monotonic() + 20
    while not any(isinstance(e, Ready) for e in events) and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    backend.play(0)
    measure(app, backend, 0, 1.0)  # warm up
    full = measure(app, backend, 0, seconds)
    backend.set_picture_level(0, 0.5)
    faded = measure(app, backend, 0, seconds)
    backend.close()
    return {"full": full, "faded": faded}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--window", type=float, default=2.0, help="seconds measured per state")
    args = parser.parse_args()
    from support.synth import make_clip

    folder = Path(tempfile.mkdtemp(prefix="bench-fade-"))
    seconds = 1.5 + 2 * args.window + 1.0
    print(f"making a {seconds:.0f} s 3840x2160 film...", file=sys.stderr)
    film = make_clip(
        folder / "4k.mp4", seconds=seconds, width=3840, height=2160, fps=25, label="4K"
    )
    with xvfb("-screen", "0", "1280x720x24") as display:
        os.environ["DISPLAY"] = display
        os.environ["QT_QPA_PLATFORM"] = "xcb"
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QApplication, QWidget

        from player.media.vlc_backend import init_x11_threads

        init_x11_threads()
        app = QApplication([])
        window = QWidget()
        window.setAttribute(Qt.WidgetAttribute.WA_NativeWindow)
        window.setGeometry(0, 0, 1280, 720)
        window.show()
        app.processEvents()
        runs = [one_run(app, window, film, args.window) for _ in range(args.runs)]

    def median(state: str, k: int) -> float:
        return statistics.median(run[state][k] for run in runs)

    print(f"4K film, {args.runs} runs of {args.window:.1f} s per state (medians):")
    print(f"{'':22}{'CPU s/s':>9}{'shown':>8}{'lost':>7}")
    for state, name in (("full", "full picture"), ("faded", "fading (adjust on)")):
        print(f"{name:22}{median(state, 0):9.2f}{median(state, 1):8.0f}{median(state, 2):7.0f}")
    base = median("full", 0)
    print(f"CPU ratio fading / full: {median('faded', 0) / base:.2f}x" if base else "")
    print(f"lost pictures: {median('faded', 2):.0f} fading vs {median('full', 2):.0f} full")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
