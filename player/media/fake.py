"""A scripted media backend for engine tests: no decoding; its time is the test's clock.

It runs on a clock the test steps by hand (`player.show.clock.ManualClock`): opening a film
makes it ready after `open_ms`; playing it reports its position every `tick_ms` (as libvlc does,
about four times a second) and its end at its end; pausing stops its clock. Each file behaves
as its `Script` says: how long it is, that it fails on open or part-way, ends early, or stalls.
Events go to the sink from timer callbacks, as a real backend's come from its own threads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from player.core.subtitles import SubtitleStyle
from player.media.backend import Ended, Failed, Post, Ready, Started, TimeChanged


class _Clock(Protocol):
    def now_ms(self) -> int: ...
    def call_later(self, ms: int, fn: Callable[[], None]) -> Any: ...
    def cancel(self, timer: Any) -> None: ...


@dataclass(frozen=True)
class Script:
    """How a fake file behaves: plays `duration_ms`; or fails at open (`fail_on_open`); or
    fails (`fail_at_ms` with `message`), ends early (`ends_at_ms`) or stops moving
    (`stalls_at_ms`: no more events) part-way. Positions are ms in the file."""

    duration_ms: int = 2_000
    fail_on_open: str | None = None
    fail_at_ms: int | None = None
    ends_at_ms: int | None = None
    stalls_at_ms: int | None = None
    message: str = "decoding error"


@dataclass
class _Deck:
    media_id: int
    path: Path
    script: Script
    start_ms: int
    stop_ms: int | None
    gain_db: float
    subtitles: Path | None
    position_ms: int = 0
    playing: bool = False
    paused: bool = True
    done: bool = False
    level_db: float = 0.0
    picture: float = 1.0
    has_subtitles: bool = False
    subtitles_on: bool = False
    since_ms: int = 0  # clock time of the last position update while running
    timer: Any = None

    @property
    def end_ms(self) -> int:
        end = self.script.duration_ms
        for limit in (self.stop_ms, self.script.ends_at_ms):
            if limit is not None:
                end = min(end, limit)
        return end


@dataclass
class FakeBackend:
    clock: _Clock
    scripts: dict[Path, Script] = field(default_factory=dict)
    open_ms: int = 0  # open -> Ready
    tick_ms: int = 250  # position reports while playing
    sound_lead_ms: int = 0
    subtitle_style: SubtitleStyle = field(default_factory=SubtitleStyle)
    calls: list[tuple] = field(default_factory=list)
    _post: Post | None = None
    _decks: dict[int, _Deck] = field(default_factory=dict)
    _next_id: int = 0
    _levels: dict[int, float] = field(default_factory=dict)  # per slot, kept across opens

    def set_event_sink(self, post: Post) -> None:
        self._post = post

    def set_video_window(self, slot: int, handle: int | None) -> None:
        self.calls.append(("window", slot, handle))

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
        self.stop(slot, record=False)
        self._next_id += 1
        path = Path(path)
        script = self.scripts.get(path, Script())
        deck = _Deck(self._next_id, path, script, start_ms, stop_ms, gain_db, subtitles)
        deck.position_ms = start_ms
        deck.level_db = self._levels.get(slot, 0.0)
        deck.has_subtitles = subtitles is not None or subtitle_track is not None
        deck.subtitles_on = deck.has_subtitles
        self._decks[slot] = deck
        self.calls.append(("open", slot, path, start_ms, stop_ms, gain_db))

        def ready() -> None:
            if self._decks.get(slot) is not deck:
                return
            if script.fail_on_open:
                deck.done = True
                self._emit(Failed(deck.media_id, slot, script.fail_on_open))
            else:
                self._emit(Ready(deck.media_id, slot))

        deck.timer = self.clock.call_later(self.open_ms, ready)
        return deck.media_id

    def play(self, slot: int) -> None:
        deck = self._decks.get(slot)
        self.calls.append(("play", slot))
        if deck is None or deck.done or (deck.playing and not deck.paused):
            return
        deck.playing, deck.paused = True, False
        deck.since_ms = self.clock.now_ms()
        self._emit(Started(deck.media_id, slot))
        self._schedule(slot, deck)

    def pause(self, slot: int, paused: bool) -> None:
        self.calls.append(("pause", slot, paused))
        deck = self._decks.get(slot)
        if deck is None or deck.done or not deck.playing or deck.paused == paused:
            return
        if paused:
            self._catch_up(deck)
            self.clock.cancel(deck.timer)
            deck.paused = True
        else:
            deck.paused = False
            deck.since_ms = self.clock.now_ms()
            self._schedule(slot, deck)

    def stop(self, slot: int, *, record: bool = True) -> None:
        if record:
            self.calls.append(("stop", slot))
        deck = self._decks.pop(slot, None)
        if deck is not None:
            self.clock.cancel(deck.timer)

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

    def length_ms(self, slot: int) -> int | None:
        deck = self._decks.get(slot)
        return deck.script.duration_ms if deck else None

    def snapshot(self, slot: int, path: Path) -> bool:
        return False

    def close(self) -> None:
        for slot in list(self._decks):
            self.stop(slot, record=False)

    # -- what tests look at --

    def deck(self, slot: int) -> _Deck | None:
        return self._decks.get(slot)

    def playing_slot(self) -> int | None:
        for slot, deck in self._decks.items():
            if deck.playing and not deck.paused and not deck.done:
                return slot
        return None

    def subtitles_shown(self, slot: int) -> bool | None:
        """Whether `slot`'s subtitles are on (None: nothing open there)."""
        deck = self._decks.get(slot)
        return deck.subtitles_on if deck else None

    # -- internals --

    def _emit(self, event) -> None:
        if self._post is not None:
            self._post(event)

    def _catch_up(self, deck: _Deck) -> None:
        now = self.clock.now_ms()
        moving = deck.script.stalls_at_ms
        deck.position_ms += now - deck.since_ms
        if moving is not None:
            deck.position_ms = min(deck.position_ms, max(moving, deck.start_ms))
        deck.since_ms = now

    def _schedule(self, slot: int, deck: _Deck) -> None:
        """The next report: a tick, or the end / failure / stall if it comes first."""
        events = [deck.end_ms]
        if deck.script.fail_at_ms is not None and deck.script.fail_at_ms > deck.position_ms:
            events.append(deck.script.fail_at_ms)
        if deck.script.stalls_at_ms is not None:
            if deck.position_ms >= deck.script.stalls_at_ms:
                return  # stalled: nothing more comes
            events.append(deck.script.stalls_at_ms)
        wait = min(self.tick_ms, max(0, min(events) - deck.position_ms))
        deck.timer = self.clock.call_later(wait, lambda: self._tick(slot, deck))

    def _tick(self, slot: int, deck: _Deck) -> None:
        if self._decks.get(slot) is not deck or deck.paused or deck.done:
            return
        self._catch_up(deck)
        fail = deck.script.fail_at_ms
        if fail is not None and deck.position_ms >= fail:
            deck.done, deck.position_ms = True, fail
            self._emit(Failed(deck.media_id, slot, deck.script.message))
        elif deck.position_ms >= deck.end_ms:
            deck.done, deck.position_ms = True, deck.end_ms
            self._emit(Ended(deck.media_id, slot, deck.end_ms))
        else:
            self._emit(TimeChanged(deck.media_id, slot, deck.position_ms))
            self._schedule(slot, deck)
