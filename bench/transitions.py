"""Transitions on screen: black and held frames at every switch, ours vs a naive reused player.

Runs under its own Xvfb (display :92, or $BENCH_DISPLAY), opens the real output window
(player/qt/output_window.py) driven by the ShowController with the libvlc backend, and grabs the
screen at 50 fps with ffmpeg's x11grab. In the same run, a naive single reused libvlc player
(set_media + play on each end) plays the same films into a plain native window. Each film
carries a grey box whose level names it, so every grabbed frame is classified (film k / card /
black); at each change of film we count black frames and frames held beyond one film frame
period (25 fps film = 2 grabbed frames). Also GO-to-first-frame latency: from `go()` (what the
GO key calls) to the first grabbed frame of the film.

    .venv/bin/python bench/transitions.py [--keep DIR]
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

DISPLAY = os.environ.get("BENCH_DISPLAY", ":92")  # another display when :92 is taken
W, H = 640, 360
SMALL_W, SMALL_H = 160, 90
FPS = 50
FRAME_MS = 1000 // FPS
LEVELS = (60, 110, 160, 210)  # grey box level of film 0..3
FILM_S = 2.0


def make_films(folder: Path) -> list[Path]:
    from player.media.synth import make_clip

    films = []
    for k, level in enumerate(LEVELS):
        box = f"drawbox=x=0:y=0:w=64:h=64:color=0x{level:02x}{level:02x}{level:02x}@1:t=fill"
        films.append(
            make_clip(
                folder / f"film{k}.mp4",
                seconds=FILM_S,
                width=W,
                height=H,
                fps=25,
                acodec=None,
                extra_video_filters=(box,),
            )
        )
    return films


# ---- screen grab -----------------------------------------------------------------------------


class Grab:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.proc = subprocess.Popen(
            [
                shutil.which("ffmpeg") or "ffmpeg",
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-f",
                "x11grab",
                "-framerate",
                str(FPS),
                "-video_size",
                f"{W}x{H}",
                "-i",
                f"{DISPLAY}+0,0",
                "-copyts",
                "-vf",
                f"scale={SMALL_W}:{SMALL_H}:flags=area,format=gray",
                "-c:v",
                "rawvideo",
                "-f",
                "nut",
                str(out),
            ],
            stdin=subprocess.PIPE,
        )
        time.sleep(0.8)  # x11grab up and grabbing

    def stop(self) -> list[tuple[float, bytes]]:
        time.sleep(0.3)
        self.proc.communicate(b"q", timeout=20)
        times = subprocess.run(
            [
                shutil.which("ffprobe") or "ffprobe",
                "-v",
                "error",
                "-select_streams",
                "v:0",
                "-show_entries",
                "packet=pts_time",
                "-of",
                "csv=p=0",
                str(self.out),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        raw = subprocess.run(
            [
                *(shutil.which("ffmpeg") or "ffmpeg", "-v", "error", "-i", str(self.out)),
                *("-f", "rawvideo", "-pix_fmt", "gray", "-"),
            ],
            capture_output=True,
            check=True,
        ).stdout
        size = SMALL_W * SMALL_H
        frames = [raw[i : i + size] for i in range(0, len(raw), size)]
        return [(float(t), f) for t, f in zip(times, frames, strict=False)]


def classify(frame: bytes) -> str:
    """'film0'..'film3', 'black', or 'card' (anything else that is not a film)."""
    box = [frame[y * SMALL_W + x] for y in range(4, 12) for x in range(4, 12)]
    level = sum(box) / len(box)
    if max(frame) < 40:
        return "black"
    spread = max(box) - min(box)
    for k, expected in enumerate(LEVELS):
        for mapped in (expected, 16 + expected * 219 / 255):
            if abs(level - mapped) < 18 and spread < 12:
                return f"film{k}"
    return "card"


def transitions(frames: list[tuple[float, bytes]]) -> tuple[list[dict], dict]:
    """Per change of picture: what was before and after, black frames, held frames."""
    kinds = [classify(f) for _, f in frames]
    same = [False] + [frames[i][1] == frames[i - 1][1] for i in range(1, len(frames))]
    out = []
    i = 0
    n = len(frames)
    first_film = {}
    for idx, kind in enumerate(kinds):
        if kind.startswith("film") and kind not in first_film:
            first_film[kind] = frames[idx][0]
    while i < n - 1:
        if not kinds[i].startswith("film") and kinds[i] != "card":
            i += 1
            continue
        j = i + 1
        while j < n and kinds[j] == "black":
            j += 1
        if j >= n:
            break
        if kinds[j] != kinds[i] and kinds[j] != "black":
            black = j - i - 1
            # held: the identical run ending at the last frame before the switch (films only:
            # a card is still by design), beyond one film frame period (2 grabbed frames)
            held = 0
            if kinds[i].startswith("film"):
                run, k = 1, i
                while k > 0 and same[k]:
                    run, k = run + 1, k - 1
                held += max(0, run - 2)
            if kinds[j].startswith("film") and kinds[i].startswith("film"):
                run, k = 1, j + 1
                while k < n and same[k]:
                    run, k = run + 1, k + 1
                held += max(0, run - 2)
            out.append({"from": kinds[i], "to": kinds[j], "black": black, "held": held})
        i = j
    return out, first_film


# ---- the two players -------------------------------------------------------------------------


def run_ours(app, films: list[Path], grab_file: Path) -> tuple[list[dict], float | None]:
    from PySide6.QtCore import QEventLoop, QTimer

    from player.media.vlc_backend import VlcBackend
    from player.model import Card, Defaults, Film, Follow, LocalText, Playlist
    from player.qt.controller import ShowController
    from player.qt.output_window import OutputWindow

    def film(k: int, path: Path) -> Film:
        return Film(id=f"f{k}", path=path, title=LocalText.of(f"Film {k}"), follow=Follow.AUTO)

    items = [film(k, p) for k, p in enumerate(films)]
    items += [Card("interval", LocalText.of("Interval"), 1_000), film(9, films[0])]
    items += [Card("end", LocalText.of("The end"), 1_000)]
    playlist = Playlist(
        title=LocalText.of("Bench"),
        items=tuple(items),
        defaults=Defaults(title_cards=False, card_ms=1_000, follow=Follow.HOLD),
    )
    backend = VlcBackend(
        video=True, audio="dummy", extra_args=tuple(os.environ.get("BENCH_VLC_ARGS", "").split())
    )
    controller = ShowController(
        playlist, backend=backend, as_run_path=grab_file.with_suffix(".jsonl")
    )
    window = OutputWindow(controller)
    window.show()
    loop = QEventLoop()
    controller.finished.connect(loop.quit)
    QTimer.singleShot(60_000, loop.quit)
    wait(app, 0.5)
    controller.jump(0)  # before the start: black, the first film preloaded, waiting for GO
    wait(app, 1.0)
    grab = Grab(grab_file)
    wait(app, 0.5)
    go_at = time.time()
    controller.go()
    loop.exec()
    wait(app, 0.5)
    frames = grab.stop()
    window.allow_close()
    window.close()
    controller.close()
    result, first = transitions(frames)
    latency = (first["film0"] - go_at) * 1000 if "film0" in first else None
    return result, latency


def run_naive(app, films: list[Path], grab_file: Path) -> tuple[list[dict], float | None]:
    import queue

    import vlc
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QWidget

    window = QWidget()
    window.setWindowFlags(Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint)
    window.setGeometry(0, 0, W, H)
    window.setStyleSheet("background: black")
    window.setAttribute(Qt.WidgetAttribute.WA_NativeWindow)
    window.show()
    wait(app, 0.5)
    instance = vlc.Instance(
        ["--avcodec-hw=none", "--no-video-title-show", "--aout=dummy", "--quiet"]
    )
    player = instance.media_player_new()
    player.set_xwindow(int(window.winId()))
    ended: queue.SimpleQueue = queue.SimpleQueue()
    player.event_manager().event_attach(
        vlc.EventType.MediaPlayerEndReached, lambda _e: ended.put(True)
    )
    todo = list(films)
    loop = QEventLoop()

    def poll() -> None:  # the naive way: poll from the GUI thread, then reuse the player
        if ended.empty():
            return
        ended.get()
        if not todo:
            loop.quit()
            return
        player.set_media(instance.media_new_path(str(todo.pop(0))))
        player.play()

    timer = QTimer()
    timer.timeout.connect(poll)
    timer.start(1)
    QTimer.singleShot(60_000, loop.quit)
    grab = Grab(grab_file)
    wait(app, 0.5)
    go_at = time.time()
    player.set_media(instance.media_new_path(str(todo.pop(0))))
    player.play()
    loop.exec()
    wait(app, 0.5)
    frames = grab.stop()
    timer.stop()
    player.stop()
    player.release()
    instance.release()
    window.close()
    result, first = transitions(frames)
    latency = (first["film0"] - go_at) * 1000 if "film0" in first else None
    return result, latency


def wait(app, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.005)


def summary(name: str, items: list[dict]) -> tuple[int, int]:
    black = sum(t["black"] for t in items)
    held = sum(t["held"] for t in items)
    print(f"{name}:")
    for t in items:
        print(
            f"  {t['from']:>6} -> {t['to']:<6} black {t['black'] * FRAME_MS:4d} ms"
            f"  held {t['held'] * FRAME_MS:4d} ms"
        )
    return black, held


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="keep the grabs and clips in this folder")
    parser.add_argument("--runs", type=int, default=1, help="repeat both players N times")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-transitions-"))
    folder.mkdir(parents=True, exist_ok=True)
    xvfb = subprocess.Popen(
        ["Xvfb", DISPLAY, "-screen", "0", f"{W}x{H}x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(1.0)
        os.environ["DISPLAY"] = DISPLAY
        os.environ["QT_QPA_PLATFORM"] = "xcb"
        from player.media.vlc_backend import init_x11_threads

        init_x11_threads()
        from PySide6.QtWidgets import QApplication

        app = QApplication([sys.argv[0]])
        films = make_films(folder)
        ours_all, naive_all, ours_lat, naive_lat = [], [], [], []
        for run in range(args.runs):
            ours, lat_o = run_ours(app, films, folder / f"ours{run}.nut")
            naive, lat_n = run_naive(app, films, folder / f"naive{run}.nut")
            ours_all += ours
            naive_all += naive
            ours_lat += [lat_o] if lat_o is not None else []
            naive_lat += [lat_n] if lat_n is not None else []
        film_to_film = [
            t for t in ours_all if t["from"].startswith("film") and t["to"].startswith("film")
        ]
        summary("ours (all transitions)", ours_all)
        summary("naive reused player", naive_all)

        def bad(ts, key=None):
            values = [
                (t["black"] + t["held"]) * FRAME_MS if key is None else t[key] * FRAME_MS
                for t in ts
            ]
            return statistics.median(values) if values else 0.0

        print()
        print(
            f"film->film, median per transition: ours black {bad(film_to_film, 'black'):.0f} ms"
            f" + held {bad(film_to_film, 'held'):.0f} ms; naive black {bad(naive_all, 'black'):.0f}"
            f" ms + held {bad(naive_all, 'held'):.0f} ms"
        )
        bad_o, bad_n = bad(film_to_film), bad(naive_all)
        ratio = "inf" if bad_o == 0 else f"{bad_n / bad_o:.2f}"
        print(
            f"black+held ms per film->film transition (median): ours {bad_o:.0f}, "
            f"naive {bad_n:.0f}, naive/ours = {ratio}"
        )
        card_tr = [t for t in ours_all if "card" in (t["from"], t["to"])]
        print(
            f"ours card<->film transitions: {len(card_tr)}, black frames "
            f"{sum(t['black'] for t in card_tr)}, held frames {sum(t['held'] for t in card_tr)}"
        )
        if ours_lat and naive_lat:
            print(
                f"GO -> first frame on screen: ours median {statistics.median(ours_lat):.0f} ms "
                f"(film preloaded), naive median {statistics.median(naive_lat):.0f} ms "
                f"(open + play) [runs: {len(ours_lat)}]"
            )
        print(f"(grab: x11grab {FPS} fps, one frame = {FRAME_MS} ms; files in {folder})")
        return 0
    finally:
        xvfb.terminate()
        xvfb.wait(5)
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
