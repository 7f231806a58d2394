"""The night's timetable: planned start and end of every step, the total and the end of the night.

Pure: no Qt, vlc or ffmpeg. The caller supplies media durations (probed elsewhere) keyed by the
film's absolute path; without them a film falls back to its declared `runtime`.

Timing rules (one place, so the console, the CLI and the booth sheet agree):
- A film lasts `(out or media duration) - in` when its media duration is known (`"media"`),
  else `(out or runtime) - in` (`"declared"`); with neither it counts as 0 and is marked
  `"unknown"` (and a warning says so). `out` beyond the media's end is clamped to the end.
- A card (free card or a film's title card) lasts its `seconds` (`"card"`). A held card (up until
  GO) is planned as 0 ms: how long the room waits is the operator's choice, not the plan's.
  `ScheduledStep.held` marks it so a sheet can show "hold".
- An intermission lasts its minutes/seconds (`"card"`: it is a timed card with a countdown).
- Times are ms after midnight of the night's date; a night crossing midnight keeps counting
  (25:10 is 01:10 the next day): `clock()` wraps for display and `day_of()` gives the offset.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from player.core.model import Card, Film, Intermission, Playlist, Step, StepKind, steps
from player.core.model import format_duration as length

DAY_MS = 24 * 60 * 60 * 1000
#: Declared runtime and media duration may differ by this much before a warning.
RUNTIME_TOLERANCE_MS = 5_000


class DurationSource(enum.Enum):
    """Where a step's planned length comes from."""

    MEDIA = "media"  # the probed media, trims applied
    DECLARED = "declared"  # the playlist's `runtime` (media not probed or missing)
    CARD = "card"  # a card's or intermission's own length
    UNKNOWN = "unknown"  # nothing known: counted as 0


MEDIA, DECLARED, CARD, UNKNOWN = DurationSource


@dataclass(frozen=True)
class ScheduledStep:
    """One step of the running order with its planned times (ms after midnight)."""

    index: int  # the step's index in `steps(playlist)`
    step: Step
    id: str
    kind: StepKind  # a film's title card is a card
    title: str  # one line: the first of the night's languages
    start_ms: int
    end_ms: int
    duration_ms: int
    duration_source: DurationSource
    held: bool = False  # a card that waits for GO (planned as 0 ms)

    def to_json(self) -> dict:
        return {
            "index": self.index,
            "id": self.id,
            "kind": self.kind.value,
            "title": self.title,
            "start": clock(self.start_ms),
            "end": clock(self.end_ms),
            "duration_ms": self.duration_ms,
            "duration_source": self.duration_source.value,
        }


@dataclass(frozen=True)
class Schedule:
    items: list[ScheduledStep]
    start_ms: int
    end_ms: int
    warnings: list[str] = field(default_factory=list)
    start_known: bool = True  # False when neither the playlist nor the caller gave a start

    @property
    def total_ms(self) -> int:
        return self.end_ms - self.start_ms

    def late_ms(self, step_index: int, now_ms: int) -> int:
        """How late step `step_index` starts if it starts at `now_ms` (ms after midnight of
        the night's day; negative: early)."""
        return now_ms - self.items[step_index].start_ms

    def to_json(self) -> dict:
        return {
            "start": clock(self.start_ms),
            "end": clock(self.end_ms),
            "total_ms": self.total_ms,
            "items": [item.to_json() for item in self.items],
        }


def clock(ms: int) -> str:
    """'HH:MM:SS' on a 24-hour clock (wraps past midnight; seconds rounded down)."""
    seconds = (ms % DAY_MS) // 1000
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def day_of(ms: int) -> int:
    """0 for the night's day, 1 for the next day (after midnight), ..."""
    return ms // DAY_MS


