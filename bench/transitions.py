"""Transitions on screen: black, held and unseen frames at every switch, ours vs baselines.

Runs under its own Xvfb (tests/support/xvfb.py), opens the real output window
(player/qt/output_window.py) driven by the ShowController with the libvlc backend, and grabs the
screen at 50 fps with ffmpeg's x11grab. In the same run, two baselines play the same night: our
engine without pre-roll (films opened with `:start-paused`, as before pre-roll) and a naive
single reused libvlc player (set_media + play on each end) in a plain native window. Each film
carries a grey box whose level names it and a white bar whose length counts its frames, so every
grabbed frame is classified (film k, frame n / card / black). At each switch we count black
frames, frames held beyond one film frame period (25 fps film = 2 grabbed frames), and the film
frames never shown (the first ones of the incoming film, the last ones of the outgoing). Also
GO-to-first-frame latency: from `go()` (what the GO key calls) to the first grabbed frame.

    .venv/bin/python bench/transitions.py [--runs N] [--keep DIR]
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # support/: clips, Xvfb
from support.xvfb import xvfb

W, H = 640, 360
SMALL_W, SMALL_H = 160, 90
FPS = 50
FRAME_MS = 1000 // FPS
LEVELS = (60, 110, 160, 210)  # grey box level of film 0..3
FILM_S = 2.0


FILM_FPS = 25
FILM_FRAMES = int(FILM_S * FILM_FPS)


def make_films(folder: Path) -> list[Path]:
    """Film k: a counter clip (tests/support/synth.py) whose grey box level names it."""
    from support.synth import make_counter_clip

    return [
        make_counter_clip(
            folder / f"film{k}.mp4",
            seconds=FILM_S,
            width=W,
            height=H,
            fps=FILM_FPS,
            box_level=level,
        )
        for k, level in enumerate(LEVELS)
    ]


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
                f"{os.environ['DISPLAY']}+0,0",
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


def frame_number(frame: bytes) -> int:
    """Which frame of its film a grabbed film frame shows (from the length of its bar)."""
    from support.synth import counter_bar_row, counter_frame

    row = counter_bar_row(H) * SMALL_H // H
    return counter_frame(frame[row * SMALL_W : (row + 1) * SMALL_W], scale=SMALL_W / W)


def transitions(frames: list[tuple[float, bytes]]) -> tuple[list[dict], dict]:
    """Per change of picture: what was before and after, black frames, held frames, and the
    film frames never shown: the incoming film's first frames (`head`) and the outgoing film's
    last ones (`tail`), in film frames."""
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
            held_out = held_in = 0
            if kinds[i].startswith("film"):
                run, k = 1, i
                while k > 0 and same[k]:
                    run, k = run + 1, k - 1
                held_out = max(0, run - 2)
            if kinds[j].startswith("film") and kinds[i].startswith("film"):
                run, k = 1, j + 1
                while k < n and same[k]:
                    run, k = run + 1, k + 1
                held_in = max(0, run - 2)
            head = frame_number(frames[j][1]) if kinds[j].startswith("film") else 0
            tail = (
                FILM_FRAMES - 1 - frame_number(frames[i][1]) if kinds[i].startswith("film") else 0
            )
            out.append(
                {
                    "from": kinds[i],
                    "to": kinds[j],
                    "black": black,
                    "held": held_out + held_in,
                    "held_out": held_out,
                    "head": max(0, head),
                    "tail": max(0, tail),
                }
            )
        i = j
    return out, first_film


# ---- the two players -------------------------------------------------------------------------


def run_ours(
    app, films: list[Path], grab_file: Path, *, preroll: bool = True
) -> tuple[list[dict], float | None]:
    """Our engine. `preroll=False`: the engine before pre-roll (films opened with
    `:start-paused`, the next film started 140 ms before the last one ended)."""
    from PySide6.QtCore import QEventLoop, QTimer

    from player.core.model import Card, Defaults, Film, Follow, LocalText, Playlist
    from player.media.vlc_backend import VlcBackend
    from player.qt.controller import ShowController
    from player.qt.output_window import OutputWindow
    from player.show import engine as controller_module

    lead = controller_module.PRESTART_LEAD_MS
    if not preroll:
        controller_module.PRESTART_LEAD_MS = 140

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
        video=True,
        audio="dummy",
        extra_args=tuple(os.environ.get("BENCH_VLC_ARGS", "").split()),
        preroll=preroll,
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
    controller.engine.jump(0)  # before the start: black, the first film preloaded, waiting for GO
    wait(app, 1.0)
    grab = Grab(grab_file)
    wait(app, 0.5)
    go_at = time.time()
    controller.engine.go()
    loop.exec()
    wait(app, 0.5)
    frames = grab.stop()
    window.allow_close()
    window.close()
    controller.close()
    controller_module.PRESTART_LEAD_MS = lead
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
            f"  held {t['held'] * FRAME_MS:4d} ms (last {t['held_out'] * FRAME_MS:3d})"
            f"  film frames unseen: last {t['tail']:2d},"
            f" first {t['head']:2d}"
        )
    return black, held


def figures_of(items: list[dict], latencies: list[float]) -> dict[str, float]:
    """Medians: per film->film switch, per film start/end, per card<->film switch, GO."""

    def median(values) -> float:
        values = list(values)
        return statistics.median(values) if values else float("nan")

    film_film = [t for t in items if t["from"].startswith("film") and t["to"].startswith("film")]
    cards = [t for t in items if "card" in (t["from"], t["to"])]
    return {
        "bad": median((t["black"] + t["held"]) * FRAME_MS for t in film_film),
        "black": median(t["black"] * FRAME_MS for t in film_film),
        "head": median(t["head"] for t in items if t["to"].startswith("film")),
        "tail": median(t["tail"] for t in items if t["from"].startswith("film")),
        "card_bad": median((t["black"] + t["held"]) * FRAME_MS for t in cards),
        "go": median(latencies),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="keep the grabs and clips in this folder")
    parser.add_argument("--runs", type=int, default=1, help="repeat both players N times")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-transitions-"))
    folder.mkdir(parents=True, exist_ok=True)
    with xvfb("-screen", "0", f"{W}x{H}x24") as display:
        os.environ["DISPLAY"] = display
        os.environ["QT_QPA_PLATFORM"] = "xcb"
        from player.media.vlc_backend import init_x11_threads

        init_x11_threads()
        from PySide6.QtWidgets import QApplication

        app = QApplication([sys.argv[0]])
        films = make_films(folder)
        players = {
            "ours": lambda f: run_ours(app, films, f),
            "ours without pre-roll": lambda f: run_ours(app, films, f, preroll=False),
            "naive reused player": lambda f: run_naive(app, films, f),
        }
        found = {name: ([], []) for name in players}
        for run in range(args.runs):
            for k, (name, play) in enumerate(players.items()):
                result, latency = play(folder / f"run{run}-{k}.nut")
                found[name][0].extend(result)
                found[name][1].extend([latency] if latency is not None else [])
        for name, (result, _) in found.items():
            summary(name, result)
        print()
        figures = {name: figures_of(result, lat) for name, (result, lat) in found.items()}
        print(f"{'median per film->film switch':<34}" + "".join(f"{n:>24}" for n in players))
        for key, label in (
            ("bad", "black + held ms"),
            ("black", "  of which black ms"),
            ("head", "first film frames unseen"),
            ("tail", "last film frames unseen"),
            ("card_bad", "card<->film black+held ms"),
            ("go", "GO -> first frame ms"),
        ):
            print(f"{label:<34}" + "".join(f"{figures[n][key]:>24.0f}" for n in players))
        ours = figures["ours"]
        for other in list(players)[1:]:
            ratios = ", ".join(
                f"{key} {figures[other][key] / ours[key]:.2f}x" if ours[key] else f"{key} inf"
                for key in ("bad", "head", "go")
            )
            print(f"{other} / ours: {ratios}")
        print(f"(grab: x11grab {FPS} fps, one frame = {FRAME_MS} ms; files in {folder})")
    if args.keep is None:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
