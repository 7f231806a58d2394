"""Benchmark: the editor's validation as you type (one keystroke's worth of work).

Per keystroke the editor dumps its round-trip document (ruamel, with untouched lines restored)
and loads the text with the playlist loader. Baseline, in the same run: the loader alone on the
same text (what validation would cost without keeping comments and formatting).
Run: .venv/bin/python bench/editor_validate.py [ITEMS ...] [--repeats N]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from player.core.playlist_io import load_playlist_text
from player.organiser.editing import SetField, UndoStack
from player.organiser.playlist_doc import PlaylistDoc


def make(path: Path, items: int) -> None:
    lines = ["# A night", "version: 1", "title: {fr: Nuit, en: Night}", "languages: [fr, en]"]
    lines.append("items:")
    for i in range(items):
        lines += [
            f"  - film: films/f{i}.mp4   # reel {i}",
            f"    title: {{fr: Film {i}, en: Film {i}}}",
            f"    director: Someone {i}",
            "    runtime: 1:30",
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")


def median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    args = sys.argv[1:]
    repeats = 15
    if "--repeats" in args:
        i = args.index("--repeats")
        repeats = int(args[i + 1])
        del args[i : i + 2]
    sizes = [int(a) for a in args] or [10, 50, 200]
    with tempfile.TemporaryDirectory() as tmp:
        for items in sizes:
            path = Path(tmp) / f"night{items}.yaml"
            make(path, items)
            doc = PlaylistDoc.load(path)
            stack = UndoStack(doc)
            counter = iter(range(10**9))

            def keystroke(doc=doc, stack=stack, counter=counter) -> None:
                value = f"x{next(counter)}"
                stack.push(SetField(("items", 0, "director"), value, merge_typing=True))
                doc.problems()

            text = doc.dump()
            editor_ms = median_ms(keystroke, repeats)
            loader_ms = median_ms(lambda t=text, p=path: load_playlist_text(t, p), repeats)
            print(
                f"{items:>5} items: editor validation {editor_ms:7.1f} ms per keystroke "
                f"(median of {repeats}); loader alone {loader_ms:6.1f} ms; "
                f"ratio {editor_ms / loader_ms:4.1f}x"
            )


if __name__ == "__main__":
    main()
