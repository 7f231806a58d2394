"""The pure model's helpers."""

from __future__ import annotations

import pytest

from player.core.model import LocalText, format_duration


@pytest.mark.parametrize(
    ("ms", "fraction", "text"),
    [
        (0, False, "0:00"),
        (12_345, False, "0:12"),
        (59_600, False, "1:00"),
        (3_723_000, False, "1:02:03"),
        (-5_000, False, "-0:05"),
        (62_500, True, "1:02.5"),
        (10_000, True, "0:10"),
        (3_723_045, True, "1:02:03.045"),
    ],
)
def test_format_duration(ms, fraction, text):
    assert format_duration(ms, fraction=fraction) == text


def test_local_text_lines_follow_the_night_order():
    text = LocalText.of({"en": "Night", "zh": "夜", "de": "Nacht"})
    assert text.lines(["zh", "fr", "en"]) == [("zh", "夜"), ("en", "Night"), ("de", "Nacht")]
    assert text.first(["fr", "en"]) == "Night"
    assert LocalText.of("Plain").lines(["zh"]) == [("", "Plain")]


def test_played_ms_applies_trims_to_the_media_or_the_declared_runtime():
    from pathlib import Path

    from player.core.model import Film

    film = Film(id="f", path=Path("/f.mp4"), title=LocalText.of("F"), in_ms=10_000, out_ms=250_000)
    assert film.played_ms(400_000) == 240_000  # out inside the media
    assert film.played_ms(200_000) == 190_000  # out past the end: stops at the end
    assert film.played_ms(None) == 240_000  # no media length: declared (out - in)
    bare = Film(id="b", path=Path("/b.mp4"), title=LocalText.of("B"))
    assert bare.played_ms(None) is None and bare.played_ms(5_000) == 5_000


def test_fade_out_is_inside_the_played_length():
    # A fade ends the film where it would end anyway: the schedule's lengths do not change.
    from pathlib import Path

    from player.core.model import Film

    plain = Film(id="f", path=Path("/f.mp4"), title=LocalText.of("F"), in_ms=10_000)
    faded = Film(
        id="f", path=Path("/f.mp4"), title=LocalText.of("F"), in_ms=10_000, fade_out_ms=3_000
    )
    assert plain.fade_out_ms == 0  # by default the film cuts at its end
    assert faded.played_ms(60_000) == plain.played_ms(60_000) == 50_000
    assert faded != plain  # a fade is part of what the film is (round trips must keep it)
