"""`screening-night cards PLAYLIST --out FOLDER [--size 1920x1080] [--subtitles]`: every card of
the night as PNG, drawn by the same code as the projector window, to proof spelling and layout.
With `--subtitles`, also a frame of each film with a subtitle file, at its first cue, as the
projector shows it: a real frame of the film grabbed by libvlc with the subtitle drawn in by
libvlc's own text renderer, through the same backend, encoding and theme look as the show."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from player.commands import load_or_report


def parse_size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d{2,5})\s*[xX×]\s*(\d{2,5})\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"'{text}' is not a size like 1920x1080")
    width, height = int(match.group(1)), int(match.group(2))
    if not (16 <= width <= 16384 and 16 <= height <= 16384):
        raise argparse.ArgumentTypeError(f"'{text}': width and height must be 16..16384 pixels")
    return width, height


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("playlist", type=Path, metavar="PLAYLIST", help="YAML playlist")
    parser.add_argument("--out", type=Path, required=True, metavar="FOLDER", help="where to write")
    parser.add_argument(
        "--size", type=parse_size, default=(1920, 1080), metavar="WxH", help="default 1920x1080"
    )
    parser.add_argument(
        "--subtitles",
        action="store_true",
        help="also a frame of each subtitled film at its first cue, as the projector shows it",
    )
    parser.add_argument(
        "--probe",
        action="store_true",
        help="read running times from the media files (default: the declared runtime)",
    )


def run(args: argparse.Namespace) -> int:
    from player.core.cards import night_cards, step_id
    from player.core.model import steps
    from player.core.paths import safe_file_name

    playlist = load_or_report(args.playlist)
    if playlist is None:
        return 2
    durations: dict[Path, int] = {}
    if args.probe:
        from player.media.probe import probe_many

        for path, result in probe_many([f.path for f in playlist.films()]).items():
            duration = getattr(result, "duration_ms", None)
            if duration:
                durations[Path(path)] = int(duration)
    import os

    if not os.environ.get("DISPLAY") and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # drawing PNGs needs no screen
    from PySide6.QtWidgets import QApplication

    from player.qt.title_card import render_card

    _app = QApplication.instance() or QApplication(["screening-night"])
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"screening-night: cannot create {args.out}: {exc.strerror}", file=sys.stderr)
        return 2
    written = 0
    for step, content in night_cards(playlist, steps(playlist), durations):
        name = f"{step.index + 1:02d}-{safe_file_name(step_id(step), 'card', sep='-')}.png"
        target = args.out / name
        image = render_card(content, args.size)
        if not image.save(str(target), "PNG"):
            print(f"screening-night: could not write {target}", file=sys.stderr)
            return 2
        print(target)
        written += 1
    print(f"{written} card(s) written to {args.out}", file=sys.stderr)
    if args.subtitles:
        return _subtitle_proofs(playlist, args.out)
    return 0


def _subtitle_proofs(playlist, out: Path) -> int:
    """A frame of each film with a subtitle file, at its first cue, grabbed by libvlc."""
    from player.core import subtitles as subs
    from player.core.model import StepKind, steps
    from player.core.paths import safe_file_name
    from player.media.backend import BackendError
    from player.media.vlc_backend import subtitle_frame

    style = subs.SubtitleStyle.of(playlist)
    written = failed = 0
    for step in steps(playlist):
        film = step.item
        if step.kind is not StepKind.FILM or film.subtitles is None:
            continue
        name = safe_file_name(film.id, "film", sep="-")
        target = out / f"{step.index + 1:02d}-{name}-subtitles.png"
        try:
            parsed = subs.load_subtitles(film.subtitles, style.languages)
        except subs.SubtitleError as exc:
            print(f"screening-night: {exc}", file=sys.stderr)
            failed += 1
            continue
        if not parsed.cues:
            print(f"screening-night: {film.subtitles.name} has no cue to show", file=sys.stderr)
            failed += 1
            continue
        cue = min(parsed.cues, key=lambda c: c.start_ms)
        try:
            ok = subtitle_frame(film.path, film.subtitles, cue, target, style=style)
        except BackendError as exc:
            print(f"screening-night: {exc}", file=sys.stderr)
            return 2
        if ok:
            print(f"{target}  ({film.subtitles.name}, {parsed.detected}, line {cue.line})")
            written += 1
        else:
            print(
                f"screening-night: no frame of {film.path.name} at its first cue", file=sys.stderr
            )
            failed += 1
    print(f"{written} subtitle proof(s) written to {out}", file=sys.stderr)
    return 1 if failed else 0
