"""Drill: hostile text on the projector and a marathon night in the console."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt

from player.core.cards import card_content
from player.core.model import StepKind, steps
from player.core.playlist_io import load_playlist, load_playlist_text
from player.core.sequencer import Phase
from player.media.vlc_backend import VlcBackend
from player.qt.app import open_show
from player.qt.title_card import render_card

HOSTILE_TITLES = [
    "Le \u202efilm inversé\u202c <b>gras</b> &amp; <img src=x>",  # bidi override, markup
    "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627 — Hebrew and Arabic",  # RTL
    "ligne\u2028séparée\u0085fin\u200b\u200d\ufeff",  # separators, zero-width
    "tab\tand bell\u0007 and escape\u001b[31m",  # control characters (quoted in YAML)
    "x" * 400,  # far too long for one line
    "中" * 120,
]


def test_hostile_titles_render_as_plain_text(tmp_path, qapp):
    items = "".join(
        f'  - film: a.mp4\n    title: "{t.encode("unicode_escape").decode()}"\n'
        for t in HOSTILE_TITLES
    )
    playlist = load_playlist_text(
        f"version: 1\ntitle: x\nlanguages: [fr]\nitems:\n{items}", tmp_path / "n.yaml"
    )
    cards = [s for s in steps(playlist) if s.kind is StepKind.CARD]
    assert len(cards) == len(HOSTILE_TITLES)
    for step, title in zip(cards, HOSTILE_TITLES, strict=True):
        assert step.item.title.first() == title  # kept exactly, nothing interpreted
        content = card_content(playlist, step)
        image = render_card(content, (640, 360))
        background = image.pixel(0, 0)
        inked = sum(
            image.pixel(x, y) != background for x in range(0, 640, 4) for y in range(0, 360, 4)
        )
        assert inked > 50, f"nothing drawn for {title!r}"


def test_console_opens_a_ten_thousand_item_night_and_stays_responsive(tmp_path, qtbot):
    lines = ["version: 1", "title: Marathon", "start: '10:00'", "items:"]
    for i in range(10_000):
        lines += [f"  - film: films/f{i}.mp4", f"    title: Film {i}", "    runtime: 90"]
    path = tmp_path / "marathon.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    playlist = load_playlist(path)
    started = time.perf_counter()
    show = open_show(
        playlist,
        windowed=True,
        backend=VlcBackend(video=False, audio="dummy"),
        run_check=True,  # the background media check of 10 000 (missing) files too
        controller_kwargs={
            "as_run_path": tmp_path / "as-run.jsonl",
            "journal_path": tmp_path / "journal.json",
        },
    )
    qtbot.addWidget(show.console)
    qtbot.addWidget(show.output)
    try:
        opened_s = time.perf_counter() - started
        assert len(show.controller.steps) == 20_000  # each film with its title card
        # The background check comes back (every file is missing: red) and fills the column.
        table = show.console.table
        headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
        col = headers.index("Check")
        qtbot.waitUntil(lambda: table.item(19_999, col).text() == "ERROR", timeout=120_000)
        assert table.item(1, col).text() == "ERROR"
        # Responsive: a GO typed now reaches the show, and so does the next step change.
        qtbot.keyClick(show.console, Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: show.controller.status.phase is Phase.CARD, timeout=30_000)
        show.controller.engine.skip()
        qtbot.waitUntil(lambda: show.controller.status.step_index != 0, timeout=30_000)
        print(f"10 000-item night: console open in {opened_s:.2f} s")
    finally:
        show.console.close_show()
