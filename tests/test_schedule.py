"""Schedule arithmetic: films (media / declared / unknown, with in/out), cards, intermissions,
held cards, crossing midnight, warnings and the JSON shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from player.core.model import Card, Defaults, Film, Intermission, LocalText, Playlist
from player.core.schedule import (
    DAY_MS,
    DECLARED,
    MEDIA,
    UNKNOWN,
    DurationSource,
    clock,
    day_of,
    length,
    parse_clock,
    plan,
)

H, M, S = 3_600_000, 60_000, 1_000


def film(name: str, **kw) -> Film:
    return Film(id=name, path=Path(f"/films/{name}.mp4"), title=LocalText.of(name), **kw)


def night(*items, start_ms=None, title_cards=False, card_ms=8_000, languages=()) -> Playlist:
    return Playlist(
        title=LocalText.of("Night"),
        items=tuple(items),
        start_ms=start_ms,
        languages=languages,
        defaults=Defaults(title_cards=title_cards, card_ms=card_ms),
    )


def test_films_from_media_durations_with_in_and_out():
    a = film("a", runtime_ms=5 * M, in_ms=10 * S)
    b = film("b", runtime_ms=3 * M, in_ms=5 * S, out_ms=2 * M)
    c = film("c")
    sched = plan(
        night(a, b, c, start_ms=20 * H),
        {a.path: 5 * M + 2 * S, b.path: 3 * M, c.path: 90 * S},
    )
    assert [i.duration_ms for i in sched.items] == [5 * M - 8 * S, 2 * M - 5 * S, 90 * S]
    assert [i.duration_source for i in sched.items] == [DurationSource.MEDIA] * 3
    assert [i.start_ms for i in sched.items] == [
        20 * H,
        20 * H + 5 * M - 8 * S,
        20 * H + 7 * M - 13 * S,
    ]
    assert sched.end_ms == 20 * H + 7 * M + 77 * S
    assert sched.total_ms == 7 * M + 77 * S
    assert sched.warnings == []


def test_declared_runtime_fallback_with_trims_and_unknown():
    a = film("a", runtime_ms=10 * M, in_ms=30 * S, out_ms=9 * M)
    b = film("b", runtime_ms=4 * M)
    c = film("c")
    sched = plan(night(a, b, c), {})
    assert [i.duration_ms for i in sched.items] == [8 * M + 30 * S, 4 * M, 0]
    assert [i.duration_source for i in sched.items] == [DECLARED, DECLARED, UNKNOWN]
    assert sched.start_ms == 0 and not sched.start_known
    assert any("c" in w and "no running time" in w for w in sched.warnings)


def test_media_used_only_for_the_film_it_belongs_to():
    a, b = film("a", runtime_ms=2 * M), film("b", runtime_ms=3 * M)
    sched = plan(night(a, b), {b.path: 3 * M + 1 * S})
    assert [i.duration_source for i in sched.items] == [DECLARED, MEDIA]
    assert [i.duration_ms for i in sched.items] == [2 * M, 3 * M + 1 * S]


def test_runtime_disagreement_warns_beyond_five_seconds():
    ok = film("ok", runtime_ms=5 * M)
    off = film("off", runtime_ms=5 * M)
    sched = plan(night(ok, off), {ok.path: 5 * M + 5 * S, off.path: 5 * M + 6 * S})
    assert len(sched.warnings) == 1
    assert "off" in sched.warnings[0] and "5:00" in sched.warnings[0]
    assert "5:06" in sched.warnings[0]


def test_out_beyond_media_end_is_clamped_and_warned():
    f = film("f", in_ms=10 * S, out_ms=3 * M)
    sched = plan(night(f), {f.path: 2 * M})
    assert sched.items[0].duration_ms == 2 * M - 10 * S
    assert any("beyond the end" in w for w in sched.warnings)


def test_title_cards_cards_held_cards_and_intermissions():
    welcome = Card(id="welcome", text=LocalText.of({"fr": "Bienvenue", "en": "Welcome"}))
    a = film("a", runtime_ms=5 * M)
    pause = Intermission(id="pause", duration_ms=15 * M)
    b = film("b", runtime_ms=4 * M, title_card=False)
    bye = Card(id="bye", text=LocalText.of("Panel"), duration_ms=None, hold=True)
    sched = plan(
        night(
            welcome,
            a,
            pause,
            b,
            bye,
            start_ms=19 * H,
            title_cards=True,
            card_ms=6_000,
            languages=("en", "fr"),
        ),
    )
    rows = [
        (i.index, i.id, i.kind.value, i.title, i.duration_ms, i.duration_source.value)
        for i in sched.items
    ]
    assert rows == [
        (0, "welcome", "card", "Welcome", 8_000, "card"),
        (1, "a-card", "card", "a", 6_000, "card"),
        (2, "a", "film", "a", 5 * M, "declared"),
        (3, "pause", "intermission", "Intermission", 15 * M, "card"),
        (4, "b", "film", "b", 4 * M, "declared"),
        (5, "bye", "card", "Panel", 0, "card"),
    ]
    assert sched.items[5].held and not sched.items[0].held
    assert sched.items[4].start_ms == 19 * H + 14_000 + 20 * M
    assert sched.end_ms == 19 * H + 14_000 + 24 * M
    assert clock(sched.items[4].start_ms) == "19:20:14"


def test_replacing_title_card_uses_its_own_timing():
    card = Card(id="custom", text=LocalText.of("Special"), duration_ms=3_000)
    f = film("f", runtime_ms=M, title_card=card)
    sched = plan(night(f, title_cards=False))
    assert [(i.id, i.duration_ms) for i in sched.items] == [("custom", 3_000), ("f", M)]


def test_crossing_midnight_wraps_clock_and_keeps_day():
    a = film("a", runtime_ms=20 * M)
    b = film("b", runtime_ms=30 * M)
    sched = plan(night(a, b, start_ms=23 * H + 50 * M))
    second = sched.items[1]
    assert second.start_ms == DAY_MS + 10 * M
    assert clock(second.start_ms) == "00:10:00" and day_of(second.start_ms) == 1
    data = sched.to_json()
    assert data["start"] == "23:50:00" and data["end"] == "00:40:00"
    assert data["total_ms"] == 50 * M


def test_start_parameter_overrides_playlist_start():
    sched = plan(night(film("a", runtime_ms=M), start_ms=20 * H), start_ms=21 * H + 30 * M)
    assert sched.to_json()["start"] == "21:30:00" and sched.start_known


def test_json_shape_is_exactly_the_documented_one():
    sched = plan(night(film("a", runtime_ms=M + 500), start_ms=20 * H, title_cards=True))
    data = sched.to_json()
    assert set(data) == {"start", "end", "total_ms", "items"}
    assert data["items"][0] == {
        "index": 0,
        "id": "a-card",
        "kind": "card",
        "title": "a",
        "start": "20:00:00",
        "end": "20:00:08",
        "duration_ms": 8_000,
        "duration_source": "card",
    }
    assert data["items"][1]["end"] == "20:01:08"
    assert data["total_ms"] == 8_000 + M + 500


@pytest.mark.parametrize(
    ("text", "ms"), [("19:30", 19 * H + 30 * M), ("00:00", 0), ("23:59:59", DAY_MS - S)]
)
def test_parse_clock(text, ms):
    assert parse_clock(text) == ms


@pytest.mark.parametrize("text", ["24:00", "7", "19h30", "19:60", ""])
def test_parse_clock_refuses(text):
    with pytest.raises(ValueError, match="HH:MM"):
        parse_clock(text)


def test_length_formatting():
    assert length(5 * M) == "5:00"
    assert length(H + 2 * M + 3 * S) == "1:02:03"
    assert length(59_600) == "1:00"


def test_durations_keyed_by_normalised_or_written_path():
    written = Film(id="w", path=Path("/night/playlists/../films/a.mp4"), title=LocalText.of("w"))
    sched = plan(night(written), {Path("/night/films/a.mp4"): 42_000})
    assert (
        sched.items[0].duration_ms == 42_000
        and sched.items[0].duration_source is DurationSource.MEDIA
    )
    sched = plan(night(written), {written.path: 43_000})
    assert sched.items[0].duration_ms == 43_000