def parse_clock(text: str) -> int:
    """'HH:MM' or 'HH:MM:SS' -> ms after midnight; ValueError with a clear message otherwise."""
    parts = text.strip().split(":")
    try:
        if len(parts) not in (2, 3):
            raise ValueError
        numbers = [int(p) for p in parts]
    except ValueError:
        raise ValueError(f"'{text}' is not a time of day (expected HH:MM, e.g. 19:30)") from None
    hours, minutes = numbers[0], numbers[1]
    secs = numbers[2] if len(numbers) == 3 else 0
    if not (0 <= hours < 24 and 0 <= minutes < 60 and 0 <= secs < 60):
        raise ValueError(f"'{text}' is not a time of day (expected HH:MM, e.g. 19:30)")
    return ((hours * 60 + minutes) * 60 + secs) * 1000


def film_duration(
    film: Film, media_ms: int | None, warnings: list[str] | None = None, languages=()
) -> tuple[int, DurationSource]:
    """(planned duration in ms, source) for one film; appends any warning to `warnings`
    (naming the film by its title in the first of `languages`)."""
    notes = warnings if warnings is not None else []
    name = film.title.first(languages) or film.path.name
    if media_ms is not None:
        if film.runtime_ms is not None and abs(film.runtime_ms - media_ms) > RUNTIME_TOLERANCE_MS:
            notes.append(
                f"{name}: declared runtime {length(film.runtime_ms)} but the media "
                f"({film.path.name}) lasts {length(media_ms)}"
            )
        if film.out_ms is not None and film.out_ms > media_ms:
            notes.append(
                f"{name}: out {length(film.out_ms)} is beyond the end of the media "
                f"({length(media_ms)}); planned up to the end"
            )
        return film.played_ms(media_ms), MEDIA
    declared = film.declared_duration_ms
    if declared is not None:
        return declared, DECLARED
    notes.append(f"{name}: no running time known (media not probed and no runtime); counted as 0")
    return 0, UNKNOWN


def plan(
    playlist: Playlist,
    durations_ms: Mapping[Path, int] | None = None,
    start_ms: int | None = None,
) -> Schedule:
    """Time every step of `steps(playlist)`.

    `durations_ms` maps a film's absolute path (as in the playlist, or normalised as
    `probe_many` gives it) to its media duration (untrimmed); `start_ms`
    (ms after midnight) overrides the playlist's `start`; with neither, the night starts at 0
    and `Schedule.start_known` is False. Never raises for a valid playlist.
    """
    # Keys may be written as the playlist has them (".../playlists/../assets/a.mp4") or
    # normalised (what probe_many returns): accept both.
    durations = {Path(os.path.normpath(k)): v for k, v in (durations_ms or {}).items()}
    start_known = start_ms is not None or playlist.start_ms is not None
    begin = start_ms if start_ms is not None else (playlist.start_ms or 0)
    languages = playlist.languages
    warnings: list[str] = []
    items: list[ScheduledStep] = []
    now = begin
    for step in steps(playlist):
        held = False
        item = step.item
        if step.kind is StepKind.FILM:
            assert isinstance(item, Film)
            duration, source = film_duration(
                item, durations.get(Path(os.path.normpath(item.path))), warnings, languages
            )
            ident, title = item.id, item.title.first(languages)
        elif step.kind is StepKind.CARD:
            card = step.card
            assert isinstance(card, Card)
            held = card.hold or card.duration_ms is None
            duration = 0 if held else int(card.duration_ms or 0)
            source = CARD
            ident = card.id
            # A film's title card is named after the film (its text may be the same).
            shown = item.title if step.is_title_card else card.text
            title = shown.first(languages)
        else:
            assert isinstance(item, Intermission)
            duration, source = item.duration_ms, CARD
            ident, title = item.id, item.title.first(languages)
        items.append(
            ScheduledStep(
                index=step.index,
                step=step,
                id=ident,
                kind=step.kind,
                title=title,
                start_ms=now,
                end_ms=now + duration,
                duration_ms=duration,
                duration_source=source,
                held=held,
            )
        )
        now += duration
    return Schedule(
        items=items, start_ms=begin, end_ms=now, warnings=warnings, start_known=start_known
    )
