"""The two player slots: which film is opened in which, from where, and whether it is ready.

The film on screen plays in one slot while the next film waits in the other, opened and paused
on its first frame, so a switch shows a picture at once (PLATFORM.md: a pre-paused second player
is the way to a gapless switch). This keeps the books; `player.show.engine` decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from player.core.model import Film
from player.media.backend import SLOTS, BackendEvent, MediaBackend


@dataclass
class Deck:
    """What the engine knows of one slot's film."""

    slot: int
    step_index: int
    media_id: int
    start_ms: int  # where playback starts in the file (in point + resume position)
    from_start: bool  # opened at the film's in point (a standby for its GO)
    ready: bool = False
    failed: str | None = None
    played: bool = False  # play() was called: it is (or was) the film on screen
    play_on_ready: bool = False


class Decks:
    def __init__(self, backend: MediaBackend) -> None:
        self.backend = backend
        self.by_slot: dict[int, Deck] = {}

    def of_event(self, event: BackendEvent) -> Deck | None:
        """The deck an event is about, or None when its film was stopped or replaced."""
        deck = self.by_slot.get(event.slot)
        return deck if deck is not None and deck.media_id == event.media_id else None

    def open(
        self,
        step_index: int,
        film: Film,
        *,
        position_ms: int,
        gain_db: float,
        level_db: float,
        keep: set[int],
    ) -> Deck:
        """Open `film` (from `position_ms` after its in point) in a slot not in `keep`,
        replacing what was there; an empty slot is taken first."""
        free = [slot for slot in SLOTS if slot not in keep]
        slot = next((s for s in free if s not in self.by_slot), free[0] if free else SLOTS[-1])
        self.stop(slot)
        start = film.in_ms + position_ms
        self.backend.set_level_db(slot, level_db)
        media_id = self.backend.open(
            slot,
            film.path,
            start_ms=start,
            stop_ms=film.out_ms,
            subtitles=film.subtitles,
            subtitle_track=film.subtitle_track,
            audio_track=film.audio_track,
            gain_db=gain_db,
        )
        deck = Deck(slot, step_index, media_id, start, from_start=position_ms == 0)
        self.by_slot[slot] = deck
        return deck

    def waiting(self, step_index: int, *, ready: bool = False) -> Deck | None:
        """The deck opened for film step `step_index` from its start and not played yet
        (with `ready`: paused on its first frame, not failed)."""
        for deck in self.by_slot.values():
            if deck.step_index != step_index or deck.played or not deck.from_start:
                continue
            if not ready or (deck.ready and not deck.failed):
                return deck
        return None

    def any_waiting(self) -> bool:
        return any(not deck.played for deck in self.by_slot.values())

    def stop(self, slot: int) -> None:
        if self.by_slot.pop(slot, None) is not None:
            self.backend.stop(slot)

    def stop_all(self) -> None:
        for slot in list(self.by_slot):
            self.stop(slot)
