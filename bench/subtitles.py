"""Subtitled films on time: card -> film and film -> film, subtitled or not, on screen.

Runs under its own Xvfb like bench/transitions.py (its screen grab and frame classifier), with
the real output window, the ShowController and the libvlc backend. Each run is a fresh process
(the first film of a process is the one libvlc's pre-roll starts over, where the late starts
were seen). Nights:
  card -> film   a 2 s card, then the film: how long the card stayed beyond its 2 s, and GO to
                 the film's first picture;
  film -> film   an unsubtitled film, then the film: GO to the first film's first picture (a
                 subtitled film next in line held it up), black + held frames at the switch.
The film is the same each time: without subtitles (the baseline, in the same run), or with an
external UTF-8 .srt whose first cue is at 0 s, 0.5 s or 5 s, in French or in Chinese.

    .venv/bin/python bench/subtitles.py [--runs N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # support/: clips, Xvfb
sys.path.insert(0, str(HERE))  # transitions: the screen grab and its classifier

CARD_MS = 2_000
FILM_S = 4.0
TEXTS = {
    "fr": "Demain, la ville entière flottera — « viens ! »",
    "zh": "明天，整座城市都会漂浮起来。",
}
VARIANTS = ["none"] + [f"{lang}@{at}" for lang in TEXTS for at in ("0", "0.5", "5")]


def srt(folder: Path, variant: str) -> Path | None:
    if variant == "none":
        return None
    lang, at = variant.split("@")
    first = float(at)

    def stamp(s: float) -> str:
        ms = round(s * 1000)
        return f"00:{ms // 60_000:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"

    cues = [
        f"{n + 1}\n{stamp(first + 1.2 * n)} --> {stamp(first + 1.2 * n + 1.0)}\n{TEXTS[lang]}\n"
        for n in range(10)
    ]
    path = folder / f"film.{lang}.{at}.srt"
    path.write_text("\n".join(cues), encoding="utf-8")
    return path


def one_night(folder: Path, night: str, variant: str, grab_file: Path) -> dict[str, float]:
    """Play one night in this process; the figures of its grab (ms)."""
    import transitions as t
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from player.core.model import Card, Defaults, Film, Follow, LocalText, Playlist
    from player.media.vlc_backend import VlcBackend, init_x11_threads
    from player.qt.controller import ShowController
    from player.qt.output_window import OutputWindow

    init_x11_threads()
    app = QApplication.instance() or QApplication([sys.argv[0]])
    t.FILM_S, t.FILM_FRAMES = FILM_S, int(FILM_S * t.FILM_FPS)
    films = sorted(folder.glob("film[0-9].mp4"))
    subtitles = srt(folder, variant)

    def film(k: int, subs: Path | None) -> Film:
        return Film(f"f{k}", films[k], LocalText.of(f"F{k}"), subtitles=subs, follow=Follow.AUTO)

    if night == "card":
        items = (Card("c", LocalText.of("Card"), CARD_MS), film(0, subtitles))
    else:
        items = (film(1, None), film(0, subtitles))
    items += (Card("end", LocalText.of("End"), 500),)
    playlist = Playlist(
        title=LocalText.of("Bench"),
        items=items,
        defaults=Defaults(title_cards=False, follow=Follow.AUTO),
    )
    backend = VlcBackend(video=True, audio="dummy")
    controller = ShowController(playlist, backend=backend, as_run_path=grab_file.with_suffix(".jl"))
    window = OutputWindow(controller)
    window.show()
    loop = QEventLoop()
    controller.finished.connect(loop.quit)
    QTimer.singleShot(60_000, loop.quit)
    t.wait(app, 0.5)
    if night == "film":
        controller.engine.jump(0)  # waiting on black, the first film preloaded
    t.wait(app, 1.0)
    grab = t.Grab(grab_file)
    t.wait(app, 0.5)
    go_at = time.time()
    controller.engine.start() if night == "card" else controller.engine.go()
    loop.exec()
    t.wait(app, 0.3)
    frames = grab.stop()
    window.allow_close()
    window.close()
    controller.close()
    first: dict[str, float] = {}  # each picture first seen after GO (before: the idle screen)
    for at, frame in frames:
        if at >= go_at:
            first.setdefault(t.classify(frame), at)
    film0 = first.get("film0")
    out: dict[str, float] = {}
    if night == "card":
        if film0 is not None and "card" in first:
            out["card_late"] = (film0 - first["card"]) * 1000 - CARD_MS
            out["go"] = (film0 - go_at) * 1000
    else:
        if "film1" in first:
            out["go"] = (first["film1"] - go_at) * 1000
        switches, _ = t.transitions(frames)
        for s in switches:
            if s["from"] == "film1" and s["to"] == "film0":
                out["switch_bad"] = (s["black"] + s["held"]) * t.FRAME_MS
                out["head"] = s["head"]
    return out


def child(args: argparse.Namespace) -> int:
    import transitions as t

    from support.xvfb import xvfb

    with xvfb("-screen", "0", f"{t.W}x{t.H}x24") as display:
        os.environ["DISPLAY"] = display
        os.environ["QT_QPA_PLATFORM"] = "xcb"
        figures = one_night(args.folder, args.night, args.variant, args.grab)
    print("RESULT " + json.dumps(figures))
    return 0


def make_films(folder: Path) -> None:
    import transitions as t

    t.FILM_S = FILM_S
    t.make_films(folder)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="nights of each kind (default 3)")
    parser.add_argument("--keep", type=Path, help="keep the grabs and clips in this folder")
    parser.add_argument("--child", nargs=3, metavar=("NIGHT", "VARIANT", "GRAB"))
    parser.add_argument("--folder", type=Path)
    args = parser.parse_args()
    if args.child:
        args.night, args.variant, grab = args.child
        args.grab = Path(grab)
        return child(args)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-subtitles-"))
    folder.mkdir(parents=True, exist_ok=True)
    make_films(folder)
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    # interleaved, so that the baseline shares whatever else the machine is doing
    for run in range(args.runs):
        for night in ("card", "film"):
            for variant in VARIANTS:
                grab = folder / f"{night}-{variant}-{run}.nut"
                done = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--folder",
                        str(folder),
                        "--child",
                        night,
                        variant,
                        str(grab),
                    ],
                    capture_output=True,
                    text=True,
                    timeout=180,
                )
                line = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
                figures = json.loads(line[-1][7:]) if line else {}
                if not line:  # say why, rather than a row of nan
                    print(done.stderr[-1500:], file=sys.stderr)
                results.setdefault((night, variant), []).append(figures)
                print(f"{night:4} {variant:6} run {run}: {figures}", file=sys.stderr, flush=True)

    def median(night: str, variant: str, key: str) -> float:
        values = [r[key] for r in results[(night, variant)] if key in r]
        return statistics.median(values) if values else float("nan")

    print(f"\nmedians of {args.runs} run(s), ms; ratio = subtitled / same film without subtitles")
    print(f"{'film':<8}{'card late':>11}{'ratio':>8}{'card GO':>10}{'ratio':>8}"
          f"{'film GO':>10}{'ratio':>8}{'switch':>9}{'worst card late':>17}")  # fmt: skip
    base_card_go, base_film_go = median("card", "none", "go"), median("film", "none", "go")
    for variant in VARIANTS:
        late = median("card", variant, "card_late")
        card_go, film_go = median("card", variant, "go"), median("film", variant, "go")
        worst = max(r.get("card_late", float("nan")) for r in results[("card", variant)])
        base_late = max(1.0, abs(median("card", "none", "card_late")))
        print(
            f"{variant:<8}{late:>11.0f}{abs(late) / base_late:>8.2f}{card_go:>10.0f}"
            f"{card_go / base_card_go:>8.2f}{film_go:>10.0f}{film_go / base_film_go:>8.2f}"
            f"{median('film', variant, 'switch_bad'):>9.0f}{worst:>17.0f}"
        )
    print("card late: the card's time on screen beyond its 2 s; card GO: GO -> film's first "
          "picture (2 s card included); film GO: GO -> the first film's first picture with this "
          "film next; switch: black + held ms between the two films")  # fmt: skip
    if args.keep is None:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
