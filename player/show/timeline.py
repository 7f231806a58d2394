"""The night's time, owned by the engine: the plan, what actually happened, and where it leads.

Planned times come from `player.core.schedule.plan`: the playlist's `start` on its `date` with
the measured durations. A night dated another day (a rehearsal) or without a `start` is timed
from its first GO instead, and says so (`timed_from_go`) rather than re-timing in silence.

Lateness is judged at the next thing the night waits for: the moment the step on screen will
end (now plus what it has left, so it grows while paused), or now when the show waits for GO
(held, stopped, not started), against that next step's planned start. The projected end adds
the plan's remaining steps to that moment. A night resumed after a crash keeps its plan's start
(from the journal) and its earlier steps as they ran (from the as-run log).

Times are ms after midnight of the night's day (past 24 h after midnight). Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

from player.core.model import Outcome, Playlist, Step
from player.core.schedule import Schedule, plan
from player.show.asrun import AsRunEntry
from player.show.status import StepRecord


def ms_of_day(when: datetime, day: date) -> int:
    """`when` in ms after midnight (local time) of `day`."""
    midnight = datetime.combine(day, datetime.min.time()).astimezone(when.tzinfo)
    return round((when - midnight).total_seconds() * 1000)


def at_ms(day: date, ms: int, tz) -> datetime:
    """The wall time `ms` after midnight of `day`, in the time zone `tz`."""
    midnight = datetime.combine(day, datetime.min.time()).astimezone(tz)
    return midnight + timedelta(milliseconds=ms)


class Timeline:
    def __init__(self, playlist: Playlist, steps: Sequence[Step], night_day: date) -> None:
        self.playlist = playlist
        self.steps = steps
        self.night_day = night_day
        self.applies = playlist.start_ms is not None and playlist.date in (None, night_day)
        self.start_ms: int | None = playlist.start_ms if self.applies else None
        self.durations: dict[Path, int] = {}
        self.schedule: Schedule = plan(playlist, {}, start_ms=self.start_ms or 0)
        self._rows: dict[int, StepRecord] = {}
        self._snapshot: tuple[StepRecord, ...] | None = None

    @property
    def timed_from_go(self) -> bool:
        return not self.applies

    # -- the plan --

    def replan(self, durations: Mapping[Path, int] | None = None) -> None:
        """Plan again, with new media durations (and the start as it now stands)."""
        if durations is not None:
            self.durations = dict(durations)
        self.schedule = plan(self.playlist, self.durations, start_ms=self.start_ms or 0)
        self._snapshot = None

    def night_started(self, now_ms: int) -> None:
        """The first GO: a night timed from GO counts from here."""
        if self.start_ms is None:
            self.start_ms = now_ms
            self.replan()

    def planned_start(self, index: int) -> int:
        return self.schedule.items[index].start_ms

    # -- what happened --

    def restore(self, entries: Sequence[AsRunEntry], night_start_ms: int | None) -> None:
        """A resumed night: its plan's start and the steps its as-run log holds."""
        if self.start_ms is None and night_start_ms is not None:
            self.start_ms = night_start_ms
            self.replan()
        for entry in entries:
            if not 0 <= entry.index < len(self.steps):
                continue
            started = self._parse(entry.started_at)
            ended = self._parse(entry.ended_at)
            self._rows[entry.index] = StepRecord(
                index=entry.index,
                planned_start_ms=0,
                planned_ms=0,
                started_ms=started,
                ended_ms=ended,
                played_ms=entry.played_ms,
                paused_ms=entry.paused_ms,
                outcome=entry.outcome,
                error=entry.error,
            )
        self._snapshot = None

    def _parse(self, text: str | None) -> int | None:
        try:
            return ms_of_day(datetime.fromisoformat(text), self.night_day) if text else None
        except ValueError:
            return None

    def started(self, index: int, now_ms: int) -> None:
        self._rows[index] = StepRecord(index, 0, 0, started_ms=now_ms)
        self._snapshot = None

    def ended(
        self,
        index: int,
        now_ms: int,
        *,
        played_ms: int,
        paused_ms: int,
        outcome: Outcome,
        error: str | None,
    ) -> None:
        row = self._rows.get(index) or StepRecord(index, 0, 0)
        self._rows[index] = replace(
            row,
            ended_ms=now_ms,
            played_ms=played_ms,
            paused_ms=paused_ms,
            outcome=outcome,
            error=error,
        )
        self._snapshot = None

    def rows(self) -> tuple[StepRecord, ...]:
        """Every step: planned times, and what happened to it so far."""
        if self._snapshot is None:
            out = []
            for item in self.schedule.items:
                row = self._rows.get(item.index) or StepRecord(item.index, 0, 0)
                out.append(
                    replace(
                        row,
                        planned_start_ms=item.start_ms,
                        planned_ms=item.duration_ms,
                        held=item.held,
                        source=item.duration_source,
                    )
                )
            self._snapshot = tuple(out)
        return self._snapshot

    # -- where it leads --

    def projection(
        self, now_ms: int, next_index: int | None, remaining_ms: int | None
    ) -> tuple[int, int]:
        """(late_ms, projected_end_ms): the step on screen ends in `remaining_ms` (None: the
        show waits for GO, or nothing runs), then the night goes on at `next_index` (None: it
        ends there) as planned."""
        free_ms = now_ms + max(0, remaining_ms or 0)
        planned_end = self.schedule.end_ms
        if self.start_ms is None:  # not started, timed from GO: it would start now
            return 0, free_ms + self.schedule.total_ms
        if next_index is None or next_index >= len(self.schedule.items):
            return free_ms - planned_end, free_ms
        planned_next = self.planned_start(next_index)
        return free_ms - planned_next, free_ms + planned_end - planned_next

    def finished_late_ms(self, ended_ms: int) -> int:
        return ended_ms - self.schedule.end_ms

    def planned_iso(self, index: int, tz) -> str | None:
        """Step `index`'s planned start for the as-run log (None before a GO-timed night
        started: it has no planned clock time yet)."""
        if self.start_ms is None:
            return None
        return at_ms(self.night_day, self.planned_start(index), tz).isoformat(timespec="seconds")
