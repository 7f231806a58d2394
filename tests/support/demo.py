"""Generate the demo night's media (stand-ins for the three shorts) into assets/demo/.

`python -m support.demo` is run by the set-up; it skips files already made, so a second run
takes no time. Each clip has its title burnt in and a tone of its own, at different levels,
so a person can tell them apart and hear the loudness matching at work.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from player.core.paths import DEMO_MEDIA_DIR
from support.synth import SynthError, make_clip

SECONDS = 20

# file name -> make_clip arguments
DEMO_FILMS: dict[str, dict] = {
    "lacquered-food-tray-4k.mp4": {
        "width": 3840,
        "height": 2160,
        "fps": 25,
        "pattern": "testsrc2",
        "label": "如果国宝会说话：狸猫纹漆食盘\nEvery Treasure Tells a Story (4K)",
        "tone_hz": 392.0,
        "tone_db": -12.0,
        "vcodec_args": ("-preset", "ultrafast", "-crf", "30"),
    },
    "to-my-dearest-self.mp4": {
        "width": 1920,
        "height": 1080,
        "fps": 25,
        "pattern": "gradients",
        "label": "致亲爱的自己\nTo My Dearest Self",
        "tone_hz": 523.25,
        "tone_db": -24.0,
    },
    "dave-jumps-into-the-sea.mp4": {
        "width": 1920,
        "height": 1080,
        "fps": 24,
        "pattern": "testsrc",
        "label": "戴夫决定跳海\nDave Decides to Jump into the Sea",
        "tone_hz": 659.25,
        "tone_db": -32.0,
    },
}


# What the clips are made from; a set-up run makes them again when it changes. Bump LOOK when
# the clips' look changes elsewhere (2: titles no longer wider than the frame).
LOOK = 2


def _recipe() -> str:
    return f"{LOOK} {SECONDS} {sorted(DEMO_FILMS.items())!r}"


def ensure_demo_media(folder: Path = DEMO_MEDIA_DIR, *, force: bool = False) -> list[Path]:
    """Make any missing or out-of-date demo clip; returns the paths of all of them."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = folder / ".recipe"
    try:
        force = force or stamp.read_text(encoding="utf-8") != _recipe()
    except OSError:
        force = True
    paths = []
    for name, options in DEMO_FILMS.items():
        path = folder / name
        if force or not path.exists() or path.stat().st_size == 0:
            tmp = path.with_name(f".{name}.part.mp4")
            make_clip(tmp, seconds=SECONDS, **options)
            tmp.replace(path)
            print(f"made {path}", file=sys.stderr)
        paths.append(path)
    stamp.write_text(_recipe(), encoding="utf-8")
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="make the clips again")
    args = parser.parse_args(argv)
    try:
        ensure_demo_media(force=args.force)
    except SynthError as exc:
        print(f"demo media: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
