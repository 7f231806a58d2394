"""The booth sheet's HTML: every text escaped, titles in the night's languages, hold marks,
a night that ends after midnight."""

from __future__ import annotations

from pathlib import Path

import pytest

from player.core.model import Card, Film, Follow, Intermission, LocalText, Playlist
from player.core.schedule import plan
from player.organiser.booth_sheet import booth_sheet_html

M = 60_000


def test_sheet_content_and_escaping():
    film = Film(
        id="f",
        path=Path("/m/<odd> & name.mp4"),
        title=LocalText.of({"en": "Fish & <Chips>", "zh": "鱼", "fr": "Poisson"}),
        director=LocalText.of("A <b>bold</b> director"),
        country=LocalText.of({"fr": "Chine", "en": "China"}),
        year=2024,
        runtime_ms=20 * M,
        in_ms=5_000,
        follow=Follow.HOLD,
        notes=LocalText.of({"fr": "Son fort", "en": "Loud"}),
    )
    night = Playlist(
        title=LocalText.of({"fr": "Nuit", "en": "Night"}),
        items=(
            film,
            Intermission(id="i", duration_ms=15 * M, text=LocalText.of("Pause")),
            Card(id="end", text=LocalText.of("Q&A"), duration_ms=None, hold=True),
        ),
        start_ms=23 * 60 * M + 50 * M,
        languages=("zh", "fr", "en"),
        venue=LocalText.of("Salle <1>"),
    )
    html = booth_sheet_html(night, plan(night))
    assert "<b>bold</b>" not in html and "A &lt;b&gt;bold&lt;/b&gt; director" in html
    assert "Fish &amp; &lt;Chips&gt;" in html and "Salle &lt;1&gt;" in html
    # The first of the night's languages leads, the others follow in order.
    assert html.index("<b>鱼</b>") < html.index("Poisson") < html.index("Fish &amp;")
    assert "Chine / China · 2024" in html and "in 0:05" in html
    assert "Son fort" in html and "Loud" in html and "HOLD after: wait for GO" in html
    assert "HOLD: stays up until GO" in html and "Q&amp;A" in html
    assert "19:55 (declared)" in html  # 20 min declared, minus 5 s in, rounded to the second
    assert "23:50:00" in html and "End 00:25:03 (next day)" in html
    assert html.count("<td class='cue'>") == 4  # title card, film, intermission, closing card


@pytest.mark.parametrize(
    ("trims", "shown"),
    [
        ({"fade_out_ms": 3_000}, "fade out 0:03 · file: f.mp4"),
        ({"fade_out_ms": 2_500}, "fade out 0:02.5 · "),  # half a second is worth showing
        ({"in_ms": 5_000, "out_ms": 10 * M, "fade_out_ms": 4_000}, "in 0:05, out 10:00, fade out"),
        ({"out_ms": 10 * M}, "out 10:00 · file: f.mp4"),  # no fade: nothing said about one
    ],
)
def test_fade_out_is_listed_with_the_trims(trims, shown):
    film = Film(id="f", path=Path("/m/f.mp4"), title=LocalText.of("F"), runtime_ms=20 * M, **trims)
    night = Playlist(title=LocalText.of("Night"), items=(film,))
    html = booth_sheet_html(night, plan(night))
    assert shown in html
    assert ("fade out" in html) is bool(film.fade_out_ms)
