"""Where an interrupted night goes on: decided once, from the journal and the as-run log.

`find` is the one place that reads both after a crash, a power cut or an accidental close. The
console (offer or `--resume`), `rehearse --resume` and the engine all use its `ResumePoint`: the
step and position to continue from, the earlier steps as they ran (so the running order shows
them played), and the night's day and planned start (so lateness goes on against the same plan).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from player.show import asrun, journal
from player.show.asrun import AsRunEntry


@dataclass(frozen=True)
class ResumePoint:
    step_index: int
    position_ms: int
    as_run_path: Path | None  # the interrupted show's as-run log (continued, not replaced)
    entries: tuple[AsRunEntry, ...] = ()  # what that log holds
    night_day: date | None = None
    night_start_ms: int | None = None

    @property
    def offered(self) -> bool:
        """Worth offering (past the very start of the night)."""
        return self.step_index > 0 or self.position_ms > 0


def reconcile(
    point: tuple[int, int], entries: list[AsRunEntry], journal_saved_at: str | None
) -> tuple[int, int]:
    """The journal's point corrected by the as-run log.

    A step's as-run line is written just before the journal records the step as completed; a
    crash between the two leaves a journal that says "step k, part-way" while the log already
    closed step k. Then the log is the later word and the resume goes on with step k + 1, so a
    completed step is never replayed (or logged twice)."""
    index, _ = point
    if not entries or entries[-1].index != index or not entries[-1].ended_at:
        return point
    try:
        ended = datetime.fromisoformat(entries[-1].ended_at)
        saved = datetime.fromisoformat(journal_saved_at) if journal_saved_at else None
    except (TypeError, ValueError):
        return point
    if saved is not None and ended <= saved:
        return point  # the journal was saved after that line: it knows better (e.g. Back)
    return index + 1, 0


def find(journal_path: Path, step_count: int) -> ResumePoint | None:
    """Where the night whose journal is `journal_path` stopped; None when it never started,
    ended, or stopped after its last step (nothing is left to resume)."""
    state = journal.load(journal_path)
    point = state.resume_point() if state is not None else None
    if point is None:
        return None
    as_run = Path(state.as_run) if state.as_run else None
    entries = asrun.read(as_run) if as_run is not None else []
    index, position = reconcile(point, entries, state.saved_at)
    if index >= step_count:
        return None
    try:
        day = date.fromisoformat(state.night_day) if state.night_day else None
    except ValueError:
        day = None
    return ResumePoint(
        step_index=index,
        position_ms=position,
        as_run_path=as_run,
        entries=tuple(entries),
        night_day=day,
        night_start_ms=state.night_start_ms,
    )
