"""A scripted media backend for unit tests: no decoding, time moves only when a test says so.

Each file's behaviour is scripted by path: how long it plays, or that it fails on open or part-way.
Events are posted synchronously from `advance` / `open` / `play` (a test's "backend thread").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from player.core.subtitles import SubtitleStyle
from player.media.backend import Ended, Failed, Post, Ready, Started, TimeChanged


@dataclass(frozen=True)
class Script:
    """How a fake file behaves: plays `duration_ms`; or fails at open (`fail_on_open`); or
    fails (`fail_at_ms` with `message`) / ends early (`ends_at_ms`) part-way."""

    duration_ms: int = 2_000
    fail_on_open: str | None = None
    fail_at_ms: int | None = None
    ends_at_ms: int | None = None
    message: str = "decoding error"


@dataclass
class _Deck:
    media_id: int
    path: Path
    script: Script
    start_ms: int
    stop_ms: int | None
    gain_db: float
    time_ms: int = 0
    playing: bool = False
    paused: bool = True
    done: bool = False
    level_db: float = 0.0
    picture: float = 1.0
    has_subtitles: bool = False
    subtitles_on: bool = False


@dataclass
class FakeBackend:
    scripts: dict[Path, Script] = field(default_factory=dict)
    calls: list[tuple] = field(default_factory=list)
    sound_lead_ms: int = 0
    subtitle_style: SubtitleStyle = field(default_factory=SubtitleStyle)
    _post: Post | None = None
    _decks: dict[int, _Deck] = field(default_factory=dict)
    _next_id: int = 0
    _levels: dict[int, float] = field(default_factory=dict)  # per slot, kept across opens

    def set_event_sink(self, post: Post) -> None:
        self._post = post

    def set_video_window(self, slot: int, handle: int | None) -> None:
        self.calls.append(("window", slot, handle))

    def _emit(self, event) -> None:
        if self._post is not None:
            self._post(event)

    def set_subtitle_style(self, style: SubtitleStyle) -> None:
        self.subtitle_style = style

    def open(
        self,
        slot,
        path,
        *,
        start_ms=0,
        stop_ms=None,
        subtitles=None,
        subtitle_track=None,
        audio_track=None,
        gain_db=0.0,
    ) -> int:
        self._next_id += 1
        path = Path(path)
        script = self.scripts.get(path, Script())
        deck = _Deck(self._next_id, path, script, start_ms, stop_ms, gain_db, time_ms=start_ms)
        deck.level_db = self._levels.get(slot, 0.0)
        deck.has_subtitles = subtitles is not None or subtitle_track is not None
        deck.subtitles_on = deck.has_subtitles
        self._decks[slot] = deck
        self.calls.append(("open", slot, path, start_ms, stop_ms, gain_db))
        if script.fail_on_open:
            deck.done = True
            self._emit(Failed(deck.media_id, slot, script.fail_on_open))
        else:
            self._emit(Ready(deck.media_id, slot))
        return deck.media_id

    def play(self, slot: int) -> None:
        deck = self._decks.get(slot)
        self.calls.append(("play", slot))
        if deck is None or deck.done:
            return
        deck.playing, deck.paused = True, False
        self._emit(Started(deck.media_id, slot))

    def pause(self, slot: int, paused: bool) -> None:
        self.calls.append(("pause", slot, paused))
        deck = self._decks.get(slot)
        if deck is not None:
            deck.paused = paused

    def stop(self, slot: int) -> None:
        self.calls.append(("stop", slot))
        self._decks.pop(slot, None)

    def set_level_db(self, slot: int, db: float) -> None:
        self._levels[slot] = db
        deck = self._decks.get(slot)
        if deck is not None:
            deck.level_db = db

    def set_picture_level(self, slot: int, level: float) -> None:
        deck = self._decks.get(slot)
        if deck is not None:
            deck.picture = level

    def set_subtitles_visible(self, slot: int, on: bool) -> None:
        self.calls.append(("subtitles", slot, on))
        deck = self._decks.get(slot)
        if deck is not None and deck.has_subtitles:
            deck.subtitles_on = bool(on)

    def time_ms(self, slot: int) -> int | None:
        deck = self._decks.get(slot)
        return deck.time_ms if deck else None

    def length_ms(self, slot: int) -> int | None:
        deck = self._decks.get(slot)
        return deck.script.duration_ms if deck else None

    def snapshot(self, slot: int, path: Path) -> bool:
        return False

    def close(self) -> None:
        self._decks.clear()

    # -- test helpers --

    def level_db(self, slot: int) -> float | None:
        deck = self._decks.get(slot)
        return deck.level_db if deck else None

    def picture_level(self, slot: int) -> float | None:
        deck = self._decks.get(slot)
        return deck.picture if deck else None

    def subtitles_shown(self, slot: int) -> bool | None:
        """Whether `slot`'s subtitles are on (None: nothing open there)."""
        deck = self._decks.get(slot)
        return deck.subtitles_on if deck else None

    def advance(self, ms: int) -> None:
        """Let `ms` of playback pass on every playing, unpaused slot."""
        for slot, deck in list(self._decks.items()):
            if not deck.playing or deck.paused or deck.done:
                continue
            end = deck.script.duration_ms
            if deck.stop_ms is not None:
                end = min(end, deck.stop_ms)
            if deck.script.ends_at_ms is not None:
                end = min(end, deck.script.ends_at_ms)
            new_time = deck.time_ms + ms
            fail = deck.script.fail_at_ms
            if fail is not None and deck.time_ms < fail <= new_time:
                deck.done, deck.time_ms = True, fail
                self._emit(Failed(deck.media_id, slot, deck.script.message))
            elif new_time >= end:
                deck.done, deck.time_ms = True, end
                self._emit(Ended(deck.media_id, slot, end))
            else:
                deck.time_ms = new_time
                self._emit(TimeChanged(deck.media_id, slot, new_time))
